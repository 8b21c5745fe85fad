"""View models: what each page shows, computed without Streamlit.

A page reads its widgets, calls one function here with the
:class:`~entitlement_core.basis.Basis` of its data and as-of value (the app
caches bases by data version and as-of value), and renders what comes back.
Business rules live in the core modules these call; here they are only
selected, filtered and arranged. Every function is tested without a
browser.

- :mod:`.overview`: the six figures and their 30-day change, "needs attention";
- :mod:`.utilization`: the entitlement table, search, burn-down, exceptions;
- :mod:`.sla`: compliance by group and the paused time beside it, trend, margins, the next
  breaches, at-risk and violation lists, and the pause audit (:mod:`.pauses`);
- :mod:`.growth`: upsell candidates; renewals due and "recommend a different plan";
- :mod:`.revenue`: overage revenue, commitments, grants and breakage;
- :mod:`.account`: account search, eligibility and the account's records;
- :mod:`.health`: the Data page's health checks;
- :mod:`.accuracy`: the forecast's backtest for admins (Admin page).
"""

from .account import AccountView, account_view, eligible, search_accounts
from .accuracy import ACCURACY_MEASURES, ForecastAccuracy, forecast_accuracy
from .common import filtered, month_start, with_filter_dims
from .growth import (
    RENEWAL_EXPORT_COLUMNS,
    UNITS,
    UPSELL_EXPORT_COLUMNS,
    UPSELL_SHOWN,
    RenewalsView,
    UpsellView,
    different_plan,
    interval_text,
    renewal_advice,
    renewal_chain,
    renewals_view,
    upsell_view,
)
from .health import DATA_CHECKS, data_health
from .overview import (
    ACTIVE_STATUSES,
    ATTENTION_COLUMNS,
    Kpi,
    OverviewView,
    kpi_tiles,
    kpi_values,
    needs_attention,
    overview_view,
    weekly_compliance,
)
from .pauses import PauseAuditView, pause_audit_view
from .revenue import RevenueView, commitment_balances, overage_totals, revenue_view
from .sla import TARGET_COLUMNS, SlaView, sla_view
from .utilization import (
    EXCEPTIONS,
    UtilizationView,
    default_statuses,
    entitlement_burndown,
    search,
    utilization_view,
)

__all__ = [
    "ACCURACY_MEASURES",
    "ACTIVE_STATUSES",
    "ATTENTION_COLUMNS",
    "DATA_CHECKS",
    "EXCEPTIONS",
    "RENEWAL_EXPORT_COLUMNS",
    "TARGET_COLUMNS",
    "UNITS",
    "UPSELL_EXPORT_COLUMNS",
    "UPSELL_SHOWN",
    "AccountView",
    "ForecastAccuracy",
    "Kpi",
    "OverviewView",
    "PauseAuditView",
    "RenewalsView",
    "RevenueView",
    "SlaView",
    "UpsellView",
    "UtilizationView",
    "account_view",
    "commitment_balances",
    "data_health",
    "default_statuses",
    "different_plan",
    "eligible",
    "entitlement_burndown",
    "filtered",
    "forecast_accuracy",
    "interval_text",
    "kpi_tiles",
    "kpi_values",
    "month_start",
    "needs_attention",
    "overage_totals",
    "overview_view",
    "pause_audit_view",
    "renewal_advice",
    "renewal_chain",
    "renewals_view",
    "revenue_view",
    "search",
    "search_accounts",
    "sla_view",
    "upsell_view",
    "utilization_view",
    "weekly_compliance",
    "with_filter_dims",
]
