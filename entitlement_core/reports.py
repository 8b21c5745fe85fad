"""The report registry: every ``report NAME`` of the command line, in one place.

Usage reports live in :mod:`entitlement_core.usage.reports`, SLA reports in
:mod:`entitlement_core.sla.reports`, the forecast backtest in
:mod:`entitlement_core.forecast.backtest`; each is ``fn(tables, *, as_of,
settings, **options)`` returning a collected frame (options: a report's own,
e.g. ``horizons`` of ``forecast-backtest``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from .settings import Settings
from .staging import Tables

__all__ = ["REPORT_NAMES", "available_reports", "run_report"]

ReportFn = Callable[..., pl.DataFrame]

#: Report names in the order the command line lists them (DOMAIN.md "Command line").
REPORT_NAMES = (
    "utilization",
    "near-limit",
    "overage",
    "unmatched-cases",
    "upsell",
    "renewals",
    "reconciliation",
    "milestones",
    "compliance",
    "pauses",
    "milestone-reconciliation",
    "forecast-backtest",
)


def _milestone_reconciliation(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Milestones whose target of record differs from the computed one, with the likely cause."""
    from .sla.reconciliation import milestone_reconciliation

    return milestone_reconciliation(tables, as_of=as_of, at_risk_fraction=settings.at_risk_fraction)


def available_reports() -> dict[str, ReportFn]:
    from .forecast.backtest import REPORTS as FORECAST_REPORTS
    from .sla.reports import REPORTS as SLA_REPORTS
    from .usage.reports import REPORTS as USAGE_REPORTS

    merged = {
        **USAGE_REPORTS,
        **SLA_REPORTS,
        **FORECAST_REPORTS,
        "milestone-reconciliation": _milestone_reconciliation,
    }
    return {name: merged[name] for name in REPORT_NAMES if name in merged}


def run_report(
    name: str, tables: Tables, *, as_of: dt.datetime, settings: Settings, **options: object
) -> pl.DataFrame:
    """Run one named report as of a moment (``options``: the report's own, e.g. ``horizons``)."""
    reports = available_reports()
    if name not in reports:
        raise KeyError(f"unknown report {name!r}; choose one of: {', '.join(reports)}")
    return reports[name](tables, as_of=as_of, settings=settings, **options)
