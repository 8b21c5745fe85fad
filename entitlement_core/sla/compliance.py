"""SLA compliance marts built on milestone instances (DOMAIN.md, "Milestones (SLA)").

Every function takes the output of
:func:`~entitlement_core.sla.milestones.milestone_instances` (already
measured as of a moment) and returns a LazyFrame whose grain its docstring
states. ``compliance = met / (met + violated)``, null when neither;
``margin_minutes = target - elapsed`` (positive: beaten by that much).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import polars as pl

__all__ = [
    "DEFAULT_BY",
    "at_risk_list",
    "compliance",
    "compliance_trend",
    "margin_distribution",
    "margin_summary",
    "violations",
]

Period = Literal["day", "week", "month"]

#: Default grouping of :func:`compliance`.
DEFAULT_BY: tuple[str, ...] = ("milestone", "priority", "origin", "tier")

_TRUNCATE: dict[str, str] = {"day": "1d", "week": "1w", "month": "1mo"}

_WHO = ["case_id", "account_id", "owner", "tier", "milestone", "priority", "origin"]


def _count(status: str) -> pl.Expr:
    return (pl.col("status") == status).sum().cast(pl.Int64).alias(status)


def compliance_ratio(met: str = "met", violated: str = "violated") -> pl.Expr:
    """``met / (met + violated)``; null when both are 0."""
    decided = pl.col(met) + pl.col(violated)
    return pl.when(decided > 0).then(pl.col(met) / decided).alias("compliance")


def compliance(
    instances: pl.LazyFrame,
    *,
    by: Sequence[str] = DEFAULT_BY,
    period: Period | None = None,
    period_of: str = "started_at",
) -> pl.LazyFrame:
    """Milestone counts by status and compliance.

    Grain: one row per combination of ``by`` (and ``period_start`` when
    ``period`` is given) that has instances. Columns: the keys, ``met``,
    ``violated``, ``at_risk``, ``open``, ``paused`` (Int64) and
    ``compliance`` (0-1, null when ``met + violated = 0``; open, at-risk
    and paused milestones never enter it).

    Parameters
    ----------
    instances
        Milestone instances (one row per instance, with ``status``).
    by
        Grouping columns (any instance columns; empty for one total row).
    period
        ``"week"`` (weeks start on Monday, UTC), ``"day"``, ``"month"`` or
        None for no time split.
    period_of
        The timestamp that places an instance in a period (default: when it
        started, i.e. the case's cohort).

    Examples
    --------
    3 met, 1 violated, 2 open -> compliance 0.75; only open ones -> null.
    """
    keys = list(by)
    frame = instances
    if period is not None:
        frame = frame.with_columns(
            pl.col(period_of).dt.truncate(_TRUNCATE[period]).dt.date().alias("period_start")
        )
        keys.append("period_start")
    counts = [_count(s) for s in ("met", "violated", "at_risk", "open", "paused")]
    grouped = frame.group_by(keys).agg(counts) if keys else frame.select(counts)
    out = grouped.with_columns(compliance_ratio())
    return out.sort(keys, nulls_last=True) if keys else out


def compliance_trend(
    instances: pl.LazyFrame, *, by: Sequence[str] = ("milestone",), period: Period = "week"
) -> pl.LazyFrame:
    """Compliance over time: one row per ``by`` group and period (weekly by default).

    Grain: one row per group and ``period_start`` with instances; columns as
    :func:`compliance`.
    """
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
    instances: pl.LazyFrame, *, as_of: dt.datetime, within_minutes: float | None = None
) -> pl.LazyFrame:
    """Open milestones close to their target, least time left first.

    Grain: one row per open, not yet violated instance that is ``at_risk``
    (or, with ``within_minutes``, has at most that many business minutes
    left: the "30 minutes before target" list). ``minutes_left`` is business
    minutes left; ``minutes_to_target`` the wall-clock minutes from
    ``as_of`` to ``target_at`` (longer when the calendar closes between).

    Examples
    --------
    Berlin Mon-Fri 09:00-17:00, as of Friday 16:50 with 20 business minutes
    left: ``minutes_left`` 20, ``target_at`` Monday 09:10.
    """
    as_of_at = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
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


def _completed(instances: pl.LazyFrame) -> pl.LazyFrame:
    return instances.filter(pl.col("status").is_in(["met", "violated"]))


def margin_distribution(
    instances: pl.LazyFrame, *, bin_minutes: float = 60, by: Sequence[str] = ("milestone",)
) -> pl.LazyFrame:
    """Histogram of ``margin_minutes`` of completed instances.

    Grain: one row per ``by`` group and margin bin that has instances; bins
    are ``[bin_start_minutes, bin_end_minutes)``, ``bin_minutes`` wide and
    aligned on 0 (a negative bin is a late completion). ``share`` is the
    fraction of the group's completed instances in the bin.

    Examples
    --------
    Margins 30, 90, 100, -10 with 60-minute bins: [-60, 0) 1, [0, 60) 1,
    [60, 120) 2.
    """
    keys = list(by)
    start = (pl.col("margin_minutes") / bin_minutes).floor() * bin_minutes
    binned = (
        _completed(instances)
        .filter(pl.col("margin_minutes").is_not_null())
        .with_columns(start.alias("bin_start_minutes"))
        .group_by([*keys, "bin_start_minutes"])
        .agg(pl.len().cast(pl.Int64).alias("instances"))
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


def margin_summary(instances: pl.LazyFrame, *, by: Sequence[str] = ("milestone",)) -> pl.LazyFrame:
    """Summary of ``margin_minutes`` of completed instances ("beat our targets by 2 hours").

    Grain: one row per ``by`` group with completed instances: ``completed``,
    ``met``, ``violated``, ``compliance`` and the margin's mean, median,
    10th and 90th percentiles, min and max (business minutes).
    """
    keys = list(by)
    margin = pl.col("margin_minutes")
    aggs = [
        pl.len().cast(pl.Int64).alias("completed"),
        _count("met"),
        _count("violated"),
        margin.mean().alias("mean_margin_minutes"),
        margin.median().alias("median_margin_minutes"),
        margin.quantile(0.1, interpolation="linear").alias("p10_margin_minutes"),
        margin.quantile(0.9, interpolation="linear").alias("p90_margin_minutes"),
        margin.min().alias("min_margin_minutes"),
        margin.max().alias("max_margin_minutes"),
    ]
    done = _completed(instances)
    grouped = done.group_by(keys).agg(aggs) if keys else done.select(aggs)
    out = grouped.with_columns(compliance_ratio()).select(
        *keys, "completed", "met", "violated", "compliance", *[a.meta.output_name() for a in aggs[3:]]
    )
    return out.sort(keys, nulls_last=True) if keys else out
