"""SLA reports for the command line: ``report milestones``, ``report compliance`` and ``report pauses``.

Each is a mart of the registry (:mod:`entitlement_core.reports`), a pure
function of the intermediate layer (:class:`~entitlement_core.basis.Basis`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from .compliance import from_counts, margin_stats
from .milestones import INSTANCE_SCHEMA
from .pause_audit import CASE_PAUSE_COLUMNS

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "COMPLIANCE_COLUMNS",
    "MILESTONE_COLUMNS",
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


def milestones_report(basis: Basis) -> pl.DataFrame:
    """Every milestone instance as of the basis's value.

    Grain: one row per milestone instance (see
    :func:`~entitlement_core.sla.milestones.milestone_instances`), sorted by
    case, start and milestone.
    """
    return basis.instances.select(MILESTONE_COLUMNS).sort("case_id", "started_at", "milestone")


def compliance_report(basis: Basis) -> pl.DataFrame:
    """Milestone compliance as of the basis's value.

    Grain: one row per milestone and priority with instances: counts by
    status (``paused``: open with the clock stopped at the as-of moment),
    ``compliance = met / (met + violated)`` (paused time excluded from
    every milestone's elapsed time) and the median margin of completed
    instances (from the margin histogram).
    """
    by = ("milestone", "priority")
    parts = basis.sla()
    counts = from_counts(parts.counts, by=by)
    margins = margin_stats(parts.margins, by=by).select(*by, "median_margin_minutes")
    return (
        counts.join(margins, on=list(by), how="left", nulls_equal=True)
        .select(COMPLIANCE_COLUMNS)
        .sort(list(by), nulls_last=True)
        .collect()
    )


def pauses_report(basis: Basis) -> pl.DataFrame:
    """The pause audit: every case whose clock was stopped, most paused share first.

    Grain: one row per case with a process whose clock stopped at least
    once in its life as of the basis's value (:attr:`Basis.pauses
    <entitlement_core.basis.Basis.pauses>`): life and paused business
    minutes, the paused share, how often it was paused and resumed, the
    longest pause, the status that stopped it longest and whether its share
    is above ``pause_share_threshold``.
    """
    return basis.pauses.cases.filter(pl.col("pauses") > 0).select(CASE_PAUSE_COLUMNS)
