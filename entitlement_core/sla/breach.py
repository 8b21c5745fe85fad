"""The next breach of each open case: its earliest open target and the business minutes left.

An open case has milestones still running (``open``, ``at_risk``) or
stopped (``paused``); already ``violated`` ones have breached. Its *next
breach* is the earliest ``target_at`` among them; the time left is that
milestone's business minutes left (``margin_minutes``: the target's
minutes less those elapsed, paused time excluded). A paused milestone's
target is "as if the clock resumed now" (DOMAIN.md), so its time left
stays put while it is paused. The SLA page, the Account page and the
at-risk list all read the ``next-breaches`` mart (:func:`next_breach_report`,
one registry: :mod:`entitlement_core.reports`).

Examples
--------
A case with First Response due at 10:35 (35 business minutes left) and
Resolution due in three days: next breach First Response, "breaches in 35
business minutes".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "BREACH_COLUMNS",
    "RUNNING",
    "breach_text",
    "next_breach_report",
    "next_breaches",
    "with_next_breach",
]

#: Statuses of milestones that have not breached yet and are not done.
RUNNING = ("open", "at_risk", "paused")

#: Columns of :func:`next_breaches`.
BREACH_COLUMNS = (
    "case_id",
    "account_id",
    "entitlement_id",
    "owner",
    "tier",
    "priority",
    "origin",
    "milestone",
    "status",
    "target_at",
    "minutes_left",
    "minutes_to_target",
    "running_milestones",
    "breach",
)


def _thousands(number: pl.Expr) -> pl.Expr:
    """A whole number as text with thousands separators (``2,400``), vectorised."""
    grouped = number.cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1},")
    return grouped.str.strip_chars_end(",").str.reverse()


def breach_text(minutes_left: pl.Expr, status: pl.Expr) -> pl.Expr:
    """What a person reads: "breaches in 35 business minutes", "paused: 35 business minutes left".

    Minutes are rounded up (35.2 left is "36": the breach is not yet at 35);
    no time left is "breaches now".
    """
    left = minutes_left.clip(lower_bound=0).ceil().cast(pl.Int64)
    unit = pl.when(left == 1).then(pl.lit(" business minute")).otherwise(pl.lit(" business minutes"))
    amount = _thousands(left) + unit
    return (
        pl.when(minutes_left.is_null())
        .then(pl.lit("no target"))
        .when(status == "paused")
        .then(pl.lit("paused: ") + amount + pl.lit(" left"))
        .when(left <= 0)
        .then(pl.lit("breaches now"))
        .otherwise(pl.lit("breaches in ") + amount)
    )


def next_breaches(
    instances: pl.LazyFrame | pl.DataFrame, *, as_of: dt.datetime | pl.Expr | None = None
) -> pl.LazyFrame:
    """The next breach of every case with a running milestone.

    Grain: one row per case with at least one ``open``, ``at_risk`` or
    ``paused`` milestone, soonest breach first (by business minutes left,
    then ``target_at``). Columns :data:`BREACH_COLUMNS`: the case, the
    milestone of its earliest open target with its ``status``,
    ``target_at``, ``minutes_left`` (business) and ``minutes_to_target``
    (wall clock from the as-of moment), how many of the case's milestones
    are running, and the ``breach`` text.

    Parameters
    ----------
    instances
        Milestone instances (:func:`~entitlement_core.sla.milestones.milestone_instances`).
    as_of
        The moment measured at (or a column of each row's); default: each
        instance's own (``as_of_at``).
    """
    if as_of is None:
        as_of_at = pl.col("as_of_at")
    elif isinstance(as_of, pl.Expr):
        as_of_at = as_of
    else:
        as_of_at = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    running = instances.lazy().filter(pl.col("status").is_in(RUNNING))
    counts = running.group_by("case_id").agg(pl.len().cast(pl.Int64).alias("running_milestones"))
    first = (
        running.sort("case_id", "target_at", "margin_minutes", "milestone", nulls_last=True)
        .unique("case_id", keep="first", maintain_order=True)
        .join(counts, on="case_id")
    )
    return (
        first.select(
            "case_id",
            "account_id",
            "entitlement_id",
            "owner",
            "tier",
            "priority",
            "origin",
            "milestone",
            "status",
            "target_at",
            pl.col("margin_minutes").alias("minutes_left"),
            ((pl.col("target_at") - as_of_at).dt.total_microseconds() / 60_000_000).alias(
                "minutes_to_target"
            ),
            "running_milestones",
        )
        .with_columns(breach_text(pl.col("minutes_left"), pl.col("status")).alias("breach"))
        .sort("minutes_left", "target_at", "case_id", nulls_last=True)
    )


def with_next_breach(rows: pl.LazyFrame, breaches: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` (one per milestone, with ``case_id``) with their case's next breach, ordered by it.

    Adds ``next_breach_minutes`` and ``next_breach`` (the text), then sorts
    by the case's next breach, then the row's own ``minutes_left``: the
    at-risk list, soonest breach first.
    """
    keys = breaches.select(
        "case_id",
        pl.col("minutes_left").alias("next_breach_minutes"),
        pl.col("breach").alias("next_breach"),
    )
    return rows.join(keys, on="case_id", how="left").sort(
        "next_breach_minutes", "minutes_left", "target_at", "case_id", nulls_last=True
    )


def next_breach_report(basis: Basis) -> pl.DataFrame:
    """The ``next-breaches`` mart: :func:`next_breaches` of every instance of the basis, soonest first.

    Each case's time to target is from its milestone's own as-of moment
    (an as-of date: the end of that day in its business hours' zone).
    """
    return next_breaches(basis.instances).select(BREACH_COLUMNS).collect()
