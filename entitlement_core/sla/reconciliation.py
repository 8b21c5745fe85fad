"""Milestone reconciliation: targets of record against the product's own computation.

DOMAIN.md "Targets of record": an imported milestone that carries its
target moment (Salesforce's ``TargetDate``) keeps it, because the source
computed it with the holidays and business hours of its time. The product
computes its own (``computed_target_at``); every milestone where the two
differ by more than a minute is listed here with its likely cause, found
by recomputing in the imported calendar:

- ``holiday missing from the export``: the target of record is later by
  the open minutes of whole days between the start and it (one or more
  days of one length), as if those days had been holidays: a holiday the
  source applied is not in the import (the Holiday file was left out);
- ``holiday not in the source's calendar``: the target of record is what
  the product computes when the imported holidays are treated as open
  days: the import closes a day the source did not (a holiday tied to
  every calendar because the business-hours link was not exported);
- ``target minutes differ``: the target of record is a moment the imported
  calendar reaches with another number of business minutes, and the
  record carries no minutes of its own (the process's target was used,
  and it changed since);
- ``business hours differ``: anything else: the calendar the source used
  is not the imported one (hours, time zone).

Stopped time (Salesforce's ``StoppedTimeInMins``, imported as
``crm_stopped_minutes``) is compared with the product's ``paused_minutes``
for completed milestones (an open one's figure moves with the export
time): a milestone more than a minute apart is listed too, with
``stopped_difference_minutes`` (the source's less ours), and its likely
cause comes first:

- ``status history missing from the export``: the source stopped the
  clock, and the case has no status history at all (CaseHistory was left
  out);
- ``stopped time differs``: the source stopped the clock for another
  time: the process's paused statuses are not the ones the source stopped
  on (or none are set), or the clock was stopped by hand. A target of
  record that the process's minutes plus the source's stopped minutes
  reach is explained by it too.

Examples
--------
Berlin Mon-Fri 09:00-17:00, no holidays imported; a milestone started
Thu 2026-12-24 16:00 with 120 minutes: the product computes Fri 12-25
10:00, Salesforce recorded Mon 12-28 10:00 (Christmas closed): the record
is later by 480 business minutes = one whole open day ->
``holiday missing from the export``.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from ..asof import AsOf, AsOfLike, as_of_value
from ..staging import Tables
from .business_time import BusinessCalendars
from .milestones import milestone_instances, with_instance_as_of
from .status import milestone_status

__all__ = ["LIKELY_CAUSES", "RECONCILIATION_COLUMNS", "milestone_reconciliation", "reconcile_targets"]

HISTORY_MISSING = "status history missing from the export"
STOPPED_TIME = "stopped time differs"
HOLIDAY_MISSING = "holiday missing from the export"
HOLIDAY_EXTRA = "holiday not in the source's calendar"
TARGET_MINUTES = "target minutes differ"
BUSINESS_HOURS = "business hours differ"
LIKELY_CAUSES = (
    HISTORY_MISSING,
    STOPPED_TIME,
    HOLIDAY_MISSING,
    HOLIDAY_EXTRA,
    TARGET_MINUTES,
    BUSINESS_HOURS,
)

#: Targets closer than this are the same target (Salesforce keeps seconds; rounding differs).
TOLERANCE_MINUTES = 1.0
#: Whole days looked at between a start and its target of record (longer spans are not a holiday).
_MAX_DAYS = 400
_UTC = pl.Datetime("us", "UTC")
_MINUTE_US = 60_000_000

#: Columns of :func:`milestone_reconciliation`, in order.
RECONCILIATION_COLUMNS = (
    "case_id",
    "milestone",
    "started_at",
    "target_at",
    "computed_target_at",
    "difference_minutes",
    "likely_cause",
    "status",
    "computed_status",
    "completed_at",
    "target_minutes",
    "record_minutes",
    "paused_minutes",
    "crm_stopped_minutes",
    "stopped_difference_minutes",
    "business_hours_id",
    "entitlement_id",
    "account_id",
    "priority",
    "origin",
)


def _minutes(later: pl.Expr | pl.Series, earlier: pl.Expr | pl.Series) -> pl.Expr:
    """Wall-clock minutes from ``earlier`` to ``later``."""
    a, b = (pl.lit(x) if isinstance(x, pl.Series) else x for x in (later, earlier))
    return (a - b).dt.total_microseconds() / _MINUTE_US


def _empty() -> pl.DataFrame:
    from .milestones import INSTANCE_SCHEMA

    types = {**INSTANCE_SCHEMA, "difference_minutes": pl.Float64(), "likely_cause": pl.String()}
    types |= {"computed_status": pl.String(), "record_minutes": pl.Float64()}
    types |= {"crm_stopped_minutes": pl.Float64(), "stopped_difference_minutes": pl.Float64()}
    return pl.DataFrame(schema={name: types[name] for name in RECONCILIATION_COLUMNS})


def _whole_days_match(rows: pl.DataFrame, calendars: BusinessCalendars) -> pl.Series:
    """The ``_row`` of each row whose extra minutes (``_gap``, > 0) are the open minutes of whole days.

    A day counts when all its open hours lie between the start and the
    target of record; the gap must be ``k`` days of one length ``L`` (the
    usual case: one or more missing weekday holidays), ``k`` no more than
    the days of that length in the span. Rows measured 24x7 have days of
    1,440 minutes. Vectorised: each row's days are exploded once.
    """
    days = (
        calendars.intervals.group_by("business_hours_id", "local_date")
        .agg(
            pl.col("open_us").min().alias("_day_open"),
            pl.col("close_us").max().alias("_day_close"),
            ((pl.col("close_us") - pl.col("open_us")).sum() / _MINUTE_US).alias("_day_minutes"),
        )
        .with_columns(pl.col("business_hours_id").cast(pl.String))
    )
    known = pl.col("business_hours_id").is_in(list(calendars.calendar_ids))
    span = rows.with_columns(
        pl.col("started_at").dt.epoch("us").alias("_start"),
        pl.col("target_at").dt.epoch("us").alias("_end"),
        pl.when(known).then("business_hours_id").alias("_calendar"),
    )
    candidates = (
        span.filter(pl.col("_calendar").is_not_null())
        .filter((pl.col("target_at") - pl.col("started_at")) < pl.duration(days=_MAX_DAYS))
        .with_columns(
            pl.date_ranges(
                pl.col("started_at").dt.date() - pl.duration(days=1),
                pl.col("target_at").dt.date() + pl.duration(days=1),
            ).alias("local_date")
        )
        .explode("local_date")
        .join(days, left_on=["_calendar", "local_date"], right_on=["business_hours_id", "local_date"])
        .filter((pl.col("_day_open") >= pl.col("_start")) & (pl.col("_day_close") <= pl.col("_end")))
        .group_by("_row", pl.col("_day_minutes").round(3))
        .agg(pl.len().alias("_days"), pl.col("_gap").first())
    )
    # 24x7: whole UTC days between the start and the target of record.
    first_midnight = pl.col("started_at").dt.truncate("1d")
    first_midnight = (
        pl.when(first_midnight < pl.col("started_at"))
        .then(first_midnight + pl.duration(days=1))
        .otherwise(first_midnight)
    )
    around = span.filter(pl.col("_calendar").is_null()).select(
        "_row",
        pl.lit(1440.0).alias("_day_minutes"),
        ((pl.col("target_at") - first_midnight).dt.total_days()).clip(lower_bound=0).cast(pl.UInt32)
        .alias("_days"),
        "_gap",
    )  # fmt: skip
    both = pl.concat([candidates, around], how="diagonal_relaxed").filter(pl.col("_day_minutes") > 0)
    k = (pl.col("_gap") / pl.col("_day_minutes")).round(0)
    fits = (k >= 1) & (k <= pl.col("_days")) & ((pl.col("_gap") - k * pl.col("_day_minutes")).abs() <= 1)
    return both.filter(fits).get_column("_row").unique()


def reconcile_targets(instances: pl.DataFrame, tables: Tables, *, as_of: AsOfLike) -> pl.DataFrame:
    """Milestones whose target of record or stopped time differ from the product's, with the likely cause.

    Grain: one row per milestone instance of ``instances`` (collected
    :func:`~.milestones.milestone_instances`) whose ``target_at`` and
    ``computed_target_at`` are both set and more than
    :data:`TOLERANCE_MINUTES` apart, or, completed, whose
    ``crm_stopped_minutes`` and ``paused_minutes`` are; columns
    :data:`RECONCILIATION_COLUMNS` (``difference_minutes`` = target of
    record - computed, wall clock; ``record_minutes`` = business minutes
    from the start to the target of record in the imported calendar;
    ``stopped_difference_minutes`` = the source's stopped minutes - ours;
    ``computed_status`` = the status the computed target would give).
    Largest difference first.
    """
    own = tables.case_milestones.select(
        "case_id",
        "milestone",
        "started_at",
        pl.col("target_minutes").alias("_own_minutes"),
        "crm_stopped_minutes",
    ).collect()
    tolerance = TOLERANCE_MINUTES
    rows = (
        instances.join(own, on=["case_id", "milestone", "started_at"], how="left", maintain_order="left")
        .with_columns(
            _minutes(pl.col("target_at"), pl.col("computed_target_at")).alias("difference_minutes"),
            pl.when(pl.col("completed_at").is_not_null())
            .then(pl.col("crm_stopped_minutes") - pl.col("paused_minutes"))
            .alias("stopped_difference_minutes"),
        )
        .filter(
            (pl.col("difference_minutes").abs() > tolerance).fill_null(False)
            | (pl.col("stopped_difference_minutes").abs() > tolerance).fill_null(False)
        )
        .with_row_index("_row")
    )
    if rows.is_empty():
        return _empty()
    # Calendar arithmetic on the rows with both targets (the others only differ in stopped time).
    both = pl.col("target_at").is_not_null() & pl.col("computed_target_at").is_not_null()
    moments = pl.concat([rows["started_at"], rows["target_at"], rows["computed_target_at"]]).drop_nulls()
    ids = rows["business_hours_id"].drop_nulls().unique().to_list()
    window = {"first_at": moments.min(), "last_at": moments.max(), "calendar_ids": ids}
    calendars = BusinessCalendars.covering(tables.business_hours, tables.holidays, **window)  # type: ignore[arg-type]
    open_days = BusinessCalendars.covering(tables.business_hours, tables.holidays.clear(), **window)  # type: ignore[arg-type]
    calendar, started = rows["business_hours_id"], rows["started_at"]
    record_minutes = calendars.minutes_between(calendar, started, rows["target_at"])
    round_trip = calendars.add_minutes(calendar, started, record_minutes)
    without_holidays = open_days.add_minutes(calendar, started, rows["target_minutes"])
    with_stops = calendars.add_minutes(
        calendar,
        started,
        rows.select(pl.col("target_minutes") + pl.col("crm_stopped_minutes").fill_null(0)).to_series(),
    )
    rows = rows.with_columns(
        record_minutes.alias("record_minutes"),
        (record_minutes - rows["target_minutes"].cast(pl.Float64)).alias("_gap"),
    )
    targets = rows.filter(both & (pl.col("difference_minutes").abs() > tolerance))
    missing = _whole_days_match(targets.filter(pl.col("_gap") > tolerance), calendars)
    with_history = tables.case_status_history.select("case_id").unique().collect()["case_id"]

    def close_to_record(moment: pl.Series) -> pl.Expr:
        return (_minutes(pl.col("target_at"), moment).abs() <= tolerance).fill_null(False)

    stops_differ = (pl.col("stopped_difference_minutes").abs() > tolerance).fill_null(False)
    targets_agree = ~(pl.col("difference_minutes").abs() > tolerance).fill_null(False)
    cause = (
        pl.when(
            stops_differ
            & ~pl.col("case_id").is_in(with_history.implode())
            & (pl.col("crm_stopped_minutes") > 0)
        )
        .then(pl.lit(HISTORY_MISSING))
        .when(stops_differ & (targets_agree | close_to_record(with_stops)))
        .then(pl.lit(STOPPED_TIME))
        .when(pl.col("_row").is_in(missing.implode()))
        .then(pl.lit(HOLIDAY_MISSING))
        .when(close_to_record(without_holidays))
        .then(pl.lit(HOLIDAY_EXTRA))
        .when(close_to_record(round_trip) & pl.col("_own_minutes").is_null())
        .then(pl.lit(TARGET_MINUTES))
        .when(stops_differ)
        .then(pl.lit(STOPPED_TIME))
        .otherwise(pl.lit(BUSINESS_HOURS))
    )
    return (
        rows.with_columns(cause.alias("likely_cause"))
        .pipe(_with_computed_status, tables, as_of_value(as_of))
        .sort(
            pl.col("difference_minutes").abs().fill_null(0),
            pl.col("stopped_difference_minutes").abs().fill_null(0),
            "case_id",
            "milestone",
            descending=[True, True, False, False],
        )
        .select(RECONCILIATION_COLUMNS)
    )


def _with_computed_status(rows: pl.DataFrame, tables: Tables, as_of: AsOf) -> pl.DataFrame:
    """``computed_status``: the status the product's own target would give (the minutes it allows),
    as of each instance's own moment (a date: the end of that day in its business hours' zone)."""
    frame = rows if "as_of_at" in rows.columns else with_instance_as_of(rows.lazy(), tables, as_of).collect()
    moment = "as_of_at" if "as_of_at" in rows.columns else "_as_of_at"
    computed = frame.select(
        pl.col("completed_at"),
        pl.col("computed_target_at").alias("target_at"),
        pl.col("target_minutes"),
        pl.col("elapsed_minutes"),
        pl.col("warning_minutes"),
        pl.col(moment).alias("_as_of_at"),
        (pl.col("status") == "paused").alias("_paused"),
    ).select(milestone_status(pl.col("_as_of_at"), paused="_paused").alias("computed_status"))
    return rows.with_columns(computed.to_series())


def milestone_reconciliation(
    tables: Tables, *, as_of: AsOfLike, at_risk_fraction: float = 0.25
) -> pl.DataFrame:
    """Every milestone whose target of record or stopped time differ from ours, with the likely cause.

    Only cases with a target of record or a stopped time of record are
    measured, so the report costs nothing where no export carries them.

    Grain: one row per milestone instance (see :func:`reconcile_targets`).
    """
    recorded = (
        tables.case_milestones.filter(
            pl.col("target_at").is_not_null() | pl.col("crm_stopped_minutes").is_not_null()
        )
        .select("case_id")
        .unique()
    )
    narrowed = dataclasses.replace(tables, cases=tables.cases.join(recorded, on="case_id", how="semi"))
    instances = milestone_instances(narrowed, as_of=as_of, at_risk_fraction=at_risk_fraction).collect()
    return reconcile_targets(instances, tables, as_of=as_of)
