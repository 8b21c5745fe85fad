"""Balances from the native tables: metered events, overage revenue by month, commitments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.basis import Basis
from entitlement_core.kernels.ledger import event_units
from entitlement_core.staging import Tables
from entitlement_core.usage.balances import balances, commitments, grant_balances
from entitlement_core.usage.overage import overage_revenue as revenue_of

D = dt.date


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def tables(
    n_cases: int, *, grants: dict | None = None, events: dict | None = None, cap: float = 3.0
) -> Tables:
    return Tables.from_frames(
        accounts={"account_id": ["A1"], "name": ["Acme"], "owner": ["Ann"]},
        plans={"plan": ["Std"], "usage_type": ["cases"], "cap": [cap], "overage_rate": [100.0]},
        entitlements={
            "entitlement_id": ["E1"], "account_id": ["A1"], "usage_type": ["cases"], "cap": [cap],
            "plan": ["Std"], "start_date": [D(2026, 1, 1)], "end_date": [D(2026, 12, 31)],
        },
        cases={
            "case_id": [f"C{i}" for i in range(n_cases)],
            "account_id": ["A1"] * n_cases,
            "entitlement_id": ["E1"] * n_cases,
            "created_at": [at("2026-01-10") + dt.timedelta(days=20 * i) for i in range(n_cases)],
        },
        grants=grants,
        usage_events=events,
    )  # fmt: skip


def overage_revenue(t: Tables, *, as_of: dt.datetime) -> pl.DataFrame:
    return revenue_of(Basis(t, as_of=as_of))


def test_cap_only_balances_match_cap_minus_consumed() -> None:
    _, per_ent = balances(Basis(tables(5), as_of=at("2026-12-31")))
    row = per_ent.row(0, named=True)
    assert (row["granted"], row["consumed"], row["remaining"], row["overage"]) == (3.0, 5.0, -2.0, 2.0)


def test_overage_revenue_prices_the_latest_units_by_month() -> None:
    # Cases on Jan 10, Jan 30, Feb 19, Mar 11, Mar 31: cap 3, so the Mar 11 and Mar 31 cases are overage.
    got = overage_revenue(tables(5), as_of=at("2026-12-31"))
    assert got.select("account_id", "owner", "month", "overage_units", "overage_amount").to_dicts() == [
        {
            "account_id": "A1",
            "owner": "Ann",
            "month": D(2026, 3, 1),
            "overage_units": 2.0,
            "overage_amount": 200.0,
        }
    ]


def test_no_overage_gives_an_empty_typed_frame() -> None:
    got = overage_revenue(tables(2), as_of=at("2026-12-31"))
    assert got.height == 0 and got.schema["overage_amount"] == pl.Float64


def test_metered_events_draw_from_their_resource_grants_inside_the_term() -> None:
    grants = {
        "grant_id": ["G1"], "entitlement_id": ["E1"], "resource": ["api_calls"], "quantity": [1000.0],
        "effective_from": [at("2026-01-01")], "kind": ["anchor"],
    }  # fmt: skip
    events = {
        "event_id": ["V1", "V2", "V3"], "account_id": ["A1"] * 3, "entitlement_id": ["E1"] * 3,
        "resource": ["api_calls"] * 3, "quantity": [300.0, 200.0, 999.0],
        "occurred_at": [at("2026-02-01"), at("2026-03-01"), at("2027-02-01")],
    }  # fmt: skip
    t = tables(1, grants=grants, events=events)
    metered = event_units(t.usage_events, Basis(t, as_of=at("2027-06-01")).context).collect()
    assert metered.filter(pl.col("resource") == "api_calls")["quantity"].sum() == 500  # V3 is after the term
    _, per_ent = balances(Basis(t, as_of=at("2026-06-01")))
    api = per_ent.filter(pl.col("resource") == "api_calls").row(0, named=True)
    assert (api["consumed"], api["remaining"]) == (500.0, 500.0)
    # An api_calls anchor does not replace the cap's implicit anchor for cases.
    cases = per_ent.filter(pl.col("resource") == "cases").row(0, named=True)
    assert (cases["granted"], cases["remaining"]) == (3.0, 2.0)


@pytest.mark.parametrize(("used", "remaining_amount"), [(2, 800.0), (12, 0.0)])
def test_commitments_report_remaining_money(used: int, remaining_amount: float) -> None:
    grants = {
        "grant_id": ["M1"], "entitlement_id": ["E1"], "resource": ["cases"], "quantity": [1000.0],
        "unit_rate": [100.0], "effective_from": [at("2026-01-01")], "kind": ["commitment"],
    }  # fmt: skip
    shown = grant_balances(Basis(tables(used, grants=grants, cap=0.0), as_of=at("2026-12-31")))
    got = commitments(shown).row(0, named=True)
    assert (got["committed_amount"], got["remaining_amount"]) == (1000.0, remaining_amount)


def test_overage_revenue_prices_only_the_entitlements_own_resource() -> None:
    grants = {
        "grant_id": ["G1"], "entitlement_id": ["E1"], "resource": ["api_calls"], "quantity": [100.0],
        "effective_from": [at("2026-01-01")], "kind": ["anchor"],
    }  # fmt: skip
    events = {
        "event_id": ["V1"], "account_id": ["A1"], "entitlement_id": ["E1"], "resource": ["api_calls"],
        "quantity": [500.0], "occurred_at": [at("2026-02-01")],
    }  # fmt: skip
    got = overage_revenue(tables(5, grants=grants, events=events), as_of=at("2026-12-31"))
    assert got["overage_units"].sum() == 2.0  # the two cases beyond the cap, not 400 API calls
