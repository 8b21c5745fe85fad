"""Drawdown against a deliberately simple reference: one unit at a time, in time order.

The reference walks every key's moments in order: at each moment the set of
valid grants changes, the open deficit is drawn from the grants valid then;
each unit of consumption draws from the grants valid at its moment, lowest
``draw_rank`` first, and what none covers adds to the deficit.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from entitlement_core.usage.grants import drawdown

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TS = pl.Datetime("us", "UTC")
KINDS = ("anchor", "pack", "rollover", "commitment")


def at(day: int) -> dt.datetime:
    return BASE + dt.timedelta(days=day)


grant_st = st.fixed_dictionaries(
    {
        "key": st.integers(0, 2),
        "kind": st.sampled_from(KINDS),
        "units": st.integers(0, 8).map(float),
        "start": st.integers(0, 40),
        "length": st.integers(1, 60),
    }
)
use_st = st.tuples(st.integers(0, 2), st.integers(-5, 90), st.sampled_from([0.5, 1.0, 2.0]))


def reference(grants: list[dict], uses: list[tuple[int, int, float]], as_of: dt.datetime):
    """Per grant (drawn, balance) and per key deficit, one unit and one moment at a time."""
    balance = {g["grant_id"]: g["units"] for g in grants}
    drawn = dict.fromkeys(balance, 0.0)
    deficit: dict[int, float] = {}
    for key in {g["key"] for g in grants}:
        mine = sorted((g for g in grants if g["key"] == key), key=lambda g: g["draw_rank"])
        changes = {g["valid_from"] for g in mine} | {g["valid_to"] for g in mine}
        events = [(m, 0, 0.0) for m in changes if m <= as_of]
        events += [(at(day), 1, q) for k, day, q in uses if k == key and at(day) <= as_of]
        owed = 0.0
        for moment, kind, quantity in sorted(events, key=lambda e: (e[0], e[1])):
            need = owed if kind == 0 else quantity
            for g in mine:
                if g["valid_from"] <= moment < g["valid_to"] and need > 0:
                    take = min(need, balance[g["grant_id"]])
                    balance[g["grant_id"]] -= take
                    drawn[g["grant_id"]] += take
                    need -= take
            owed = need if kind == 0 else owed + need
        deficit[key] = owed
    return balance, drawn, deficit


@settings(max_examples=150, deadline=None)
@given(
    grant_rows=st.lists(grant_st, min_size=1, max_size=7),
    uses=st.lists(use_st, max_size=25),
    as_of_day=st.integers(0, 100),
)
def test_drawdown_matches_the_unit_by_unit_reference(grant_rows, uses, as_of_day) -> None:
    as_of = at(as_of_day) + dt.timedelta(hours=12)
    grants = []
    for i, row in enumerate(grant_rows):
        same_key = sum(1 for g in grants if g["key"] == row["key"])
        grants.append(
            {
                "grant_id": f"G{i:02d}",
                "key": row["key"],
                "kind": row["kind"],
                "units": row["units"],
                "valid_from": at(row["start"]),
                "valid_to": at(row["start"] + row["length"]),
                # Any order will do; the drawdown follows the given rank.
                "draw_rank": (same_key * 7 + i * 3) % 11,
            }
        )
    frame = pl.LazyFrame(
        {
            "grant_id": [g["grant_id"] for g in grants],
            "entitlement_id": [f"E{g['key']}" for g in grants],
            "resource": ["cases"] * len(grants),
            "kind": [g["kind"] for g in grants],
            "quantity": [g["units"] for g in grants],
            "units": [g["units"] for g in grants],
            "unit_rate": [None] * len(grants),
            "valid_from": [g["valid_from"] for g in grants],
            "valid_to": [g["valid_to"] for g in grants],
            "draw_rank": [g["draw_rank"] for g in grants],
        },
        schema_overrides={"valid_from": TS, "valid_to": TS, "unit_rate": pl.Float64},
    )
    ledger = pl.LazyFrame(
        {
            "entitlement_id": [f"E{k}" for k, _, _ in uses],
            "resource": ["cases"] * len(uses),
            "consumed_at": [at(day) for _, day, _ in uses],
            "quantity": [q for _, _, q in uses],
        },
        schema={
            "entitlement_id": pl.String,
            "resource": pl.String,
            "consumed_at": TS,
            "quantity": pl.Float64,
        },
    )
    per_grant, per_key = drawdown(frame, ledger, as_of=as_of)
    # Exact decimals out; the reference works in floats.
    per_grant = per_grant.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    per_key = per_key.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    balance, drawn, deficit = reference(grants, uses, as_of)

    got = {r["grant_id"]: r for r in per_grant.iter_rows(named=True)}
    for g in grants:
        row = got[g["grant_id"]]
        assert abs(row["drawn"] - drawn[g["grant_id"]]) < 1e-9, g
        assert abs(row["balance"] - balance[g["grant_id"]]) < 1e-9, g
        expired = g["valid_to"] <= as_of
        assert row["state"] == ("future" if g["valid_from"] > as_of else "expired" if expired else "active")
        assert abs(row["breakage"] - (balance[g["grant_id"]] if expired else 0.0)) < 1e-9

    keys = {g["key"] for g in grants}
    assert per_key.height == len(keys)
    for row in per_key.iter_rows(named=True):
        key = int(row["entitlement_id"][1:])
        mine = [g for g in grants if g["key"] == key]
        active = sum(balance[g["grant_id"]] for g in mine if g["valid_from"] <= as_of < g["valid_to"])
        consumed = sum(q for k, day, q in uses if k == key and at(day) <= as_of)
        assert abs(row["overage"] - deficit[key]) < 1e-9
        assert abs(row["remaining"] - (active - deficit[key])) < 1e-9
        assert abs(row["consumed"] - consumed) < 1e-9
        assert abs(row["granted"] - (sum(drawn[g["grant_id"]] for g in mine) + active)) < 1e-9
        # Every unit is drawn or still owed: consumed + remaining = granted, breakage or not.
        assert abs(row["consumed"] + row["remaining"] - row["granted"]) < 1e-9
