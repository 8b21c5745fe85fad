"""Usage analytics: what entitlements consumed, what is left, and what to do about it.

Every function is a pure transform of a :class:`~entitlement_core.staging.Tables`
bundle and options, computed *as of* a moment (DOMAIN.md, "Consumption
rules", "Status", "Overflow", "Burn rate, projection, upsell, renewal").
"""

from .banner import add_banner, banner_expr
from .ledger import LEDGER_COLUMNS, consumption_ledger
from .overage import overage_cases, overage_summary
from .reconciliation import reconciliation
from .renewals import renewal_history, renewals_due
from .reports import LEAD_COLUMNS, REPORTS
from .trends import burndown, weekly_consumption
from .unmatched import out_of_term_cases, unmatched_cases
from .upsell import upsell_candidates
from .utilization import STATUS_ORDER, UTILIZATION_COLUMNS, near_limit, utilization

__all__ = [
    "LEAD_COLUMNS",
    "LEDGER_COLUMNS",
    "REPORTS",
    "STATUS_ORDER",
    "UTILIZATION_COLUMNS",
    "add_banner",
    "banner_expr",
    "burndown",
    "consumption_ledger",
    "near_limit",
    "out_of_term_cases",
    "overage_cases",
    "overage_summary",
    "reconciliation",
    "renewal_history",
    "renewals_due",
    "unmatched_cases",
    "upsell_candidates",
    "utilization",
    "weekly_consumption",
]
