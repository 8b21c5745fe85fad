"""Upsell candidates and renewals (DOMAIN.md, "Burn rate, projection, upsell, renewal")."""

from __future__ import annotations

import pytest

from entitlement_core.renewals import renewal_history, renewals_due
from entitlement_core.usage import upsell_candidates

from .factories import at, basis, cases, day, ent, plan, tables

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


def test_upsell_candidates_ranked_by_projected_shortfall():
    out = upsell_candidates(basis(upsell_setup(), MARCH))
    assert "rank" in out.columns and "upsell_reason" in out.columns
    rows = out.select(
        "rank", "entitlement_id", "status", "projected_shortfall", "recommended_plan", "owner"
    ).rows()
    assert [r[:3] for r in rows] == [(1, "E2", "over_cap"), (2, "E4", "exhausted"), (3, "E1", "healthy")]
    assert [r[3] for r in rows] == pytest.approx([50.0, 24.0, 20.0])
    # E2 projects 60 a year: beyond Pro (50), so Premium; E4 and E1 project 30: Pro.
    assert [r[4] for r in rows] == ["Premium", "Pro", "Pro"]
    assert [r[5] for r in rows] == ["ana"] * 3
    reasons = out.get_column("upsell_reason").to_list()
    assert reasons == ["over cap", "exhausted", "projected to run out on 2026-05-02"]


def test_unlimited_plan_recommended_when_no_cap_covers():
    t = tables(
        plans=[plan("Standard", cap=10.0), plan("Enterprise", cap=None)],
        entitlements=[ent(plan="Standard")],
        cases=cases(30, first="2026-01-05"),
    )
    out = upsell_candidates(basis(t, MARCH))
    assert out.select("entitlement_id", "recommended_plan").rows() == [("E1", "Enterprise")]


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
