"""Acceptance on the demo database: the forecaster beats the straight line, its band is calibrated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.cli import main
from entitlement_core.demo import build_demo
from entitlement_core.forecast import forecast, forecast_inputs
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

TODAY = dt.date(2026, 6, 30)
AS_OF = dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """A 200,000-case demo (seed 7), built once for this module."""
    path = tmp_path_factory.mktemp("forecast") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, cases=200_000, seed=7, today=TODAY)
    return path


@pytest.fixture(scope="module")
def scores(demo_db: Path) -> pl.DataFrame:
    with Store(demo_db) as store:
        return run_report("forecast-backtest", load_tables(store), as_of=AS_OF, settings=Settings())


@pytest.mark.slow
@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_ours_beats_the_straight_line_on_error_and_precision(scores: pl.DataFrame, horizon: int):
    rows = {r["method"]: r for r in scores.filter(pl.col("horizon_days") == horizon).iter_rows(named=True)}
    ours, line = rows["ours"], rows["straight_line"]
    assert ours["terms"] == line["terms"] > 900
    assert ours["mae_units"] < line["mae_units"]
    assert ours["mae_share_of_cap"] < line["mae_share_of_cap"]
    assert ours["precision"] > line["precision"]
    assert 0.7 <= ours["band_coverage"] <= 0.9


@pytest.mark.slow
def test_upsell_worthy_young_terms_rest_on_a_prior(demo_db: Path):
    """No term a few weeks old projects a shortfall from its own days alone."""
    with Store(demo_db) as store:
        inputs = forecast_inputs(load_tables(store), as_of=AS_OF)
    out = forecast(inputs, as_of=AS_OF).collect()
    running = out.filter(pl.col("days_left") > 0, pl.col("prob_run_out") > 0)
    young = running.filter(pl.col("own_days") < 21)
    assert young.height > 0
    assert (young.get_column("prior_source") != "none").all()
    assert (young.get_column("weight_own") < 0.5).all()
    top = running.sort("expected_shortfall", descending=True).head(20)
    assert top.get_column("is_founded").all()


def test_report_from_the_command_line(tmp_path: Path, capsys):
    db = str(tmp_path / "small.duckdb")
    assert main(["demo", "--cases", "20000", "--today", "2026-06-30", "--db", db]) == 0
    capsys.readouterr()
    out = tmp_path / "backtest.csv"
    code = main(["report", "forecast-backtest", "--horizons", "30,90", "--as-of", "2026-06-30",
                 "--db", db, "--out", str(out)])  # fmt: skip
    assert code == 0
    frame = pl.read_csv(out)
    assert frame.columns[:8] == [
        "horizon_days", "method", "terms", "mae_units", "mae_share_of_cap", "precision", "recall",
        "band_coverage",
    ]  # fmt: skip
    assert frame.select("horizon_days", "method").rows() == [
        (30, "ours"), (30, "straight_line"), (90, "ours"), (90, "straight_line"),
    ]  # fmt: skip


def test_horizons_belong_to_the_backtest_only(tmp_path: Path):
    with pytest.raises(SystemExit) as info:
        main(["report", "utilization", "--horizons", "30", "--db", str(tmp_path / "x.duckdb")])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["report", "forecast-backtest", "--horizons", "30,soon", "--db", str(tmp_path / "x.duckdb")])
    assert info.value.code == 2
