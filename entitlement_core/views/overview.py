"""The Overview page's view model: six figures with their 30-day change, the distribution, the trend,
and the entitlements that need attention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..filters import NO_FILTERS, Filters
from ..sla.compliance import from_counts
from ..usage.utilization import ATTENTION_STATUSES, near_limit
from .common import filtered, forecasted, month_start

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "ACTIVE_STATUSES",
    "ATTENTION",
    "ATTENTION_COLUMNS",
    "Kpi",
    "OverviewView",
    "kpi_tiles",
    "kpi_values",
    "measured_since",
    "needs_attention",
    "overview_view",
    "weekly_compliance",
]

#: Statuses of an entitlement in its term.
ACTIVE_STATUSES = ("healthy", "near_limit", "exhausted", "over_cap", "unlimited")
#: Statuses that need attention, worst first.
ATTENTION = ATTENTION_STATUSES
#: Columns of the "needs attention" list.
ATTENTION_COLUMNS = ("status", "account_name", "entitlement_id", "plan", "owner", "pct_used", "remaining",
                     "expected_run_out_date", "banner")  # fmt: skip


@dataclass(frozen=True)
class Kpi:
    """One overview tile: value now, the same figure 30 days earlier, and how to read the change."""

    key: str
    label: str
    value: float | None
    previous: float | None
    help: str
    is_ratio: bool = False
    #: "inverse": a rise is bad (shown red), "normal": a rise is good, "off": neither.
    delta_color: str = "inverse"

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:.1%}" if self.is_ratio else f"{self.value:,.0f}"

    @property
    def delta(self) -> str | None:
        if self.value is None or self.previous is None:
            return None
        change = self.value - self.previous
        if self.is_unchanged:
            return "no change"
        if self.is_ratio:
            return f"{change * 100:+.1f} pts"
        return f"{change:+,.0f}"

    @property
    def is_unchanged(self) -> bool:
        """The change rounds to nothing as shown ("+0" would read as a rise): shown neutral."""
        if self.value is None or self.previous is None:
            return False
        change = self.value - self.previous
        return round(change * 100, 1) == 0 if self.is_ratio else round(change) == 0


def measured_since(basis: Basis, weeks: int) -> dt.datetime:
    """Where the Overview's milestones start being measured: the trend's first day or the as-of month's,
    whichever is earlier (midnight UTC). Both figures sum counts of days from there on, so measuring
    the milestones started since then gives them exactly, without the rest of the history."""
    first = min(basis.as_of.utc_date - dt.timedelta(weeks=weeks), month_start(basis.as_of))
    return dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)


def _month_compliance(
    basis: Basis, filters: Filters, *, measured_from_month: bool, weeks: int | None = None
) -> float | None:
    """Met / (met + violated) of the milestones started in the as-of month, up to the as-of moment."""
    start = month_start(basis.as_of)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) if measured_from_month else None
    if weeks is not None:
        since = measured_since(basis, weeks)
    counts = basis.sla(started_from=since).counts
    where = filters.expr(counts.columns) if filters.is_active else None
    total = from_counts(counts, by=(), since=start, where=where).collect()
    return total["compliance"][0]


def kpi_values(
    basis: Basis,
    *,
    filters: Filters = NO_FILTERS,
    renewal_days: int = 90,
    measured_from_month: bool = False,
    trend_weeks: int | None = None,
) -> dict[str, float | None]:
    """The six overview figures as of the basis's value, on filtered marts.

    ``sla_compliance`` is met / (met + violated) of milestones started in the
    as-of month (UTC days) up to the as-of moment, null when none is
    decided: the same sum of the compliance counts as every other
    compliance figure (:func:`~entitlement_core.sla.compliance.from_counts`).
    ``measured_from_month`` measures only that month's milestones (enough
    for this figure); ``trend_weeks`` measures those the Overview's trend of
    that many weeks needs too (:func:`measured_since`: one measurement for
    both).
    """
    status = filtered(basis, "utilization", filters)["status"]
    return {
        "active": float(status.is_in(ACTIVE_STATUSES).sum()),
        "near_limit": float((status == "near_limit").sum()),
        "exhausted": float(status.is_in(["exhausted", "over_cap"]).sum()),
        "unmatched": float(filtered(basis, "unmatched-cases", filters).height),
        "renewals": float(filtered(basis, "renewals", filters, within_days=renewal_days).height),
        "sla_compliance": _month_compliance(
            basis, filters, measured_from_month=measured_from_month, weeks=trend_weeks
        ),
    }


_KPI_META: tuple[tuple[str, str, str, bool, str], ...] = (
    ("active", "Active entitlements", "Entitlements in their term (any usage type).", False, "off"),
    ("near_limit", "Near limit", "Active entitlements at or above the near-limit threshold.", False,
     "inverse"),
    ("exhausted", "Exhausted or over cap", "No allotment left, or more used than the cap.", False, "inverse"),
    ("unmatched", "Unmatched cases", "Cases of accounts with an active entitlement that name none.", False,
     "inverse"),
    ("sla_compliance", "SLA compliance this month",
     "Milestones met / (met + violated), started this month; open and at-risk ones do not count.", True,
     "normal"),
    ("renewals", "Renewals due in 90 days", "Entitlements whose term ends within 90 days.", False, "off"),
)  # fmt: skip


def kpi_tiles(current: Mapping[str, float | None], previous: Mapping[str, float | None]) -> list[Kpi]:
    """The overview tiles: each figure with its change against 30 days earlier."""
    return [
        Kpi(key, label, current.get(key), previous.get(key), help_text, is_ratio, color)
        for key, label, help_text, is_ratio, color in _KPI_META
    ]


def needs_attention(util: pl.DataFrame, *, per_status: int = 5) -> pl.DataFrame:
    """Entitlements that need attention, worst first: by status, then how far over (least remaining).

    Grain: one row per entitlement, at most ``per_status`` of each status
    (over cap, exhausted, near limit), so near-limit entitlements still show
    when many are over cap. Same order as the near-limit report.
    """
    worst = near_limit(util).collect()
    return worst.filter(pl.int_range(pl.len()).over("status") < per_status)


def weekly_compliance(basis: Basis, *, filters: Filters = NO_FILTERS, weeks: int = 26) -> pl.DataFrame:
    """Compliance per week and milestone of the last ``weeks`` weeks (by the week a milestone started).

    Grain: one row per milestone and ``period_start`` (Monday, UTC) with instances. Only the
    milestones started since :func:`measured_since` are measured (the chart shows no others).
    """
    counts = basis.sla(started_from=measured_since(basis, weeks)).counts
    since = basis.as_of.utc_date - dt.timedelta(weeks=weeks)
    where = filters.expr(counts.columns) if filters.is_active else None
    return from_counts(counts, by=("milestone",), period="week", since=since, where=where).collect()


@dataclass(frozen=True)
class OverviewView:
    """Everything the Overview draws."""

    tiles: list[Kpi]
    utilization: pl.DataFrame
    trend: pl.DataFrame
    attention: pl.DataFrame
    attention_counts: dict[str, int]


def overview_view(
    basis: Basis,
    previous: Basis | None,
    *,
    filters: Filters = NO_FILTERS,
    weeks: int = 26,
    per_status: int = 5,
) -> OverviewView:
    """The Overview as of ``basis`` against ``previous`` (the same figures 30 days earlier; None: no
    comparison, e.g. an aggregates store, which answers as of its aggregation only)."""
    util = forecasted(basis, filters)
    attention = needs_attention(util, per_status=per_status)
    counts = util.filter(pl.col("status").is_in(ATTENTION_STATUSES)).group_by("status").len()
    return OverviewView(
        tiles=kpi_tiles(
            kpi_values(basis, filters=filters, trend_weeks=weeks),
            kpi_values(previous, filters=filters, measured_from_month=True) if previous is not None else {},
        ),
        utilization=util,
        trend=weekly_compliance(basis, filters=filters, weeks=weeks),
        attention=attention,
        attention_counts={s: int(n) for s, n in counts.iter_rows()},
    )
