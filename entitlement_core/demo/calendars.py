"""Calendars of the demo world: business hours, holidays, SLA processes and targets.

Three calendars in different time zones: US Eastern office hours, an EMEA
week with a Saturday half day, and a 24x7 calendar for the Premier process.
Holidays are the real public holidays of the years covered. Beside the
native tables, this module precomputes two small NumPy lookup tables that
let case generation stay vectorised:

- ``utc_offsets``: minutes to subtract from a local wall-clock time to get
  UTC, per (zone, local day, local hour), DST-correct;
- ``day_weights``: relative case volume per (zone, local day): weekly
  pattern, seasonal swell, holidays.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ..staging import conform

__all__ = [
    "BUSINESS_HOURS",
    "PRIORITIES",
    "PROCESSES",
    "ZONES",
    "business_hours_frame",
    "day_weights",
    "holidays_frame",
    "milestone_targets_frame",
    "processes_frame",
    "target_matrix",
    "utc_offsets",
]

#: Time zones of the calendars; a calendar's index in this tuple is its zone index.
ZONES: tuple[str, ...] = ("America/New_York", "Europe/Berlin", "UTC")
PRIORITIES: tuple[str, ...] = ("Low", "Medium", "High", "Critical")

_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: business_hours_id -> (name, zone index, {day: (start, end)})
BUSINESS_HOURS: dict[str, tuple[str, int, dict[str, tuple[str, str]]]] = {
    "BH-US-EAST": (
        "US Eastern Business Hours",
        0,
        {d: ("08:00", "18:00") for d in _WEEK[:5]},
    ),
    "BH-EMEA": (
        "EMEA Business Hours",
        1,
        {**{d: ("09:00", "17:00") for d in _WEEK[:5]}, "sat": ("09:00", "13:00")},
    ),
    "BH-24X7": ("24x7 Support", 2, {d: ("00:00", "24:00") for d in _WEEK}),
}

#: process_id -> (name, version, business_hours_id, paused_statuses); index = process index.
#: On Hold stops the Standard clocks but not Premier's (a 24x7 team keeps working held cases).
PROCESSES: dict[str, tuple[str, int, str, str]] = {
    "EP-STANDARD-AMER": ("Standard SLA (Americas)", 2, "BH-US-EAST", "Waiting on Customer;On Hold"),
    "EP-STANDARD-EMEA": ("Standard SLA (EMEA)", 1, "BH-EMEA", "Waiting on Customer;On Hold"),
    "EP-PREMIER": ("Premier 24x7", 3, "BH-24X7", "Waiting on Customer"),
}

# (process, milestone, priority, origin, target_minutes, warning_minutes)
_TARGETS: tuple[tuple[str, str, str | None, str | None, int, int | None], ...] = (
    *(
        (p, "First Response", prio, None, minutes, None)
        for p in ("EP-STANDARD-AMER", "EP-STANDARD-EMEA")
        for prio, minutes in ((None, 480), ("Low", 960), ("Medium", 480), ("High", 240), ("Critical", 60))
    ),
    ("EP-STANDARD-AMER", "First Response", None, "Chat", 30, None),
    ("EP-STANDARD-AMER", "First Response", "High", "Chat", 15, None),
    ("EP-STANDARD-EMEA", "First Response", None, "Chat", 45, None),
    *(
        ("EP-STANDARD-AMER", "Resolution", prio, None, minutes, None)
        for prio, minutes in (
            (None, 2880),
            ("Low", 4800),
            ("Medium", 2880),
            ("High", 1440),
            ("Critical", 480),
        )
    ),
    *(
        ("EP-STANDARD-EMEA", "Resolution", prio, None, minutes, None)
        for prio, minutes in ((None, 2400), ("Low", 4800), ("Medium", 2400), ("High", 960), ("Critical", 480))
    ),
    ("EP-PREMIER", "First Response", None, None, 120, None),
    ("EP-PREMIER", "First Response", "Low", None, 240, None),
    ("EP-PREMIER", "First Response", "Medium", None, 120, None),
    ("EP-PREMIER", "First Response", "High", None, 60, None),
    ("EP-PREMIER", "First Response", "Critical", None, 30, 10),
    ("EP-PREMIER", "Resolution", None, None, 1440, None),
    ("EP-PREMIER", "Resolution", "Low", None, 2880, None),
    ("EP-PREMIER", "Resolution", "Medium", None, 1440, None),
    ("EP-PREMIER", "Resolution", "High", None, 720, None),
    ("EP-PREMIER", "Resolution", "Critical", None, 240, 60),
)


def business_hours_frame() -> pl.DataFrame:
    """The ``business_hours`` table (one row per calendar)."""
    rows = []
    for bh_id, (name, zone, days) in BUSINESS_HOURS.items():
        row: dict[str, str | None] = {"business_hours_id": bh_id, "name": name, "timezone": ZONES[zone]}
        for d in _WEEK:
            start, end = days.get(d, (None, None))
            row[f"{d}_start"], row[f"{d}_end"] = start, end
        rows.append(row)
    return conform("business_hours", pl.DataFrame(rows)).collect()


def processes_frame() -> pl.DataFrame:
    """The ``entitlement_processes`` table."""
    return conform(
        "entitlement_processes",
        {
            "process_id": list(PROCESSES),
            "name": [v[0] for v in PROCESSES.values()],
            "version": [v[1] for v in PROCESSES.values()],
            "business_hours_id": [v[2] for v in PROCESSES.values()],
            "paused_statuses": [v[3] for v in PROCESSES.values()],
        },
    ).collect()


def milestone_targets_frame() -> pl.DataFrame:
    """The ``milestone_targets`` table: by priority, one origin-specific (Chat)."""
    cols = ("process_id", "milestone", "priority", "origin", "target_minutes", "warning_minutes")
    return conform("milestone_targets", pl.DataFrame(list(_TARGETS), schema=cols, orient="row")).collect()


def target_matrix(milestone: str) -> np.ndarray:
    """Target minutes per (process index, priority index), ignoring origin."""
    out = np.zeros((len(PROCESSES), len(PRIORITIES)), dtype=np.float64)
    procs = list(PROCESSES)
    for p, m, prio, origin, minutes, _ in _TARGETS:
        if m == milestone and prio is not None and origin is None:
            out[procs.index(p), PRIORITIES.index(prio)] = minutes
    return out


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday of a month (n = -1: the last one)."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _us_observed(day: dt.date) -> dt.date:
    """US federal observance: Saturday holidays on Friday, Sunday ones on Monday."""
    shift = {5: -1, 6: 1}.get(day.weekday(), 0)
    return day + dt.timedelta(days=shift)


def _holidays_of_year(year: int) -> list[tuple[str, dt.date, str]]:
    easter = _easter(year)
    us = [
        (_us_observed(dt.date(year, 1, 1)), "New Year's Day"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_us_observed(dt.date(year, 7, 4)), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (_nth_weekday(year, 11, 3, 4) + dt.timedelta(days=1), "Day after Thanksgiving"),
        (_us_observed(dt.date(year, 12, 25)), "Christmas Day"),
    ]
    de = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (easter - dt.timedelta(days=2), "Good Friday"),
        (easter + dt.timedelta(days=1), "Easter Monday"),
        (dt.date(year, 5, 1), "Labour Day"),
        (easter + dt.timedelta(days=39), "Ascension Day"),
        (easter + dt.timedelta(days=50), "Whit Monday"),
        (dt.date(year, 10, 3), "German Unity Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
        (dt.date(year, 12, 26), "St Stephen's Day"),
    ]
    return [("BH-US-EAST", d, n) for d, n in us] + [("BH-EMEA", d, n) for d, n in de]


def holidays_frame(first_year: int, last_year: int) -> pl.DataFrame:
    """The ``holidays`` table: public holidays of the office calendars, years inclusive.

    The 24x7 calendar has none. A holiday a year's observance moves into the
    neighbouring year (New Year's Day observed on 31 December) stays in.
    """
    rows = [r for y in range(first_year, last_year + 1) for r in _holidays_of_year(y)]
    frame = pl.DataFrame(rows, schema=["business_hours_id", "date", "name"], orient="row")
    frame = frame.unique(["business_hours_id", "date"], keep="first", maintain_order=True)
    return conform("holidays", frame.sort("business_hours_id", "date")).collect()


def utc_offsets(first_day: int, n_days: int) -> np.ndarray:
    """Local-minus-UTC minutes per (zone, day, local hour); days as epoch day numbers.

    Ambiguous local hours (autumn) take the earlier (summer-time) reading; a
    non-existent hour (spring gap) takes the offset of the hour before, so
    02:30 on the spring-forward day lands at 03:30 summer time.
    """
    day_sec = (np.arange(first_day, first_day + n_days, dtype=np.int64) * 86_400)[:, None]
    naive_sec = (day_sec + np.arange(24, dtype=np.int64)[None, :] * 3_600).ravel()
    naive = pl.Series(naive_sec * 1_000_000).cast(pl.Datetime("us"))
    out = np.empty((len(ZONES), n_days, 24), dtype=np.int64)
    for z, zone in enumerate(ZONES):
        aware = naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        utc_sec = aware.dt.epoch("s")
        offset_min = ((pl.Series(naive_sec) - utc_sec) // 60).fill_null(strategy="forward")
        out[z] = offset_min.to_numpy().reshape(n_days, 24)
    return out


def day_weights(first_day: int, n_days: int, holidays: pl.DataFrame, *, seasonal: bool = True) -> np.ndarray:
    """Relative case volume per (zone, local day): weekdays busy, weekends and holidays quiet.

    A seasonal swell peaks in February and dips in August; the last two
    weeks of December are quiet everywhere. With ``seasonal=False`` every
    day weighs the same.
    """
    if not seasonal:
        return np.ones((len(ZONES), n_days))
    days = np.arange(first_day, first_day + n_days, dtype=np.int64)
    weekday = (days + 3) % 7  # epoch day 0 was a Thursday; Monday = 0
    dates = days.astype("datetime64[D]")
    doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
    season = 1.0 + 0.22 * np.cos(2 * np.pi * (doy - 40) / 365.25)
    season = np.where(doy >= 350, season * 0.7, season)
    office = np.array([1.08, 1.05, 1.0, 0.98, 0.88, 0.22, 0.12])
    emea = np.array([1.08, 1.05, 1.0, 0.98, 0.9, 0.32, 0.1])
    always = np.array([1.05, 1.03, 1.0, 0.98, 0.92, 0.5, 0.45])
    weights = np.stack([office[weekday], emea[weekday], always[weekday]]) * season[None, :]
    for z, bh_id in ((0, "BH-US-EAST"), (1, "BH-EMEA")):
        hol = holidays.filter(pl.col("business_hours_id") == bh_id)["date"].to_numpy()
        hol_days = hol.astype("datetime64[D]").astype(np.int64) - first_day
        hol_days = hol_days[(hol_days >= 0) & (hol_days < n_days)]
        weights[z, hol_days] *= 0.25
    return weights
