"""Upsell candidates and renewals (DOMAIN.md, "Burn rate, projection, upsell, renewal")."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.forecast import CUSTOM_QUOTE
from entitlement_core.renewals import renewal_history, renewals_due
from entitlement_core.usage import upsell_candidates
from entitlement_core.usage.utilization import utilization_forecast

from .factories import at, basis, cases, day, ent, entry, plan, tables

MARCH = at("2026-03-14T12:00Z")  # day 73 of 2026; 292 days left


def upsell_setup():
    plans = [
        plan("Standard", cap=10.0),
        plan("Pro", cap=50.0),
        plan("Premium", cap=100.0),
        plan("Enterprise", cap=None),
    ]
    return tables(
        accounts=[{"account_id": "A1", "name": "Acme", "owner": "ana"}],
        plans=plans,
        entitlements=[
            ent("E1", plan="Standard"),  # 6 cases: burn 6/73, projected 30, shortfall 20
            ent("E2", plan="Standard"),  # 12 cases: over cap, projected 60, shortfall 50
            ent("E3", plan="Pro", cap=50.0),  # 6 cases: projected 30 < 50, not a candidate
            ent("E4", cap=6.0),  # 6 cases: exhausted, projected 30, shortfall 24
            ent("E5", start="2025-01-01", end="2025-12-31"),  # expired over cap: renewal, not upsell
            ent("E6", cap=None),  # unlimited: never
        ],
        cases=[
            *cases(6, first="2026-01-05", entitlement_id="E1", prefix="A"),
            *cases(12, first="2026-01-05", entitlement_id="E2", prefix="B"),
            *cases(6, first="2026-01-05", entitlement_id="E3", prefix="C"),
            *cases(6, first="2026-01-05", entitlement_id="E4", prefix="D"),
            *cases(12, first="2025-01-05", entitlement_id="E5", prefix="F"),
            *cases(40, first="2026-01-05", entitlement_id="E6", prefix="G"),
        ],
    )


def test_upsell_candidates_ranked_by_expected_shortfall():
    out = upsell_candidates(basis(upsell_setup(), MARCH))
    assert "rank" in out.columns and "upsell_reason" in out.columns
    rows = out.select("rank", "entitlement_id", "status", "recommended_plan", "owner").rows()
    # E3 (6 of 50) is unlikely to run out; E5 has ended; E6 is unlimited.
    assert rows == [
        (1, "E2", "over_cap", "Pro", "ana"),
        (2, "E4", "exhausted", "Pro", "ana"),
        (3, "E1", "healthy", "Pro", "ana"),
    ]
    shortfall = out.get_column("expected_shortfall").to_list()
    assert shortfall == sorted(shortfall, reverse=True) and min(shortfall) > 0
    # Every candidate shows its interval around the expected consumption, and its probability.
    assert (
        out.filter(
            (pl.col("projected_p10") <= pl.col("expected_at_end"))
            & (pl.col("expected_at_end") <= pl.col("projected_p90"))
        ).height
        == 3
    )
    assert out.get_column("prob_run_out").to_list()[:2] == [1.0, 1.0]
    reasons = out.get_column("upsell_reason").to_list()
    assert reasons[:2] == ["over cap", "exhausted"]
    assert reasons[2].startswith("likely to run out by 2026-") and reasons[2].endswith("%)")


def test_unlimited_plan_recommended_when_no_cap_covers():
    t = tables(
        plans=[plan("Standard", cap=10.0), plan("Enterprise", cap=None)],
        entitlements=[ent(plan="Standard")],
        cases=cases(30, first="2026-01-05"),
    )
    out = upsell_candidates(basis(t, MARCH))
    assert out.select("entitlement_id", "recommended_plan").rows() == [("E1", "Enterprise")]


def test_a_two_day_old_renewal_is_judged_by_its_predecessor_not_by_a_straight_line():
    """Two cases in the first three days of a renewal whose last year used 5: no upsell."""
    t = tables(
        plans=[plan("Standard", cap=10.0), plan("Pro", cap=50.0)],
        entitlements=[
            ent("E0", plan="Standard", start="2025-03-12", end="2026-03-11"),
            ent("E1", plan="Standard", start="2026-03-12", end="2027-03-11", renewal_of="E0"),
        ],
        cases=[
            *cases(5, first="2025-04-01", entitlement_id="E0", prefix="A"),
            *cases(2, first="2026-03-12", entitlement_id="E1", prefix="B"),
        ],
    )
    util = {r["entitlement_id"]: r for r in utilization_forecast(basis(t, MARCH)).iter_rows(named=True)}
    e1 = util["E1"]
    assert e1["projected_at_end"] > 100  # the straight line through two days
    assert e1["prior_source"] == "chain" and e1["is_founded"]
    assert 5 < e1["expected_at_end"] < 9  # its 2 cases, then about its predecessor's pace
    assert e1["prob_run_out"] < 0.5
    assert upsell_candidates(basis(t, MARCH)).is_empty()


@pytest.mark.parametrize(("days", "candidate"), [(5, False), (30, True)])
def test_a_projection_with_nothing_behind_it_is_no_candidate(days, candidate):
    """No plan, no earlier term, no sibling: three weeks of its own history before it is ranked."""
    start = "2026-03-14"
    first = at("2026-03-14T12:00Z")
    as_of = first + dt.timedelta(days=days)
    t = tables(
        entitlements=[ent("E1", cap=2.0, start="2026-03-10", end="2027-03-09")],
        cases=cases(3, first=start),
    )
    util = utilization_forecast(basis(t, as_of)).row(0, named=True)
    assert util["status"] == "over_cap" and util["prior_source"] == "none"
    assert util["is_founded"] is candidate
    assert (upsell_candidates(basis(t, as_of)).height == 1) is candidate


def weekly(i: int) -> str:
    """The i-th of four days a month from January 5, a week apart."""
    return f"2026-{1 + i // 4:02d}-{7 * (i % 4) + 5:02d}"


def test_an_hour_bank_candidate_gets_an_hours_plan_or_a_custom_quote():
    hours = [plan("Hours 20", usage_type="hours", cap=20.0), plan("Hours 500", usage_type="hours", cap=500.0)]
    t = tables(
        plans=[plan("Standard", cap=10.0), plan("Enterprise", cap=None), *hours],
        entitlements=[
            ent("H1", usage_type="hours", cap=20.0, plan="Hours 20"),
            ent("H2", usage_type="hours", cap=100.0, plan="Hours 100", account_id="A2"),
        ],
        accounts=[{"account_id": "A1", "name": "Acme"}, {"account_id": "A2", "name": "Bolt"}],
        # H1: 2.5 hours a week since January (about 125 a year); H2: 20 hours a week (about 1,000).
        cases=[
            *cases(10, first="2026-01-05", entitlement_id="H1", prefix="H"),
            *cases(10, first="2026-01-05", entitlement_id="H2", prefix="K", account_id="A2"),
        ],
        time_entries=[
            *[entry(f"T{i}", f"H{i + 1:02d}", weekly(i), 150) for i in range(10)],
            *[entry(f"U{i}", f"K{i + 1:02d}", weekly(i), 1200) for i in range(10)],
        ],
    )  # fmt: skip
    out = upsell_candidates(basis(t, MARCH))
    plans = dict(out.select("entitlement_id", "recommended_plan").iter_rows())
    # Never a cases plan (not even the unlimited one) for an hour bank.
    assert plans == {"H1": "Hours 500", "H2": CUSTOM_QUOTE}
    assert set(out.get_column("unit")) == {"hours"}


def renewal_setup():
    return tables(
        plans=[plan("Standard", cap=10.0), plan("Pro", cap=50.0)],
        entitlements=[
            ent("E0", start="2025-01-01", end="2025-12-31", plan="Standard"),
            ent("E1", start="2026-01-01", end="2026-12-31", plan="Standard", renewal_of="E0"),  # 60 days
            ent("E6", start="2027-01-01", end="2027-12-31", plan="Standard", renewal_of="E1"),
            ent("E2", start="2026-04-01", end="2027-03-31"),  # 150 days: not due
            ent("E3", start="2026-01-01", end="2026-11-01"),  # ends on the as-of day: due
            ent("E4", start="2026-01-01", end="2026-10-31"),  # ended yesterday: not due
            ent("E5", start="2026-02-01", end="2027-01-30"),  # exactly 90 days: due
        ],
        cases=[
            *cases(8, first="2025-02-01", entitlement_id="E0", prefix="A"),
            *cases(5, first="2026-02-01", entitlement_id="E1", prefix="B"),
        ],
    )


NOVEMBER = at("2026-11-01T12:00Z")


def test_renewals_due_window_and_renewed_mark():
    out = renewals_due(basis(renewal_setup(), NOVEMBER))
    assert out.select("entitlement_id", "days_to_end", "is_renewed", "renewed_by_id").rows() == [
        ("E3", 0, False, None),
        ("E1", 60, True, "E6"),
        ("E5", 90, False, None),
    ]
    e1 = out.row(1, named=True)
    assert (e1["previous_entitlement_id"], e1["previous_consumed"], e1["previous_pct_used"]) == (
        "E0",
        8.0,
        0.8,
    )
    assert (e1["chain_root_id"], e1["term_index"], e1["consumed"], e1["pct_used"]) == ("E0", 2, 5.0, 0.5)
    assert e1["recommended_plan"] == "Standard"


@pytest.mark.parametrize(("within", "expected"), [(0, ["E3"]), (30, ["E3"]), (60, ["E3", "E1"])])
def test_renewals_within_days(within, expected):
    out = renewals_due(basis(renewal_setup(), NOVEMBER), within_days=within)
    assert out.get_column("entitlement_id").to_list() == expected


def test_renewal_history_follows_the_chain():
    out = renewal_history(basis(renewal_setup(), NOVEMBER))
    chain = out.filter(out["chain_length"] > 1)
    assert chain.select(
        "chain_root_id", "term_index", "entitlement_id", "consumed", "pct_used", "status"
    ).rows() == [
        ("E0", 1, "E0", 8.0, 0.8, "expired"),
        ("E0", 2, "E1", 5.0, 0.5, "healthy"),
        ("E0", 3, "E6", 0.0, 0.0, "not_started"),
    ]
    assert out.height == 7
    single = out.filter(out["entitlement_id"] == "E2").row(0, named=True)
    assert (single["chain_root_id"], single["term_index"], single["chain_length"]) == ("E2", 1, 1)
    assert single["start_date"] == day("2026-04-01")


def test_renewal_chain_tolerates_bad_links():
    t = tables(
        entitlements=[
            ent("X", renewal_of="Y"),
            ent("Y", renewal_of="X"),  # a cycle
            ent("Z", renewal_of="X"),  # hangs off the cycle
        ],
    )
    out = renewal_history(basis(t, NOVEMBER))
    assert out.select("entitlement_id", "chain_root_id", "term_index").sort("entitlement_id").rows() == [
        ("X", "X", 1),
        ("Y", "Y", 1),
        ("Z", "Z", 1),
    ]
