"""Backup while others read, restore in one rename, rebuilds that land whole or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from entitlement_core.backup import backup, restore
from entitlement_core.cli import main
from entitlement_core.store import SCHEMA_VERSION, Store, StoreError
from tests.team import fingerprint
from tests.test_access import Holder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "live.duckdb"
    assert main(["demo", "--cases", "400", "--today", "2026-06-30", "--db", str(path)]) == 0
    return path


def test_backup_while_another_process_reads_is_a_consistent_copy(db: Path, tmp_path: Path) -> None:
    reading = Holder(db, "read")
    try:
        copy = backup(Store(db, wait=5), tmp_path / "copies" / "b.duckdb")
    finally:
        reading.release()
    assert fingerprint(copy) == fingerprint(db)
    assert Store(copy).schema_version() == SCHEMA_VERSION
    with duckdb.connect(str(copy), read_only=True) as con:
        keys = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'")
        assert keys.fetchall()[0][0] >= 16


def test_a_backup_keeps_sequences_going(db: Path, tmp_path: Path) -> None:
    store = Store(db)
    with store.transaction() as con:
        store.audit(con, actor="a", action="x", table_name="accounts", record_id="1", before=None, after=None)
    copy = Store(backup(store, tmp_path / "b.duckdb"))
    with copy.transaction() as con:
        store.audit(con, actor="b", action="y", table_name="accounts", record_id="2", before=None, after=None)
    ids = copy.audit_entries()["audit_id"].to_list()
    assert len(set(ids)) == len(ids)


def test_backup_refuses_to_overwrite(db: Path, tmp_path: Path) -> None:
    (tmp_path / "taken.duckdb").write_bytes(b"something")
    with pytest.raises(StoreError, match="exists"):
        backup(Store(db), tmp_path / "taken.duckdb")
    assert (tmp_path / "taken.duckdb").read_bytes() == b"something"


def test_restore_puts_the_backup_back_and_saves_what_it_replaced(db: Path, tmp_path: Path) -> None:
    store = Store(db)
    saved_state = fingerprint(db)
    copy = backup(store, tmp_path / "b.duckdb")
    stamp = store.stamp()
    with store.transaction() as con:
        store.append(con, "accounts", pl.DataFrame({"account_id": ["LATER"], "name": ["Later Co"]}))
        store.bump_data_version(con)
    changed = fingerprint(db)
    version = store.data_version()
    assert main(["restore", str(copy), "--db", str(db)]) == 0
    assert fingerprint(db) == saved_state
    assert store.data_version() > version  # caches keyed on the version see a change
    assert store.stamp() not in (stamp, "")
    replaced = list((tmp_path / "backups").glob("live-before-restore-*.duckdb"))
    assert len(replaced) == 1 and fingerprint(replaced[0]) == changed


def test_restore_waits_for_readers_and_refuses_what_is_not_a_backup(db: Path, tmp_path: Path) -> None:
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello", encoding="utf-8")
    before = fingerprint(db)
    with pytest.raises(StoreError, match="not a database"):
        restore(Store(db), not_db)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(StoreError, match="not a database of this program"):
        restore(Store(db), other)
    newer = tmp_path / "newer.duckdb"
    Store(newer).close()
    with Store(newer).transaction() as con:
        con.execute("UPDATE store_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this program"):
        restore(Store(db), newer)
    assert fingerprint(db) == before
    reading = Holder(db, "read")
    with pytest.raises(StoreError, match="busy"):
        restore(Store(db, wait=0.3), backup(Store(db), tmp_path / "b.duckdb"))
    reading.release()
    assert fingerprint(db) == before


def test_a_rebuild_stopped_midway_changes_nothing(db: Path) -> None:
    from entitlement_core.demo import build_demo

    store = Store(db)
    before = fingerprint(db)

    def stop(done: int, total: int, message: str) -> None:
        if message.startswith("cases"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), store.rebuilding() as fresh:
        build_demo(fresh, cases=3000, seed=3, today=dt.date(2026, 6, 30), chunk_size=1000, progress=stop)
    assert fingerprint(db) == before
    assert not store.demo_build_unfinished()
    assert [p.name for p in db.parent.iterdir() if p.name.startswith(".")] == []
