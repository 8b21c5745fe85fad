"""One rule, one place: every report and page view that shows a figure agrees on it.

- overage (what no grant covers): utilization, ``report overage``, the
  overage summary (Utilization and Data pages), the Revenue page;
- compliance (met / (met + violated)): the ``compliance`` report, the SLA
  page, the Overview, and the rows themselves;
- due for renewal / already renewed: the renewals report and the renewal run;
- one registry: the command line's report names are the app's mart names;
- the forecast (projected at end, its interval, the chance to run out, the
  recommended plan): the utilization, upsell and renewals reports and pages,
  the agent banner, the alerts.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import polars.testing
import pytest

from entitlement_core import views
from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.forecast import CUSTOM_QUOTE
from entitlement_core.renewals import plan_renewals
from entitlement_core.reports import MARTS, REPORT_NAMES
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Basis:
    """A 4,000-case demo (packs, commitments, hours, milestones) as of a moment inside a business day."""
    from entitlement_core.demo import build_demo

    path = tmp_path_factory.mktemp("one-rule") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, cases=4000, seed=9, today=dt.date(2026, 6, 30))
        tables = load_tables(store).collect_all()
    return Basis(tables, as_of=at("2026-06-30T14:40"), settings=Settings())


# -- overage --------------------------------------------------------------------------------


def _pack_world(n_cases: int, pack: float | None) -> Tables:
    """Cap 10 (Standard, 250 per case over), ``n_cases`` cases in March, then an optional pack in April."""
    grants = (
        {
            "grant_id": ["P1"], "entitlement_id": ["E1"], "resource": ["cases"], "quantity": [pack],
            "effective_from": [at("2026-04-01T00:00")], "kind": ["pack"],
        }
        if pack
        else None
    )  # fmt: skip
    return Tables.from_frames(
        accounts={"account_id": ["A1"], "name": ["Acme"], "tier": ["Pro"], "owner": ["Olu"]},
        plans={"plan": ["Standard"], "usage_type": ["cases"], "cap": [10.0], "overage_rate": [250.0]},
        entitlements={
            "entitlement_id": ["E1"], "account_id": ["A1"], "usage_type": ["cases"], "cap": [10.0],
            "plan": ["Standard"], "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)],
        },
        cases={
            "case_id": [f"C{i:02d}" for i in range(n_cases)], "account_id": ["A1"] * n_cases,
            "entitlement_id": ["E1"] * n_cases,
            "created_at": [at("2026-03-01T10:00") + dt.timedelta(days=i) for i in range(n_cases)],
        },
        grants=grants,
    )  # fmt: skip


def _overage_everywhere(b: Basis) -> dict[str, float]:
    util = b.mart("utilization")
    over = (util["consumed"] - util["cap"]).clip(lower_bound=0).sum()
    summary, _ = views.data_health(b)
    return {
        "utilization": float(over),
        "report overage": float(b.mart("overage")["overage_quantity"].sum()),
        "overage summary": float(b.mart("overage-summary")["overage_units"].sum()),
        "utilization page": float(
            views.utilization_view(b).exceptions["overage-summary"]["overage_units"].sum()
        ),
        "data health": float(summary.filter(pl.col("table") == "overage-summary")["records"].sum() > 0),
        "revenue": float(views.revenue_view(b).revenue["overage_units"].sum()),
    }


@pytest.mark.parametrize(
    ("n_cases", "pack", "status", "remaining", "overage"),
    [
        # The example: cap 10, 11 cases, then a 5-case pack: healthy, 4 left, no overage anywhere.
        (11, 5.0, "healthy", 4.0, 0.0),
        (11, None, "over_cap", -1.0, 1.0),
        (17, 5.0, "over_cap", -2.0, 2.0),
        (15, 5.0, "exhausted", 0.0, 0.0),
    ],
)
def test_overage_means_what_no_grant_covers_everywhere(n_cases, pack, status, remaining, overage) -> None:
    b = Basis(_pack_world(n_cases, pack), as_of=at("2026-06-01T00:00"))
    row = b.mart("utilization").row(0, named=True)
    assert (row["status"], row["remaining"]) == (status, remaining)
    figures = _overage_everywhere(b)
    expected = {k: overage for k in figures} | {"data health": float(overage > 0)}
    assert figures == expected
    amounts = {
        "report overage": b.mart("overage")["overage_amount"].sum(),
        "overage summary": b.mart("overage-summary")["overage_amount"].sum(),
        "revenue": views.revenue_view(b).total,
    }
    assert amounts == dict.fromkeys(amounts, 250.0 * overage)


def test_overage_agrees_entitlement_by_entitlement_on_the_demo(demo: Basis) -> None:
    util = demo.mart("utilization").select(
        "entitlement_id", (pl.col("consumed") - pl.col("cap")).clip(lower_bound=0).fill_null(0).alias("u")
    )
    listed = (
        demo.mart("overage")
        .group_by("entitlement_id")
        .agg(pl.col("overage_quantity").sum().alias("listed"), pl.col("overage_amount").sum().alias("amount"))
    )
    summary = demo.mart("overage-summary").select(
        "entitlement_id", pl.col("overage_units").alias("summed"), "overage_count", "overage_amount"
    )
    joined = util.join(listed, on="entitlement_id", how="left").join(summary, on="entitlement_id", how="left")
    joined = joined.with_columns(pl.col("listed", "summed").fill_null(0))
    assert joined.filter(pl.col("u") > 0).height > 0
    assert ((joined["u"] - joined["listed"]).abs() < 1e-9).all()
    assert ((joined["u"] - joined["summed"]).abs() < 1e-9).all()
    priced = joined.filter(pl.col("overage_amount").is_not_null())
    assert ((priced["amount"] - priced["overage_amount"]).abs() < 1e-6).all()
    # The Revenue page prices the same units.
    revenue = demo.mart("overage-revenue")
    assert revenue["overage_units"].sum() == pytest.approx(joined["summed"].sum())
    assert revenue["overage_amount"].sum() == pytest.approx(summary["overage_amount"].fill_null(0).sum())


# -- compliance ------------------------------------------------------------------------------


def test_compliance_agrees_on_the_report_the_sla_page_and_the_rows(demo: Basis) -> None:
    rows = demo.instances
    by_rows = (
        rows.group_by("milestone", "priority")
        .agg(
            (pl.col("status") == "met").sum().alias("met"), (pl.col("status") == "violated").sum().alias("v")
        )
        .with_columns((pl.col("met") / (pl.col("met") + pl.col("v"))).alias("expected"))
    )
    report = demo.mart("compliance").join(by_rows, on=["milestone", "priority"], nulls_equal=True)
    assert report.height == demo.mart("compliance").height > 0
    assert ((report["compliance"] - report["expected"]).abs() < 1e-12).all()
    page = views.sla_view(demo, by=("milestone", "priority"))
    both = page.compliance.join(demo.mart("compliance"), on=["milestone", "priority"], nulls_equal=True)
    assert both.height == report.height
    assert (both["compliance"] == both["compliance_right"]).all()
    assert page.heatmap.sort("milestone", "priority").equals(page.compliance.sort("milestone", "priority"))
    met, violated = (rows["status"] == "met").sum(), (rows["status"] == "violated").sum()
    assert page.compliance_all == met / (met + violated)


def test_the_overview_month_figure_is_the_same_sum(demo: Basis) -> None:
    start = views.month_start(demo.as_of)
    month = demo.instances.filter(pl.col("started_at").dt.date() >= start)
    met, violated = (month["status"] == "met").sum(), (month["status"] == "violated").sum()
    assert met + violated > 0
    assert views.kpi_values(demo)["sla_compliance"] == met / (met + violated)
    trend = views.weekly_compliance(demo)
    assert trend["compliance"].drop_nulls().is_between(0, 1).all()


# -- renewals --------------------------------------------------------------------------------


def test_due_and_already_renewed_mean_the_same_to_the_report_and_the_run(demo: Basis) -> None:
    due = demo.mart("renewals", within_days=90)
    assert due.height > 0 and due["is_renewed"].any()
    plan = plan_renewals(demo.tables, as_of=demo.as_of, due_within_days=90)
    planned = set(plan.entitlements["renewal_of"])
    assert planned == set(due.filter(~pl.col("is_renewed"))["entitlement_id"])


# -- one registry, one set of names ------------------------------------------------------------


def test_the_command_line_and_the_app_use_the_same_names() -> None:
    from entitlement_core.cli import _parser

    rep = next(
        a for a in _parser()._subparsers._group_actions[0].choices["report"]._actions if a.dest == "name"
    )
    assert tuple(rep.choices) == REPORT_NAMES == tuple(MARTS)
    used: set[str] = set()
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("entitlement_core/views/*.py")]:
        text = path.read_text(encoding="utf-8")
        call = r"""\b(?:mart|filtered|with_filter_dims)\((?:[a-z_.()]+, )?["']([a-z-]+)["']"""
        used |= set(re.findall(call, text))
        used |= set(re.findall(r'^\s*\("([a-z-]+)", "warning"', text, flags=re.M))
    assert used, "no mart names found"
    assert used <= set(MARTS), used - set(MARTS)
    assert "unmatched-cases" in used and "unmatched" not in used


@pytest.mark.parametrize("name", list(MARTS))
def test_every_mart_states_its_grain_and_builds(demo: Basis, name: str) -> None:
    mart = MARTS[name]
    assert mart.grain.startswith("one row per"), name
    frame = demo.mart(name)
    assert isinstance(frame, pl.DataFrame)
    assert demo.mart(name) is frame  # computed once per basis


def test_one_as_of_value_means_one_intermediate_layer(demo: Basis) -> None:
    """Every mart of a basis reads the same terms and ledger: computed once."""
    for name in ("utilization", "overage", "upsell", "renewals", "reconciliation", "grant-balances"):
        demo.mart(name)
    assert demo.units is demo.units and demo.positions is demo.positions
    assert AsOf.at(at("2026-06-30T14:40")) == demo.as_of


# -- the forecast: projected at end, its interval, the recommended plan -------------------------------


FORECAST_FIGURES = ("expected_at_end", "projected_p10", "projected_p90", "prob_run_out", "recommended_plan")


def test_projected_at_end_is_the_forecasts_on_every_page_and_report(demo: Basis) -> None:
    """Utilization, Upsell, Renewals pages, the upsell and renewals reports show the forecast mart's
    figures, row for row (the utilization report keeps the straight line only: it stays as fast as SQL)."""
    forecast = demo.mart("forecast").select(
        "entitlement_id",
        pl.col("projected_at_end").alias("expected_at_end"),
        "projected_p10", "projected_p90", "prob_run_out", "recommended_plan",
    )  # fmt: skip
    shown = {
        "utilization page": views.utilization_view(demo).all,
        "upsell page": views.upsell_view(demo).candidates,
        "renewals page": views.renewals_view(demo, within_days=365).rows,
        "upsell report": demo.mart("upsell"),
        "renewals report": demo.mart("renewals", within_days=365),
    }
    for where, frame in shown.items():
        assert frame.height > 0, where
        rows = frame.select("entitlement_id", *FORECAST_FIGURES)
        expected = forecast.join(rows.select("entitlement_id"), on="entitlement_id", how="semi")
        pl.testing.assert_frame_equal(
            rows.sort("entitlement_id"), expected.sort("entitlement_id"), check_exact=False
        )


def test_the_banner_offers_the_recommended_plan_of_the_upsell_list(demo: Basis) -> None:
    up = demo.mart("upsell").filter(pl.col("status").is_in(["exhausted", "over_cap"]))
    assert up.height > 0
    for row in up.iter_rows(named=True):
        plan = row["recommended_plan"]
        assert plan is not None
        assert row["banner"].endswith(
            "No larger plan: offer a custom quote" if plan == CUSTOM_QUOTE else f"(recommended: {plan})"
        )


def test_alerts_get_the_run_out_probability(demo: Basis) -> None:
    from entitlement_core.alerts.conditions import capabilities
    from entitlement_core.alerts.evaluation import run_reports

    reports = run_reports(
        demo.tables, ["utilization", "near-limit"], as_of=demo.as_of, settings=demo.settings
    )
    util = reports["utilization"]
    assert capabilities({"utilization": tuple(util.columns)}).probability_column == "prob_run_out"
    assert util.get_column("prob_run_out").is_not_null().sum() > 0
    forecast = demo.mart("forecast").select("entitlement_id", "prob_run_out", "recommended_plan")
    pl.testing.assert_frame_equal(
        util.select("entitlement_id", "prob_run_out", "recommended_plan"), forecast, check_exact=False
    )
    # The banners the alerts carry offer the plan the pages recommend.
    page = views.utilization_view(demo).all.select("entitlement_id", "banner").sort("entitlement_id")
    pl.testing.assert_frame_equal(util.select("entitlement_id", "banner").sort("entitlement_id"), page)


def test_the_utilization_report_stays_the_straight_line(demo: Basis) -> None:
    """The report DOMAIN.md defines keeps its columns and the burn-rate arithmetic; pages add the forecast."""
    util = demo.mart("utilization")
    assert "expected_at_end" not in util.columns
    shown = views.utilization_view(demo).all
    same = [
        "entitlement_id",
        "consumed",
        "burn_rate_per_day",
        "projected_at_end",
        "projected_exhaustion_date",
    ]
    pl.testing.assert_frame_equal(shown.select(same).sort("entitlement_id"), util.select(same))
