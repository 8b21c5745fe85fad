"""Seasonality: weekly and yearly factors fitted on the past only, and exposure of day spans."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from entitlement_core.forecast.seasonality import fit_seasonality, to_days

EPOCH = dt.date(1970, 1, 1)
WEEK = np.array([1.2, 1.2, 1.2, 1.2, 1.2, 0.4, 0.2])  # Monday first
MONTHS = np.array([1.0, 1.4, 1.1, 1.0, 1.0, 0.9, 0.8, 0.6, 0.9, 1.0, 1.1, 1.0])


def epoch(d: dt.date) -> int:
    return (d - EPOCH).days


def world(n: int = 60, *, pattern: bool = True, usage: str = "cases", seed: int = 1):
    """``n`` two-year entitlements (2024-2025, UTC) with Poisson days shaped by WEEK x MONTHS."""
    rng = np.random.default_rng(seed)
    days = np.arange(epoch(dt.date(2024, 1, 1)), epoch(dt.date(2025, 12, 31)) + 1)
    dates = days.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(int) % 12
    shape = WEEK[(days + 3) % 7] * MONTHS[month] if pattern else np.ones(days.size)
    rates = rng.uniform(0.5, 3.0, n)
    counts = rng.poisson(rates[:, None] * shape[None, :])
    ent_rows, day_rows = np.nonzero(counts)
    ents = pl.DataFrame(
        {
            "entitlement_id": [f"E{k}" for k in range(n)],
            "timezone": ["UTC"] * n,
            "usage_type": [usage] * n,
            "start_date": [dt.date(2024, 1, 1)] * n,
            "end_date": [dt.date(2025, 12, 31)] * n,
        }
    )
    consumption = (days[day_rows], ent_rows.astype(np.int64), counts[ent_rows, day_rows].astype(float))
    span = (epoch(dt.date(2023, 12, 31)), epoch(dt.date(2026, 12, 31)))
    return ents, consumption, span


PROFILE = np.array([epoch(dt.date(2026, 1, 1))])


def test_weekly_and_yearly_patterns_are_recovered():
    ents, consumption, span = world()
    season = fit_seasonality(ents, consumption, PROFILE, span=span)
    weekly, yearly = season.weekly[0, 0], season.yearly[0]
    assert weekly / weekly.mean() == pytest.approx(WEEK / WEEK.mean(), rel=0.05)
    expected = MONTHS / (MONTHS @ np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) / 365.25)
    assert yearly == pytest.approx(expected, rel=0.05)


def test_no_pattern_gives_factors_near_one():
    ents, consumption, span = world(pattern=False)
    season = fit_seasonality(ents, consumption, PROFILE, span=span)
    assert season.weekly[0, 0] == pytest.approx(np.ones(7), rel=0.05)
    assert season.yearly[0] == pytest.approx(np.ones(12), rel=0.06)


def test_little_history_stays_close_to_one():
    ents, consumption, span = world(n=1)
    few = tuple(part[:15] for part in consumption)  # 44 cases in January 2024, nothing since
    season = fit_seasonality(ents, few, PROFILE, span=span)
    assert np.abs(season.weekly[0, 0] - 1).max() < 0.1
    assert np.abs(season.yearly[0] - 1).max() < 0.5  # January 1.4 where the raw data say 2.7
    raw = fit_seasonality(ents, few, PROFILE, span=span, shrink=0.0)
    assert raw.yearly[0][0] > 2.5


def test_switched_off_every_day_weighs_one():
    ents, consumption, span = world()
    season = fit_seasonality(ents, consumption, PROFILE, span=span, enabled=False)
    first, last = np.array([epoch(dt.date(2026, 2, 1))]), np.array([epoch(dt.date(2026, 2, 28))])
    assert season.exposure(np.zeros(1, int), np.zeros(1, int), first, last)[0] == pytest.approx(28)


def test_a_year_of_exposure_is_about_a_year_and_february_weighs_more_than_august():
    ents, consumption, span = world()
    season = fit_seasonality(ents, consumption, PROFILE, span=span)
    zero = np.zeros(1, int)

    def exposure(a: str, b: str) -> float:
        first, last = np.array([epoch(dt.date.fromisoformat(a))]), np.array([epoch(dt.date.fromisoformat(b))])
        return float(season.exposure(zero, zero, first, last)[0])

    assert exposure("2026-01-01", "2026-12-31") == pytest.approx(365, rel=0.01)
    assert exposure("2026-02-02", "2026-02-27") > 1.5 * exposure("2026-08-03", "2026-08-28")
    assert exposure("2026-03-05", "2026-03-04") == 0  # an empty span


def test_a_profile_reads_only_the_days_before_its_date():
    ents, consumption, span = world()
    day, ent, qty = consumption
    cut = epoch(dt.date(2025, 7, 1))
    later = day >= cut
    changed = (day, ent, np.where(later, qty * 3 + 5, qty))
    profiles = np.array([cut])
    first = fit_seasonality(ents, consumption, profiles, span=span)
    second = fit_seasonality(ents, changed, profiles, span=span)
    assert np.array_equal(first.weekly, second.weekly) and np.array_equal(first.yearly, second.yearly)
    assert np.array_equal(first.cum, second.cum)


def test_weekly_factors_are_per_time_zone_and_usage_type():
    cases, consumption, span = world()
    hours, flat, _ = world(pattern=False, usage="hours", seed=2)
    ents = pl.concat([cases, hours.with_columns(("H" + pl.col("entitlement_id")).alias("entitlement_id"))])
    day, ent, qty = consumption
    merged = (
        np.concatenate([day, flat[0]]),
        np.concatenate([ent, flat[1] + cases.height]),
        np.concatenate([qty, flat[2]]),
    )
    season = fit_seasonality(ents, merged, PROFILE, span=span)
    assert season.groups == ("UTC|cases", "UTC|hours")
    cases_week, hours_week = season.weekly[0]
    assert cases_week[6] < 0.4 * cases_week[0]
    assert hours_week[6] == pytest.approx(hours_week[0], rel=0.1)
    assert to_days(pl.Series([dt.date(1970, 1, 2)]))[0] == 1
