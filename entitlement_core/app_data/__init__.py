"""What the app's pages show, computed without Streamlit.

The app caches the results of these functions (keyed by the store's data
version and the as-of moment); everything here is a pure function of
:class:`~entitlement_core.staging.Tables` or of collected marts, so it is
tested without a browser. Per-case frames stay here: pages receive
aggregates and short, sorted lists.

- :class:`Filters`: the shared sidebar filters (tier, region, owner, plan,
  usage type) and how they apply to any mart carrying those columns;
- :func:`build_mart`: every mart a page needs, by name, with the entitlement
  dimensions attached so filters apply uniformly;
- :func:`kpi_values` / :func:`kpi_tiles`: the overview's figures and their
  change against the same figures as of 30 days earlier (:func:`month_start`:
  where the SLA figure's month begins);
- :func:`sla_view`, :func:`search_accounts`, :func:`account_tables`: the
  SLA and Account pages' helpers;
- :func:`grant_balances`, :func:`overage_revenue_mart`, :func:`commitment_balances`,
  :func:`breakage_totals`, :func:`overage_totals`: the Revenue page's figures.
"""

from .kpis import Kpi, kpi_tiles, kpi_values, month_start
from .marts import (
    DIMENSIONS,
    MART_NAMES,
    Filters,
    as_of_moment,
    build_mart,
    entitlement_dims,
    filter_options,
    with_dims,
)
from .revenue import (
    ACCOUNT_DIMENSIONS,
    GRANT_COLUMNS,
    breakage_totals,
    commitment_balances,
    entitlement_slice,
    grant_balances,
    overage_revenue_mart,
    overage_totals,
    split_filters,
)
from .views import SlaView, account_tables, data_health, search_accounts, sla_view, weekly_compliance

__all__ = [
    "ACCOUNT_DIMENSIONS",
    "DIMENSIONS",
    "GRANT_COLUMNS",
    "MART_NAMES",
    "Filters",
    "Kpi",
    "SlaView",
    "account_tables",
    "as_of_moment",
    "breakage_totals",
    "build_mart",
    "commitment_balances",
    "data_health",
    "entitlement_dims",
    "entitlement_slice",
    "filter_options",
    "grant_balances",
    "kpi_tiles",
    "kpi_values",
    "month_start",
    "overage_revenue_mart",
    "overage_totals",
    "search_accounts",
    "sla_view",
    "split_filters",
    "weekly_compliance",
    "with_dims",
]
