"""The store: migrations, transactions, typed reads, audit log, data version."""

from __future__ import annotations

import datetime as dt
import os
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
    with Store(path) as s, s.transaction() as con:
        con.execute("UPDATE store_meta SET value = '999' WHERE key = 'schema_version'")
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


def _seeded(store: Store) -> None:
    """Two accounts, three cases (one deleted, one naming no entitlement) and a time entry."""
    ts = pl.Datetime("us", "UTC")
    with store.transaction() as con:
        store.append(con, "accounts", pl.DataFrame({"account_id": ["A1", "A2"], "name": ["Acme", "Bolt"]}))
        store.append(
            con,
            "cases",
            pl.DataFrame(
                {
                    "case_id": ["C1", "C2", "C3"],
                    "account_id": ["A1", "A1", "A2"],
                    "entitlement_id": ["E1", "E1", None],
                    "created_at": pl.Series(
                        ["2026-01-05T10:00:00", "2026-02-01T00:00:00", "2026-03-01T08:30:00"]
                    )
                    .str.to_datetime()
                    .dt.replace_time_zone("UTC")
                    .cast(ts),
                    "is_deleted": [False, True, None],
                }
            ),
        )
        store.append(
            con,
            "time_entries",
            pl.DataFrame(
                {
                    "time_entry_id": ["T1"],
                    "case_id": ["C1"],
                    "entry_date": [dt.date(2026, 1, 5)],
                    "minutes": [30.0],
                }
            ),
        )


def _record_reads(store: Store) -> list[tuple[str, tuple[str, ...]]]:
    """Record every ``store.table`` read as ``(table, columns)``, in order."""
    reads: list[tuple[str, tuple[str, ...]]] = []
    table = store.table

    def spy(name: str, columns=None) -> pl.DataFrame:
        reads.append((name, tuple(columns or ())))
        return table(name, columns)

    store.table = spy  # type: ignore[method-assign]
    return reads


def test_load_tables_reads_small_tables_now_and_scans_the_large_ones(store: Store) -> None:
    from entitlement_core.staging import SCANNED_TABLES, load_tables

    _seeded(store)
    reads = _record_reads(store)
    tables = load_tables(store)
    assert {name for name, _ in reads} == set(TABLES) - set(SCANNED_TABLES)
    reads.clear()
    out = tables.cases.select("case_id", "created_at").sort("case_id").collect()
    # Only the columns the query uses cross from DuckDB, when it is collected.
    assert reads == [("cases", ("case_id", "created_at"))]
    assert out["created_at"].dtype == pl.Datetime("us", "UTC")
    assert out["case_id"].to_list() == ["C1", "C2", "C3"]


def test_a_table_scanned_twice_in_one_plan_is_read_once(store: Store) -> None:
    from entitlement_core.staging import load_tables

    _seeded(store)
    reads = _record_reads(store)
    tables = load_tables(store)
    reads.clear()
    ids = tables.cases.select("case_id", "entitlement_id")
    joined = ids.join(tables.cases.select("case_id", "entitlement_id"), on="case_id")
    pl.collect_all([joined, ids.join(ids, on="case_id"), tables.cases.select("case_id", "entitlement_id")])
    assert reads == [("cases", ("case_id", "entitlement_id"))]


def test_scans_do_not_deadlock_when_polars_has_one_worker_thread(tmp_path: Path) -> None:
    """Queries on both engines at once, Polars on one worker thread; the process exits cleanly."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import datetime as dt, sys
        from concurrent.futures import ThreadPoolExecutor
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        import polars as pl
        from entitlement_core.demo import build_demo
        from entitlement_core.settings import Settings
        from entitlement_core.staging import load_tables
        from entitlement_core.store import Store
        from entitlement_core.usage.utilization import utilization

        assert pl.thread_pool_size() == 1
        with Store({str(tmp_path / "one.duckdb")!r}) as store:
            build_demo(store, cases=3000, seed=3, today=dt.date(2026, 5, 14))
            as_of = dt.datetime(2026, 5, 14, tzinfo=dt.UTC)
            for _ in range(3):
                tables = load_tables(store)
                background = ThreadPoolExecutor(1).submit(tables.cases.select("case_id").collect)
                scans = [tables.usage_events, tables.entitlements, tables.time_entries]
                pl.collect_all(scans, engine="in-memory")
                utilization(load_tables(store), as_of=as_of, thresholds=Settings().thresholds)
                background.result()
        print("done")
        """
    )
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("done")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda lf: lf.select(pl.len()).collect().item(), 3),
        (lambda lf: lf.filter(pl.col("entitlement_id").is_not_null()).select("case_id").collect().height, 2),
        (lambda lf: lf.head(1).collect().height, 1),
        (lambda lf: lf.filter(pl.col("is_deleted")).collect().get_column("case_id").to_list(), ["C2"]),
        (lambda lf: lf.with_row_index().select("index").collect().height, 3),
        (lambda lf: lf.filter(pl.col("account_id") == "A1").head(1).collect().height, 1),
        (lambda lf: lf.filter(pl.col("account_id") == "A9").collect().height, 0),
    ],
)
def test_scanned_table_answers_counts_filters_and_limits(store: Store, query, expected) -> None:
    from entitlement_core.staging import load_tables

    _seeded(store)
    assert query(load_tables(store).cases) == expected


def test_load_tables_is_typed_like_the_schema_and_holds_every_row(store: Store) -> None:
    from entitlement_core.staging import load_tables, polars_schema

    _seeded(store)
    tables = load_tables(store).collect_all()
    for name in TABLES:
        frame = getattr(tables, name).collect()
        assert dict(frame.schema) == polars_schema(name), name
        assert frame.height == store.count(name), name
    cases = tables.cases.sort("case_id").collect()
    assert cases["is_deleted"].to_list() == [False, True, None]
    assert tables.time_entries.collect()["minutes"].to_list() == [30.0]


def test_a_scan_reads_once_and_reads_again_only_for_more_columns(store: Store) -> None:
    from entitlement_core.staging import load_tables

    _seeded(store)
    reads = _record_reads(store)
    tables = load_tables(store)
    reads.clear()
    tables.cases.select("case_id", "created_at").collect()
    tables.cases.select("created_at").filter(pl.col("created_at").dt.month() > 1).collect()
    assert reads == [("cases", ("case_id", "created_at"))]
    # More columns: one read of all of them, so that they come from the same statement.
    tables.cases.select("case_id", "is_deleted").collect()
    assert reads[1:] == [("cases", ("case_id", "created_at", "is_deleted"))]


def test_collect_all_is_a_snapshot_and_a_scan_keeps_what_it_read(store: Store) -> None:
    from entitlement_core.staging import load_tables

    _seeded(store)
    scanned = load_tables(store)
    snapshot = scanned.collect_all()
    fresh = load_tables(store)
    with store.transaction() as con:
        con.execute("DELETE FROM cases WHERE case_id = 'C3'")
    assert snapshot.cases.collect().height == 3
    assert scanned.cases.select("case_id").collect().height == 3
    assert fresh.cases.select("case_id").collect().height == 2
