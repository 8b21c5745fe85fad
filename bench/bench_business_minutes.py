"""Benchmark: business minutes between N random (start, end) pairs.

Ours: :class:`entitlement_core.sla.BusinessCalendars` over 3 calendars
(America/New_York with a Saturday half day and holidays, Europe/Berlin with
holidays, Asia/Kolkata), every row naming its calendar. Baseline, in the
same run: a closed-form vectorised Polars formula for one Mon-Fri
09:00-17:00 calendar in a fixed-offset zone (UTC+01:00) with no holidays.
The baseline's exactness is checked against ours on that same calendar.

Paused variant: every pair gets 1-3 pauses (non-overlapping, inside the
pair), and ours measures the stopped clock (elapsed without the paused
business time, and the paused time) with
:func:`entitlement_core.sla.clock.stopped_clock`; its baseline is the same
closed form applied to the pair and to each pause (elapsed minus the pauses'
business time, summed per pair). The figure to watch is the paused ratio
over the unpaused ratio, both measured in this run.

Usage::

    python bench/bench_business_minutes.py --pairs 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from entitlement_core.sla import BusinessCalendars
from entitlement_core.sla.clock import stopped_clock
from entitlement_core.staging import conform

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
FIRST = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
LAST = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _hours(start: str, end: str, days: tuple[str, ...] = WEEKDAYS) -> dict[str, list[str]]:
    return {f"{d}_{edge}": [value] for d in days for edge, value in (("start", start), ("end", end))}


def calendars() -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Three calendars with DST, holidays and a Saturday half day, plus the fixed-offset one."""
    rows = [
        {"business_hours_id": ["ny"], "timezone": ["America/New_York"], **_hours("08:00", "18:00")}
        | {"sat_start": ["09:00"], "sat_end": ["13:00"]},
        {"business_hours_id": ["berlin"], "timezone": ["Europe/Berlin"], **_hours("09:00", "17:00")},
        {"business_hours_id": ["kolkata"], "timezone": ["Asia/Kolkata"], **_hours("09:30", "18:30")},
        {"business_hours_id": ["fixed"], "timezone": ["Etc/GMT-1"], **_hours("09:00", "17:00")},
    ]
    business_hours = pl.concat([conform("business_hours", r) for r in rows])
    holiday_dates = {
        "ny": ["01-01", "05-26", "07-04", "09-01", "11-27", "12-25"],
        "berlin": ["01-01", "04-18", "04-21", "05-01", "10-03", "12-24", "12-25", "12-26"],
        "kolkata": ["01-26", "08-15", "10-02"],
    }
    holidays = conform(
        "holidays",
        {
            "business_hours_id": [c for c, days in holiday_dates.items() for _ in days for _ in (2025, 2026)],
            "date": [
                dt.date.fromisoformat(f"{year}-{day}")
                for days in holiday_dates.values()
                for day in days
                for year in (2025, 2026)
            ],
        },
    )
    return business_hours, holidays


def pairs(n: int, seed: int) -> pl.DataFrame:
    """N random pairs over two years, ends up to 14 days after starts, random calendar per row."""
    rng = np.random.default_rng(seed)
    lo = int(FIRST.timestamp()) * 1_000_000
    hi = int(LAST.timestamp()) * 1_000_000 - 15 * DAY_US
    start = rng.integers(lo, hi, n, dtype=np.int64)
    end = start + rng.integers(0, 14 * DAY_US, n, dtype=np.int64)
    ids = np.array(["ny", "berlin", "kolkata"])[rng.integers(0, 3, n)]
    utc = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "business_hours_id": ids,
            "start_at": pl.Series(start).cast(utc),
            "end_at": pl.Series(end).cast(utc),
        }
    )


