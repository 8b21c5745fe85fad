"""Unmatched cases (with their most likely entitlement) and out-of-term cases."""

from __future__ import annotations

import pytest

from entitlement_core.usage import out_of_term_cases, unmatched_cases

from .factories import at, basis, case, day, ent, hours_bh, tables

JUNE = at("2026-06-01T00:00Z")


def likely(t, as_of=JUNE) -> dict[str, tuple[str, str]]:
    out = unmatched_cases(basis(t, as_of))
    return {r["case_id"]: (r["likely_entitlement_id"], r["match_reason"]) for r in out.iter_rows(named=True)}


def test_case_naming_no_entitlement_while_one_is_active():
    t = tables(
        entitlements=[ent("E1")],
        cases=[
            case("C1", "2026-03-01T10:00Z", entitlement_id=None),
            case("C2", "2025-03-01T10:00Z", entitlement_id=None),  # no active term then
            case("C3", "2026-03-01T10:00Z"),  # names one: matched
            case("C4", "2026-07-01T10:00Z", entitlement_id=None),  # after the as-of moment
            case("C5", "2026-03-01T10:00Z", entitlement_id=None, account_id="A2"),  # other account
        ],
    )
    out = unmatched_cases(basis(t, JUNE))
    assert out.select("case_id", "likely_entitlement_id", "match_reason", "candidate_count").rows() == [
        ("C1", "E1", "same account", 1)
    ]


@pytest.mark.parametrize(
    ("case_fields", "expected"),
    [
        ({}, ("E_CASES", "same account")),
        ({"asset_id": "X1"}, ("E_ASSET", "same asset")),
        ({"contact_id": "P1"}, ("E_CONTACT", "same contact")),
        ({"service_contract_id": "S1"}, ("E_CONTRACT", "same service contract")),
        ({"contact_id": "P1", "service_contract_id": "S1"}, ("E_CONTACT", "same contact")),
        ({"asset_id": "X1", "contact_id": "P1"}, ("E_ASSET", "same asset")),
        ({"asset_id": "X9"}, ("E_CASES", "same account")),  # an asset no entitlement covers
    ],
)
def test_most_likely_entitlement(case_fields, expected):
    t = tables(
        entitlements=[
            ent("E_HOURS", usage_type="hours", cap=100.0, start="2026-02-01"),
            ent("E_CASES"),
            ent("E_ASSET", usage_type="none", cap=None, asset_id="X1"),
            ent("E_CONTACT", usage_type="hours", cap=10.0, contact_id="P1"),
            ent("E_CONTRACT", usage_type="none", cap=None, service_contract_id="S1"),
        ],
        cases=[case("C1", "2026-03-01T10:00Z", entitlement_id=None, **case_fields)],
    )
    assert likely(t)["C1"] == expected


def test_prefers_cases_entitlements_then_the_latest_start():
    t = tables(
        entitlements=[
            ent("E_HOURS", usage_type="hours", cap=100.0, start="2026-02-15"),
            ent("E_OLD", start="2025-07-01", end="2026-06-30"),
            ent("E_NEW", start="2026-02-01", end="2027-01-31"),
            ent("E_NONE", usage_type="none", cap=None, start="2026-02-20"),
        ],
        cases=[
            case("C1", "2026-03-01T10:00Z", entitlement_id=None),
            case("C2", "2026-01-15T10:00Z", entitlement_id=None),  # only E_OLD was active
        ],
    )
    assert likely(t) == {"C1": ("E_NEW", "same account"), "C2": ("E_OLD", "same account")}
    counts = unmatched_cases(basis(t, JUNE)).select("case_id", "candidate_count").rows()
    assert counts == [("C2", 1), ("C1", 4)]


def test_matches_an_asset_entitlement_of_another_account():
    t = tables(
        entitlements=[ent("E_PARTNER", account_id="A2", usage_type="none", cap=None, asset_id="X1")],
        cases=[case("C1", "2026-03-01T10:00Z", entitlement_id=None, asset_id="X1")],
    )
    assert likely(t) == {"C1": ("E_PARTNER", "same asset")}


def test_active_means_the_term_in_the_entitlements_zone():
    t = tables(
        entitlements=[ent(start="2026-04-01", business_hours_id="BH")],
        business_hours=[hours_bh("BH", "Europe/Berlin")],
        cases=[
            case("C1", "2026-03-31T22:30Z", entitlement_id=None),  # 00:30 on April 1 in Berlin
            case("C2", "2026-03-31T21:30Z", entitlement_id=None),  # 23:30 on March 31
        ],
    )
    assert set(likely(t)) == {"C1"}


def test_unmatched_output_columns():
    t = tables(
        entitlements=[ent()], cases=[case("C1", "2026-03-01T10:00Z", entitlement_id=None, is_deleted=True)]
    )
    row = unmatched_cases(basis(t, JUNE)).row(0, named=True)
    assert row == {
        "case_id": "C1",
        "account_id": "A1",
        "contact_id": None,
        "asset_id": None,
        "service_contract_id": None,
        "created_at": at("2026-03-01T10:00Z"),
        "is_deleted": True,
        "likely_entitlement_id": "E1",
        "match_reason": "same account",
        "candidate_count": 1,
        "likely_usage_type": "cases",
        "likely_start_date": day("2026-01-01"),
        "likely_end_date": day("2026-12-31"),
    }


@pytest.mark.parametrize(
    ("created", "closed", "consume_on", "as_of", "position"),
    [
        ("2025-12-31T10:00Z", None, "created", "2026-06-01T00:00Z", "before_term"),
        ("2027-01-01T00:00Z", None, "created", "2027-02-01T00:00Z", "after_term"),
        ("2026-03-01T10:00Z", None, "created", "2026-06-01T00:00Z", None),  # inside
        ("2027-01-01T00:00Z", None, "created", "2026-12-01T00:00Z", None),  # not yet created
        # EXAMPLES.md 4: consume on closed, closed after the term.
        ("2026-12-30T10:00Z", "2027-01-02T10:00Z", "closed", "2027-01-05T00:00Z", "after_term"),
        ("2026-12-30T10:00Z", "2027-01-02T10:00Z", "closed", "2027-01-01T00:00Z", None),  # not closed yet
        ("2026-12-30T10:00Z", None, "closed", "2027-01-05T00:00Z", None),  # still open
    ],
)
def test_out_of_term_cases(created, closed, consume_on, as_of, position):
    t = tables(entitlements=[ent(consume_on=consume_on)], cases=[case("C1", created, closed=closed)])
    out = out_of_term_cases(basis(t, at(as_of)))
    assert out.get_column("position").to_list() == ([position] if position else [])


def test_out_of_term_in_the_entitlements_zone():
    t = tables(
        entitlements=[ent(start="2026-04-01", business_hours_id="BH")],
        business_hours=[hours_bh("BH", "America/New_York")],
        cases=[case("C1", "2026-04-01T03:30Z"), case("C2", "2026-04-01T04:30Z")],  # 23:30 / 00:30 EDT
    )
    out = out_of_term_cases(basis(t, JUNE))
    assert out.select("case_id", "position", "consumed_date").rows() == [
        ("C1", "before_term", day("2026-03-31"))
    ]
