"""Business-hours calendars as open intervals in UTC (DOMAIN.md, "Milestones (SLA)").

A calendar is a weekly schedule in a named time zone plus full-day holidays
(tables ``business_hours`` and ``holidays``). Business-time arithmetic never
converts the data's timestamps to a local zone: instead each calendar is
materialised once as its open intervals in UTC, one per open local day over
the date range of the data (:func:`open_intervals`). The zone database
resolves DST once per day on that small table (10 calendars x 10 years is
36,500 rows); the per-row arithmetic then works on UTC integers
(:mod:`entitlement_core.sla.business_time`).

Schedule rules
--------------
- ``mon_start`` / ``mon_end`` ... ``sun_start`` / ``sun_end`` are local
  wall-clock times ``HH:MM`` (seconds, as in ``09:00:00.000Z`` exports, are
  ignored). Empty or null = closed that day.
- ``00:00``-``24:00`` is open all day; so is ``00:00``-``00:00`` (how
  Salesforce stores a 24-hour day).
- An end at or before its start (other than the all-day case), or a time
  that is not a time of day, leaves the day closed; the validator reports it.
- A holiday closes the calendar for the whole local day.

Wall times that the clock skips or repeats (DST)
------------------------------------------------
A wall time is read as the zone database reads it with ``fold=0`` (Python's
``zoneinfo``, Java's ``ZonedDateTime.of``):

- in a gap (spring forward) it is shifted forward by the length of the gap:
  in America/New_York on 2026-03-08 an opening at 02:30 is 03:30 EDT
  (07:30Z);
- when ambiguous (fall back) the earliest instant is used: an opening at
  01:30 on 2026-11-01 is 01:30 EDT (05:30Z), and the calendar then stays
  open through the repeated hour.

Examples
--------
Europe/Berlin, Mon-Fri 09:00-17:00: Friday 2026-03-27 is open 08:00Z-16:00Z
(CET), Monday 2026-03-30 07:00Z-15:00Z (CEST); Saturday and Sunday have no
interval.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import polars as pl

__all__ = ["DAYS", "open_intervals", "weekly_open_minutes", "weekly_schedule"]

#: Weekday prefixes of the schedule columns, Monday first (Polars weekday 1..7).
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DAY_MINUTES = 24 * 60
MINUTE_US = 60_000_000
DAY_US = 24 * 60 * MINUTE_US

_HHMM = r"^\s*(\d{1,2}):(\d{2})"

_INTERVAL_SCHEMA: dict[str, pl.DataType] = {
    "business_hours_id": pl.String(),
    "local_date": pl.Date(),
    "open_at": pl.Datetime("us", "UTC"),
    "close_at": pl.Datetime("us", "UTC"),
    "open_us": pl.Int64(),
    "close_us": pl.Int64(),
}


def _minute_of_day(column: str) -> pl.Expr:
    """``HH:MM`` text as minutes after local midnight (0..1440); null when empty or invalid."""
    parts = pl.col(column).cast(pl.String).str.extract_groups(_HHMM)
    hours = parts.struct.field("1").cast(pl.Int32, strict=False)
    minutes = parts.struct.field("2").cast(pl.Int32, strict=False)
    total = hours * 60 + minutes
    return pl.when((minutes < 60) & (total <= DAY_MINUTES)).then(total)


def weekly_schedule(business_hours: pl.LazyFrame) -> pl.LazyFrame:
    """The open hours of each calendar and weekday.

    Grain: one row per calendar and weekday it is open (closed days have no
    row). Columns: ``business_hours_id``, ``timezone``, ``weekday``
    (1 = Monday .. 7 = Sunday), ``open_minute``, ``close_minute`` (minutes
    after local midnight, ``close_minute`` up to 1440).

    Parameters
    ----------
    business_hours
        The ``business_hours`` table.

    Examples
    --------
    ``sat_start = "09:00"``, ``sat_end = "13:00"`` gives weekday 6, 540-780;
    ``sun_start = sun_end = "00:00"`` gives weekday 7, 0-1440.
    """
    days = [
        business_hours.select(
            "business_hours_id",
            "timezone",
            pl.lit(number, dtype=pl.Int8).alias("weekday"),
            _minute_of_day(f"{day}_start").alias("open_minute"),
            _minute_of_day(f"{day}_end").alias("close_minute"),
        )
        for number, day in enumerate(DAYS, start=1)
    ]
    all_day = (pl.col("open_minute") == 0) & (pl.col("close_minute") == 0)
    return (
        pl.concat(days)
        .with_columns(pl.when(all_day).then(DAY_MINUTES).otherwise("close_minute").alias("close_minute"))
        .filter(pl.col("close_minute") > pl.col("open_minute"))
        .sort("business_hours_id", "weekday")
    )


def weekly_open_minutes(business_hours: pl.LazyFrame) -> pl.LazyFrame:
    """Open minutes per week by the schedule (DST and holidays ignored).

    Grain: one row per calendar (``business_hours_id``, ``weekly_open_minutes``);
    a calendar closed every day has 0.
    """
    open_minutes = (
        weekly_schedule(business_hours)
        .group_by("business_hours_id")
        .agg((pl.col("close_minute") - pl.col("open_minute")).sum().alias("weekly_open_minutes"))
    )
    return (
        business_hours.select("business_hours_id")
        .unique()
        .join(open_minutes, on="business_hours_id", how="left")
        .with_columns(pl.col("weekly_open_minutes").fill_null(0).cast(pl.Int64))
    )


def _wall_to_utc_us(wall: pl.Expr, time_zone: str) -> pl.Expr:
    """Local wall time (naive) in ``time_zone`` as UTC epoch microseconds, ``fold=0`` rules.

    Ambiguous -> earliest instant. In a gap the wall time is read with the
    offset in force a day earlier (the offset before the gap), which moves it
    forward by the length of the gap.
    """
    direct = wall.dt.replace_time_zone(time_zone, ambiguous="earliest", non_existent="null")
    day_before = (wall - pl.duration(days=1)).dt.replace_time_zone(
        time_zone, ambiguous="earliest", non_existent="null"
    )
    return pl.coalesce(direct.dt.epoch("us"), day_before.dt.epoch("us") + DAY_US)


def _is_known_zone(zone: str | None) -> bool:
    if not zone:
        return False
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_zones(local: pl.DataFrame) -> None:
    zones = local.group_by("timezone").agg(pl.col("business_hours_id").unique().sort())
    bad = [f"{', '.join(ids)} ({zone!r})" for zone, ids in zones.iter_rows() if not _is_known_zone(zone)]
    if bad:
        raise ValueError(f"business hours with an unknown time zone: {'; '.join(sorted(bad))}")


def open_intervals(
    business_hours: pl.LazyFrame,
    holidays: pl.LazyFrame,
    *,
    start_date: dt.date,
    end_date: dt.date,
) -> pl.DataFrame:
    """Open intervals in UTC of every calendar for local days ``start_date..end_date``.

    Grain: one row per calendar and open local day, sorted by calendar and
    ``open_at``; intervals of one calendar never overlap (consecutive
    all-day intervals touch). Columns: ``business_hours_id``,
    ``local_date``, ``open_at``, ``close_at`` (UTC) and the same instants as
    epoch microseconds ``open_us``, ``close_us``.

    The loop is over the distinct time zones of the calendars (the zone
    database takes one zone per call), never over data rows.

    Parameters
    ----------
    business_hours, holidays
        The ``business_hours`` and ``holidays`` tables.
    start_date, end_date
        First and last local day to materialise (both inclusive).

    Raises
    ------
    ValueError
        When a calendar names a time zone the zone database does not know.

    Examples
    --------
    America/New_York, Sunday 2026-03-08 (clocks go 02:00 -> 03:00) open
    00:00-24:00: one interval 05:00Z-04:00Z next day, 23 hours.
    """
    days = pl.LazyFrame({"local_date": pl.date_range(start_date, end_date, "1d", eager=True)}).with_columns(
        pl.col("local_date").dt.weekday().cast(pl.Int8).alias("weekday")
    )
    closed = holidays.select("business_hours_id", pl.col("date").alias("local_date")).unique()
    local = (
        weekly_schedule(business_hours)
        .join(days, on="weekday")
        .join(closed, on=["business_hours_id", "local_date"], how="anti")
        .with_columns(
            (pl.col("local_date").cast(pl.Datetime("us")) + pl.duration(minutes=pl.col(name))).alias(name)
            for name in ("open_minute", "close_minute")
        )
        .collect()
    )
    if local.is_empty():
        return pl.DataFrame(schema=_INTERVAL_SCHEMA)
    _check_zones(local)
    parts = [
        part.select(
            "business_hours_id",
            "local_date",
            _wall_to_utc_us(pl.col("open_minute"), zone).alias("open_us"),
            _wall_to_utc_us(pl.col("close_minute"), zone).alias("close_us"),
        )
        for (zone,), part in local.partition_by("timezone", as_dict=True).items()
    ]
    return (
        pl.concat(parts)
        .filter(pl.col("close_us") > pl.col("open_us"))
        .with_columns(
            pl.col("open_us").cast(_INTERVAL_SCHEMA["open_at"]).alias("open_at"),
            pl.col("close_us").cast(_INTERVAL_SCHEMA["close_at"]).alias("close_at"),
        )
        .select(list(_INTERVAL_SCHEMA))
        .sort("business_hours_id", "open_us")
    )
