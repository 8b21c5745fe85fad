"""Measuring milestone instances: targets, elapsed and paused business minutes, status and margin.

The step of :func:`~entitlement_core.sla.milestones.milestone_instances`
that does the business-time arithmetic, once for every instance:

1. the calendars the instances need, covering their moments and targets;
2. the paused intervals of their cases (:mod:`.pauses`), attached to each
   instance of the case;
3. the stopped clock (:mod:`.clock`) from the start to the completion, or
   to the as-of moment while open: ``elapsed_minutes`` (paused time
   excluded), ``paused_minutes``, the computed target (``target_at``
   moved later by the paused business time before it; when paused at the
   as-of moment, as if the clock resumed then) and whether the clock is
   stopped at the as-of moment;
4. targets of record (DOMAIN.md): an imported ``target_at`` is kept; the
   minutes it allows (the *budget*) are the running business minutes
   from the start to it, paused time excluded, so minutes left = budget -
   elapsed, and at-risk and margin follow the target of record;
5. the warning window, the status (:func:`~.status.milestone_status`) and
   ``margin_minutes = budget - elapsed``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ..asof import AsOf
from ..staging import Tables
from .business_time import BusinessCalendars
from .clock import stopped_clock
from .pauses import paused_intervals, status_spans
from .status import milestone_status

__all__ = ["instance_pauses", "measure_instances"]


def instance_pauses(pending: pl.DataFrame, tables: Tables) -> pl.DataFrame:
    """The paused intervals of each instance's case, keyed by the instance's row in ``pending``.

    Grain: one row per instance and pause of its case: ``row``,
    ``paused_from``, ``paused_to`` (null: still paused), sorted by row and
    start (:func:`~.clock.stopped_clock` checks the order).
    """
    intervals = paused_intervals(status_spans(tables))
    rows = pending.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "case_id").lazy()
    # Instances in row order, each one's pauses in the order of the intervals (by start).
    return (
        rows.join(intervals, on="case_id", maintain_order="left_right")
        .select("row", "paused_from", "paused_to")
        .collect()
    )


def _calendars(pending: pl.DataFrame, tables: Tables, as_of: AsOf) -> BusinessCalendars:
    ids = pending["business_hours_id"].drop_nulls().unique().to_list()
    recorded = pending["recorded_target_at"]
    # Completions are never before starts in valid data; taking both guards against bad rows.
    moments = pl.concat([pending["started_at"], pending["completed_at"], recorded])
    earliest: dt.datetime = moments.min()  # type: ignore[assignment]
    latest: dt.datetime | None = recorded.max()  # type: ignore[assignment]
    return BusinessCalendars.covering(
        tables.business_hours,
        tables.holidays,
        first_at=min(earliest, as_of.earliest),
        last_at=max(latest, as_of.latest) if latest is not None else as_of.latest,
        horizon_minutes=float(pending["target_minutes"].max() or 0),  # type: ignore[arg-type]
        calendar_ids=ids,
    )


def _budget_of_record(
    calendars: BusinessCalendars, pending: pl.DataFrame, until: pl.Series, pauses: pl.DataFrame
) -> pl.Series:
    """Running business minutes from the start to the target of record (null without one).

    The business minutes to it, less the paused minutes known before it
    (up to the completion or the as-of moment, whichever is earlier).
    """
    recorded = pending["recorded_target_at"]
    out = pl.Series("budget", [None] * pending.height, dtype=pl.Float64)
    rows = np.flatnonzero(recorded.is_not_null().to_numpy())
    if not len(rows):
        return out
    sub = pending[rows]
    calendar, started, target = sub["business_hours_id"], sub["started_at"], sub["recorded_target_at"]
    to_record = calendars.minutes_between(calendar, started, target)
    known = pl.select(pl.min_horizontal(until.gather(rows), target)).to_series()
    position = np.full(pending.height, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    mapped = pauses.with_columns(pl.Series("row", position[pauses["row"].to_numpy()])).filter(
        pl.col("row") >= 0
    )
    before = stopped_clock(calendars, calendar, started, known, pauses=mapped).paused_minutes
    return out.scatter(rows, to_record - before)


def measure_instances(
    pending: pl.DataFrame, tables: Tables, *, as_of: AsOf, at_risk_fraction: float
) -> pl.DataFrame:
    """Add ``target_at`` (of record, else computed), ``computed_target_at``, ``elapsed_minutes``,
    ``paused_minutes``, the warning window, ``status`` and ``margin_minutes`` to ``pending``.

    ``pending`` has one row per instance started by ``as_of``, with its
    calendar (``business_hours_id``), ``started_at``, ``completed_at``
    (null while open as of its moment), ``target_minutes``,
    ``warning_minutes``, ``recorded_target_at`` and ``_as_of_at``, its
    as-of moment (the end of an as-of date in its business hours' zone).
    """
    calendars = _calendars(pending, tables, as_of)
    pauses = instance_pauses(pending, tables)
    until = pending.select(pl.coalesce("completed_at", "_as_of_at")).to_series()
    clock = stopped_clock(
        calendars,
        pending["business_hours_id"],
        pending["started_at"],
        until,
        pauses=pauses,
        minutes=pending["target_minutes"],
    )
    recorded = pending["recorded_target_at"]
    budget = _budget_of_record(calendars, pending, until, pauses)
    return (
        pending.with_columns(
            pl.Series("computed_target_at", clock.target_at),
            pl.coalesce(recorded, clock.target_at).alias("target_at"),
            clock.elapsed_minutes,
            clock.paused_minutes,
            clock.is_paused.alias("_is_paused"),
            pl.coalesce(budget, pl.col("target_minutes").cast(pl.Float64)).alias("_budget_minutes"),
            pl.col("_as_of_at").alias("as_of_at"),
        )
        .with_columns(
            pl.coalesce(
                pl.col("warning_minutes").cast(pl.Float64),
                pl.coalesce(pl.col("target_minutes").cast(pl.Float64), "_budget_minutes") * at_risk_fraction,
            ).alias("warning_minutes"),
        )
        .with_columns(
            milestone_status(pl.col("_as_of_at"), budget="_budget_minutes", paused="_is_paused").alias(
                "status"
            ),
            (pl.col("_budget_minutes") - pl.col("elapsed_minutes")).alias("margin_minutes"),
        )
    )
