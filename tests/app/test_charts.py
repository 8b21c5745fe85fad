"""Chart functions (entitlement_core.charts), tested without Streamlit."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
import pytest

from entitlement_core import charts
from entitlement_core.charts import MILESTONE_COLORS, STATUS_COLORS


def _util(rows: list[tuple[str, float | None, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"status": pl.String, "pct_used": pl.Float64, "tier": pl.String, "region": pl.String},
        orient="row",
    )


def _bars(fig: go.Figure) -> dict[str, go.Bar]:
    return {t.name: t for t in fig.data}


def test_every_status_has_one_colour_and_label() -> None:
    from entitlement_core.sla import STATUS_ORDER as SLA_STATUSES
    from entitlement_core.usage import STATUS_ORDER as USAGE_STATUSES

    assert set(charts.STATUS_ORDER) == set(USAGE_STATUSES) == set(STATUS_COLORS) == set(charts.STATUS_LABELS)
    assert set(SLA_STATUSES) <= set(MILESTONE_COLORS)
    assert len(set(STATUS_COLORS.values())) == len(STATUS_COLORS)
    # Trouble looks the same on both kinds of chart.
    assert MILESTONE_COLORS["violated"] == STATUS_COLORS["over_cap"]
    assert MILESTONE_COLORS["met"] == STATUS_COLORS["healthy"]


@pytest.mark.parametrize(
    ("pct", "bucket"),
    [
        (0.0, "0–20%"),
        (0.19, "0–20%"),
        (0.2, "20–40%"),
        (0.79, "60–80%"),
        (0.8, "80–100%"),
        (1.0, "100%"),
        (1.2, "> 100%"),
    ],
)
def test_utilization_buckets(pct: float, bucket: str) -> None:
    got = charts.utilization_buckets(_util([("healthy", pct, "Pro", "NA")]))
    assert got["bucket"].to_list() == [bucket]


def test_utilization_histogram_stacks_statuses_in_their_colours() -> None:
    util = _util(
        [
            ("healthy", 0.1, "Pro", "NA"),
            ("healthy", 0.15, "Pro", "NA"),
            ("near_limit", 0.9, "Pro", "NA"),
            ("over_cap", 1.3, "Std", "NA"),
            ("expired", 0.5, "Std", "NA"),
            ("unlimited", None, "Ent", "NA"),
        ]
    )
    fig = charts.utilization_histogram(util)
    bars = _bars(fig)
    assert list(bars) == ["Over cap", "Near limit", "Healthy"]
    assert bars["Healthy"].marker.color == STATUS_COLORS["healthy"]
    assert bars["Over cap"].marker.color == STATUS_COLORS["over_cap"]
    assert list(bars["Healthy"].y) == [2]
    assert fig.layout.barmode == "stack"
    assert fig.layout.title.text == "Utilization of active capped entitlements"
    assert fig.layout.xaxis.title.text == "Share of allotment used"
    assert fig.layout.yaxis.title.text == "Entitlements"


def test_empty_inputs_give_a_figure_that_says_so() -> None:
    empty_util = _util([])
    for fig in (charts.utilization_histogram(empty_util), charts.utilization_heatmap(empty_util)):
        assert not fig.data
        assert "No active capped entitlements" in fig.layout.annotations[0].text
    trend = pl.DataFrame(
        schema={
            "milestone": pl.String,
            "period_start": pl.Date,
            "met": pl.Int64,
            "violated": pl.Int64,
            "compliance": pl.Float64,
        }
    )
    assert "No completed milestones" in charts.compliance_trend_chart(trend).layout.annotations[0].text


def test_heatmap_averages_pct_used_by_tier_and_region() -> None:
    util = _util(
        [
            ("healthy", 0.2, "Pro", "NA"),
            ("near_limit", 0.8, "Pro", "NA"),
            ("over_cap", 1.1, "Std", "EMEA"),
            ("not_started", 0.0, "Std", "NA"),
        ]
    )
    heat = charts.utilization_heatmap(util).data[0]
    assert list(heat.x) == ["EMEA", "NA"] and list(heat.y) == ["Pro", "Std"]
    assert heat.z[0][1] == pytest.approx(0.5)
    assert heat.z[1][0] == pytest.approx(1.1)
    assert heat.z[0][0] is None and heat.z[1][1] is None  # not_started is left out


def test_burndown_has_consumed_projection_and_cap() -> None:
    days = pl.DataFrame(
        {
            "date": [dt.date(2026, 1, d) for d in range(1, 11)],
            "consumed": [0.0, 4, 4, 6, 6, None, None, None, None, None],
            "projected_consumed": [None, None, None, None, 6.0, 7.2, 8.4, 9.6, 10.8, 12.0],
            "cap": [10.0] * 10,
        }
    )
    fig = charts.burndown_chart(days, as_of_date=dt.date(2026, 1, 5), unit="cases", title="Burn-down · E1")
    traces = {t.name: t for t in fig.data}
    assert list(traces) == ["Consumed", "Projection", "Cap"]
    assert list(traces["Consumed"].y) == [0, 4, 4, 6, 6]
    assert traces["Projection"].y[-1] == 12.0
    assert traces["Projection"].line.dash == "dash"
    assert list(traces["Cap"].y) == [10.0, 10.0]
    assert traces["Cap"].line.color == STATUS_COLORS["over_cap"]
    assert fig.layout.title.text == "Burn-down · E1"
    assert fig.layout.yaxis.title.text == "Cases used (cumulative)"
    assert fig.layout.shapes  # the as-of line


def test_burndown_draws_the_forecast_band_of_the_selected_entitlement() -> None:
    days = pl.DataFrame(
        {
            "date": [dt.date(2026, 1, d) for d in range(1, 11)],
            "consumed": [0.0, 4, 4, 6, 6, None, None, None, None, None],
            "projected_consumed": [None, None, None, None, 6.0, 7.2, 8.4, 9.6, 10.8, 12.0],
            "cap": [10.0] * 10,
            "expected_consumed": [None] * 4 + [6.0, 6.8, 7.6, 8.4, 9.2, 10.0],
            "band_p10": [None] * 4 + [6.0, 6.0, 7.0, 7.0, 8.0, 8.0],
            "band_p90": [None] * 4 + [6.0, 8.0, 9.0, 10.0, 11.0, 12.0],
        }
    )
    fig = charts.burndown_chart(days, as_of_date=dt.date(2026, 1, 5), unit="cases")
    traces = {t.name: t for t in fig.data}
    assert list(traces) == [
        "90th percentile", "Likely range (10-90%)", "Consumed", "Forecast (expected)",
        "Straight line (burn rate)", "Cap",
    ]  # fmt: skip
    band = traces["Likely range (10-90%)"]
    assert band.fill == "tonexty" and list(band.y) == [6.0, 6.0, 7.0, 7.0, 8.0, 8.0]
    assert list(traces["90th percentile"].y) == [6.0, 8.0, 9.0, 10.0, 11.0, 12.0]
    assert list(band.x) == [dt.date(2026, 1, d) for d in range(5, 11)]
    assert traces["Forecast (expected)"].y[-1] == 10.0


def test_burndown_of_an_unlimited_entitlement_has_no_cap_line() -> None:
    days = pl.DataFrame(
        {"date": [dt.date(2026, 1, 1)], "consumed": [1.0], "projected_consumed": [None], "cap": [None]},
        schema_overrides={"cap": pl.Float64, "projected_consumed": pl.Float64},
    )
    assert [t.name for t in charts.burndown_chart(days, as_of_date=dt.date(2026, 1, 1)).data] == ["Consumed"]


def test_compliance_trend_has_one_line_per_milestone() -> None:
    trend = pl.DataFrame(
        {
            "milestone": ["First Response", "First Response", "Resolution"],
            "period_start": [dt.date(2026, 1, 5), dt.date(2026, 1, 12), dt.date(2026, 1, 5)],
            "met": [9, 8, 3],
            "violated": [1, 2, 1],
            "compliance": [0.9, 0.8, 0.75],
        }
    )
    fig = charts.compliance_trend_chart(trend)
    assert [t.name for t in fig.data] == ["First Response", "Resolution"]
    assert list(fig.data[0].y) == [0.9, 0.8]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_compliance_heatmap_draws_the_compliance_of_two_dimensions() -> None:
    from entitlement_core.sla.compliance import from_counts

    counts = pl.DataFrame(
        {
            "milestone": ["FR", "FR", "FR"],
            "priority": ["High", "High", "Low"],
            "origin": ["Web", "Chat", "Web"],
            "met": [3, 1, 0],
            "violated": [1, 3, 0],
            "at_risk": [0, 0, 1],
            "open": [0, 0, 0],
            "paused": [0, 0, 0],
        }
    )
    # The chart draws the compliance computed once (met / (met + violated) over both origins).
    table = from_counts(counts, by=("milestone", "priority")).collect()
    heat = charts.compliance_heatmap(table).data[0]
    assert list(heat.x) == ["High", "Low"]
    assert heat.z[0][0] == pytest.approx(0.5)
    assert heat.z[0][1] is None  # nothing decided


def test_margin_chart_colours_met_and_violated() -> None:
    bins = pl.DataFrame(
        {"margin_hours": [-2.0, 1.0, 3.0], "status": ["violated", "met", "met"], "instances": [4, 10, 6]}
    )
    bars = _bars(charts.margin_chart(bins))
    assert bars["Met"].marker.color == MILESTONE_COLORS["met"]
    assert bars["Violated"].marker.color == MILESTONE_COLORS["violated"]
    assert list(bars["Met"].y) == [10, 6]


def test_shortfall_chart_shows_the_top_candidates_of_one_unit_largest_first() -> None:
    cands = pl.DataFrame(
        {
            "entitlement_id": [f"E{i}" for i in range(20)],
            "account_name": [f"Acct {i}" for i in range(20)],
            "account_id": [f"A{i}" for i in range(20)],
            "expected_shortfall": [float(i) for i in range(20)],
            "projected_p10": [float(i) for i in range(20)],
            "projected_p90": [float(2 * i) for i in range(20)],
            "prob_run_out": [0.9] * 20,
            "unit": ["cases"] * 18 + ["hours"] * 2,
            "status": ["over_cap", "near_limit"] * 10,
            "recommended_plan": ["Pro"] * 20,
            "owner": ["Olu"] * 20,
        }
    )
    fig = charts.shortfall_chart(cands, unit="cases", top=5)
    shown = sorted(x for t in fig.data for x in t.x)
    assert shown == [13.0, 14.0, 15.0, 16.0, 17.0]  # the two hours rows are another chart's
    assert {t.marker.color for t in fig.data} == {STATUS_COLORS["over_cap"], STATUS_COLORS["near_limit"]}
    assert list(fig.layout.yaxis.categoryarray)[-1] == "Acct 17 · E17"  # largest on top
    assert "(cases)" in fig.layout.xaxis.title.text
    assert "10-90%" in fig.data[0].hovertemplate
    hours = charts.shortfall_chart(cands, unit="hours")
    assert sorted(x for t in hours.data for x in t.x) == [18.0, 19.0]
    assert "(hours)" in hours.layout.xaxis.title.text


def test_renewal_history_and_consumption_charts() -> None:
    history = pl.DataFrame(
        {
            "term_label": ["2025", "2026"],
            "pct_used": [0.7, 1.1],
            "status": ["expired", "over_cap"],
            "consumed": [7.0, 11.0],
            "cap": [10.0, 10.0],
        }
    )
    fig = charts.renewal_history_chart(history)
    assert [t.name for t in fig.data] == ["Over cap", "Expired"]
    assert fig.layout.yaxis.tickformat == ".0%"
    weekly = pl.DataFrame(
        {"week_start": [dt.date(2026, 1, 5)] * 2, "entitlement_id": ["E1", "E2"], "consumed": [3.0, 1.0]}
    )
    fig = charts.consumption_chart(weekly, color_by="entitlement_id", unit="cases")
    assert [t.name for t in fig.data] == ["E1", "E2"]
    assert fig.layout.yaxis.title.text == "Cases"


@pytest.mark.parametrize(
    ("status", "label"),
    [("near_limit", "Near limit"), ("at_risk", "At risk"), ("other_thing", "Other thing"), (None, "")],
)
def test_status_label(status: str | None, label: str) -> None:
    assert charts.status_label(status) == label
