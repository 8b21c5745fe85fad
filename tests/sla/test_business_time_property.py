"""Property tests: the vectorised arithmetic against a minute-by-minute walk with zoneinfo.

The reference is deliberately simple: step through UTC minutes, ask whether
each one is open, count. Timestamps are whole minutes, so a minute is open
or closed as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entitlement_core.sla import BusinessCalendars
from entitlement_core.sla.calendar import DAYS
from entitlement_core.staging import conform

from .factories import utc_series

MINUTE = dt.timedelta(minutes=1)
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")
#: Mondays and Fridays around the 2026 DST changes (New York, Berlin, Lord Howe) and a plain week.
ANCHORS = tuple(
    dt.datetime(2026, m, d, tzinfo=dt.UTC)
    for m, d in ((3, 6), (3, 27), (10, 23), (10, 30), (4, 3), (10, 2), (6, 12))
)
#: Wall times that are never skipped or repeated in ZONES (their DST changes happen 01:00-03:00).
SAFE_MINUTES = st.one_of(st.integers(0, 60), st.integers(180, 1440))
ANY_MINUTE = st.integers(0, 1440)


@dataclass(frozen=True)
class Calendar:
    zone: str
    #: weekday (0 = Monday) -> (open minute, close minute); absent = closed.
    days: dict[int, tuple[int, int]]
    holidays: frozenset[dt.date]

    def frames(self) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        row: dict[str, list[object]] = {"business_hours_id": ["cal"], "timezone": [self.zone]}
        for weekday, (start, end) in self.days.items():
            text = [f"{m // 60:02d}:{m % 60:02d}" for m in (start, end)]
            if (start, end) == (0, 1440) and weekday % 2:
                text = ["00:00", "00:00"]  # the Salesforce spelling of an all-day
            row[f"{DAYS[weekday]}_start"], row[f"{DAYS[weekday]}_end"] = [text[0]], [text[1]]
        holidays = {"business_hours_id": ["cal"] * len(self.holidays), "date": sorted(self.holidays)}
        return conform("business_hours", row), conform("holidays", holidays)

    @property
    def weekly_minutes(self) -> int:
        return sum(end - start for start, end in self.days.values())


def wall_clock_open(cal: Calendar, t: dt.datetime) -> bool:
    """Open when the local wall time is within the local day's hours."""
    wall = t.astimezone(ZoneInfo(cal.zone))
    hours = cal.days.get(wall.weekday())
    if hours is None or wall.date() in cal.holidays:
        return False
    return hours[0] <= wall.hour * 60 + wall.minute < hours[1]


def fold0_open(cal: Calendar, t: dt.datetime) -> bool:
    """Open when inside a local day's [opening, closing), each read by zoneinfo with fold=0."""
    zone = ZoneInfo(cal.zone)
    today = t.astimezone(zone).date()
    for day in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
        hours = cal.days.get(day.weekday())
        if hours is None or day in cal.holidays:
            continue
        midnight = dt.datetime.combine(day, dt.time())
        opens, closes = ((midnight + m * MINUTE).replace(tzinfo=zone) for m in hours)
        if opens <= t < closes:
            return True
    return False


def walk_minutes(is_open: Callable[[dt.datetime], bool], start: dt.datetime, end: dt.datetime) -> int:
    count, t = 0, start
    while t < end:
        count += is_open(t)
        t += MINUTE
    return count


def walk_target(is_open: Callable[[dt.datetime], bool], start: dt.datetime, minutes: int) -> dt.datetime:
    t, left = start, minutes
    while left > 0:
        if is_open(t):
            left -= 1
        t += MINUTE
    return t


@st.composite
def calendars(draw: st.DrawFn, minutes: st.SearchStrategy[int], anchor: dt.datetime) -> Calendar:
    days = {}
    for weekday in range(7):
        kind = draw(st.sampled_from(["closed", "hours", "hours", "all_day"]))
        if kind == "all_day":
            days[weekday] = (0, 1440)
        elif kind == "hours":
            start, end = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
            days[weekday] = (start, end)
    offsets = draw(st.lists(st.integers(-2, 12), max_size=3))
    holidays = frozenset(anchor.date() + dt.timedelta(days=d) for d in offsets)
    return Calendar(draw(st.sampled_from(ZONES)), days, holidays)


@st.composite
def scenarios(
    draw: st.DrawFn, minutes: st.SearchStrategy[int]
) -> tuple[Calendar, dt.datetime, dt.datetime, int]:
    anchor = draw(st.sampled_from(ANCHORS))
    cal = draw(calendars(minutes, anchor))
    start = anchor + draw(st.integers(0, 3 * 1440)) * MINUTE
    end = start + draw(st.integers(0, 3 * 1440)) * MINUTE
    target = draw(st.integers(0, min(600, cal.weekly_minutes)))
    return cal, start, end, target


def _check(cal: Calendar, start: dt.datetime, end: dt.datetime, target: int, is_open: Callable) -> None:
    business_hours, holidays = cal.frames()
    built = BusinessCalendars.covering(
        business_hours, holidays, first_at=start, last_at=end, horizon_minutes=target
    )
    ids = pl.Series(["cal"])
    elapsed = built.minutes_between(ids, utc_series([start]), utc_series([end])).item()
    assert elapsed == walk_minutes(lambda t: is_open(cal, t), start, end)
    target_at = built.add_minutes(ids, utc_series([start]), pl.Series([target])).item()
    assert target_at == walk_target(lambda t: is_open(cal, t), start, target)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(SAFE_MINUTES))
def test_matches_a_wall_clock_walk(scenario: tuple[Calendar, dt.datetime, dt.datetime, int]) -> None:
    """Where no opening or closing falls in a DST gap or overlap, wall-clock membership is the rule."""
    _check(*scenario, wall_clock_open)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(ANY_MINUTE))
def test_matches_a_fold0_walk(scenario: tuple[Calendar, dt.datetime, dt.datetime, int]) -> None:
    """With edges anywhere (in gaps and overlaps too), each day's edges are read as zoneinfo reads them."""
    _check(*scenario, fold0_open)
