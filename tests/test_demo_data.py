"""Starting without the demo, and removing it: a backup first, every table emptied, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from entitlement_core.admin.demo_data import choose_start, demo_status, remove_demo
from entitlement_core.backup import backup_dir
from entitlement_core.demo import build_demo
from entitlement_core.ingest import import_uploads
from entitlement_core.schema import TABLES
from entitlement_core.store import Store, StoreError


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, cases=200, seed=3, today=dt.date(2026, 6, 30))
    return path


def test_remove_demo_backs_up_first_then_empties_every_table(demo_file: Path) -> None:
    with Store(demo_file) as store:
        before = store.table_counts()
        version = store.stamp()
        removal = remove_demo(store, actor="Dana")
        assert removal.rows_removed == sum(before.values())
        assert all(n == 0 for n in store.table_counts().values())
        assert store.stamp() != version
        entry = store.query("SELECT actor, action FROM audit_log WHERE action = 'remove-demo'").row(0)
        assert entry == ("Dana", "remove-demo")
        assert not demo_status(store).has_demo
        with pytest.raises(StoreError, match="no demo data"):
            remove_demo(store, actor="Dana")
    assert removal.backup is not None and removal.backup.parent == backup_dir(Store(demo_file))
    with Store(removal.backup) as saved:
        assert saved.table_counts() == before


def test_status_counts_imports_made_on_top_of_the_demo(demo_file: Path) -> None:
    with Store(demo_file) as store:
        assert demo_status(store).has_demo and demo_status(store).imports == 0
        import_uploads(store, [("accounts.csv", b"account_id,name\nNEW1,New Co\n")])
        assert demo_status(store).imports == 1


def test_a_database_without_the_demo_has_nothing_to_remove(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as store:
        choose_start(store, "empty")
        status = demo_status(store)
        assert status.state == "empty" and not status.has_demo and status.rows == 0
        with pytest.raises(StoreError):
            remove_demo(store, actor="Dana")
        choose_start(store, "ask")
        assert demo_status(store).awaits_choice
        assert set(store.table_counts()) == set(TABLES)
