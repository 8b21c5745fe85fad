"""Usage analytics: what entitlements consumed, what is left, and what to do about it.

Intermediate layer (shared by every mart, computed once per data and as-of
value by :class:`~entitlement_core.basis.Basis`):

- :mod:`.terms`: entitlement terms in UTC: zones, term bounds, as-of moments;
- :mod:`.positions`: the rules that apply to each term (burn window,
  thresholds, base unit) and where it stands (consumed, allotment,
  remaining, overage), exact;
- :mod:`.grants`: the grant drawdown (anchor, packs, rollovers, commitments).

Marts (pure functions of a basis; :mod:`entitlement_core.reports` lists
them): :mod:`.utilization` (and near-limit), :mod:`.overage`,
:mod:`.balances`, :mod:`.upsell`, :mod:`.unmatched` (and out-of-term),
:mod:`.reconciliation`, :mod:`.trends`. Rules: DOMAIN.md, "Consumption
rules", "Status", "Overflow", "Burn rate, projection, upsell, renewal".
"""

from .banner import add_banner, banner_expr
from .overage import OVERAGE_COLUMNS, overage_listing, overage_revenue, overage_summary
from .reconciliation import reconcile, reconciliation
from .trends import burndown, weekly_consumption
from .unmatched import out_of_term_cases, unmatched_cases
from .upsell import rank_upsell, upsell_candidates
from .utilization import STATUS_ORDER, UTILIZATION_COLUMNS, near_limit, utilization, utilization_mart

__all__ = [
    "OVERAGE_COLUMNS",
    "STATUS_ORDER",
    "UTILIZATION_COLUMNS",
    "add_banner",
    "banner_expr",
    "burndown",
    "near_limit",
    "out_of_term_cases",
    "overage_listing",
    "overage_revenue",
    "overage_summary",
    "rank_upsell",
    "reconcile",
    "reconciliation",
    "unmatched_cases",
    "upsell_candidates",
    "utilization",
    "utilization_mart",
    "weekly_consumption",
]
