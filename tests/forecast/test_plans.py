"""The recommended plan: smallest covering plan of the same usage type, for cases and hours."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.forecast import CUSTOM_QUOTE, recommend_plan

CATALOGUE = pl.DataFrame(
    {
        "plan": ["Standard", "Pro", "Pro Plus", "Enterprise", "Hours 20", "Hours 100", "Hours 100 EU"],
        "usage_type": ["cases", "cases", "cases", "cases", "hours", "hours", "hours"],
        "cap": [10.0, 50.0, 50.0, None, 20.0, 100.0, 100.0],
        "annual_price": [4800.0, 18000.0, 19000.0, 60000.0, 3600.0, 15000.0, 14000.0],
    }
)
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def recommended(
    usage_type: str, allotment: float | None, projected: float | None, catalogue=CATALOGUE
) -> dict:
    frame = pl.LazyFrame(
        {
            "entitlement_id": ["E1"],
            "usage_type": [usage_type],
            "allotment": [allotment],
            "projected_at_end": [projected],
            "start_date": [YEAR[0]],
            "end_date": [YEAR[1]],
        },
        schema_overrides={"allotment": pl.Float64, "projected_at_end": pl.Float64},
    )
    return recommend_plan(frame, catalogue.lazy()).collect().row(0, named=True)


@pytest.mark.parametrize(
    ("usage_type", "allotment", "projected", "plan"),
    [
        ("cases", 10.0, 8.0, "Standard"),  # fits: the smallest covering plan, its own
        ("cases", 10.0, 10.0, "Pro"),  # reaching the cap needs more: a larger cap
        ("cases", 10.0, 30.0, "Pro"),  # two plans of cap 50: the cheaper
        ("cases", 10.0, 50.0, "Pro"),  # a cap equal to the projection covers it
        ("cases", 10.0, 51.0, "Enterprise"),  # beyond every capped plan: the unlimited one
        ("hours", 20.0, 35.5, "Hours 100 EU"),  # an hour bank gets an hours plan (the cheaper of two)
        ("hours", 20.0, 120.0, CUSTOM_QUOTE),  # no hours plan covers 120 hours
        ("hours", 100.0, 150.0, CUSTOM_QUOTE),
    ],
)
def test_recommended_plan(usage_type, allotment, projected, plan):
    assert recommended(usage_type, allotment, projected)["recommended_plan"] == plan


def test_a_short_term_is_sized_by_its_yearly_pace():
    frame = pl.LazyFrame(
        {
            "usage_type": ["cases"],
            "allotment": [10.0],
            "projected_at_end": [20.0],
            "start_date": [dt.date(2026, 1, 1)],
            "end_date": [dt.date(2026, 3, 31)],  # 90 days: 20 in a quarter is about 81 a year
        }
    )
    row = recommend_plan(frame, CATALOGUE.lazy()).collect().row(0, named=True)
    assert row["projected_annual_usage"] == pytest.approx(20 * 365 / 90)
    assert row["recommended_plan"] == "Enterprise"


@pytest.mark.parametrize(
    ("usage_type", "allotment", "projected"),
    [("none", None, 3.0), ("cases", None, 90.0), ("cases", 10.0, None)],
)
def test_no_recommendation_without_an_allotment_or_a_projection(usage_type, allotment, projected):
    assert recommended(usage_type, allotment, projected)["recommended_plan"] is None


def test_no_recommendation_without_any_plan():
    assert recommended("cases", 10.0, 30.0, CATALOGUE.clear())["recommended_plan"] is None


def test_units_are_never_mixed_even_when_only_the_other_unit_would_cover():
    only_cases = CATALOGUE.filter(pl.col("usage_type") == "cases")
    assert recommended("hours", 20.0, 30.0, only_cases)["recommended_plan"] == CUSTOM_QUOTE