def pauses(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """1-3 pauses per pair, inside it, in order, not overlapping: ``row``, ``paused_from``, ``paused_to``."""
    rng = np.random.default_rng([seed, 1])
    n = frame.height
    start = frame["start_at"].dt.epoch("us").to_numpy()
    span = frame["end_at"].dt.epoch("us").to_numpy() - start
    points = np.sort(rng.random((n, 6)), axis=1)
    edges = start[:, None] + np.floor(points * span[:, None]).astype(np.int64)
    count = rng.integers(1, 4, n)
    row, k = np.nonzero(np.arange(3)[None, :] < count[:, None])
    utc = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "row": row.astype(np.int64),
            "paused_from": pl.Series(edges[row, 2 * k]).cast(utc),
            "paused_to": pl.Series(edges[row, 2 * k + 1]).cast(utc),
        }
    )


def closed_form_paused(
    start: np.ndarray, end: np.ndarray, row: np.ndarray, p: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """The closed form with pauses: the pair's business minutes less each pause's, summed per pair."""
    paused = np.bincount(row, weights=closed_form_numpy(p, q), minlength=len(start))
    return closed_form_numpy(start, end) - paused


def _total(local: pl.Expr) -> pl.Expr:
    """Business microseconds of Mon-Fri 09:00-17:00 from the epoch week to local time ``local``."""
    day = local // DAY_US
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    time_of_day = local - day * DAY_US
    today = (time_of_day - 9 * HOUR_US).clip(0, 8 * HOUR_US) * (weekday < 5)
    return (day + 3) // 7 * (40 * HOUR_US) + weekday.clip(upper_bound=5) * (8 * HOUR_US) + today


def closed_form_us(start: str, end: str, *, offset_us: int = HOUR_US) -> pl.Expr:
    """Business microseconds for Mon-Fri 09:00-17:00 in a fixed-offset zone, no holidays (Polars)."""
    local = [pl.col(c).dt.epoch("us") + offset_us for c in (start, end)]
    return (_total(local[1]) - _total(local[0])).alias("elapsed_us")


def closed_form(start: str, end: str, *, offset_us: int = HOUR_US) -> pl.Expr:
    """Business minutes for Mon-Fri 09:00-17:00 in a fixed-offset zone, no holidays (Polars)."""
    return (closed_form_us(start, end, offset_us=offset_us) / MINUTE_US).alias("elapsed_minutes")


def closed_form_numpy(start: np.ndarray, end: np.ndarray, *, offset_us: int = HOUR_US) -> np.ndarray:
    """The same closed form in NumPy on epoch microseconds, in place where it can be."""

    def total(t: np.ndarray) -> np.ndarray:
        day = t + offset_us
        time_of_day = np.empty_like(day)
        np.floor_divide(day, DAY_US, out=day)
        np.multiply(day, DAY_US, out=time_of_day)
        np.subtract(t + offset_us, time_of_day, out=time_of_day)
        day += 3
        weekday = np.remainder(day, 7)
        day //= 7  # whole weeks since the Monday before the epoch
        time_of_day -= 9 * HOUR_US
        np.clip(time_of_day, 0, 8 * HOUR_US, out=time_of_day)
        time_of_day *= weekday < 5
        np.minimum(weekday, 5, out=weekday)
        weekday *= 8 * HOUR_US
        day *= 40 * HOUR_US
        day += weekday
        day += time_of_day
        return day

    elapsed = total(end)
    elapsed -= total(start)
    return elapsed / MINUTE_US


def best_of(repeat: int, *fns: Callable[[], object]) -> list[tuple[float, object]]:
    """Best wall time of each function over ``repeat`` rounds, run in turn (fair under varying load)."""
    best = [float("inf")] * len(fns)
    results: list[object] = [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            began = time.perf_counter()
            results[i] = fn()
            best[i] = min(best[i], time.perf_counter() - began)
    return list(zip(best, results, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    business_hours, holidays = calendars()
    frame = pairs(args.pairs, args.seed)
    ((build_s, built),) = best_of(
        args.repeat,
        lambda: BusinessCalendars.covering(business_hours, holidays, first_at=FIRST, last_at=LAST),
    )
    cal: BusinessCalendars = built  # type: ignore[assignment]
    start_us = frame["start_at"].dt.epoch("us").to_numpy()
    end_us = frame["end_at"].dt.epoch("us").to_numpy()
    minutes = pl.Series(np.full(args.pairs, 240))
    (polars_s, _), (numpy_s, _), (ours_s, ours), (target_s, _) = best_of(
        args.repeat,
        lambda: frame.select(closed_form("start_at", "end_at")),
        lambda: closed_form_numpy(start_us, end_us),
        lambda: cal.minutes_between(frame["business_hours_id"], frame["start_at"], frame["end_at"]),
        lambda: cal.add_minutes(frame["business_hours_id"], frame["start_at"], minutes),
    )
    baseline_s = min(polars_s, numpy_s)

    stops = pauses(frame, args.seed)
    p_us, q_us = (stops[c].dt.epoch("us").to_numpy() for c in ("paused_from", "paused_to"))
    row = stops["row"].to_numpy()
    ids = frame["business_hours_id"]
    (paused_base_s, _), (paused_s, paused), (paused_target_s, _) = best_of(
        args.repeat,
        lambda: closed_form_paused(start_us, end_us, row, p_us, q_us),
        lambda: stopped_clock(cal, ids, frame["start_at"], frame["end_at"], pauses=stops),
        lambda: stopped_clock(cal, ids, frame["start_at"], frame["end_at"], pauses=stops, minutes=minutes),
    )

    # Exactness: on the fixed-offset calendar both agree to the microsecond.
    fixed = pl.Series(["fixed"] * args.pairs)
    expected = frame.select(closed_form_us("start_at", "end_at")).to_series()
    got = (cal.minutes_between(fixed, frame["start_at"], frame["end_at"]) * MINUTE_US).round().cast(pl.Int64)
    exact = bool((got == expected).all())
    fixed_clock = stopped_clock(cal, fixed, frame["start_at"], frame["end_at"], pauses=stops)
    paused_exact = bool(
        np.array_equal(
            np.rint(fixed_clock.elapsed_minutes.to_numpy() * MINUTE_US),
            np.rint(closed_form_paused(start_us, end_us, row, p_us, q_us) * MINUTE_US),
        )
    )
    ratio = ours_s / baseline_s
    paused_ratio = paused_s / paused_base_s

    print(f"pairs:                {args.pairs:,}")
    print(f"calendar build:       {build_s:.3f} s ({cal.intervals.height:,} open intervals)")
    print(f"baseline seconds:     {baseline_s:.3f}  (closed form, 1 fixed-offset calendar; best of")
    print(f"                             Polars {polars_s:.3f} s and NumPy {numpy_s:.3f} s)")
    print(f"ours seconds:         {ours_s:.3f}  (3 calendars: DST zones, holidays, Saturday half day)")
    print(f"ratio:                {ratio:.2f}x")
    print(f"ours + build ratio:   {(ours_s + build_s) / baseline_s:.2f}x")
    print(f"target_at seconds:    {target_s:.3f}  ({target_s / baseline_s:.2f}x baseline, 240 minutes)")
    print(f"exact vs closed form: {exact}  (fixed-offset calendar, every pair, in microseconds)")
    print(f"mean elapsed:         {ours.mean():.1f} business minutes")  # type: ignore[union-attr]
    print()
    print(f"paused variant:       {stops.height:,} pauses (1-3 per pair)")
    print(f"paused baseline:      {paused_base_s:.3f} s  (closed form on pairs and pauses, NumPy)")
    print(f"paused ours:          {paused_s:.3f} s  (stopped clock: elapsed, paused minutes)")
    print(f"paused ratio:         {paused_ratio:.2f}x")
    print(
        f"paused / unpaused:    {paused_ratio / ratio:.2f}  (ratio over ratio; ours {paused_s / ours_s:.2f}x"
    )
    print("                             the unpaused time)")
    target_ratio = paused_target_s / paused_base_s
    print(f"paused target_at:     {paused_target_s:.3f} s  ({target_ratio:.2f}x paused baseline)")
    print(f"paused exact:         {paused_exact}  (fixed-offset calendar, every pair, in microseconds)")
    print(f"mean paused:          {paused.paused_minutes.mean():.1f} business minutes")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
