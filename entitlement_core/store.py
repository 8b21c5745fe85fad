"""The embedded DuckDB store: connection, DDL, migrations and typed reads.

The store owns every SQL statement that touches the database file. Values
always travel as bound parameters; table and column names come only from
:mod:`entitlement_core.schema`, never from user input. Frames cross from
DuckDB to Polars once, through Arrow.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl

from .schema import DUCKDB_TYPES, TABLES, TableSpec

__all__ = ["DEFAULT_DB_PATH", "SCHEMA_VERSION", "Store", "StoreError", "open_store", "scalar"]


#: The default database file: ``data/entitlements.duckdb`` beside the project.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "entitlements.duckdb"


class StoreError(RuntimeError):
    """A database problem worth a one-line message (locked file, newer schema...)."""


def _table_ddl(spec: TableSpec) -> str:
    cols = [f'"{c.name}" {DUCKDB_TYPES[c.type]}' for c in spec.columns]
    cols.append('"extra" JSON')
    return f'CREATE TABLE IF NOT EXISTS "{spec.name}" ({", ".join(cols)})'


#: The native tables of schema version 1 (later versions add tables and columns).
_V1_TABLES = (
    "accounts",
    "contacts",
    "assets",
    "service_contracts",
    "contract_line_items",
    "plans",
    "business_hours",
    "holidays",
    "entitlement_processes",
    "milestone_targets",
    "entitlements",
    "cases",
    "time_entries",
    "case_milestones",
)


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    for name in _V1_TABLES:
        spec = TABLES[name]
        if name == "plans":
            spec = replace(spec, columns=tuple(c for c in spec.columns if c.name != "rollover_max"))
        con.execute(_table_ddl(spec))
    con.execute("CREATE SEQUENCE IF NOT EXISTS import_batch_seq START 1")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS import_batches (
            batch_id BIGINT DEFAULT nextval('import_batch_seq'),
            run_id VARCHAR,
            file_name VARCHAR,
            sha256 VARCHAR,
            format VARCHAR,
            table_name VARCHAR,
            rows_read BIGINT,
            rows_added BIGINT,
            rows_updated BIGINT,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ
        )
        """
    )
    con.execute("CREATE SEQUENCE IF NOT EXISTS audit_seq START 1")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS audit_log (
            audit_id BIGINT DEFAULT nextval('audit_seq'),
            occurred_at TIMESTAMPTZ,
            actor VARCHAR,
            action VARCHAR,
            table_name VARCHAR,
            record_id VARCHAR,
            before JSON,
            after JSON
        )
        """
    )
    con.execute("CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    """Usage management: grants, usage resources and events, plans.rollover_max."""
    _sync_tables(con)


def _sync_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing native tables and add missing columns (additive changes only)."""
    for spec in TABLES.values():
        con.execute(_table_ddl(spec))
        for col in spec.columns:
            con.execute(
                f'ALTER TABLE "{spec.name}" ADD COLUMN IF NOT EXISTS "{col.name}" {DUCKDB_TYPES[col.type]}'
            )


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    """Real exports: case_status_history, cases.business_hours_id, case_milestones.target_at and
    Salesforce's clock figures, milestone_targets.business_hours_id, entitlement_processes.paused_statuses."""
    _sync_tables(con)


