"""Compliance, computed once: every compliance figure is a sum of the kernel's counts.

DOMAIN.md, "Milestones (SLA)": ``compliance = met / (met + violated)``
(:func:`compliance_ratio`, null when neither), ``margin = target -
elapsed`` (positive: beaten by that much). Open, at-risk and paused
milestones are counted but never enter the ratio.

The counts per milestone group and day (:data:`~entitlement_core.kernels.compliance.COUNTS`)
and the margin histogram (:data:`~entitlement_core.kernels.compliance.MARGINS`)
are computed once per data and as-of value (:attr:`Basis.sla
<entitlement_core.basis.Basis.sla>`); :func:`from_counts` sums any
selection of them (groups, period, filters) — the compliance report, the
Overview's "SLA compliance this month", the SLA page and its charts all go
through it. :func:`compliance` and the margin functions also take instances
directly (they run the same kernels on them). The violation and at-risk
lists are rows of instances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from ..kernels import run_local
from ..kernels.compliance import COUNTS, GROUP_KEYS, MARGINS, STATUSES, SlaContext

__all__ = [
    "DEFAULT_BY",
    "at_risk_list",
    "compliance",
    "compliance_ratio",
    "compliance_trend",
    "counts_of",
    "from_counts",
    "margin_distribution",
    "margin_hours",
    "margin_stats",
    "margin_summary",
    "margins_of",
    "paused_from_counts",
    "violations",
]

Period = Literal["day", "week", "month"]

#: Default grouping of :func:`compliance`.
DEFAULT_BY: tuple[str, ...] = ("milestone", "priority", "origin", "tier")

_WHO = ["case_id", "account_id", "owner", "tier", "milestone", "priority", "origin"]
_SHOWN = ("met", "violated", "at_risk", "open", "paused")


def compliance_ratio(met: str = "met", violated: str = "violated") -> pl.Expr:
    """``met / (met + violated)``; null when both are 0. Open and at-risk milestones never count."""
    decided = pl.col(met) + pl.col(violated)
    return pl.when(decided > 0).then(pl.col(met) / decided).alias("compliance")


def counts_of(instances: pl.LazyFrame | pl.DataFrame, context: SlaContext | None = None) -> pl.DataFrame:
    """The counts kernel run on ``instances`` as one slice."""
    return run_local(COUNTS, instances, context, None)


def margins_of(instances: pl.LazyFrame | pl.DataFrame, context: SlaContext | None = None) -> pl.DataFrame:
    """The margin-histogram kernel run on ``instances`` as one slice."""
    return run_local(MARGINS, instances, context, None)


def _period(period: Period) -> pl.Expr:
    day = pl.col("started_date")
    if period == "day":
        return day
    return day.dt.truncate("1w") if period == "week" else day.dt.month_start()


def from_counts(
    counts: pl.DataFrame | pl.LazyFrame,
    *,
    by: Sequence[str] = DEFAULT_BY,
    period: Period | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: pl.Expr | None = None,
) -> pl.LazyFrame:
    """Milestone counts by status and compliance, from the counts partial.

    Grain: one row per combination of ``by`` (and ``period_start`` when
    ``period`` is given) that has instances. Columns: the keys, ``met``,
    ``violated``, ``at_risk``, ``open``, ``paused`` (Int64) and
    ``compliance`` (0-1, null when ``met + violated = 0``).

    Parameters
    ----------
    counts
        :data:`~entitlement_core.kernels.compliance.COUNTS` output.
    by
        Group keys (any of :data:`~entitlement_core.kernels.compliance.GROUP_KEYS`; empty: one total row).
    period
        ``"week"`` (weeks start on Monday, UTC), ``"day"``, ``"month"`` or
        None for no time split; periods are of the day the milestone started.
    since, until
        Only milestones started on these UTC days or between them (inclusive).
    where
        Any other predicate over the group keys (the sidebar filters).
    """
    frame = counts.lazy()
    if since is not None:
        frame = frame.filter(pl.col("started_date") >= since)
    if until is not None:
        frame = frame.filter(pl.col("started_date") <= until)
    if where is not None:
        frame = frame.filter(where)
    keys = list(by)
    if period is not None:
        frame = frame.with_columns(_period(period).alias("period_start"))
        keys.append("period_start")
    sums = [pl.col(s).sum().cast(pl.Int64) for s in _SHOWN]
    grouped = frame.group_by(keys).agg(sums) if keys else frame.select(sums)
    out = grouped.with_columns(compliance_ratio())
    return out.sort(keys, nulls_last=True) if keys else out


def paused_from_counts(
    counts: pl.DataFrame | pl.LazyFrame, *, where: pl.Expr | None = None
) -> dict[str, Any]:
    """How much SLA time was paused, summed from the counts partial (the figure beside compliance).

    ``sla_minutes`` = running + paused business minutes of the measured
    milestones (from each one's start to its completion, or the as-of
    moment while open); ``paused_minutes`` the part with the clock
    stopped, which compliance excludes; ``paused_share`` = paused /
    sla_minutes (None when there is no SLA time); ``paused_now`` the
    milestones paused at the as-of moment.
    """
    frame = counts.lazy()
    if where is not None:
        frame = frame.filter(where)
    row = (
        frame.select(
            pl.col("running_seconds").sum().cast(pl.Int64),
            pl.col("paused_seconds").sum().cast(pl.Int64),
            pl.col("paused").sum().cast(pl.Int64),
        )
        .collect()
        .row(0)
    )
    running, paused = (row[0] or 0) / 60, (row[1] or 0) / 60
    total = running + paused
    return {
        "paused_minutes": paused,
        "sla_minutes": total,
        "paused_share": paused / total if total > 0 else None,
        "paused_now": int(row[2] or 0),
    }


def compliance(
    instances: pl.LazyFrame | pl.DataFrame,
    *,
    by: Sequence[str] = DEFAULT_BY,
    period: Period | None = None,
    period_of: str = "started_at",
) -> pl.LazyFrame:
    """Milestone counts by status and compliance of ``instances`` (see :func:`from_counts`).

    ``period_of`` is the timestamp that places an instance in a period: when
    it started (the case's cohort), the only one the counts keep.

    Examples
    --------
    3 met, 1 violated, 2 open -> compliance 0.75; only open ones -> null.
    """
    if period_of != "started_at":
        raise ValueError("compliance periods are of the day a milestone started (period_of='started_at')")
    return from_counts(counts_of(instances), by=by, period=period)


def compliance_trend(
    instances: pl.LazyFrame | pl.DataFrame, *, by: Sequence[str] = ("milestone",), period: Period = "week"
) -> pl.LazyFrame:
    """Compliance over time: one row per ``by`` group and period (weekly by default)."""
    return compliance(instances, by=by, period=period)


def violations(instances: pl.LazyFrame) -> pl.LazyFrame:
    """Violated milestones, worst first, with case, account and owner.

    Grain: one row per violated instance. ``overrun_minutes`` = elapsed -
    target (business minutes late so far); ``is_open`` marks violations
    still open as of the measuring moment.
    """
    return (
        instances.filter(pl.col("status") == "violated")
        .select(
            *_WHO,
            "started_at",
            "target_at",
            "completed_at",
            "target_minutes",
            "elapsed_minutes",
            (-pl.col("margin_minutes")).alias("overrun_minutes"),
            pl.col("completed_at").is_null().alias("is_open"),
        )
        .sort(["overrun_minutes", "case_id"], descending=[True, False])
    )


def at_risk_list(
    instances: pl.LazyFrame, *, as_of: dt.datetime | pl.Expr, within_minutes: float | None = None
) -> pl.LazyFrame:
    """Open milestones close to their target, least time left first.

    Grain: one row per open, not yet violated instance that is ``at_risk``
    (or, with ``within_minutes``, has at most that many business minutes
    left: the "30 minutes before target" list). ``minutes_left`` is business
    minutes left; ``minutes_to_target`` the wall-clock minutes from the
    as-of moment (``as_of``: a moment, or a column of each row's) to
    ``target_at`` (longer when the calendar closes between).

    Examples
    --------
    Berlin Mon-Fri 09:00-17:00, as of Friday 16:50 with 20 business minutes
    left: ``minutes_left`` 20, ``target_at`` Monday 09:10.
    """
    as_of_at = as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    if within_minutes is None:
        keep = pl.col("status") == "at_risk"
    else:
        keep = pl.col("status").is_in(["at_risk", "open"]) & (pl.col("margin_minutes") <= within_minutes)
    return (
        instances.filter(keep)
        .select(
            *_WHO,
            "started_at",
            "target_at",
            "target_minutes",
            "elapsed_minutes",
            pl.col("margin_minutes").alias("minutes_left"),
            ((pl.col("target_at") - as_of_at).dt.total_microseconds() / 60_000_000).alias(
                "minutes_to_target"
            ),
        )
        .sort(["minutes_left", "target_at", "case_id"])
    )


# -- margins, from the histogram ------------------------------------------------------------


def margin_hours(
    margins: pl.DataFrame | pl.LazyFrame, *, clip_hours: int = 48, where: pl.Expr | None = None
) -> pl.DataFrame:
    """Completed milestones per margin hour (``margin_hours``: the bin's start, clipped at
    ±``clip_hours``) and status (met / violated): the SLA page's margin chart."""
    frame = margins.lazy()
    if where is not None:
        frame = frame.filter(where)
    hours = (pl.col("margin_seconds") / 3600).floor().clip(-clip_hours, clip_hours)
    return (
        frame.with_columns(hours.alias("margin_hours"))
        .group_by("margin_hours", "status")
        .agg(pl.col("instances").sum().cast(pl.Int64))
        .sort("margin_hours", "status")
        .collect()
    )


def _at_rank(rank: pl.Expr) -> pl.Expr:
    """In a group's histogram (rows sorted by margin): the margin of the ``rank``-th instance (0-based)."""
    below = pl.col("instances").cum_sum()
    return pl.col("margin_seconds").filter(below > rank).first()


def _quantile(q: float) -> pl.Expr:
    """The linearly interpolated ``q`` quantile of the histogram, in seconds (as Polars' ``linear``)."""
    pos = (pl.col("instances").sum() - 1) * q
    lo, hi = pos.floor(), pos.ceil()
    low, high = _at_rank(lo), _at_rank(hi)
    return low + (high - low) * (pos - lo)


def margin_stats(
    margins: pl.DataFrame | pl.LazyFrame, *, by: Sequence[str] = ("milestone",), where: pl.Expr | None = None
) -> pl.LazyFrame:
    """Summary of the margins of completed milestones ("beat our targets by 2 hours"), per group.

    Grain: one row per ``by`` group with completed instances: ``completed``,
    ``met``, ``violated``, ``compliance`` and the margin's mean, median,
    10th and 90th percentiles, min and max (business minutes), all from the
    histogram.
    """
    frame = margins.lazy()
    if where is not None:
        frame = frame.filter(where)
    keys = list(by)
    # One row per (group, margin): the histogram of the group.
    hist = (
        frame.group_by([*keys, "margin_seconds"])
        .agg(
            pl.col("instances").sum(),
            pl.col("instances").filter(pl.col("status") == "met").sum().alias("_met"),
            pl.col("instances").filter(pl.col("status") == "violated").sum().alias("_violated"),
        )
        .sort([*keys, "margin_seconds"], nulls_last=True)
    )
    minutes = lambda e: (e / 60).alias  # noqa: E731
    aggs = [
        pl.col("instances").sum().cast(pl.Int64).alias("completed"),
        pl.col("_met").sum().cast(pl.Int64).alias("met"),
        pl.col("_violated").sum().cast(pl.Int64).alias("violated"),
        minutes((pl.col("margin_seconds") * pl.col("instances")).sum() / pl.col("instances").sum())(
            "mean_margin_minutes"
        ),
        minutes(_quantile(0.5))("median_margin_minutes"),
        minutes(_quantile(0.1))("p10_margin_minutes"),
        minutes(_quantile(0.9))("p90_margin_minutes"),
        minutes(pl.col("margin_seconds").min())("min_margin_minutes"),
        minutes(pl.col("margin_seconds").max())("max_margin_minutes"),
    ]
    grouped = hist.group_by(keys, maintain_order=True).agg(aggs) if keys else hist.select(aggs)
    names = [a.meta.output_name() for a in aggs[3:]]
    out = grouped.with_columns(compliance_ratio()).select(
        *keys, "completed", "met", "violated", "compliance", *names
    )
    return out.sort(keys, nulls_last=True) if keys else out


def margin_summary(
    instances: pl.LazyFrame | pl.DataFrame, *, by: Sequence[str] = ("milestone",)
) -> pl.LazyFrame:
    """:func:`margin_stats` of ``instances`` (the histogram kernel run on them)."""
    return margin_stats(margins_of(instances), by=by)


def margin_distribution(
    instances: pl.LazyFrame | pl.DataFrame, *, bin_minutes: float = 60, by: Sequence[str] = ("milestone",)
) -> pl.LazyFrame:
    """Histogram of ``margin_minutes`` of completed instances, in bins of ``bin_minutes``.

    Grain: one row per ``by`` group and margin bin that has instances; bins
    are ``[bin_start_minutes, bin_end_minutes)``, aligned on 0 (a negative
    bin is a late completion). ``share`` is the fraction of the group's
    completed instances in the bin.

    Examples
    --------
    Margins 30, 90, 100, -10 with 60-minute bins: [-60, 0) 1, [0, 60) 1,
    [60, 120) 2.
    """
    keys = list(by)
    start = (pl.col("margin_seconds") / (bin_minutes * 60)).floor() * bin_minutes
    binned = (
        margins_of(instances)
        .lazy()
        .with_columns(start.alias("bin_start_minutes"))
        .group_by([*keys, "bin_start_minutes"])
        .agg(pl.col("instances").sum().cast(pl.Int64))
    )
    total = pl.col("instances").sum().over(keys) if keys else pl.col("instances").sum()
    return (
        binned.with_columns(
            (pl.col("bin_start_minutes") + bin_minutes).alias("bin_end_minutes"),
            (pl.col("instances") / total).alias("share"),
        )
        .select(*keys, "bin_start_minutes", "bin_end_minutes", "instances", "share")
        .sort([*keys, "bin_start_minutes"], nulls_last=True)
    )


assert set(DEFAULT_BY) <= set(GROUP_KEYS) and set(_SHOWN) == set(STATUSES)
