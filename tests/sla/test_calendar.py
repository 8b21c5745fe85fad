"""Weekly schedules and open intervals in UTC (DST, holidays, half-hour offsets)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.sla import open_intervals, weekly_open_minutes, weekly_schedule
from entitlement_core.staging import conform

from .factories import calendar_tables, hours, local

# (case, start text, end text, expected (open_minute, close_minute) or None = closed)
SCHEDULES = [
    ("office hours", "09:00", "17:00", (540, 1020)),
    ("all day 00:00-24:00", "00:00", "24:00", (0, 1440)),
    ("Salesforce all day 00:00-00:00", "00:00", "00:00", (0, 1440)),
    ("closed: empty", "", "", None),
    ("closed: null", None, None, None),
    ("closed: end missing", "09:00", None, None),
    ("end before start is closed", "17:00", "09:00", None),
    ("equal non-midnight edges are closed", "09:00", "09:00", None),
    ("Salesforce time export", "09:00:00.000Z", "17:30:00.000Z", (540, 1050)),
    ("single-digit hour", "9:00", "13:00", (540, 780)),
    ("not a time", "late", "25:00", None),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"), [c[1:] for c in SCHEDULES], ids=[c[0] for c in SCHEDULES]
)
def test_weekly_schedule_reads_hhmm(
    start: str | None, end: str | None, expected: tuple[int, int] | None
) -> None:
    bh = conform("business_hours", hours("x", "UTC", {"wed": (start, end)}))
    got = weekly_schedule(bh).collect()
    if expected is None:
        assert got.is_empty()
    else:
        assert got.select("weekday", "open_minute", "close_minute").rows() == [(3, *expected)]


def test_weekly_open_minutes_counts_closed_calendars_as_zero() -> None:
    business_hours, _ = calendar_tables("berlin", "ny", "never")
    got = dict(weekly_open_minutes(business_hours).collect().rows())
    assert got == {"berlin": 2400, "ny": 2640, "never": 0}


def _intervals(calendar: str, first: dt.date, last: dt.date) -> pl.DataFrame:
    business_hours, holidays = calendar_tables(calendar)
    return open_intervals(business_hours, holidays, start_date=first, end_date=last)


def u(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


# (case, calendar, local day, expected (open_at, close_at) in UTC, or None = no interval)
DAYS = [
    ("Berlin winter (CET)", "berlin", dt.date(2026, 3, 27), (u(2026, 3, 27, 8), u(2026, 3, 27, 16))),
    ("Berlin summer (CEST)", "berlin", dt.date(2026, 3, 30), (u(2026, 3, 30, 7), u(2026, 3, 30, 15))),
    ("Berlin holiday", "berlin", dt.date(2026, 12, 25), None),
    ("Berlin Saturday", "berlin", dt.date(2026, 6, 13), None),
    ("NY Saturday half day", "ny", dt.date(2026, 6, 13), (u(2026, 6, 13, 13), u(2026, 6, 13, 17))),
    ("Kolkata +05:30", "kolkata", dt.date(2026, 6, 15), (u(2026, 6, 15, 4), u(2026, 6, 15, 13))),
    ("NY 23-hour day", "ny_all_day", dt.date(2026, 3, 8), (u(2026, 3, 8, 5), u(2026, 3, 9, 4))),
    ("NY 25-hour day", "ny_all_day", dt.date(2026, 11, 1), (u(2026, 11, 1, 4), u(2026, 11, 2, 5))),
    ("gap: 02:30 = 03:30 EDT", "ny_sun_0230", dt.date(2026, 3, 8), (u(2026, 3, 8, 7, 30), u(2026, 3, 9, 4))),
    ("overlap: 01:30 EDT", "ny_sun_0130", dt.date(2026, 11, 1), (u(2026, 11, 1, 5, 30), u(2026, 11, 2, 5))),
]  # fmt: skip


@pytest.mark.parametrize(("calendar", "day", "expected"), [c[1:] for c in DAYS], ids=[c[0] for c in DAYS])
def test_open_interval_of_a_local_day(
    calendar: str, day: dt.date, expected: tuple[dt.datetime, dt.datetime] | None
) -> None:
    got = _intervals(calendar, day - dt.timedelta(days=1), day + dt.timedelta(days=1))
    rows = got.filter(pl.col("local_date") == day).select("open_at", "close_at").rows()
    assert rows == ([] if expected is None else [expected])


def test_intervals_match_the_zone_database() -> None:
    """Each interval is the local opening and closing read with zoneinfo (fold=0)."""
    got = _intervals("ny", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert got.height == 261 + 52 - 1  # 2026: weekdays + Saturdays, minus the holiday
    for day, open_at, close_at in got.select("local_date", "open_at", "close_at").iter_rows():
        start = "09:00"
        end = "13:00" if day.weekday() == 5 else "17:00"
        assert open_at == local("America/New_York", day.year, day.month, day.day, *map(int, start.split(":")))
        assert close_at == local("America/New_York", day.year, day.month, day.day, *map(int, end.split(":")))


def test_intervals_never_overlap_and_are_sorted() -> None:
    business_hours, holidays = calendar_tables()
    got = open_intervals(
        business_hours, holidays, start_date=dt.date(2025, 1, 1), end_date=dt.date(2027, 12, 31)
    )
    checks = got.select(
        (pl.col("open_us").shift(-1).over("business_hours_id") >= pl.col("close_us")).fill_null(True).all(),
        (pl.col("close_us") > pl.col("open_us")).all(),
        (pl.col("open_at").dt.epoch("us") == pl.col("open_us")).all(),
    )
    assert checks.row(0) == (True, True, True)


def test_unknown_time_zone_names_the_calendar() -> None:
    bh = conform("business_hours", hours("moon", "Moon/Tranquility", {"mon": ("09:00", "17:00")}))
    holidays = conform("holidays", {"business_hours_id": [], "date": []})
    with pytest.raises(ValueError, match="moon"):
        open_intervals(bh, holidays, start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 30))
