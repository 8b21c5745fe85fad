"""The forecast where users look: the Upsell page, the burn-down band, the admin backtest section."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.forecast import CUSTOM_QUOTE
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

from .conftest import TODAY

PASSWORD = "correct horse"
ADMIN_ENV = {"ENTITLEMENTS_ADMIN_PASSWORD_SHA256": hashlib.sha256(PASSWORD.encode()).hexdigest()}


def _no_exception(at: object) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _frame(at: object, column: str):
    """The first table of the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture(scope="module")
def upsell_report(demo_db: Path) -> pl.DataFrame:
    with Store(demo_db, read_only=True) as store:
        return run_report("upsell", load_tables(store), as_of=TODAY, settings=Settings())


def test_upsell_page_shows_the_interval_the_chance_and_a_plan_for_every_candidate(
    app: Callable, demo_db: Path
) -> None:
    at = app(demo_db, "pages/upsell.py")
    _no_exception(at)
    table = _frame(at, "interval")
    assert len(table) > 0
    assert {"expected_shortfall", "interval", "prob_run_out", "recommended_plan", "unit"} <= set(
        table.columns
    )
    # Every candidate names a plan or says plainly that none is larger.
    assert table["recommended_plan"].notna().all()
    for interval, unit in zip(table["interval"], table["unit"], strict=True):
        low, high = interval.removesuffix(f" {unit}").split(" - ")
        assert float(low) <= float(high)
    # An hour bank is offered an hours plan of the demo's catalogue, or a custom quote.
    with Store(demo_db, read_only=True) as store:
        hour_plans = set(store.query("SELECT plan FROM plans WHERE usage_type = 'hours'")["plan"].to_list())
    hours = table[table["unit"] == "hours"]
    assert len(hours) > 0 and set(hours["recommended_plan"]) <= hour_plans | {CUSTOM_QUOTE}
    # Ranked by expected shortfall; the probability is shown as a percentage.
    shortfall = list(table["expected_shortfall"])
    assert shortfall == sorted(shortfall, reverse=True)
    assert table["prob_run_out"].between(0, 100).all()
    metrics = {m.label: m.value for m in at.metric}
    stake = metrics["Expected shortfall at stake"]
    assert stake.endswith(" hours") and " cases · " in stake  # per unit, never summed


def test_upsell_page_and_report_agree(app: Callable, demo_db: Path, upsell_report: pl.DataFrame) -> None:
    at = app(demo_db, "pages/upsell.py")
    table = _frame(at, "interval")
    assert list(table["entitlement_id"]) == upsell_report["entitlement_id"].to_list()
    assert list(table["expected_shortfall"]) == pytest.approx(upsell_report["expected_shortfall"].to_list())
    assert list(table["recommended_plan"]) == upsell_report["recommended_plan"].to_list()
    # The report's probability (0-1) is the page's percentage.
    assert list(table["prob_run_out"]) == pytest.approx(
        [round(p * 100, 1) for p in upsell_report["prob_run_out"].to_list()]
    )
    by_owner = _frame(at, "candidates")
    assert {"owner", "unit", "candidates", "expected_shortfall"} <= set(by_owner.columns)
    per_unit = upsell_report.group_by("unit").agg(pl.col("expected_shortfall").sum())
    for unit, total in per_unit.iter_rows():
        assert by_owner[by_owner["unit"] == unit]["expected_shortfall"].sum() == pytest.approx(total)


def test_upsell_charts_keep_cases_and_hours_apart(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/upsell.py")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == ["Largest expected shortfalls (cases)", "Largest expected shortfalls (hours)"]


def test_utilization_burn_down_draws_the_band_of_the_selected_entitlement(
    app: Callable, demo_db: Path
) -> None:
    at = app(demo_db, "pages/utilization.py")
    _no_exception(at)
    pick = at.selectbox(key="util_pick").value
    chart = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "Burn-down" in json.loads(c.proto.spec)["layout"]["title"]["text"]
    )
    assert pick in chart["layout"]["title"]["text"]
    names = [t.get("name") for t in chart["data"]]
    assert "Likely range (10-90%)" in names and "Forecast (expected)" in names


def test_admins_see_the_backtest_method_beside_the_straight_line(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/admin.py", env=ADMIN_ENV)
    at.text_input(key="signin_name").input("Dana")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    _no_exception(at)
    assert any(h.value == "Forecast accuracy" for h in at.subheader)
    table = _frame(at, "mae_share_of_cap_ours")
    assert list(table["horizon_days"]) == [30, 90, 180]
    assert {
        "mae_share_of_cap_straight_line",
        "precision_ours",
        "precision_straight_line",
        "band_coverage",
    } <= set(table.columns)
    with Store(demo_db, read_only=True) as store:
        report = run_report("forecast-backtest", load_tables(store), as_of=TODAY, settings=Settings())
    ours = report.filter(pl.col("method") == "ours").sort("horizon_days")
    assert list(table["band_coverage"]) == pytest.approx(ours["band_coverage"].to_list())


def test_the_backtest_is_for_admins_only(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/admin.py", env=ADMIN_ENV)
    assert not any(h.value == "Forecast accuracy" for h in at.subheader)
