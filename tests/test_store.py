"""The store: migrations, transactions, typed reads, audit log, data version."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from entitlement_core import store as store_module
from entitlement_core.schema import TABLES
from entitlement_core.store import SCHEMA_VERSION, Store, StoreError


def test_fresh_store_has_every_table_typed(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    cols = store.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name = 'cases'"
    )
    types = dict(zip(cols["column_name"], cols["data_type"], strict=True))
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["is_deleted"] == "BOOLEAN"
    assert set(TABLES) <= set(store.table_counts())


def test_version_one_database_migrates_forward_keeping_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    store_module._v1(con)
    con.execute("INSERT INTO store_meta VALUES ('schema_version', '1'), ('data_version', '3')")
    con.execute("INSERT INTO accounts (account_id, name) VALUES ('A1', 'Acme')")
    con.execute("INSERT INTO plans (plan, usage_type, cap) VALUES ('Pro', 'cases', 50)")
    con.close()
    with Store(path) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.count("accounts") == 1
        assert s.data_version() == 3
        assert "rollover_max" in s.table("plans").columns
        assert s.count("grants") == 0


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with Store(path) as s:
        s.con.execute("UPDATE store_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this program"):
        Store(path)


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO accounts (account_id, name) VALUES ('A1', 'Acme')")
        raise RuntimeError("boom")
    assert store.count("accounts") == 0


def test_append_audit_and_data_version(store: Store) -> None:
    before = store.data_version()
    with store.transaction() as con:
        store.append(con, "accounts", pl.DataFrame({"account_id": ["A1"], "name": ["Acme"]}))
        store.audit(
            con,
            actor="ann",
            action="create",
            table_name="accounts",
            record_id="A1",
            before=None,
            after={"name": "Acme"},
        )
        store.bump_data_version(con)
    assert store.data_version() == before + 1
    entry = store.audit_entries().row(0, named=True)
    assert (entry["actor"], entry["action"], entry["record_id"]) == ("ann", "create", "A1")
    assert '"Acme"' in entry["after"]


def test_table_refuses_unknown_columns(store: Store) -> None:
    with pytest.raises(KeyError):
        store.table("accounts", ["account_id", "1; DROP TABLE accounts"])


def test_conform_of_no_columns_is_an_empty_table() -> None:
    from entitlement_core.staging import conform

    assert conform("grants", {}).collect().height == 0
    assert conform("grants", pl.DataFrame()).collect().height == 0
