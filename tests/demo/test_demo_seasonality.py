"""The demo's seasonality switch: off, every day weighs the same; on (the default), nothing changes."""

from __future__ import annotations

import datetime as dt

import polars as pl

from entitlement_core.cli import main
from entitlement_core.demo import DemoOptions, generate_demo
from entitlement_core.demo.calendars import day_weights, holidays_frame

TODAY = dt.date(2026, 5, 14)


def cases(**options) -> pl.DataFrame:
    frames = generate_demo(DemoOptions(cases=20_000, today=TODAY, **options))
    return pl.concat(f for name, f in frames if name == "cases")


def test_day_weights_switched_off_are_all_one():
    holidays = holidays_frame(2025, 2026)
    flat = day_weights(20_000, 400, holidays, seasonal=False)
    assert flat.shape == day_weights(20_000, 400, holidays).shape
    assert (flat == 1).all()
    seasonal = day_weights(20_000, 400, holidays)
    assert seasonal.min() < 0.2 < 1.2 < seasonal.max()


def weekend_share(frame: pl.DataFrame) -> float:
    weekday = frame.get_column("created_at").dt.weekday()
    return float((weekday >= 6).mean())


def test_without_seasonality_weekends_are_as_busy_as_weekdays():
    seasonal, flat = cases(), cases(seasonality=False)
    assert flat.height == seasonal.height
    assert weekend_share(seasonal) < 0.2
    assert abs(weekend_share(flat) - 2 / 7) < 0.03


def test_the_command_line_switch(tmp_path, capsys):
    db = str(tmp_path / "flat.duckdb")
    assert main(["demo", "--cases", "2000", "--today", "2026-05-14", "--no-seasonality", "--db", db]) == 0
    assert "no seasonality" in capsys.readouterr().out
