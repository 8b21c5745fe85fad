"""The SLA page's view model: compliance and the time paused beside it, the weekly trend, margins,
the worklists (next breaches, at risk, violations) and the pause audit.

Every compliance figure here is a sum of the compliance kernel's counts
(:func:`~entitlement_core.sla.compliance.from_counts`), the same sums as the
``compliance`` report and the Overview; the lists are rows of the milestone
instances, measured as of each instance's as-of moment ("at risk now" is as
of now, not midnight tonight).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from ..filters import NO_FILTERS, Filters, with_dims
from ..sla.breach import with_next_breach
from ..sla.compliance import (
    DEFAULT_BY,
    at_risk_list,
    from_counts,
    margin_hours,
    paused_from_counts,
    violations,
)
from .common import filtered
from .overview import weekly_compliance
from .pauses import PauseAuditView, pause_audit_view

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["STATUSES", "TARGET_COLUMNS", "SlaView", "sla_view"]

#: The statuses the page counts, in tile order.
STATUSES = ("met", "violated", "at_risk", "open", "paused")
#: Columns of the targets-of-record list (the ``milestone-reconciliation`` mart's first nine).
TARGET_COLUMNS = (
    "case_id", "milestone", "started_at", "target_at", "computed_target_at", "difference_minutes",
    "likely_cause", "status", "computed_status",
)  # fmt: skip


@dataclass(frozen=True)
class SlaView:
    """Everything the SLA page draws."""

    totals: dict[str, int]
    compliance_all: float | None
    compliance: pl.DataFrame
    heatmap: pl.DataFrame
    trend: pl.DataFrame
    margin_bins: pl.DataFrame
    violations: pl.DataFrame
    at_risk: pl.DataFrame
    violation_count: int
    at_risk_count: int
    #: Imported targets of record that differ from the computed target, with the likely cause.
    targets: pl.DataFrame
    #: SLA time paused (beside compliance): paused and total business minutes, share, paused now.
    paused: dict[str, Any]
    #: Each open case's next breach, soonest first (the ``next-breaches`` mart), and how many.
    breaches: pl.DataFrame
    breach_count: int
    #: The pause audit section.
    pauses: PauseAuditView

    @property
    def next_breach(self) -> dict[str, Any] | None:
        """The soonest next breach of all (None when no case has a running milestone)."""
        return self.breaches.row(0, named=True) if self.breaches.height else None

    @property
    def is_empty(self) -> bool:
        return not any(self.totals.values())


def _instances(basis: Basis, filters: Filters) -> pl.LazyFrame:
    """The milestone instances the filters select (with their entitlement's dimensions)."""
    instances = basis.instances
    if not filters.is_active:
        return instances.lazy()
    dims = basis.entitlement_dims
    return filters.apply(with_dims(instances, dims)).lazy()


def sla_view(
    basis: Basis,
    *,
    filters: Filters = NO_FILTERS,
    by: Sequence[str] = DEFAULT_BY,
    weeks: int = 26,
    list_rows: int = 500,
) -> SlaView:
    """Compliance by ``by``, the trend of the last ``weeks``, margins, and the worklists (worst first)."""
    parts = basis.sla()
    where_counts = filters.expr(parts.counts.columns) if filters.is_active else None
    where_margins = filters.expr(parts.margins.columns) if filters.is_active else None
    total = from_counts(parts.counts, by=(), where=where_counts).collect().row(0, named=True)
    inst = _instances(basis, filters)
    breaches = filtered(basis, "next-breaches", filters).lazy()
    # The at-risk list, ordered by each case's next breach (then the row's own time left).
    risky = with_next_breach(at_risk_list(inst, as_of=pl.col("as_of_at")), breaches)
    viol = violations(inst)
    frames = pl.collect_all(
        [
            from_counts(parts.counts, by=by or ("milestone",), where=where_counts),
            from_counts(parts.counts, by=("milestone", "priority"), where=where_counts),
            viol.head(list_rows),
            risky.head(list_rows),
            viol.select(pl.len()),
            risky.select(pl.len()),
            breaches.head(list_rows),
            breaches.select(pl.len()),
        ]
    )
    return SlaView(
        totals={s: int(total[s] or 0) for s in STATUSES},
        compliance_all=total["compliance"],
        compliance=frames[0],
        heatmap=frames[1],
        trend=weekly_compliance(basis, filters=filters, weeks=weeks),
        margin_bins=margin_hours(parts.margins, where=where_margins),
        violations=frames[2],
        at_risk=frames[3],
        violation_count=int(frames[4].item()),
        at_risk_count=int(frames[5].item()),
        targets=filtered(basis, "milestone-reconciliation", filters).select(TARGET_COLUMNS),
        paused=paused_from_counts(parts.counts, where=where_counts),
        breaches=frames[6],
        breach_count=int(frames[7].item()),
        pauses=pause_audit_view(basis, filters=filters, list_rows=list_rows),
    )
