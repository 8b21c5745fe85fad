"""Exact arithmetic: quantities and money stay exact until they are shown (no rounding hides drift)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from entitlement_core.basis import Basis
from entitlement_core.ingest import import_path
from entitlement_core.schema import TABLES
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import SCHEMA_VERSION, Store

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _hours(minutes: list[float], cap: float, plan: dict | None = None) -> Tables:
    n = len(minutes)
    return Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        plans=plan,
        entitlements={
            "entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["hours"], "cap": [cap],
            "plan": [plan["plan"][0] if plan else None],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)],
        },
        cases={"case_id": ["C"], "account_id": ["A"], "entitlement_id": ["E"],
               "created_at": [at("2026-02-01")]},
        time_entries={"time_entry_id": [f"T{i}" for i in range(n)], "case_id": ["C"] * n,
                      "entry_date": [dt.date(2026, 2, 1) + dt.timedelta(days=i) for i in range(n)],
                      "minutes": minutes},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "cap", "status", "remaining"),
    [
        # Ten entries of 6 minutes are 1 hour exactly (0.1 h ten times is 0.9999999999999999 in floats).
        ([6.0] * 10, 1.0, "exhausted", 0.0),
        ([6.0] * 11, 1.0, "over_cap", -0.1),
        # 9.6 of 12 hours is exactly 80%: near limit (9.6 / 12 is 0.7999999999999999 in floats).
        ([576.0], 12.0, "near_limit", 2.4),
        ([575.0], 12.0, "healthy", 145 / 60),
        # Fractional minutes add up exactly too.
        ([0.1] * 30, 0.05, "exhausted", 0.0),
    ],
)
def test_hours_are_summed_exactly_in_minutes(minutes, cap, status, remaining) -> None:
    row = Basis(_hours(minutes, cap), as_of=at("2026-06-01")).mart("utilization").row(0, named=True)
    assert (row["status"], row["remaining"]) == (status, pytest.approx(remaining, abs=1e-12))
    assert row["consumed"] + row["remaining"] == pytest.approx(row["cap"], abs=1e-12)


def test_overage_money_is_exact() -> None:
    """Three overage cases at 149.99 are 449.97 (not 449.97000000000003)."""
    plan = {"plan": ["Std"], "usage_type": ["cases"], "cap": [2.0], "overage_rate": ["149.99"]}
    t = Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        plans=pl.DataFrame(plan).with_columns(pl.col("overage_rate").cast(pl.Decimal(18, 6))),
        entitlements={"entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["cases"], "cap": [2.0],
                      "plan": ["Std"], "start_date": [dt.date(2026, 1, 1)],
                      "end_date": [dt.date(2026, 12, 31)]},
        cases={"case_id": [f"C{i}" for i in range(5)], "account_id": ["A"] * 5, "entitlement_id": ["E"] * 5,
               "created_at": [at("2026-02-01") + dt.timedelta(hours=i) for i in range(5)]},
    )  # fmt: skip
    b = Basis(t, as_of=at("2026-06-01"))
    assert b.mart("overage-summary")["overage_amount"].to_list() == [449.97]
    assert b.mart("overage-revenue")["overage_amount"].to_list() == [449.97]
    assert b.positions["overage_base"].to_list() == [Decimal(3)]


def test_money_columns_are_decimal_in_the_store_and_imported_exactly(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "plans.csv").write_text(
        "plan,usage_type,cap,annual_price,overage_rate\nStd,cases,10,4800.10,149.99\n"
    )
    with Store(tmp_path / "db.duckdb") as store:
        import_path(store, folder)
        kinds = store.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'plans'"
        )
        types = dict(kinds.iter_rows())
        assert types["overage_rate"] == types["annual_price"] == "DECIMAL(18,6)"
        plans = load_tables(store).plans.collect()
    assert plans["overage_rate"].to_list() == [Decimal("149.99")]
    assert plans.schema["annual_price"] == pl.Decimal(18, 6)
    decimal = {c.name for spec in TABLES.values() for c in spec.columns if c.type == "decimal"}
    assert {"annual_price", "overage_rate", "quantity", "unit_rate"} <= decimal


@pytest.mark.parametrize("version", [2, 5])
def test_an_older_database_gets_exact_money_columns(tmp_path: Path, version: int) -> None:
    """Migration 6: DOUBLE money columns become DECIMAL(18,6), values kept (from versions 2 and 5)."""
    from entitlement_core import store as store_module

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for migrate in store_module.MIGRATIONS[:version]:
        migrate(con)
    con.execute("ALTER TABLE plans ALTER overage_rate TYPE DOUBLE")
    con.execute("ALTER TABLE grants ALTER quantity TYPE DOUBLE")
    con.execute("INSERT INTO plans (plan, usage_type, overage_rate) VALUES ('Std', 'cases', 149.99)")
    con.execute("INSERT INTO grants (grant_id, entitlement_id, quantity) VALUES ('G1', 'E1', 2.5)")
    con.execute(f"INSERT INTO store_meta VALUES ('schema_version', '{version}'), ('data_version', '7')")
    con.close()
    store = Store(path)
    with store.reading() as snap:
        assert store.schema_version() == SCHEMA_VERSION
        rate = snap.query("SELECT overage_rate FROM plans").item()
        quantity = snap.query("SELECT quantity FROM grants").item()
        kinds = snap.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE (table_name, column_name) IN (('plans', 'overage_rate'), ('grants', 'quantity'))"
        ).rows()
    assert (rate, quantity) == (Decimal("149.990000"), Decimal("2.500000"))
    assert {k for _, _, k in kinds} == {"DECIMAL(18,6)"}


def test_a_bad_amount_is_refused_naming_the_cell(tmp_path: Path) -> None:
    from entitlement_core.problems import ProblemsError

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "plans.csv").write_text("plan,usage_type,overage_rate\nStd,cases,1e13\nPro,cases,12.5x\n")
    with Store(":memory:") as store, pytest.raises(ProblemsError) as info:
        import_path(store, folder)
    messages = [p.message for p in info.value.problems]
    assert any("1e13" in m and "too large" in m for m in messages)
    assert any("12.5x" in m for m in messages)
