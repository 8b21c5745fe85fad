"""The usage reports of the command line and the app, by name.

Each report is ``fn(tables, *, as_of, settings) -> pl.DataFrame``: it runs
the marts with the settings' thresholds and windows and returns a collected
frame whose first columns are the utilization columns DOMAIN.md lists
(:data:`LEAD_COLUMNS`), for the entitlement of the row: the case's
entitlement for ``overage``, the most likely entitlement for
``unmatched-cases``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from ..settings import Settings
from ..staging import Tables
from .overage import overage_cases
from .reconciliation import reconcile
from .renewals import renewals_due
from .unmatched import out_of_term_cases, unmatched_cases
from .upsell import rank_upsell
from .utilization import near_limit, utilization

__all__ = ["LEAD_COLUMNS", "REPORTS", "ReportFn"]

#: DOMAIN.md, "Command line": the columns the utilization report must carry, first.
LEAD_COLUMNS = (
    "entitlement_id", "account_id", "usage_type", "cap", "consumed", "remaining", "pct_used", "status",
    "burn_rate_per_day", "projected_at_end", "projected_exhaustion_date",
)  # fmt: skip

ReportFn = Callable[..., pl.DataFrame]


def _util(tables: Tables, as_of: dt.datetime, settings: Settings) -> pl.LazyFrame:
    return utilization(
        tables, as_of=as_of, thresholds=settings.thresholds, burn_window_days=settings.burn_window_days
    )


def _lead_first(frame: pl.LazyFrame) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    return frame.select(*LEAD_COLUMNS, *[c for c in names if c not in LEAD_COLUMNS])


def _with_lead(frame: pl.LazyFrame, util: pl.LazyFrame, key: str = "entitlement_id") -> pl.LazyFrame:
    """``frame`` with the lead columns of its entitlement (``key``) in front."""
    names = frame.collect_schema().names()
    lead = (
        util.select(LEAD_COLUMNS).rename({"entitlement_id": key})
        if key != "entitlement_id"
        else util.select(LEAD_COLUMNS)
    )
    rest = [c for c in names if c not in LEAD_COLUMNS and c != key]
    joined = frame.select(key, *rest).join(lead, on=key, how="left", maintain_order="left")
    if key != "entitlement_id":
        joined = joined.rename({key: "entitlement_id"})
    return joined.select(*LEAD_COLUMNS, *rest)


def utilization_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """One row per entitlement: consumed, remaining, status, burn rate, projections."""
    return _lead_first(_util(tables, as_of, settings)).collect()


def near_limit_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Entitlements near their limit, exhausted or over cap, worst first."""
    return _lead_first(near_limit(_util(tables, as_of, settings))).collect()


def overage_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """One row per overage case (or time entry), priced at the plan's overage rate."""
    rows = overage_cases(tables, as_of=as_of).drop("account_id", "usage_type", "cap")
    return _with_lead(rows, _util(tables, as_of, settings)).collect()


def unmatched_cases_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Cases naming no entitlement while one was active; ``entitlement_id`` is the likely one."""
    rows = unmatched_cases(tables, as_of=as_of).drop("likely_usage_type")
    return _with_lead(rows, _util(tables, as_of, settings), key="likely_entitlement_id").collect()


def upsell_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Upsell candidates ranked by projected shortfall, with the recommended plan."""
    return _lead_first(rank_upsell(_util(tables, as_of, settings))).collect()


def renewals_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Entitlements ending within the renewal window, marked when already renewed."""
    rows = renewals_due(
        tables,
        as_of=as_of,
        within_days=settings.renewal_window_days,
        thresholds=settings.thresholds,
        burn_window_days=settings.burn_window_days,
    )
    return _lead_first(rows).collect()


def reconciliation_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Entitlements whose Salesforce remaining-cases counter disagrees, with the likely cause."""
    rows = reconcile(_util(tables, as_of, settings), out_of_term_cases(tables, as_of=as_of))
    names = rows.collect_schema().names()
    first = [
        *LEAD_COLUMNS,
        "crm_remaining_cases",
        "difference",
        "deleted_cases",
        "out_of_term_cases",
        "likely_cause",
    ]
    return rows.select(*first, *[c for c in names if c not in first]).collect()


#: Report name -> function (the names of ``python -m entitlement_core report NAME``).
REPORTS: dict[str, ReportFn] = {
    "utilization": utilization_report,
    "near-limit": near_limit_report,
    "overage": overage_report,
    "unmatched-cases": unmatched_cases_report,
    "upsell": upsell_report,
    "renewals": renewals_report,
    "reconciliation": reconciliation_report,
}
