"""Grants and drawdown: order, packs, rollover policy, expiry and breakage, commitments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.staging import conform
from entitlement_core.usage.grants import drawdown, effective_grants, rollover_quantity


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


TERMS = pl.LazyFrame(
    {
        "entitlement_id": ["E1"],
        "usage_type": ["cases"],
        "cap": [10.0],
        "start_utc": [ts("2026-01-01")],
        "end_utc": [ts("2027-01-01")],
    }
)


def grants(*rows: dict) -> pl.LazyFrame:
    base = {"entitlement_id": "E1", "resource": "cases"}
    return conform("grants", pl.DataFrame([{**base, **r} for r in rows]) if rows else {})


def ledger(*moments: str, quantity: float = 1.0) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "entitlement_id": ["E1"] * len(moments),
            "resource": ["cases"] * len(moments),
            "consumed_at": [ts(m) for m in moments],
            "quantity": [quantity] * len(moments),
        },
        schema_overrides={"consumed_at": pl.Datetime("us", "UTC")},
    )


def run(g: pl.LazyFrame, use: pl.LazyFrame, as_of: str, terms: pl.LazyFrame = TERMS):
    per_grant, per_ent = drawdown(effective_grants(g, terms), use, as_of=ts(as_of))
    row = per_ent.row(0, named=True) if per_ent.height else {}
    return per_grant.sort("grant_id"), row


def months(n: int, start_month: int = 2) -> list[str]:
    return [f"2026-{start_month:02d}-{d + 1:02d}T10:00:00" for d in range(n)]


def test_cap_only_is_remaining_cap_minus_consumed() -> None:
    _, row = run(grants(), ledger(*months(11)), "2026-06-01")
    assert (row["granted"], row["consumed"], row["remaining"], row["overage"]) == (10.0, 11.0, -1.0, 1.0)


def test_pack_mid_term_turns_exhausted_into_healthy() -> None:
    pack = {"grant_id": "P1", "quantity": 5.0, "effective_from": ts("2026-06-01"), "kind": "pack"}
    _, before = run(grants(pack), ledger(*months(10)), "2026-05-31")
    assert before["remaining"] == 0.0
    _, after = run(grants(pack), ledger(*months(10)), "2026-06-02")
    assert (after["remaining"], after["granted"]) == (5.0, 15.0)


def test_later_pack_covers_the_deficit_first() -> None:
    pack = {"grant_id": "P1", "quantity": 5.0, "effective_from": ts("2026-06-01"), "kind": "pack"}
    per_grant, row = run(grants(pack), ledger(*months(11)), "2026-06-02")
    assert (row["remaining"], row["overage"]) == (4.0, 0.0)
    assert per_grant.filter(pl.col("grant_id") == "P1")["drawn"][0] == 1.0


def test_rollover_draws_first_and_expired_balance_is_breakage() -> None:
    roll = {
        "grant_id": "R1", "quantity": 5.0, "effective_from": ts("2026-01-01"),
        "expires_at": ts("2026-04-01"), "kind": "rollover",
    }  # fmt: skip
    per_grant, row = run(grants(roll), ledger(*months(3)), "2026-05-01")
    by_id = {r["grant_id"]: r for r in per_grant.to_dicts()}
    assert (by_id["R1"]["drawn"], by_id["R1"]["breakage"], by_id["R1"]["state"]) == (3.0, 2.0, "expired")
    assert (by_id["E1:anchor"]["drawn"], by_id["E1:anchor"]["balance"]) == (0.0, 10.0)
    assert (row["remaining"], row["breakage"], row["granted"]) == (10.0, 2.0, 13.0)


@pytest.mark.parametrize(
    ("pack_priority", "first_drawn"),
    [(None, "E1:anchor"), (1, "P1")],
    ids=["default-anchor-before-pack", "explicit-priority-wins"],
)
def test_priority_orders_the_draw(pack_priority: int | None, first_drawn: str) -> None:
    pack = {
        "grant_id": "P1", "quantity": 5.0, "effective_from": ts("2026-01-01"), "kind": "pack",
        "priority": pack_priority,
    }  # fmt: skip
    per_grant, _ = run(grants(pack), ledger(*months(2)), "2026-06-01")
    drawn = dict(zip(per_grant["grant_id"], per_grant["drawn"], strict=True))
    assert drawn[first_drawn] == 2.0


def test_earliest_expiry_breaks_priority_ties() -> None:
    a = {"grant_id": "PA", "quantity": 5.0, "effective_from": ts("2026-01-01"), "kind": "pack",
         "expires_at": ts("2026-12-01")}  # fmt: skip
    b = {"grant_id": "PB", "quantity": 5.0, "effective_from": ts("2026-01-01"), "kind": "pack",
         "expires_at": ts("2026-09-01")}  # fmt: skip
    terms = TERMS.with_columns(pl.lit(None, dtype=pl.Float64).alias("cap"))
    per_grant, _ = run(grants(a, b), ledger(*months(3)), "2026-06-01", terms)
    drawn = dict(zip(per_grant["grant_id"], per_grant["drawn"], strict=True))
    assert drawn == {"PA": 0.0, "PB": 3.0}


def test_commitment_draws_money_at_its_unit_rate() -> None:
    money = {"grant_id": "M1", "resource": "cases", "quantity": 1000.0, "unit_rate": 100.0,
             "effective_from": ts("2026-01-01"), "kind": "commitment"}  # fmt: skip
    terms = TERMS.with_columns(pl.lit(None, dtype=pl.Float64).alias("cap"))
    per_grant, row = run(grants(money), ledger(*months(4)), "2026-06-01", terms)
    m = per_grant.row(0, named=True)
    assert (m["units"], m["drawn"], m["balance"]) == (10.0, 4.0, 6.0)
    assert m["balance"] * m["unit_rate"] == 600.0
    assert row["remaining"] == 6.0


def test_future_grants_and_future_consumption_do_not_count() -> None:
    pack = {"grant_id": "P1", "quantity": 5.0, "effective_from": ts("2026-09-01"), "kind": "pack"}
    per_grant, row = run(grants(pack), ledger(*months(3), "2026-08-01T00:00:00"), "2026-07-01")
    assert per_grant.filter(pl.col("grant_id") == "P1")["state"][0] == "future"
    assert (row["consumed"], row["remaining"], row["granted"]) == (3.0, 7.0, 10.0)


@pytest.mark.parametrize(
    ("unused", "pct", "maximum", "expected"),
    [
        (30.0, None, None, 0.0),  # no policy
        (30.0, 0.5, None, 15.0),  # percentage
        (30.0, None, 10.0, 10.0),  # maximum
        (8.0, None, 10.0, 8.0),
        (30.0, 0.5, 10.0, 10.0),  # both: fraction, capped
        (8.0, 0.5, 10.0, 4.0),
        (-3.0, 0.5, 10.0, 0.0),  # over cap: nothing rolls
    ],
)
def test_rollover_policy(unused: float, pct: float | None, maximum: float | None, expected: float) -> None:
    frame = pl.DataFrame(
        {"u": [unused], "p": [pct], "m": [maximum]},
        schema={"u": pl.Float64, "p": pl.Float64, "m": pl.Float64},
    )
    got = frame.select(rollover_quantity(pl.col("u"), pl.col("p"), pl.col("m"))).item()
    assert got == expected
