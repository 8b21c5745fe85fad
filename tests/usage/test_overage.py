"""Overage (DOMAIN.md, "Overflow"): units beyond the cap, in consumption order, priced."""

from __future__ import annotations

import polars as pl
import pytest

from entitlement_core.usage.overage import overage_listing, overage_summary

from .factories import at, basis, case, cases, ent, entry, plan, tables

JUNE = at("2026-06-01T00:00Z")


def listing(t, as_of=JUNE) -> pl.DataFrame:
    return overage_listing(basis(t, as_of))


def test_cases_beyond_the_cap_are_overage_and_priced():
    t = tables(
        entitlements=[ent(plan="Standard")],
        plans=[plan("Standard", cap=10.0, overage_rate=150.0)],
        cases=cases(12),
    )
    out = listing(t)
    assert out.select(
        "case_id", "overage_index", "overage_quantity", "overage_rate", "overage_amount"
    ).rows() == [
        ("C11", 1, 1.0, 150.0, 150.0),
        ("C12", 2, 1.0, 150.0, 150.0),
    ]
    summary = overage_summary(basis(t, JUNE)).row(0, named=True)
    assert (
        summary["consumed"],
        summary["overage_units"],
        summary["overage_count"],
        summary["overage_amount"],
    ) == (
        12.0,
        2.0,
        2,
        300.0,
    )


@pytest.mark.parametrize(
    ("n_cases", "expected"),
    [(9, []), (10, []), (11, ["C11"])],
)
def test_overage_starts_at_the_cap_plus_one(n_cases, expected):
    t = tables(entitlements=[ent()], cases=cases(n_cases))
    assert listing(t).get_column("case_id").to_list() == expected


def test_ties_on_the_consumption_moment_are_broken_by_case_id():
    t = tables(
        entitlements=[ent(cap=1.0)],
        cases=[
            case("C2", "2026-02-01T10:00Z"),
            case("C1", "2026-02-01T10:00Z"),
            case("C0", "2026-02-02T10:00Z"),
        ],
    )
    assert listing(t).get_column("case_id").to_list() == ["C2", "C0"]


def test_order_follows_the_consumption_moment_under_consume_on_closed():
    t = tables(
        entitlements=[ent(cap=1.0, consume_on="closed")],
        cases=[
            case("C1", "2026-02-01T10:00Z", closed="2026-02-10T10:00Z"),
            case("C2", "2026-02-02T10:00Z", closed="2026-02-03T10:00Z"),
            case("C3", "2026-02-03T10:00Z"),  # open: not consumed, not overage
        ],
    )
    assert listing(t).get_column("case_id").to_list() == ["C1"]


def test_deleted_cases_take_their_place_in_the_order():
    t = tables(
        entitlements=[ent(cap=1.0)],
        cases=[case("C1", "2026-02-01T10:00Z", is_deleted=True), case("C2", "2026-02-02T10:00Z")],
    )
    out = listing(t)
    assert out.select("case_id", "is_deleted").rows() == [("C2", False)]


def test_overage_is_as_of_a_moment():
    t = tables(entitlements=[ent(cap=1.0)], cases=cases(3))
    assert listing(t, as_of=at("2026-02-02T00:00Z")).get_column("case_id").to_list() == ["C02"]
    assert listing(t, as_of=at("2026-02-01T23:59Z")).height == 0


def test_hours_overage_is_attributed_to_the_entries_that_crossed_the_cap():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0, plan="Bank")],
        plans=[plan("Bank", usage_type="hours", cap=100.0, overage_rate=140.0)],
        cases=[case("C1", "2026-02-01T10:00Z"), case("C2", "2026-02-01T11:00Z")],
        time_entries=[
            entry("T1", "C1", "2026-03-01", 3600),  # 60 h
            entry("T2", "C1", "2026-03-02", 1800),  # 30 h -> 90
            entry("T4", "C2", "2026-03-03", 300),  # 5 h: same day as T3, but C2 comes after C1
            entry("T3", "C1", "2026-03-03", 900),  # 15 h -> 105: 5 h over
            entry("T5", "C2", "2026-03-04", 300),  # 5 h -> 115
        ],
    )
    out = listing(t)
    assert out.select(
        "time_entry_id", "quantity", "running_quantity", "overage_quantity", "overage_amount"
    ).rows() == [
        ("T3", 15.0, 105.0, 5.0, 700.0),
        ("T4", 5.0, 110.0, 5.0, 700.0),
        ("T5", 5.0, 115.0, 5.0, 700.0),
    ]


def test_hours_overage_partial_entry():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0, plan="Bank")],
        plans=[plan("Bank", usage_type="hours", cap=100.0, overage_rate=140.0)],
        cases=[case("C1", "2026-02-01T10:00Z")],
        time_entries=[
            entry("T1", "C1", "2026-03-01", 3600),  # 60 h
            entry("T2", "C1", "2026-03-02", 1800),  # 30 h -> 90
            entry("T3", "C1", "2026-03-03", 1200),  # 20 h -> 110: 10 h over
            entry("T4", "C1", "2026-03-04", 300),  # 5 h -> 115
        ],
    )
    out = listing(t)
    assert out.select(
        "time_entry_id", "quantity", "running_quantity", "overage_quantity", "overage_amount", "unit"
    ).rows() == [
        ("T3", 20.0, 110.0, 10.0, 1400.0, "hours"),
        ("T4", 5.0, 115.0, 5.0, 700.0, "hours"),
    ]
    summary = overage_summary(basis(t, JUNE)).row(0, named=True)
    assert (summary["overage_units"], summary["overage_count"], summary["overage_amount"]) == (
        15.0,
        2,
        2100.0,
    )


def test_no_rate_means_no_amount():
    t = tables(entitlements=[ent(plan="Standard")], plans=[plan("Standard")], cases=cases(11))
    assert listing(t).get_column("overage_amount").to_list() == [None]
    assert overage_summary(basis(t, JUNE)).get_column("overage_amount").to_list() == [None]


@pytest.mark.parametrize("usage_type", ["cases", "none"])
def test_unlimited_and_date_only_have_no_overage(usage_type):
    cap = None if usage_type == "cases" else 1.0
    t = tables(entitlements=[ent(usage_type=usage_type, cap=cap)], cases=cases(5))
    assert listing(t).height == 0
    assert overage_summary(basis(t, JUNE)).height == 0


def test_overage_dates_are_local():
    t = tables(
        entitlements=[ent(cap=0.0, business_hours_id="BH")],
        business_hours=[{"business_hours_id": "BH", "timezone": "Asia/Tokyo"}],
        cases=[case("C1", "2026-02-01T16:00Z")],  # 01:00 on Feb 2 in Tokyo
    )
    assert listing(t).get_column("consumed_date").cast(pl.String).to_list() == ["2026-02-02"]


def test_summary_is_ranked_by_amount():
    t = tables(
        entitlements=[ent("E1", plan="Standard"), ent("E2", plan="Standard")],
        plans=[plan("Standard", overage_rate=100.0)],
        cases=[*cases(11, entitlement_id="E1", prefix="A"), *cases(13, entitlement_id="E2", prefix="B")],
    )
    out = overage_summary(basis(t, JUNE))
    assert out.select("entitlement_id", "overage_units", "overage_amount").rows() == [
        ("E2", 3.0, 300.0),
        ("E1", 1.0, 100.0),
    ]
