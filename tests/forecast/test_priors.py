"""Priors: the cohort's credibility estimate, where a cohort is looked for, chain and account history."""

from __future__ import annotations

import polars as pl
import pytest

from entitlement_core.forecast import ForecastOptions, forecast
from entitlement_core.forecast.priors import credibility_prior

from .factories import end_of, ent, every_nth, inputs


def prior_of(
    rows: list[tuple[float, float]], min_members: int = 5, min_cv: float = 0.1
) -> tuple[float, float]:
    """(alpha, beta) of members given as (lumps, exposure)."""
    sums = pl.DataFrame(
        {
            "members": [len(rows)],
            "k": [sum(k for k, _ in rows)],
            "e": [sum(e for _, e in rows)],
            "k2e": [sum(k * k / e for k, e in rows)],
            "e2": [sum(e * e for _, e in rows)],
        }
    )
    alpha, beta = credibility_prior(min_members, min_cv)
    out = sums.select(alpha.alias("a"), beta.alias("b")).row(0)
    return float(out[0]), float(out[1])


def test_the_prior_mean_is_the_pooled_rate_and_its_worth_the_noise_over_the_spread():
    # Rates 0.1 and 0.3 a day over 100 days each, ten members: spread well beyond Poisson noise.
    rows = [(10.0, 100.0)] * 5 + [(30.0, 100.0)] * 5
    alpha, beta = prior_of(rows)
    m = 0.2
    # Buhlmann-Straub: tau^2 = (sum e (r - m)^2 - (n - 1) m) / (e - sum e^2 / e)
    tau2 = (1000 * 0.01 - 9 * m) / (1000 - 10 * 100**2 / 1000)
    assert alpha / beta == pytest.approx(m)
    assert beta == pytest.approx(m / tau2)
    assert alpha == pytest.approx(m**2 / tau2)


def test_a_uniform_cohort_is_held_to_the_least_spread():
    rows = [(20.0, 100.0)] * 10  # every rate exactly 0.2: no spread beyond noise
    alpha, beta = prior_of(rows, min_cv=0.1)
    assert alpha == pytest.approx(100.0)  # CV 0.1: alpha = 1 / 0.1^2
    assert beta == pytest.approx(100.0 / 0.2)


def test_a_small_cohort_gives_a_vague_prior_and_an_empty_one_half_a_unit():
    alpha, beta = prior_of([(20.0, 100.0)] * 3)
    assert (alpha, beta) == pytest.approx((1.0, 5.0))  # CV 1 around the mean 0.2
    alpha, beta = prior_of([(0.0, 100.0)] * 8)
    assert (alpha, beta) == pytest.approx((0.5, 100.0))


def cohort_of(rates: list[float], plan: str = "Standard", prefix: str = "C") -> tuple[list, list]:
    ents, daily = [], []
    for k, step in enumerate(rates):
        key = f"{prefix}{k}"
        ents.append(ent(key, start="2025-01-01", end="2025-12-31", plan=plan, account_id=f"{prefix}A{k}"))
        daily += every_nth(key, "2025-01-01", "2025-12-31", int(step))
    return ents, daily


def test_a_term_is_left_out_of_its_own_cohort():
    ents, daily = cohort_of([10, 10, 10, 10, 10, 2])  # five at 0.1 a day, one at 0.5
    out = forecast(
        inputs(ents, daily), as_of=end_of("2026-02-01"), options=ForecastOptions(seasonality=False)
    )
    rows = out.collect().filter(pl.col("entitlement_id").is_in(["C0", "C5"]))
    # C5's prior is the others' pace (0.1); C0's includes C5 (a pace of 0.18 over the five others).
    prior = dict(zip(rows.get_column("entitlement_id"), rows.get_column("rate_prior"), strict=True))
    assert prior["C5"] == pytest.approx(37 / 365, rel=0.02)
    assert prior["C0"] == pytest.approx((4 * 37 + 183) / (5 * 365), rel=0.02)


def test_a_plan_too_small_for_a_cohort_gets_its_few_members_vague_prior_not_another_plans():
    std_ents, std_daily = cohort_of([10] * 8)
    gold_ents, gold_daily = cohort_of([2, 3], plan="Gold", prefix="G")
    ents = [
        *std_ents,
        *gold_ents,
        ent("NEW", start="2026-01-01", end="2026-12-31", plan="Gold", account_id="N"),
    ]
    out = forecast(inputs(ents, [*std_daily, *gold_daily]), as_of=end_of("2026-01-01"))
    row = out.collect().filter(pl.col("entitlement_id") == "NEW").row(0, named=True)
    gold_pace = (183 + 122) / 730
    assert row["prior_source"] == "cohort"
    assert row["rate_prior"] == pytest.approx(gold_pace, rel=0.1)
    assert row["prior_days"] == pytest.approx(1 / gold_pace, rel=0.1)  # vague: CV 1


def test_without_a_plan_the_usage_type_is_the_cohort():
    ents, daily = cohort_of([10] * 8)
    ents.append(ent("LOOSE", start="2026-01-01", end="2026-12-31", plan=None, account_id="N"))
    row = (
        forecast(inputs(ents, daily), as_of=end_of("2026-01-01"))
        .collect()
        .filter(pl.col("entitlement_id") == "LOOSE")
    )
    assert row.get_column("prior_source").item() == "cohort"
    assert row.get_column("rate_prior").item() == pytest.approx(37 / 365, rel=0.1)


def test_account_siblings_count_half_and_only_the_last_year():
    ents, daily = cohort_of([4, 6, 8, 10, 12, 14, 20, 30, 40, 60])  # paces spread from 0.02 to 0.25
    ents += [
        ent("OLD", start="2023-01-01", end="2023-12-31", account_id="A1", plan="Pro", cap=50.0),
        ent("SIB", start="2025-07-01", end="2026-06-30", account_id="A1", plan="Pro", cap=50.0),
        ent("NEW", start="2026-01-01", end="2026-12-31", account_id="A1"),
    ]
    daily += every_nth("OLD", "2023-01-01", "2023-12-31", 1) + every_nth("SIB", "2025-07-01", "2026-06-30", 2)
    row = (
        forecast(inputs(ents, daily), as_of=end_of("2026-01-01"))
        .collect()
        .filter(pl.col("entitlement_id") == "NEW")
        .row(0, named=True)
    )
    assert row["prior_source"] == "account"
    # SIB's 185 days since July at 0.5 a day, at half weight, pull the prior well above the cohort's ~0.1;
    # OLD (2023, outside the last year) does not count.
    assert 0.25 < row["rate_prior"] < 0.5
    lonely = (
        forecast(inputs([e for e in ents if e["entitlement_id"] != "SIB"], daily), as_of=end_of("2026-01-01"))
        .collect()
        .filter(pl.col("entitlement_id") == "NEW")
    )
    assert lonely.get_column("prior_source").item() == "cohort"
