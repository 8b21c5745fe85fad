"""The pages' view models hold the rules the pages once held: needs attention, eligibility,
a different plan at renewal, search."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core import views
from entitlement_core.usage.utilization import near_limit
from tests.usage.factories import at, basis, case, ent, plan, tables

AS_OF = at("2026-12-01T12:00Z")


def _attention_world():
    """Twelve entitlements over cap (by 1 to 12 cases), two exhausted, three near limit, one healthy."""
    ents, rows = [], []

    def add(key: str, cap: float, used: int) -> None:
        ents.append(ent(key, cap=cap, account_id=f"A-{key}"))
        rows.extend(
            case(
                f"{key}-{n:02d}",
                f"2026-03-{n % 28 + 1:02d}T10:00Z",
                entitlement_id=key,
                account_id=f"A-{key}",
            )
            for n in range(used)
        )

    for k in range(12):
        add(f"O{k:02d}", 5.0, 6 + k)
    add("X1", 4.0, 4)
    add("X2", 6.0, 6)
    for k in range(3):
        add(f"N{k}", 10.0, 9)
    add("H1", 10.0, 1)
    return tables(entitlements=ents, cases=rows)


def test_needs_attention_keeps_near_limit_entitlements_when_many_are_over_cap():
    util = basis(_attention_world(), AS_OF).mart("utilization")
    attention = views.needs_attention(util, per_status=5)
    counts = dict(attention.group_by("status").len().iter_rows())
    assert counts == {"over_cap": 5, "exhausted": 2, "near_limit": 3}
    # Worst first: by status, then how far over; the five most over cap lead.
    assert attention.get_column("status").to_list()[:5] == ["over_cap"] * 5
    assert attention.get_column("entitlement_id").to_list()[:5] == ["O11", "O10", "O09", "O08", "O07"]
    # The same order as the near-limit report, per status.
    report = near_limit(util).collect()
    for status in counts:
        shown = attention.filter(pl.col("status") == status).get_column("entitlement_id").to_list()
        ranked = report.filter(pl.col("status") == status).get_column("entitlement_id").to_list()
        assert shown == ranked[: len(shown)]


def test_the_overview_shows_the_same_attention_list():
    b = basis(_attention_world(), AS_OF)
    view = views.overview_view(b, basis(_attention_world(), "2026-11-01T12:00Z"), per_status=5)
    assert view.attention.get_column("entitlement_id").to_list() == (
        views.needs_attention(b.mart("utilization"), per_status=5).get_column("entitlement_id").to_list()
    )
    assert view.attention_counts["over_cap"] == 12


def test_eligibility_is_an_entitlement_inside_its_term():
    t = tables(
        accounts=[{"account_id": "A1", "name": "Acme"}],
        entitlements=[
            ent("ACTIVE", end="2026-12-31"),
            ent("OVER", cap=1.0, end="2026-12-31"),  # over cap: still inside its term, still eligible
            ent("ENDED", start="2025-01-01", end="2025-12-31"),
            ent("LATER", start="2027-01-01", end="2027-12-31"),
        ],
        cases=[case("C1", "2026-02-01T10:00Z", entitlement_id="OVER"),
               case("C2", "2026-02-02T10:00Z", entitlement_id="OVER")],
    )  # fmt: skip
    view = views.account_view(basis(t, AS_OF), "A1")
    assert sorted(view.eligible.get_column("entitlement_id").to_list()) == ["ACTIVE", "OVER"]
    assert view.entitlements.height == 4


def test_a_different_plan_is_recommended_when_projected_usage_outgrows_the_current_one():
    t = tables(
        plans=[plan("Standard", cap=10.0), plan("Pro", cap=50.0)],
        entitlements=[ent("BUSY", plan="Standard"), ent("QUIET", plan="Standard", account_id="A2")],
        cases=[
            *[case(f"B{n:02d}", f"2026-11-{n + 1:02d}T10:00Z", entitlement_id="BUSY") for n in range(12)],
            case("Q1", "2026-11-02T10:00Z", entitlement_id="QUIET", account_id="A2"),
        ],
    )
    view = views.renewals_view(basis(t, AS_OF), within_days=90)
    rows = {r["entitlement_id"]: r for r in view.rows.iter_rows(named=True)}
    assert (rows["BUSY"]["recommended_plan"], rows["QUIET"]["recommended_plan"]) == ("Pro", "Standard")
    assert view.different_plan == 1
    kind, text = views.renewal_advice(rows["BUSY"], escape=lambda v: f"<{v}>")
    assert kind == "upgrade" and "**<Pro>**" in text and "<Standard>" in text
    assert views.renewal_advice(rows["QUIET"])[0] == "keep"


def test_search_finds_an_entitlement_by_account_name_and_an_account_by_contact():
    t = tables(
        accounts=[{"account_id": "A1", "name": "Acme Corp"}, {"account_id": "A2", "name": "Globex"}],
        contacts=[
            {"contact_id": "K1", "account_id": "A2", "name": "Ada Lovelace", "email": "ada@globex.test"}
        ],
        entitlements=[ent("E1"), ent("E2", account_id="A2")],
    )
    view = views.utilization_view(basis(t, AS_OF), query="  ACME ")
    assert view.table.get_column("entitlement_id").to_list() == ["E1"]
    assert views.utilization_view(basis(t, AS_OF), query="").table.height == 2
    found = views.search_accounts(t, "lovelace")
    assert found.get_column("account_id").to_list() == ["A2"]
    assert views.search_accounts(t, "a1").get_column("account_id").to_list()[0] == "A1"  # exact id first


def _monthly(n: int, day: int) -> str:
    """A moment on ``day`` of the n-th month of 2026 (January to November, then again)."""
    return f"2026-{n % 11 + 1:02d}-{day:02d}T10:00Z"


def _upsell_world():
    """Two owners; ana has a cases term and an hour bank over their caps, ben one cases term over."""
    return tables(
        accounts=[
            {"account_id": "A1", "name": "Acme", "owner": "ana"},
            {"account_id": "A2", "name": "Bolt", "owner": "ben"},
        ],
        plans=[
            plan("Standard", cap=10.0, overage_rate=100.0),
            plan("Pro", cap=50.0),
            plan("Hours 20", usage_type="hours", cap=20.0, overage_rate=50.0),
        ],
        entitlements=[
            ent("C1", plan="Standard"),
            ent("H1", usage_type="hours", cap=20.0, plan="Hours 20"),
            ent("C2", plan="Standard", account_id="A2"),
        ],
        cases=[
            *[case(f"C1-{n:02d}", _monthly(n, 3), entitlement_id="C1") for n in range(14)],
            *[case(f"C2-{n:02d}", _monthly(n, 4), entitlement_id="C2", account_id="A2") for n in range(12)],
            *[case(f"H1-{n:02d}", _monthly(n, 5), entitlement_id="H1") for n in range(11)],
        ],
        time_entries=[
            {"time_entry_id": f"T{n}", "case_id": f"H1-{n:02d}", "entry_date": dt.date(2026, n % 11 + 1, 6),
             "minutes": 150.0}
            for n in range(11)
        ],
    )  # fmt: skip


def test_upsell_totals_are_expected_values_kept_per_unit():
    view = views.upsell_view(basis(_upsell_world(), AS_OF))
    cands = view.candidates
    assert sorted(cands["entitlement_id"]) == ["C1", "C2", "H1"]
    assert cands["rank"].to_list() == [1, 2, 3]
    by_unit = dict(cands.group_by("unit").agg(pl.col("expected_shortfall").sum()).iter_rows())
    assert view.at_stake == {"cases": by_unit["cases"], "hours": by_unit["hours"]}
    assert view.at_stake["hours"] > 7  # 27.5 hours of 20 used, more to come
    # By owner: one row per owner and unit, never cases and hours in one figure.
    rows = {(r["owner"], r["unit"]): r for r in view.by_owner.iter_rows(named=True)}
    assert set(rows) == {("ana", "cases"), ("ana", "hours"), ("ben", "cases")}
    assert rows[("ana", "hours")]["expected_shortfall"] == by_unit["hours"]
    # Money at stake: the expected shortfall at the plan's rate (Pro has none here).
    rate = {"C1": 100.0, "C2": 100.0, "H1": 50.0}
    money = sum(r["expected_shortfall"] * rate[r["entitlement_id"]] for r in cands.iter_rows(named=True))
    assert view.overage_at_stake == pytest.approx(money)
    # The interval as read on the page, in the row's unit.
    for r in cands.iter_rows(named=True):
        assert r["interval"].endswith(f" {r['unit']}")
        low, high = r["interval"].removesuffix(f" {r['unit']}").split(" - ")
        assert float(low) == pytest.approx(r["projected_p10"], abs=0.05)
        assert float(high) == pytest.approx(r["projected_p90"], abs=0.05)


def test_an_owners_upsell_view_keeps_the_owner_list():
    view = views.upsell_view(basis(_upsell_world(), AS_OF), owner="ben")
    assert view.owners == ["ana", "ben"]
    assert view.candidates["entitlement_id"].to_list() == ["C2"]
    assert view.at_stake["hours"] == 0.0 and view.at_stake["cases"] > 0


def test_renewal_advice_says_plainly_when_no_plan_is_larger():
    row = {"plan": "Hours 100", "recommended_plan": "no larger plan: custom quote"}
    kind, text = views.renewal_advice(row, escape=lambda v: f"<{v}>")
    assert kind == "upgrade"
    assert text == "No larger plan covers projected usage (beyond <Hours 100>): prepare a custom quote."
