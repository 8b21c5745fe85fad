"""The backtest: ended terms predicted N days before their end, beside the straight line."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.forecast import (
    BACKTEST_COLUMNS,
    backtest,
    backtest_predictions,
    forecast_inputs,
)
from entitlement_core.forecast.backtest import parse_horizons
from entitlement_core.settings import Thresholds
from entitlement_core.usage import utilization
from tests.usage.factories import at, case, ent, plan, tables

AS_OF = at("2027-03-01T00:00Z")


def world():
    """Three 2026 terms (cap 10) with different paces, one in Berlin; one still running into 2027."""
    rows = []
    for k, (key, step) in enumerate((("E1", 9), ("E2", 30), ("E3", 20))):
        first = dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)
        moments = [(first + dt.timedelta(days=step * n + k)).isoformat() for n in range(365 // step)]
        rows += [case(f"{key}-{n:03d}", moment, entitlement_id=key) for n, moment in enumerate(moments)]
    months = [f"2026-{m:02d}" for m in range(6, 13)] + ["2027-01", "2027-02"]
    rows += [case(f"R-{n}", f"{m}-15T09:00Z", entitlement_id="RUN") for n, m in enumerate(months)]
    return tables(
        plans=[plan("Standard", cap=10.0), plan("Pro", cap=50.0)],
        business_hours=[{"business_hours_id": "BER", "timezone": "Europe/Berlin"}],
        entitlements=[
            ent("E1", plan="Standard"),
            ent("E2", plan="Standard", business_hours_id="BER"),
            ent("E3", plan="Standard", account_id="A3"),
            ent("RUN", plan="Standard", start="2026-06-01", end="2027-05-31"),  # not ended: left out
        ],
        cases=rows,
    )


@pytest.fixture(scope="module")
def predictions() -> pl.DataFrame:
    data = world()
    return backtest_predictions(forecast_inputs(data, as_of=AS_OF), as_of=AS_OF, horizons=(30, 90, 180))


def test_every_ended_term_at_every_horizon_by_both_methods(predictions):
    assert predictions.height == 3 * 3 * 2
    assert set(predictions.get_column("entitlement_id")) == {"E1", "E2", "E3"}
    assert predictions.select(pl.struct("horizon_days", "method", "entitlement_id").is_unique().all()).item()
    outcome = predictions.filter(pl.col("entitlement_id") == "E1").get_column("actual_at_end").unique()
    assert outcome.to_list() == [40.0]  # 40 cases every 9 days: ran out
    assert predictions.filter(pl.col("entitlement_id") == "E1").get_column("ran_out").all()


def test_the_straight_line_is_the_utilization_report_as_of_the_cutoff(predictions):
    data = world()
    line = predictions.filter(pl.col("method") == "straight_line")
    for row in line.iter_rows(named=True):
        cutoff = dt.datetime.combine(row["cutoff_date"], dt.time(23, 59, 59), tzinfo=dt.UTC)
        if row["entitlement_id"] == "E2":  # its day ends in Berlin, an hour or two earlier
            cutoff -= dt.timedelta(hours=2)
        util = utilization(data, as_of=cutoff, thresholds=Thresholds()).collect()
        expected = (
            util.filter(pl.col("entitlement_id") == row["entitlement_id"])
            .get_column("projected_at_end")
            .item()
        )
        assert row["predicted_at_end"] == pytest.approx(expected), row


def test_ours_reads_nothing_after_the_cutoff(predictions):
    data = world()
    # Twenty more cases for E3 in its last month change its outcome, not its predictions at 30 days or more.
    extra = [case(f"X{n}", f"2026-12-{n + 5:02d}T12:00Z", entitlement_id="E3") for n in range(20)]
    more = tables(
        plans=[plan("Standard", cap=10.0), plan("Pro", cap=50.0)],
        business_hours=[{"business_hours_id": "BER", "timezone": "Europe/Berlin"}],
        entitlements=world().entitlements.collect().to_dicts(),
        cases=[*data.cases.collect().to_dicts(), *extra],
    )
    again = backtest_predictions(forecast_inputs(more, as_of=AS_OF), as_of=AS_OF, horizons=(30, 90, 180))
    ours = lambda f: f.filter((pl.col("method") == "ours") & (pl.col("entitlement_id") == "E3"))  # noqa: E731
    assert (
        ours(again).get_column("actual_at_end").to_list()
        != ours(predictions).get_column("actual_at_end").to_list()
    )
    keep = ["horizon_days", "predicted_at_end", "p10", "p90", "predicted_run_out"]
    assert ours(again).select(keep).equals(ours(predictions).select(keep))


def test_terms_whose_end_was_never_recorded_are_left_out():
    data = world()
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # long after the data stop: RUN ended, its end unrecorded
    rows = backtest_predictions(forecast_inputs(data, as_of=later), as_of=later, horizons=(30,))
    assert set(rows.get_column("entitlement_id")) == {"E1", "E2", "E3"}


def test_scores_one_row_per_horizon_and_method():
    data = world()
    scores = backtest(forecast_inputs(data, as_of=AS_OF), as_of=AS_OF, horizons=(90, 30))
    assert scores.columns == list(BACKTEST_COLUMNS)
    assert scores.select("horizon_days", "method").rows() == [
        (30, "ours"), (30, "straight_line"), (90, "ours"), (90, "straight_line"),
    ]  # fmt: skip
    assert scores.get_column("terms").to_list() == [3, 3, 3, 3]
    assert scores.filter(pl.col("method") == "straight_line").get_column("band_coverage").is_null().all()
    ours = scores.filter(pl.col("method") == "ours")
    assert ours.get_column("band_coverage").is_between(0, 1).all()
    assert (scores.get_column("mae_units") == scores.get_column("mae_cases")).all()  # cases only here
    assert scores.get_column("mae_hours").is_null().all()


def test_scores_by_hand():
    rows = pl.DataFrame(
        {
            "horizon_days": [30] * 4,
            "method": ["ours"] * 4,
            "entitlement_id": ["A", "B", "C", "D"],
            "usage_type": ["cases", "cases", "hours", "hours"],
            "cap": [10.0, 10.0, 20.0, 20.0],
            "cutoff_date": [dt.date(2026, 1, 1)] * 4,
            "predicted_at_end": [12.0, 8.0, 19.0, 30.0],
            "p10": [10.0, 6.0, 15.0, 25.0],
            "p90": [14.0, 9.0, 22.0, 35.0],
            "predicted_run_out": [True, False, False, True],
            "actual_at_end": [11.0, 10.0, 18.0, 21.0],
            "ran_out": [True, True, False, True],
        }
    )
    from entitlement_core.forecast.backtest import _scores

    out = _scores(rows, (30,)).filter(pl.col("method") == "ours").row(0, named=True)
    assert out["mae_units"] == pytest.approx((1 + 2 + 1 + 9) / 4)
    assert out["mae_share_of_cap"] == pytest.approx((0.1 + 0.2 + 0.05 + 0.45) / 4)
    assert out["precision"] == 1.0 and out["recall"] == pytest.approx(2 / 3)
    assert out["band_coverage"] == pytest.approx(2 / 4)
    assert out["mae_cases"] == pytest.approx(1.5) and out["mae_hours"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30,90,180", (30, 90, 180)), ("180, 30", (30, 180)), ("7", (7,)), ([90, 30, 90], (30, 90))],
)
def test_parse_horizons(text, expected):
    assert parse_horizons(text) == expected


@pytest.mark.parametrize("text", ["", "30,x", "0", "-5", "30;90"])
def test_bad_horizons_are_refused_with_a_clear_message(text):
    with pytest.raises(ValueError, match="horizons"):
        parse_horizons(text)


def test_an_empty_database_gives_the_grid_with_no_terms():
    from entitlement_core.reports import run_report
    from entitlement_core.settings import Settings
    from entitlement_core.staging import Tables

    out = run_report("forecast-backtest", Tables.from_frames(), as_of=AS_OF, settings=Settings())
    assert out.height == 6 and out.get_column("terms").sum() == 0
    assert out.get_column("mae_units").is_null().all()
