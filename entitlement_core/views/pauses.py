"""The pause audit section of the SLA page: how much SLA time was paused, where, and which cases.

Everything is selected from the basis's pause audit (:attr:`Basis.pauses
<entitlement_core.basis.Basis.pauses>`, :mod:`entitlement_core.sla.pause_audit`),
the same rows as ``report pauses``; the shares are recomputed per group
from the selected cases' minutes, never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..filters import NO_FILTERS, Filters, with_dims
from ..sla.pause_audit import CASE_PAUSE_COLUMNS, pause_share, status_share

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["PauseAuditView", "pause_audit_view"]


@dataclass(frozen=True)
class PauseAuditView:
    """The pause audit of the cases the filters select."""

    #: Cases measured (with a process), cases whose clock stopped, cases above the threshold.
    cases: int
    paused_cases: int
    over_threshold: int
    #: Paused business minutes over the cases' business minutes of life (None: no business time).
    paused_share: float | None
    threshold: float
    #: Cases above the threshold, most paused share first (columns of ``report pauses``).
    parked: pl.DataFrame
    by_status: pl.DataFrame
    by_owner: pl.DataFrame
    by_account: pl.DataFrame
    by_week: pl.DataFrame


def pause_audit_view(basis: Basis, *, filters: Filters = NO_FILTERS, list_rows: int = 500) -> PauseAuditView:
    """The pause audit of the filtered cases: totals, the parked cases, and the shares by group."""
    audit = basis.pauses
    cases = audit.cases
    if filters.is_active:
        cases = filters.apply(with_dims(cases, basis.entitlement_dims, key="entitlement_id"))
        cases = cases.select(CASE_PAUSE_COLUMNS)
    life = float(cases["life_minutes"].sum() or 0)
    paused = float(cases["paused_minutes"].sum() or 0)
    over = cases.filter("is_over_threshold")
    return PauseAuditView(
        cases=cases.height,
        paused_cases=cases.filter(pl.col("pauses") > 0).height,
        over_threshold=over.height,
        paused_share=paused / life if life > 0 else None,
        threshold=basis.settings.pause_share_threshold,
        parked=over.head(list_rows),
        by_status=status_share(audit.by_status, cases),
        by_owner=pause_share(cases, by="owner"),
        by_account=pause_share(cases, by="account"),
        by_week=pause_share(cases, by="week"),
    )
