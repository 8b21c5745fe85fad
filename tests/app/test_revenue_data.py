"""The Revenue page's figures (entitlement_core.views.revenue and its marts), on tiny inline tables."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core import views
from entitlement_core.basis import Basis
from entitlement_core.filters import Filters
from entitlement_core.staging import Tables
from entitlement_core.usage.balances import GRANT_COLUMNS, breakage_totals

UTC = dt.UTC
AS_OF = dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
EXPIRED = dt.datetime(2027, 1, 15, tzinfo=UTC)


def _at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=UTC)


def _tables() -> Tables:
    """Acme (owner Olu, Pro tier): E1 Standard cases cap 10 with 11 cases in March, then a 5-case pack
    in April; E2 Hours 20 bank with 25 hours in May. Globex (owner Ana): E3 Pro cap 2, 4 cases in June,
    and a 1,000 commitment at 250 per case."""
    ents = {
        "entitlement_id": ["E1", "E2", "E3"],
        "account_id": ["A1", "A1", "A2"],
        "usage_type": ["cases", "hours", "cases"],
        "plan": ["Standard", "Hours 20", "Pro"],
        "cap": [10.0, 20.0, 2.0],
        "start_date": [dt.date(2026, 1, 1)] * 3,
        "end_date": [dt.date(2026, 12, 31)] * 3,
    }
    cases = [("E1", "A1", _at(d)) for d in range(1, 12)] + [("E2", "A1", _at(1, 5))]
    cases += [("E3", "A2", _at(d, 6)) for d in range(1, 5)]
    return Tables.from_frames(
        accounts={
            "account_id": ["A1", "A2"],
            "name": ["Acme", "Globex"],
            "tier": ["Pro", "Standard"],
            "region": ["NA", "EMEA"],
            "owner": ["Olu", "Ana"],
        },
        plans={
            "plan": ["Standard", "Hours 20", "Pro"],
            "usage_type": ["cases", "hours", "cases"],
            "cap": [10.0, 20.0, 50.0],
            "overage_rate": [250.0, 190.0, None],
        },
        entitlements=ents,
        cases={
            "case_id": [f"C{i}" for i in range(len(cases))],
            "entitlement_id": [c[0] for c in cases],
            "account_id": [c[1] for c in cases],
            "created_at": [c[2] for c in cases],
        },
        time_entries={
            "time_entry_id": ["T1"],
            "case_id": ["C11"],
            "entry_date": [dt.date(2026, 5, 2)],
            "minutes": [25 * 60.0],
        },
        grants={
            "grant_id": ["P1", "M1"],
            "entitlement_id": ["E1", "E3"],
            "resource": ["cases", "cases"],
            "quantity": [5.0, 1000.0],
            "unit_rate": [None, 250.0],
            "effective_from": [_at(1, 4), dt.datetime(2026, 1, 1, tzinfo=UTC)],
            "kind": ["pack", "commitment"],
        },
        usage_resources={"resource": ["cases", "hours"], "unit": ["case", "hour"]},
    )


def mart(name: str, as_of: dt.datetime = AS_OF, **params) -> pl.DataFrame:
    return views.with_filter_dims(Basis(_tables(), as_of=as_of), name, **params)


def test_grant_balances_draw_the_anchor_then_the_pack() -> None:
    got = Basis(_tables(), as_of=AS_OF).mart("grant-balances").filter(pl.col("entitlement_id") == "E1")
    assert got.select(
        "grant_id", "kind", "unit", "units", "drawn", "balance", "state", "breakage"
    ).rows() == [
        ("E1:anchor", "anchor", "case", 10.0, 10.0, 0.0, "active", 0.0),
        # The pack bought after running out covers the one-case deficit first.
        ("P1", "pack", "case", 5.0, 1.0, 4.0, "active", 0.0),
    ]
    assert got.columns == list(GRANT_COLUMNS)


def test_unused_balance_is_breakage_once_the_grant_expired() -> None:
    grants = Basis(_tables(), as_of=EXPIRED).mart("grant-balances")
    totals = breakage_totals(grants)
    # E1: 4 left on the pack; E3: commitment 4 units, 2 drawn beyond the cap -> 2 unused (500 in money).
    assert totals.select("resource", "unit", "breakage", "expired_grants", "grants_with_breakage").rows() == [
        ("cases", "case", 6.0, 4, 2),
        ("hours", "hour", 0.0, 1, 0),
    ]
    assert totals["breakage_amount"].to_list() == [500.0, None]


def test_overage_revenue_per_plan_adds_up_to_the_whole() -> None:
    """Pricing each plan apart gives the same money as pricing everything (invariant)."""
    whole = mart("overage-revenue")
    parts = pl.concat([mart("overage-revenue", plan=(p,)) for p in ("Standard", "Hours 20", "Pro")])
    assert whole["overage_amount"].sum() == parts["overage_amount"].sum() == 5 * 190.0
    # E1's one-case deficit is covered by the pack; E2 is 5 hours over at 190; E3's commitment covers it.
    assert whole.select("account_id", "month", "overage_units", "overage_amount").rows() == [
        ("A1", dt.date(2026, 5, 1), 5.0, 950.0)
    ]


def test_the_revenue_mart_carries_account_dimensions() -> None:
    revenue = mart("overage-revenue")
    assert revenue.select("account_id", "owner", "tier", "region").rows() == [("A1", "Olu", "Pro", "NA")]
    account_level, params = Filters.of({"tier": ["Pro"], "plan": ["Hours 20"]}).split()
    assert params == {"plan": ("Hours 20",), "usage_type": ()}
    assert account_level == Filters(tier=("Pro",))
    assert account_level.apply(revenue).height == 1
    assert Filters.of({"tier": ["Standard"]}).apply(revenue).is_empty()
    view = views.revenue_view(Basis(_tables(), as_of=AS_OF), filters=Filters.of({"plan": ["Standard"]}))
    assert view.revenue.is_empty() and view.total == 0


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (["owner"], [("Olu", 2, 300.0, 1500.0), ("Ana", 1, 1.0, 0.0)]),
        (["account_id", "owner"], [("A1", "Olu", 2, 300.0, 1500.0), ("A2", "Ana", 1, 1.0, 0.0)]),
    ],
)
def test_overage_totals(by: list[str], expected: list[tuple]) -> None:
    revenue = pl.DataFrame(
        {
            "account_id": ["A1", "A1", "A2"],
            "owner": ["Olu", "Olu", "Ana"],
            "month": [dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 6, 1)],
            "overage_units": [100.0, 200.0, 1.0],
            "overage_amount": [500.0, 1000.0, None],
        }
    )
    got = views.overage_totals(revenue, by)
    assert got.select(*by, "months", "overage_units", "overage_amount").rows() == expected


def test_commitment_balances_in_money_with_dimensions() -> None:
    got = views.commitment_balances(mart("grant-balances"))
    expected = pl.DataFrame(
        {
            "grant_id": ["M1"],
            "account_name": ["Globex"],
            "owner": ["Ana"],
            "committed_amount": [1000.0],
            "drawn_amount": [500.0],
            "remaining_amount": [500.0],
            "pct_drawn": [0.5],
        }
    )
    assert_frame_equal(got.select(expected.columns), expected)


def test_what_is_left_on_packs_is_said_per_resource() -> None:
    view = views.revenue_view(Basis(_tables(), as_of=AS_OF))
    # E1's 5-case pack covered the 11th case: 4 cases left; nothing is added across units.
    assert view.topup_balances == "4.0 cases"
    assert views.revenue_view(
        Basis(_tables(), as_of=AS_OF), filters=Filters.of({"plan": ["Pro"]})
    ).topup_balances == ("nothing")
