"""Business minutes and targets (EXAMPLES.md 11-15 and the calendar edge cases), table-driven."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.sla import BusinessCalendars

from .factories import UTC, calendar_tables, calendars_for, local, utc_series


def ber(*parts: int) -> dt.datetime:
    return local("Europe/Berlin", *parts)


def nyc(*parts: int) -> dt.datetime:
    return local("America/New_York", *parts)


def kol(*parts: int) -> dt.datetime:
    return local("Asia/Kolkata", *parts)


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# (case, calendar, start, end, expected business minutes)
ELAPSED = [
    ("ex13 Saturday start", "berlin", ber(2026, 6, 13, 11), ber(2026, 6, 15, 9, 45), 45),
    ("ex14 DST began on Sunday", "berlin", ber(2026, 3, 27, 16), ber(2026, 3, 30, 10), 120),
    ("ex15 holiday Friday", "berlin", ber(2026, 12, 24, 16), ber(2026, 12, 28, 10), 120),
    ("Friday evening to Monday", "berlin", ber(2026, 6, 12, 18), ber(2026, 6, 15, 9, 30), 30),
    ("Sunday start, whole Monday", "berlin", ber(2026, 6, 14, 10), ber(2026, 6, 15, 17), 480),
    ("weekend only", "berlin", ber(2026, 6, 13, 8), ber(2026, 6, 14, 20), 0),
    ("Berlin fall-back weekend", "berlin", ber(2026, 10, 23, 16), ber(2026, 10, 26, 10), 120),
    ("NY spring-forward weekend", "ny", nyc(2026, 3, 6, 16), nyc(2026, 3, 9, 10), 360),
    ("NY fall-back weekend", "ny", nyc(2026, 10, 30, 16), nyc(2026, 11, 2, 10), 360),
    ("NY holiday Friday July 3", "ny", nyc(2026, 7, 2, 16), nyc(2026, 7, 6, 10), 360),
    ("Saturday half day", "ny", nyc(2026, 6, 13, 12), nyc(2026, 6, 15, 10), 120),
    ("all day, NY spring forward: 47 h", "ny_all_day", nyc(2026, 3, 7, 12), nyc(2026, 3, 9, 12), 2820),
    ("all day, NY fall back: 49 h", "ny_all_day", nyc(2026, 10, 31, 12), nyc(2026, 11, 2, 12), 2940),
    ("all day, Berlin spring", "berlin_all_day", ber(2026, 3, 28, 12), ber(2026, 3, 30, 12), 2820),
    ("all day, Berlin fall", "berlin_all_day", ber(2026, 10, 24, 12), ber(2026, 10, 26, 12), 2940),
    ("Kolkata half-hour offset, full day", "kolkata", kol(2026, 6, 15, 9, 30), kol(2026, 6, 15, 18, 30), 540),
    ("Kolkata Friday to Monday", "kolkata", kol(2026, 6, 12, 18), kol(2026, 6, 15, 10), 60),
    ("24x7 (no calendar)", None, utc(2026, 6, 12, 16), utc(2026, 6, 15, 10), 3960),
    ("unknown calendar is 24x7", "nope", utc(2026, 6, 12, 16), utc(2026, 6, 12, 17), 60),
    ("gap: opens 02:30 EST = 03:30 EDT", "ny_sun_0230", nyc(2026, 3, 8), nyc(2026, 3, 9), 1230),
    ("same hours on a plain Sunday", "ny_sun_0230", nyc(2026, 3, 1), nyc(2026, 3, 2), 1290),
    ("ambiguous: opens 01:30 EDT (earliest)", "ny_sun_0130", nyc(2026, 11, 1), nyc(2026, 11, 2), 1410),
    ("seconds give fractions", "berlin", ber(2026, 6, 15, 9), ber(2026, 6, 15, 9, 0, 30), 0.5),
    ("never open", "never", ber(2026, 6, 1), ber(2026, 6, 30), 0),
    ("end before start is negative", "berlin", ber(2026, 6, 15, 10), ber(2026, 6, 15, 9), -60),
]  # fmt: skip

# (case, calendar, start, target minutes, expected target_at; None = no target)
TARGETS = [
    ("ex11 Friday 16:00 + 120", "berlin", ber(2026, 6, 12, 16), 120, ber(2026, 6, 15, 10)),
    ("ex12 ends at closing time", "berlin", ber(2026, 6, 11, 15), 120, ber(2026, 6, 11, 17)),
    ("a whole day ends at 17:00, not next 09:00", "berlin", ber(2026, 6, 15, 9), 480, ber(2026, 6, 15, 17)),
    ("Saturday start", "berlin", ber(2026, 6, 13, 11), 45, ber(2026, 6, 15, 9, 45)),
    ("zero minutes while closed = start", "berlin", ber(2026, 6, 13, 11), 0, ber(2026, 6, 13, 11)),
    ("across DST start (Berlin)", "berlin", ber(2026, 3, 27, 16), 120, ber(2026, 3, 30, 10)),
    ("across DST end (NY)", "ny", nyc(2026, 10, 30, 16), 360, nyc(2026, 11, 2, 10)),
    ("into the Saturday half day", "ny", nyc(2026, 6, 12, 16), 120, nyc(2026, 6, 13, 10)),
    ("out of the Saturday half day", "ny", nyc(2026, 6, 13, 12), 120, nyc(2026, 6, 15, 10)),
    ("over the NY holiday", "ny", nyc(2026, 7, 2, 16), 360, nyc(2026, 7, 6, 10)),
    ("over the Berlin holiday", "berlin", ber(2026, 12, 24, 16), 120, ber(2026, 12, 28, 10)),
    ("Kolkata", "kolkata", kol(2026, 6, 15, 18), 60, kol(2026, 6, 16, 10)),
    ("24x7", None, utc(2026, 6, 12, 16), 90, utc(2026, 6, 12, 17, 30)),
    ("all day over spring forward", "ny_all_day", nyc(2026, 3, 7, 12), 2820, nyc(2026, 3, 9, 12)),
    ("fraction of a minute", "berlin", ber(2026, 6, 15, 9), 0.5, ber(2026, 6, 15, 9, 0, 30)),
    ("30 business days, holiday inside", "berlin", ber(2026, 12, 7, 9), 14400, ber(2027, 1, 18, 17)),
    ("never open: no target", "never", ber(2026, 6, 1), 60, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"), [c[1:] for c in ELAPSED], ids=[c[0] for c in ELAPSED]
)
def test_business_minutes(
    calendar: str | None, start: dt.datetime, end: dt.datetime, expected: float
) -> None:
    cal = calendars_for(min(start, end), max(start, end))
    got = cal.minutes_between(pl.Series([calendar], dtype=pl.String), utc_series([start]), utc_series([end]))
    assert got.to_list() == [expected]


@pytest.mark.parametrize(
    ("calendar", "start", "minutes", "expected"), [c[1:] for c in TARGETS], ids=[c[0] for c in TARGETS]
)
def test_target_at(
    calendar: str | None, start: dt.datetime, minutes: float, expected: dt.datetime | None
) -> None:
    cal = calendars_for(start, start, horizon_minutes=minutes)
    got = cal.add_minutes(pl.Series([calendar], dtype=pl.String), utc_series([start]), pl.Series([minutes]))
    assert got.to_list() == [expected]


def test_every_case_in_one_frame_with_mixed_calendars() -> None:
    """One vectorised call over rows naming different calendars gives the same answers."""
    frame = pl.DataFrame(
        {
            "business_hours_id": [c[1] for c in ELAPSED],
            "started_at": utc_series([c[2] for c in ELAPSED]),
            "ended_at": utc_series([c[3] for c in ELAPSED]),
        }
    )
    moments = pl.concat([frame["started_at"], frame["ended_at"]])
    cal = calendars_for(moments.min(), moments.max())  # type: ignore[arg-type]
    got = cal.minutes_between(frame["business_hours_id"], frame["started_at"], frame["ended_at"])
    assert got.to_list() == [c[4] for c in ELAPSED]

    starts = utc_series([c[2] for c in TARGETS])
    cal = calendars_for(starts.min(), starts.max(), horizon_minutes=14400)  # type: ignore[arg-type]
    targets = cal.add_minutes(
        pl.Series([c[1] for c in TARGETS]), starts, pl.Series([float(c[3]) for c in TARGETS])
    )
    assert targets.to_list() == [c[4] for c in TARGETS]


def test_elapsed_to_target_is_the_target() -> None:
    """Invariant: business minutes from start to target_at equal the target."""
    start = utc_series([ber(2026, 3, 20, 8) + dt.timedelta(minutes=97 * i) for i in range(300)])
    ids = pl.Series(["berlin", "ny", "kolkata", "ny_all_day", None] * 60)
    minutes = pl.Series([(i * 37) % 2000 for i in range(300)], dtype=pl.Int64)
    cal = calendars_for(start.min(), start.max(), horizon_minutes=2000)  # type: ignore[arg-type]
    target = cal.add_minutes(ids, start, minutes)
    assert cal.minutes_between(ids, start, target).to_list() == minutes.cast(pl.Float64).to_list()


def test_nulls_give_nulls() -> None:
    start = ber(2026, 6, 15, 9)
    cal = calendars_for(start, start, horizon_minutes=60)
    ids = pl.Series(["berlin", "berlin", None])
    starts, ends = utc_series([start, None, start]), utc_series([None, start, None])
    assert cal.minutes_between(ids, starts, ends).to_list() == [None, None, None]
    got = cal.add_minutes(ids, starts, pl.Series([None, 60, None], dtype=pl.Int64))
    assert got.to_list() == [None, None, None]


def test_negative_minutes_count_as_zero() -> None:
    start = ber(2026, 6, 13, 11)
    cal = calendars_for(start, start)
    assert cal.add_minutes(pl.Series(["berlin"]), utc_series([start]), pl.Series([-5])).to_list() == [start]


def test_moments_outside_the_built_range_are_refused() -> None:
    business_hours, holidays = calendar_tables("berlin")
    cal = BusinessCalendars.build(
        business_hours, holidays, start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 30)
    )
    inside, outside = ber(2026, 6, 10, 9), ber(2026, 8, 1, 9)
    assert cal.minutes_between(
        pl.Series(["berlin"]), utc_series([inside]), utc_series([inside])
    ).to_list() == [0]
    with pytest.raises(ValueError, match="outside the calendars' range"):
        cal.minutes_between(pl.Series(["berlin"]), utc_series([inside]), utc_series([outside]))


def test_covering_extends_until_long_targets_fit() -> None:
    start = ber(2026, 12, 7, 9)
    cal = calendars_for(start, start, horizon_minutes=100_000)
    assert cal.covered_to > ber(2027, 12, 1)
    got = cal.add_minutes(pl.Series(["berlin"]), utc_series([start]), pl.Series([100_000]))
    assert got.null_count() == 0


def test_ids_may_be_categorical() -> None:
    start, end = ber(2026, 6, 12, 16), ber(2026, 6, 15, 10)
    cal = calendars_for(start, end)
    ids = pl.Series(["berlin", None]).cast(pl.Categorical)
    got = cal.minutes_between(ids, utc_series([start, start]), utc_series([end, end]))
    assert got.to_list() == [120, 3960]


def test_frame_helpers_build_what_they_need() -> None:
    from entitlement_core.sla import business_minutes, target_at

    business_hours, holidays = calendar_tables()
    frame = pl.DataFrame(
        {
            "business_hours_id": ["berlin", "kolkata", None, "berlin"],
            "started_at": utc_series(
                [ber(2026, 6, 13, 11), kol(2026, 6, 12, 18), utc(2026, 6, 12, 16), None]
            ),
            "ended_at": utc_series(
                [ber(2026, 6, 15, 9, 45), kol(2026, 6, 15, 10), utc(2026, 6, 15, 10), None]
            ),
            "target_minutes": [45, 60, 120, 10],
        }
    )
    got = business_minutes(frame, business_hours, holidays, start="started_at", end="ended_at")
    assert got.to_list() == [45, 60, 3960, None]
    targets = target_at(frame, business_hours, holidays, start="started_at", minutes="target_minutes")
    assert targets.to_list() == [ber(2026, 6, 15, 9, 45), kol(2026, 6, 15, 10), utc(2026, 6, 12, 18), None]
