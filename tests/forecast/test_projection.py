"""Rules of the projection: history as a prior, credibility, intervals, units, run-out."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from entitlement_core.forecast import FORECAST_COLUMNS, ForecastOptions, forecast, project

from .factories import day, end_of, ent, every_nth, inputs, steady


def spread_cohort(n: int = 30, *, plan: str = "Standard", prefix: str = "C") -> tuple[list, list]:
    """``n`` completed 2025 terms whose paces differ widely (0.005 to 0.06 a day): a realistic cohort."""
    rates = np.linspace(0.005, 0.06, n)
    ents = [
        ent(f"{prefix}{k}", start="2025-01-01", end="2025-12-31", plan=plan, account_id=f"{prefix}A{k}")
        for k in range(n)
    ]
    daily = [
        r for k in range(n) for r in steady(f"{prefix}{k}", "2025-01-01", "2025-12-31", rates[k], seed=k)
    ]
    return ents, daily


def one(frame: pl.DataFrame | pl.LazyFrame, entitlement_id: str) -> dict:
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    rows = df.filter(pl.col("entitlement_id") == entitlement_id)
    assert rows.height == 1
    return rows.row(0, named=True)


def test_young_term_with_a_predecessor_projects_near_its_pace():
    cohort_ents, cohort_daily = spread_cohort()  # mean pace ~0.03 a day
    ents = [
        *cohort_ents,
        ent("E0", start="2025-01-01", end="2025-12-31"),
        ent("E1", start="2026-01-01", end="2026-12-31", renewal_of="E0"),
    ]
    # The predecessor used 73 cases: 0.2 a day, far above its cohort; the renewal is two days old.
    daily = [*cohort_daily, *every_nth("E0", "2025-01-01", "2025-12-31", 5)]
    row = one(forecast(inputs(ents, daily), as_of=end_of("2026-01-02")), "E1")
    assert row["prior_source"] == "chain"
    assert row["own_days"] == 2
    assert row["weight_own"] < 0.01
    # Near the predecessor's 73 a year, nowhere near the cohort's ~11 or nothing at all.
    assert row["projected_at_end"] == pytest.approx(73, rel=0.2)
    assert row["rate_prior"] == pytest.approx(0.2, rel=0.2)


def test_a_term_with_no_history_at_all_falls_back_to_its_plan_cohort():
    cohort_ents, cohort_daily = spread_cohort()
    pro_ents, pro_daily = spread_cohort(plan="Pro", prefix="P")  # another plan: not its cohort
    ents = [*cohort_ents, *pro_ents, ent("NEW", start="2026-03-01", end="2027-02-28", account_id="A9")]
    daily = [
        *cohort_daily,
        *[{**r, "quantity": r["quantity"] * 5, "quantity_sq": r["quantity"] * 5} for r in pro_daily],
    ]
    row = one(forecast(inputs(ents, daily), as_of=end_of("2026-02-15")), "NEW")
    cohort_pace = sum(r["quantity"] for r in cohort_daily) / (30 * 365)
    assert row["prior_source"] == "cohort"
    assert row["own_days"] == 0 and row["consumed"] == 0
    assert row["rate_prior"] == pytest.approx(cohort_pace, rel=0.05)
    assert row["projected_at_end"] == pytest.approx(cohort_pace * 365, rel=0.05)
    assert row["is_founded"]


def test_own_history_weighs_more_as_the_term_ages():
    cohort_ents, cohort_daily = spread_cohort()
    ents = [*cohort_ents, ent("E1", start="2026-01-01", end="2026-12-31", account_id="A9")]
    daily = [*cohort_daily, *every_nth("E1", "2026-01-01", "2026-12-31", 4)]  # 0.25 a day
    data = inputs(ents, daily)
    weights = [
        one(forecast(data, as_of=end_of(d)), "E1")["weight_own"]
        for d in ("2026-01-10", "2026-04-01", "2026-10-01")
    ]
    assert weights == sorted(weights)
    assert weights[0] < 0.3 and weights[-1] > 0.7  # a nine-month-old term: mostly its own pace


def test_rate_is_the_credibility_blend_of_own_and_prior():
    cohort_ents, cohort_daily = spread_cohort()
    ents = [*cohort_ents, ent("E1", start="2026-01-01", end="2026-12-31", account_id="A9")]
    daily = [*cohort_daily, *every_nth("E1", "2026-01-01", "2026-05-01", 3)]
    row = one(forecast(inputs(ents, daily), as_of=end_of("2026-05-01")), "E1")
    w = row["weight_own"]
    assert row["rate"] == pytest.approx(w * row["rate_own"] + (1 - w) * row["rate_prior"], rel=1e-9)
    assert row["weight_own"] == pytest.approx(
        1 - row["prior_days"] / (row["prior_days"] + row["own_days"]), abs=0.05
    )


def test_no_history_and_no_prior_projects_nothing_and_is_not_founded():
    ents = [ent("E1", start="2026-01-01", end="2026-12-31")]
    row = one(forecast(inputs(ents), as_of=end_of("2025-12-01")), "E1")
    assert row["prior_source"] == "none"
    assert row["projected_at_end"] is None and row["prob_run_out"] is None
    assert not row["is_founded"]


def test_thin_own_history_without_prior_is_not_founded_but_a_long_one_is():
    ents = [ent("E1", start="2026-01-01", end="2026-12-31")]
    daily = every_nth("E1", "2026-01-01", "2026-12-31", 2)
    data = inputs(ents, daily)
    young = one(forecast(data, as_of=end_of("2026-01-05")), "E1")
    old = one(forecast(data, as_of=end_of("2026-03-01")), "E1")
    assert young["prior_source"] == old["prior_source"] == "none"
    assert not young["is_founded"] and old["is_founded"]


def test_interval_brackets_the_projection_and_units_stay_apart():
    cohort_ents, cohort_daily = spread_cohort()
    hours_cohort = [
        {
            **e,
            "usage_type": "hours",
            "plan": "Hours 20",
            "cap": 20.0,
            "entitlement_id": "H" + e["entitlement_id"],
        }
        for e in cohort_ents
    ]
    hours_daily = [
        {**r, "entitlement_id": "H" + r["entitlement_id"], "quantity": 1.5 * r["quantity"],
         "quantity_sq": 2.25 * r["quantity"]}
        for r in cohort_daily
    ]  # fmt: skip
    ents = [
        *cohort_ents, *hours_cohort,
        ent("CASES", account_id="A9"),
        ent("HOURS", account_id="A9", usage_type="hours", plan="Hours 20", cap=20.0),
    ]  # fmt: skip
    daily = [*cohort_daily, *hours_daily, *every_nth("CASES", "2026-01-01", "2026-06-30", 10),
             *every_nth("HOURS", "2026-01-01", "2026-06-30", 10, quantity=2.5)]  # fmt: skip
    out = forecast(inputs(ents, daily), as_of=end_of("2026-06-30")).collect()
    for key, unit in (("CASES", "cases"), ("HOURS", "hours")):
        row = one(out, key)
        assert row["unit"] == unit
        assert row["projected_p10"] <= row["projected_p50"] <= row["projected_p90"]
        assert row["projected_p10"] <= row["projected_at_end"] <= row["projected_p90"]
        assert row["consumed"] <= row["projected_p10"]
        assert 0 <= row["prob_run_out"] <= 1
    # A cases figure is a whole number of cases; the hour bank's are hours.
    cases = one(out, "CASES")
    assert cases["projected_p90"] == round(cases["projected_p90"])
    assert one(out, "HOURS")["consumed"] == pytest.approx(2.5 * 19)


def test_already_over_cap_runs_out_for_sure_on_the_day_it_reached_the_cap():
    ents = [ent("E1", cap=5.0)]
    daily = every_nth("E1", "2026-01-01", "2026-01-07", 1)  # 7 cases in the first 7 days
    row = one(forecast(inputs(ents, daily), as_of=end_of("2026-01-20")), "E1")
    assert row["prob_run_out"] == 1.0
    assert row["expected_shortfall"] == pytest.approx(row["projected_at_end"] - 5.0)
    assert row["projected_exhaustion_date"] == day("2026-01-05")
    assert row["exhaustion_date_p10"] == row["exhaustion_date_p90"] == day("2026-01-05")


def test_unlimited_and_ended_terms():
    ents = [
        ent("UNL", cap=None, plan="Enterprise"),
        ent("OLD", start="2025-01-01", end="2025-12-31", account_id="A2"),
    ]
    daily = [
        *every_nth("UNL", "2026-01-01", "2026-06-30", 1),
        *every_nth("OLD", "2025-01-01", "2025-12-31", 30),
    ]
    out = forecast(inputs(ents, daily), as_of=end_of("2026-06-30")).collect()
    unlimited = one(out, "UNL")
    assert unlimited["prob_run_out"] is None and unlimited["expected_shortfall"] is None
    assert unlimited["projected_at_end"] == pytest.approx(365, rel=0.05)
    ended = one(out, "OLD")
    assert ended["days_left"] == 0
    assert (
        ended["projected_at_end"]
        == ended["projected_p10"]
        == ended["projected_p90"]
        == ended["consumed"]
        == 13
    )


def test_run_out_dates_bracket_the_median_and_fall_inside_the_term():
    cohort_ents, cohort_daily = spread_cohort()
    ents = [*cohort_ents, ent("E1", cap=40.0, account_id="A9")]
    daily = [*cohort_daily, *every_nth("E1", "2026-01-01", "2026-06-30", 4)]  # 30 by April: runs out
    row = one(forecast(inputs(ents, daily), as_of=end_of("2026-04-30")), "E1")
    assert row["prob_run_out"] > 0.9
    assert day("2026-04-30") < row["exhaustion_date_p10"] <= row["projected_exhaustion_date"]
    assert row["projected_exhaustion_date"] <= row["exhaustion_date_p90"] <= day("2026-12-31")
    # 10 more cases at about 0.25 a day after the end of April: about 40 days later.
    assert day("2026-05-25") <= row["projected_exhaustion_date"] <= day("2026-07-15")


def test_forecast_grain_and_columns():
    cohort_ents, cohort_daily = spread_cohort()
    out = forecast(inputs(cohort_ents, cohort_daily), as_of=end_of("2026-01-01")).collect()
    assert out.columns == list(FORECAST_COLUMNS)
    assert out.height == len(cohort_ents)
    assert out.get_column("entitlement_id").is_unique().all()
    assert out.get_column("entitlement_id").is_sorted()


def test_project_reads_each_target_up_to_its_own_cutoff():
    cohort_ents, cohort_daily = spread_cohort()
    ents = [*cohort_ents, ent("E1", account_id="A9")]
    data = inputs(ents, [*cohort_daily, *every_nth("E1", "2026-01-01", "2026-12-31", 7)])
    targets = pl.DataFrame(
        {
            "entitlement_id": ["E1", "E1", "NOPE"],
            "cutoff_date": [day("2026-03-31"), day("2026-09-30"), day("2026-03-31")],
        }
    )
    out = project(data, targets)
    assert out.height == 2  # an unknown entitlement is left out
    assert out.get_column("consumed").to_list() == [13.0, 39.0]
    with pytest.raises(ValueError, match="output columns"):
        project(data, targets.with_columns(pl.lit(1.0).alias("consumed")))


def test_options_are_checked():
    with pytest.raises(ValueError, match="band"):
        ForecastOptions(band=(0.6, 0.9))
    with pytest.raises(ValueError, match="run_out_probability"):
        ForecastOptions(run_out_probability=1.0)


def test_burn_band_runs_day_by_day_to_the_forecast_at_the_end():
    from entitlement_core.forecast import BAND_COLUMNS, burn_band

    cohort_ents, cohort_daily = spread_cohort()
    ents = [
        *cohort_ents,
        ent("E1", cap=40.0, account_id="A9"),
        ent("OLD", start="2025-01-01", end="2025-12-31"),
    ]
    data = inputs(ents, [*cohort_daily, *every_nth("E1", "2026-01-01", "2026-06-30", 4)])
    as_of = end_of("2026-04-30")
    band = burn_band(data, ["E1", "OLD", "NOPE"], as_of=as_of)
    assert band.columns == list(BAND_COLUMNS)
    assert set(band.get_column("entitlement_id")) == {"E1"}  # ended and unknown: no band
    first = band.row(0, named=True)
    assert first["date"] == day("2026-04-30")  # the as-of day: what was consumed, no width yet
    assert first["projected"] == first["projected_p10"] == first["projected_p90"] == 30
    assert band.get_column("date").to_list()[-1] == day("2026-12-31")
    assert band.height == 246
    for column in ("projected", "projected_p10", "projected_p90"):
        assert band.get_column(column).diff().drop_nulls().min() >= -1e-9  # never goes down
    assert (band.get_column("projected_p10") <= band.get_column("projected_p90")).all()
    last = band.row(-1, named=True)
    row = one(forecast(data, as_of=as_of), "E1")
    assert last["projected"] == pytest.approx(row["projected_at_end"])
    assert (last["projected_p10"], last["projected_p90"]) == (row["projected_p10"], row["projected_p90"])
    # The median run-out day is where the band's middle reaches the allotment, roughly.
    crossing = band.filter(pl.col("projected") >= 40).get_column("date").min()
    assert abs((crossing - row["projected_exhaustion_date"]).days) <= 7
