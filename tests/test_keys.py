"""Keys enforced by the database, added by a migration that refuses (naming them) repeated keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from entitlement_core import store as store_module
from entitlement_core.schema import TABLES
from entitlement_core.store import SCHEMA_VERSION, Store, StoreError


def _version_two(path: Path, *, rows: dict[str, list[tuple]]) -> None:
    """A database as version 2 of the program left it (no keys), holding ``rows``."""
    con = duckdb.connect(str(path))
    store_module._v1(con)
    store_module._v2(con)
    con.execute("INSERT INTO store_meta VALUES ('schema_version', '2'), ('data_version', '7')")
    for table, values in rows.items():
        for row in values:
            marks = ", ".join("?" for _ in row)
            con.execute(f'INSERT INTO "{table}" ({", ".join(TABLES[table].key)}) VALUES ({marks})', list(row))
    con.close()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_native_table_refuses_a_second_row_with_its_key(store: Store, name: str) -> None:
    spec = TABLES[name]
    key = spec.key
    values = {
        "text": "k",
        "date": dt.date(2026, 1, 1),
        "timestamp": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    row = {k: values[spec.column(k).type] for k in key}
    with store.transaction() as con:
        con.execute(
            f'INSERT INTO "{name}" ({", ".join(key)}) VALUES ({", ".join("?" for _ in key)})',
            list(row.values()),
        )
    with pytest.raises(duckdb.ConstraintException), store.transaction() as con:
        con.execute(
            f'INSERT INTO "{name}" ({", ".join(key)}) VALUES ({", ".join("?" for _ in key)})',
            list(row.values()),
        )
    assert store.count(name) == 1


def test_an_empty_optional_key_part_counts_as_one_value(store: Store) -> None:
    insert = (
        "INSERT INTO milestone_targets (process_id, milestone, target_minutes) "
        "VALUES ('P', 'First Response', 60)"
    )
    with store.transaction() as con:
        con.execute(insert)
    with pytest.raises(duckdb.ConstraintException), store.transaction() as con:
        con.execute(insert)


def test_an_older_database_gets_its_keys_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _version_two(path, rows={"accounts": [("A1",), ("A2",)], "cases": [("C1",)]})
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.count("accounts") == 2 and store.data_version() == 7
    backups = list((tmp_path / "backups").glob("old-schema-v2-*.duckdb"))
    assert len(backups) == 1
    with duckdb.connect(str(backups[0]), read_only=True) as con:
        assert con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall() == [("2",)]
        assert con.execute("SELECT count(*) FROM accounts").fetchall() == [(2,)]
    with pytest.raises(duckdb.ConstraintException), store.transaction() as con:
        store.append(con, "accounts", pl.DataFrame({"account_id": ["A1"], "name": ["again"]}))


def test_repeated_keys_are_named_and_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "dupes.duckdb"
    _version_two(
        path,
        rows={
            "accounts": [("A1",), ("A1",), ("A2",)],
            "cases": [("C1",), ("C1",), ("C1",), ("C2",), ("C2",), ("C3",), ("C3",), ("C4",), ("C4",)],
        },
    )
    with pytest.raises(StoreError) as err:
        Store(path)
    message = str(err.value)
    assert "accounts: 1 account_id value(s) repeat ('A1' x2)" in message
    assert "cases: 4 case_id value(s) repeat ('C1' x3, 'C2' x2, 'C3' x2 and 1 more)" in message
    assert "nothing was changed" in message and "Repeated keys" in message
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall() == [("2",)]
        assert con.execute("SELECT count(*) FROM cases").fetchall() == [(9,)]
    # Once one row per key is kept, the database opens.
    with duckdb.connect(str(path)) as con:
        for table, key in (("accounts", "account_id"), ("cases", "case_id")):
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT DISTINCT ON ({key}) * FROM {table}")
    assert Store(path).count("cases") == 4
