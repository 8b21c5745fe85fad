"""Utilization with grants: packs change the status; cap-only entitlements are unchanged."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.basis import Basis
from entitlement_core.demo import build_demo
from entitlement_core.settings import Thresholds
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store
from entitlement_core.usage import utilization
from entitlement_core.usage.balances import key_balances

D = dt.date


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def tables(n_cases: int, grants: dict | None = None) -> Tables:
    return Tables.from_frames(
        accounts={"account_id": ["A1"], "name": ["Acme"]},
        entitlements={
            "entitlement_id": ["E1"], "account_id": ["A1"], "usage_type": ["cases"], "cap": [10.0],
            "start_date": [D(2026, 1, 1)], "end_date": [D(2026, 12, 31)],
        },
        cases={
            "case_id": [f"C{i}" for i in range(n_cases)], "account_id": ["A1"] * n_cases,
            "entitlement_id": ["E1"] * n_cases,
            "created_at": [at("2026-02-01") + dt.timedelta(days=i) for i in range(n_cases)],
        },
        grants=grants,
    )  # fmt: skip


PACK = {
    "grant_id": ["P1"], "entitlement_id": ["E1"], "resource": ["cases"], "quantity": [5.0],
    "effective_from": [at("2026-04-01")], "kind": ["pack"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("as_of", "status", "cap", "remaining"),
    [("2026-03-31", "exhausted", 10.0, 0.0), ("2026-04-02", "healthy", 15.0, 5.0)],
)
def test_pack_mid_term_turns_exhausted_into_healthy(
    as_of: str, status: str, cap: float, remaining: float
) -> None:
    row = utilization(tables(10, PACK), as_of=at(as_of), thresholds=Thresholds()).collect().row(0, named=True)
    assert (row["status"], row["cap"], row["remaining"], row["anchor_cap"]) == (status, cap, remaining, 10.0)
    assert row["consumed"] + row["remaining"] == row["cap"]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Store:
    """A demo database of 4,000 cases (grants, packs and metered events included)."""
    store = Store(tmp_path_factory.mktemp("demo") / "d.duckdb")
    build_demo(store, cases=4000, seed=11, today=D(2026, 6, 30))
    yield store
    store.close()


@pytest.fixture(scope="module")
def demo_tables(demo_store: Store) -> Tables:
    """The demo's tables in memory."""
    return load_tables(demo_store).collect_all()


def test_cap_only_entitlements_are_unchanged_by_grants_on_demo_data(demo_tables: Tables) -> None:
    as_of = at("2026-06-30T12:00:00")
    with_grants = utilization(demo_tables, as_of=as_of, thresholds=Thresholds()).collect()
    no_grants = replace(demo_tables, grants=demo_tables.grants.clear())
    before = utilization(no_grants, as_of=as_of, thresholds=Thresholds()).collect()
    granted = demo_tables.grants.select("entitlement_id").unique().collect().get_column("entitlement_id")
    assert granted.len() > 0
    untouched = pl.col("entitlement_id").is_in(granted.implode()).not_()
    assert_frame_equal(with_grants.filter(untouched), before.filter(untouched))
    # and the granted ones keep the invariant with the larger allotment
    touched = with_grants.filter(~untouched & pl.col("cap").is_not_null())
    assert (touched["consumed"] + touched["remaining"] - touched["cap"]).abs().max() < 1e-9


@pytest.mark.parametrize("as_of", ["2025-09-30T00:00:00", "2026-03-01T12:00:00", "2026-06-30T23:59:59"])
def test_allotment_is_the_grant_drawdown_of_balances(demo_tables: Tables, as_of: str) -> None:
    """Utilization's cap is the grant balances' allotment of the entitlement's own resource."""
    b = Basis(demo_tables, as_of=at(as_of))
    util = b.mart("utilization")
    own = (
        demo_tables.grants.join(demo_tables.entitlements, on="entitlement_id")
        .filter(pl.col("resource") == pl.col("usage_type"))
        .select("entitlement_id")
        .unique()
        .collect()
    )
    keys = key_balances(b).join(util.select("entitlement_id", "usage_type"), on="entitlement_id")
    allot = keys.filter(pl.col("resource") == pl.col("usage_type")).join(own, on="entitlement_id", how="semi")
    assert allot.height > 0
    granted = util.join(allot.select("entitlement_id", "granted"), on="entitlement_id", how="inner")
    assert granted.height == allot.height
    assert (granted["cap"] - granted["granted"]).abs().max() < 1e-9
    others = util.join(own, on="entitlement_id", how="anti")
    assert others.filter(
        pl.col("cap").ne_missing(pl.col("anchor_cap")) & (pl.col("usage_type") != "none")
    ).is_empty()


def test_utilization_of_scanned_tables_equals_in_memory_tables(
    demo_store: Store, demo_tables: Tables
) -> None:
    """``load_tables`` scans the cases from the store: the same figures as from frames in memory."""
    as_of = at("2026-06-30T12:00:00")
    scanned = utilization(load_tables(demo_store), as_of=as_of, thresholds=Thresholds()).collect()
    in_memory = utilization(demo_tables, as_of=as_of, thresholds=Thresholds()).collect()
    assert_frame_equal(scanned, in_memory)