#: Forward migrations: index i upgrades a database from version i to i + 1.
MIGRATIONS: tuple[Callable[[duckdb.DuckDBPyConnection], None], ...] = (_v1, _v2, _v3)
SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """One DuckDB database file (or ``:memory:``) with the native schema.

    A single connection is shared; each thread works through its own cursor
    (:meth:`cursor`), which is how DuckDB serves several threads of one
    process (the Streamlit server) safely.
    """

    def __init__(self, path: str | Path = DEFAULT_DB_PATH, *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self._con.execute("SET TimeZone = 'UTC'")
        self._local = threading.local()
        self._write_lock = threading.RLock()
        if not read_only:
            self.migrate()

    # -- connection -----------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
        return cur

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.cursor()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------
    def schema_version(self) -> int:
        con = self.con
        exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'")
        if not exists:
            return 0
        value = scalar(con, "SELECT value FROM store_meta WHERE key = 'schema_version'")
        return int(value) if value is not None else 0

    def migrate(self) -> None:
        """Apply forward migrations up to :data:`SCHEMA_VERSION`, each in a transaction."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema version {current}, newer than this "
                f"program's {SCHEMA_VERSION}: upgrade the program"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction() as con:
                MIGRATIONS[version](con)
                self._set_meta(con, "schema_version", str(version + 1))
                if version == 0:
                    self._set_meta(con, "data_version", "0")

    @staticmethod
    def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        con.execute(
            "INSERT INTO store_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # -- transactions ---------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic write: everything inside commits together or not at all."""
        with self._write_lock:
            con = self.con
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            else:
                con.execute("COMMIT")

    def bump_data_version(self, con: duckdb.DuckDBPyConnection) -> None:
        """Mark the data as changed (inside the caller's transaction): caches key on this."""
        con.execute(
            "UPDATE store_meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
            "WHERE key = 'data_version'"
        )

    def data_version(self) -> int:
        value = scalar(self.con, "SELECT value FROM store_meta WHERE key = 'data_version'")
        return int(value) if value is not None else 0

    def mark_demo_build(self, con: duckdb.DuckDBPyConnection, *, finished: bool) -> None:
        """Record (inside the caller's transaction) that a demo build started or finished."""
        self._set_meta(con, "demo_build", "finished" if finished else "started")

    def demo_build_unfinished(self) -> bool:
        """True when a demo build started here and never finished (the process stopped midway)."""
        return scalar(self.con, "SELECT value FROM store_meta WHERE key = 'demo_build'") == "started"

    # -- reads ----------------------------------------------------------
    def table(self, name: str, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """A whole native table as a Polars frame (typed as in the schema)."""
        spec = TABLES[name]
        wanted = list(columns) if columns is not None else [*spec.column_names, "extra"]
        allowed = {*spec.column_names, "extra"}
        bad = [c for c in wanted if c not in allowed]
        if bad:
            raise KeyError(f"unknown columns of {name}: {bad}")
        cols = ", ".join(f'"{c}"' for c in wanted)
        return self.query(f'SELECT {cols} FROM "{name}"')

    def query(self, sql: str, params: Sequence[object] | dict[str, object] | None = None) -> pl.DataFrame:
        """Run a read-only statement built by this package and return a Polars frame."""
        rel = self.con.sql(sql, params=params) if params is not None else self.con.sql(sql)
        return pl.from_arrow(rel.to_arrow_table())  # type: ignore[return-value]

    def count(self, name: str) -> int:
        if name not in TABLES and name not in ("import_batches", "audit_log"):
            raise KeyError(name)
        return int(scalar(self.con, f'SELECT count(*) FROM "{name}"') or 0)

    def table_counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in TABLES}

    def import_history(self) -> pl.DataFrame:
        return self.query("SELECT * FROM import_batches ORDER BY batch_id DESC")

    def audit_entries(self, limit: int = 200) -> pl.DataFrame:
        return self.query("SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT ?", [limit])

    # -- writes ---------------------------------------------------------
    def append(self, con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
        """Append a frame whose columns are a subset of the table's (inside a transaction)."""
        spec = TABLES[name]
        allowed = {*spec.column_names, "extra"}
        cols = [c for c in frame.columns if c in allowed]
        if len(cols) != len(frame.columns):
            raise KeyError(f"unknown columns for {name}: {set(frame.columns) - allowed}")
        view = f"_append_{name}"
        con.register(view, frame.to_arrow())
        try:
            col_sql = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'INSERT INTO "{name}" ({col_sql}) SELECT {col_sql} FROM "{view}"')
        finally:
            con.unregister(view)

    def clear(self, con: duckdb.DuckDBPyConnection) -> None:
        """Delete every native table's rows (inside the caller's transaction)."""
        for name in reversed(tuple(TABLES)):
            con.execute(f'DELETE FROM "{name}"')

    def audit(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        actor: str,
        action: str,
        table_name: str,
        record_id: str,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
        at: dt.datetime | None = None,
    ) -> None:
        """Write one audit-log entry (who, when, what, before/after) inside a transaction."""
        when = at or dt.datetime.now(dt.UTC)
        con.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, table_name, record_id, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                when,
                actor,
                action,
                table_name,
                record_id,
                None if before is None else json.dumps(before, default=str),
                None if after is None else json.dumps(after, default=str),
            ],
        )


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> object:
    """The first value of a statement's first row (fetching it whole: DuckDB 2
    refuses further work on a cursor with an unfinished result)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def open_store(path: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open (creating and migrating when needed) the store at ``path`` or the default file."""
    return Store(DEFAULT_DB_PATH if path is None else path, read_only=read_only)
