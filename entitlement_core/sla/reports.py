"""SLA reports for the command line: ``report milestones``, ``report compliance`` and ``report pauses``.

Each report is ``fn(tables, *, as_of, settings) -> pl.DataFrame`` (collected),
registered in :data:`REPORTS` under its command-line name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from ..settings import Settings
from ..staging import Tables
from .compliance import compliance, margin_summary
from .milestones import INSTANCE_SCHEMA, milestone_instances
from .pause_audit import CASE_PAUSE_COLUMNS, case_pauses

__all__ = [
    "COMPLIANCE_COLUMNS",
    "MILESTONE_COLUMNS",
    "REPORTS",
    "compliance_report",
    "milestones_report",
    "pauses_report",
]

#: The ``milestones`` report's columns DOMAIN.md lists ("Command line"), in its order.
_MILESTONE_LEAD = (
    "case_id",
    "milestone",
    "started_at",
    "target_at",
    "completed_at",
    "target_minutes",
    "elapsed_minutes",
    "status",
    "margin_minutes",
    "paused_minutes",
    "computed_target_at",
)

#: Columns of the ``milestones`` report: the DOMAIN.md ones first, then context.
MILESTONE_COLUMNS: tuple[str, ...] = (
    *_MILESTONE_LEAD,
    *(name for name in INSTANCE_SCHEMA if name not in _MILESTONE_LEAD),
)

#: Columns of the ``compliance`` report.
COMPLIANCE_COLUMNS: tuple[str, ...] = (
    "milestone",
    "priority",
    "met",
    "violated",
    "at_risk",
    "open",
    "compliance",
    "paused",
    "median_margin_minutes",
)


def milestones_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Every milestone instance as of ``as_of``.

    Grain: one row per milestone instance (see
    :func:`~entitlement_core.sla.milestones.milestone_instances`), sorted by
    case, start and milestone.
    """
    instances = milestone_instances(tables, as_of=as_of, at_risk_fraction=settings.at_risk_fraction)
    return instances.select(MILESTONE_COLUMNS).sort("case_id", "started_at", "milestone").collect()


def compliance_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """Milestone compliance as of ``as_of``.

    Grain: one row per milestone and priority with instances: counts by
    status (``paused``: open with the clock stopped at the as-of moment),
    ``compliance = met / (met + violated)`` (paused time excluded from
    every milestone's elapsed time) and the median margin of completed
    instances.
    """
    by = ("milestone", "priority")
    instances = milestone_instances(tables, as_of=as_of, at_risk_fraction=settings.at_risk_fraction)
    counts = compliance(instances, by=by)
    margins = margin_summary(instances, by=by).select(*by, "median_margin_minutes")
    return (
        counts.join(margins, on=list(by), how="left", nulls_equal=True)
        .select(COMPLIANCE_COLUMNS)
        .sort(list(by), nulls_last=True)
        .collect()
    )


def pauses_report(tables: Tables, *, as_of: dt.datetime, settings: Settings) -> pl.DataFrame:
    """The pause audit: every case whose clock was stopped, most paused share first.

    Grain: one row per case with a process whose clock stopped at least
    once in its life as of ``as_of`` (:func:`~.pause_audit.case_pauses`):
    life and paused business minutes, the paused share, how often it was
    paused and resumed, the longest pause, the status that stopped it
    longest and whether its share is above ``pause_share_threshold``.
    """
    cases, _ = case_pauses(tables, as_of=as_of, threshold=settings.pause_share_threshold)
    return cases.filter(pl.col("pauses") > 0).select(CASE_PAUSE_COLUMNS)


#: The SLA reports by command-line name.
REPORTS: dict[str, Callable[..., pl.DataFrame]] = {
    "milestones": milestones_report,
    "compliance": compliance_report,
    "pauses": pauses_report,
}
