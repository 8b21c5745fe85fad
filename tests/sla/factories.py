"""Record factories for SLA tests: calendars, local times and small table bundles."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from entitlement_core.sla import BusinessCalendars
from entitlement_core.staging import Tables, conform

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
UTC = dt.UTC


def hours(bh_id: str, zone: str, schedule: dict[str, tuple[str | None, str | None]]) -> dict[str, list[Any]]:
    """One ``business_hours`` row: ``schedule`` maps day prefixes to (start, end)."""
    row: dict[str, list[Any]] = {"business_hours_id": [bh_id], "timezone": [zone]}
    for day, (start, end) in schedule.items():
        row[f"{day}_start"], row[f"{day}_end"] = [start], [end]
    return row


def weekdays(start: str, end: str, **more: tuple[str | None, str | None]) -> dict[str, tuple[str, str]]:
    return {day: (start, end) for day in WEEKDAYS} | more  # type: ignore[operator]


#: The calendars of the SLA tests, by id.
CALENDARS: dict[str, dict[str, list[Any]]] = {
    # EXAMPLES.md: Europe/Berlin, Mon-Fri 09:00-17:00, holiday 2026-12-25.
    "berlin": hours("berlin", "Europe/Berlin", weekdays("09:00", "17:00")),
    # New York with a Saturday half day; Friday 2026-07-03 is a holiday.
    "ny": hours("ny", "America/New_York", weekdays("09:00", "17:00", sat=("09:00", "13:00"))),
    "kolkata": hours("kolkata", "Asia/Kolkata", weekdays("09:30", "18:30")),
    # Open all day every day: ``00:00``-``24:00`` and Salesforce's ``00:00``-``00:00``.
    "ny_all_day": hours(
        "ny_all_day",
        "America/New_York",
        {d: ("00:00", "24:00") for d in ("mon", "tue", "wed", "thu")}
        | {d: ("00:00", "00:00") for d in ("fri", "sat", "sun")},
    ),
    "berlin_all_day": hours(
        "berlin_all_day", "Europe/Berlin", {d: ("00:00", "24:00") for d in (*WEEKDAYS, "sat", "sun")}
    ),
    # Sunday hours whose edges fall in the DST gap / overlap of America/New_York.
    "ny_sun_0230": hours("ny_sun_0230", "America/New_York", {"sun": ("02:30", "24:00")}),
    "ny_sun_0130": hours("ny_sun_0130", "America/New_York", {"sun": ("01:30", "24:00")}),
    "never": hours("never", "Europe/Berlin", {}),
}

HOLIDAYS = {"business_hours_id": ["berlin", "ny"], "date": [dt.date(2026, 12, 25), dt.date(2026, 7, 3)]}


def calendar_tables(*ids: str) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """``business_hours`` and ``holidays`` for the named calendars (all when none named)."""
    rows = [conform("business_hours", CALENDARS[i]) for i in (ids or CALENDARS)]
    return pl.concat(rows), conform("holidays", HOLIDAYS)


def local(zone: str, *parts: int) -> dt.datetime:
    """A local wall time in ``zone`` (fold=0) as a UTC datetime."""
    return dt.datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def calendars_for(first: dt.datetime, last: dt.datetime, horizon_minutes: float = 0) -> BusinessCalendars:
    business_hours, holidays = calendar_tables()
    return BusinessCalendars.covering(
        business_hours, holidays, first_at=first, last_at=last, horizon_minutes=horizon_minutes
    )


def utc_series(values: list[dt.datetime | None]) -> pl.Series:
    return pl.Series(values, dtype=pl.Datetime("us", "UTC"))


def tables(**frames: Any) -> Tables:
    """A :class:`Tables` bundle with the test calendars plus ``frames``."""
    business_hours, holidays = calendar_tables()
    return Tables.from_frames(business_hours=business_hours.collect(), holidays=holidays.collect(), **frames)
