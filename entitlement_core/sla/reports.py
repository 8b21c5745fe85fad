"""SLA reports for the command line: ``report milestones`` and ``report compliance``.

Each is a mart of the registry (:mod:`entitlement_core.reports`), a pure
function of the intermediate layer (:class:`~entitlement_core.basis.Basis`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from .compliance import from_counts, margin_stats
from .milestones import INSTANCE_SCHEMA

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["COMPLIANCE_COLUMNS", "MILESTONE_COLUMNS", "compliance_report", "milestones_report"]

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
    status, ``compliance = met / (met + violated)`` and the median margin of
    completed instances (from the margin histogram).
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
