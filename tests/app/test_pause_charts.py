"""Charts of the pause audit: plain figures of small frames, tested without Streamlit."""

from __future__ import annotations

import datetime as dt

import polars as pl

from entitlement_core import charts


def test_weekly_paused_share_is_one_line_with_cases_on_hover() -> None:
    weeks = pl.DataFrame(
        {
            "week_start": [dt.date(2026, 6, 8), dt.date(2026, 6, 1)],
            "paused_share": [0.25, 0.1],
            "paused_cases": [3, 1],
            "cases": [10, 8],
            "over_threshold": [1, 0],
        }
    )
    fig = charts.pause_trend_chart(weeks)
    (line,) = fig.data
    assert list(line.x) == [dt.date(2026, 6, 1), dt.date(2026, 6, 8)]  # in order of weeks
    assert list(line.y) == [0.1, 0.25]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_paused_share_by_status_is_a_bar_per_status() -> None:
    by_status = pl.DataFrame(
        {"status": ["On Hold", "Waiting on Customer"], "cases": [2, 5], "paused_minutes": [60.0, 600.0],
         "paused_share": [0.01, 0.1]}
    )  # fmt: skip
    (bars,) = charts.pause_status_chart(by_status).data
    assert list(bars.y) == ["On Hold", "Waiting on Customer"] and list(bars.x) == [0.01, 0.1]


def test_empty_frames_say_so() -> None:
    empty_weeks = pl.DataFrame(schema={"week_start": pl.Date, "paused_share": pl.Float64})
    assert "No SLA time" in charts.pause_trend_chart(empty_weeks).layout.annotations[0].text
    empty_status = pl.DataFrame(schema={"status": pl.String, "paused_share": pl.Float64})
    assert "No clock was paused" in charts.pause_status_chart(empty_status).layout.annotations[0].text
