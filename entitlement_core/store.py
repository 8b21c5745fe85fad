"""The embedded DuckDB store: sessions, DDL, migrations and typed reads.

The store owns every SQL statement that touches the database file. Values
always travel as bound parameters; table and column names come only from
:mod:`entitlement_core.schema`, never from user input. Frames cross from
DuckDB to Polars once, through Arrow.

Access model (:mod:`entitlement_core.access`): no process holds the file
between operations. A :class:`Store` is a handle on the file, not an open
connection:

- ``with store.reading() as snap:`` opens the file read-only, and ``snap``
  (a :class:`Session`) reads a consistent snapshot, from any thread, until
  the block ends and the file is closed again;
- ``with store.transaction() as con:`` opens it read-write for one
  transaction: everything inside commits together or not at all, then the
  file is closed and the data version file beside it
  (``<database>.version``) is rewritten, so readers elsewhere know to reload
  (:meth:`Store.stamp`) without opening the database;
- the read methods of :class:`Store` itself (``store.query(...)``) each open
  a short session of their own, or use the one this thread is in: inside a
  transaction they see its uncommitted writes, which is how every check of a
  write runs inside the transaction that writes.

Both wait (``wait`` seconds, default 30) while another process holds the
file, and then fail with :class:`StoreBusy` naming it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl

from .access import DEFAULT_WAIT_SECONDS, Gate, StoreBusy, StoreError, VersionFile, gate_for
from .keys import add_keys
from .schema import DUCKDB_TYPES, TABLES, TableSpec
from .session import Session, StoreReads, scalar, set_meta
from .session import data_version as _data_version

__all__ = [
    "DEFAULT_DB_PATH",
    "DEFAULT_WAIT_SECONDS",
    "SCHEMA_VERSION",
    "Session",
    "Store",
    "StoreBusy",
    "StoreError",
    "open_store",
    "scalar",
]


#: The default database file: ``data/entitlements.duckdb`` beside the project.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "entitlements.duckdb"


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


def _v3_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Keys enforced by the database (refused, naming them, when stored rows repeat a key);
    who ran each import."""
    _sync_tables(con)
    add_keys(con)
    con.execute("ALTER TABLE import_batches ADD COLUMN IF NOT EXISTS actor VARCHAR")


def _v4_real_exports(con: duckdb.DuckDBPyConnection) -> None:
    """Real exports: case_status_history (keyed), cases.business_hours_id, case_milestones.target_at
    and Salesforce's clock figures, milestone_targets.business_hours_id,
    entitlement_processes.paused_statuses."""
    _sync_tables(con)
    add_keys(con)


def _v5_alerts(con: duckdb.DuckDBPyConnection) -> None:
    """Alerts: the state of every rule and record (one row per crossing) and the delivery outbox."""
    from .alerts.tables import create_alert_tables

    create_alert_tables(con)


def _v6_money(con: duckdb.DuckDBPyConnection) -> None:
    """Money (and grant and metered quantities) exact: DOUBLE columns become DECIMAL(18,6). DuckDB
    changes no type under an index: a unique-index key is dropped and made again around it."""
    _sync_tables(con)
    for spec in (t for t in TABLES.values() if any(c.type == "decimal" for c in t.columns)):
        con.execute(f'DROP INDEX IF EXISTS "{spec.name}_key"')
        for col in (c for c in spec.columns if c.type == "decimal"):
            con.execute(f'ALTER TABLE "{spec.name}" ALTER "{col.name}" TYPE {DUCKDB_TYPES["decimal"]}')
    add_keys(con)


#: Forward migrations: index i upgrades a database from version i to i + 1. A migration that
#: creates a native table calls :func:`~entitlement_core.keys.add_keys` to give it its key.
MIGRATIONS: tuple[Callable[[duckdb.DuckDBPyConnection], None], ...] = (
    _v1, _v2, _v3_keys, _v4_real_exports, _v5_alerts, _v6_money,
)  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


class Store(StoreReads):
    """One DuckDB database file (or ``:memory:``) with the native schema.

    Opening a store creates the file when it is missing and migrates an older
    schema (after backing it up, :mod:`entitlement_core.backup`); it keeps
    nothing open afterwards. ``:memory:`` keeps its one in-memory database
    until :meth:`close`. ``wait`` bounds every wait for the file (seconds).
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_DB_PATH,
        *,
        read_only: bool = False,
        wait: float | None = None,
        backups: bool = True,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._backups = backups
        self.wait = DEFAULT_WAIT_SECONDS if wait is None else float(wait)
        self._local = threading.local()
        self._memory: duckdb.DuckDBPyConnection | None = None
        if self.path == ":memory:":
            self._memory = duckdb.connect(":memory:")
            self._gate = Gate(self.path, self._open_memory, file_lock=False)
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._gate = gate_for(self.path, self._open_file)
        self._version = VersionFile(self.path + ".version")
        self._prepare()

    # -- opening ----------------------------------------------------------
    def _open_file(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(self.path, read_only=read_only)
        con.execute("SET TimeZone = 'UTC'")
        return con

    def _open_memory(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        if self._memory is None:
            raise StoreError("the in-memory store is closed")
        # Readers share the gate's connection and take cursors of it; a cursor
        # is also the writer's own connection (its transaction is its own).
        con = self._memory.cursor()
        con.execute("SET TimeZone = 'UTC'")
        return con

    @property
    def is_memory(self) -> bool:
        return self._memory is not None

    def _prepare(self) -> None:
        """Create the file, or check its schema: migrate an older one, refuse a newer one."""
        exists = self.is_memory or Path(self.path).exists()
        if not exists and self.read_only:
            raise StoreError(f"database {self.path} does not exist")
        current = 0
        if exists and not self.is_memory:
            with self.reading() as snap:
                current = snap.schema_version()
                if current > SCHEMA_VERSION:
                    raise StoreError(
                        f"database {self.path} has schema version {current}, newer than this "
                        f"program's {SCHEMA_VERSION}: upgrade the program"
                    )
                if current == SCHEMA_VERSION or self.read_only:
                    # A writer stopped between its commit and the version file: put it right
                    # (no writer can be at work while this snapshot is open).
                    number = snap.data_version()
                    if self._version_number() != number:
                        self._write_version(number)
                    return
        self.migrate()

    def _deadline(self) -> float:
        return time.monotonic() + self.wait

    # -- sessions ---------------------------------------------------------
    def _current(self) -> Session | None:
        return getattr(self._local, "session", None)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection of the session this thread is in (a transaction or a read)."""
        session = self._current()
        if session is None:
            raise StoreError(
                "no open session on this thread: use `with store.reading()` or `with store.transaction()`"
            )
        return session.con

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A consistent read-only snapshot, open until the block ends (then the file is closed).

        Inside a transaction of this thread, the transaction's own connection.
        """
        current = self._current()
        if current is not None:
            yield current
            return
        base = self._gate.acquire_read(self._deadline(), self.wait)
        session = Session(self.path, base, writable=False)
        self._local.session = session
        try:
            yield session
        finally:
            self._local.session = None
            try:
                session.close()
            finally:
                self._gate.release_read()

    @contextmanager
    def writer(self) -> Iterator[Session]:
        """The file alone, read-write, for one or more transactions; closed when the block ends.

        A block that changed the data version rewrites the version file
        (while it still holds the file, so a reader who sees the new version
        reads the new data).
        """
        current = self._current()
        if current is not None:
            if not current.writable:
                raise StoreError("a write cannot start inside a read session of the same thread")
            yield current
            return
        if self.read_only:
            raise StoreError(f"database {self.path} is opened read-only here")
        con = self._gate.acquire_write(self._deadline(), self.wait)
        session = Session(self.path, con, writable=True)
        self._local.session = session
        try:
            before = _data_version(con)
            yield session
            after = _data_version(con)
            if after != before or self._version_number() != after:
                self._write_version(after)
        finally:
            self._local.session = None
            try:
                session.close()
            finally:
                self._gate.release_write(con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic write: everything inside commits together or not at all.

        Reads of this store on the same thread inside the block run in the
        transaction (they see its writes). A transaction inside a transaction
        joins it.
        """
        with self.writer() as session:
            if session.in_transaction:
                yield session.con
                return
            con = session.con
            con.execute("BEGIN TRANSACTION")
            session.in_transaction = True
            try:
                yield con
            except BaseException:
                session.in_transaction = False
                con.execute("ROLLBACK")
                raise
            session.in_transaction = False
            con.execute("COMMIT")

    # -- the data version file ---------------------------------------------
    def stamp(self) -> str:
        """The data version as of the last commit, read without opening the database (cheap).

        ``"<data version> <token>"``: the token changes with every change, so a
        restored or rebuilt database never matches what a cache keeps of
        another one. Caches key on it.
        """
        if self.is_memory:
            return f"{self.data_version()} {id(self)}"
        return self._version.read() or "0 -"

    def _version_number(self) -> int | None:
        return None if self.is_memory else self._version.number()

    def _write_version(self, number: int) -> None:
        if not self.is_memory:
            self._version.write(number)

    def rebuilding(self) -> AbstractContextManager[Store]:
        """A fresh store that replaces this one whole when the block ends without error
        (:func:`entitlement_core.backup.rebuilding`)."""
        from .backup import rebuilding

        return rebuilding(self)

    def close(self) -> None:
        """Release the in-memory database (a file store keeps nothing open)."""
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------
    def migrate(self) -> None:
        """Apply forward migrations up to :data:`SCHEMA_VERSION`, each in a transaction.

        An existing database is backed up first (:func:`entitlement_core.backup.backup_before_migration`).
        """
        from .backup import backup_before_migration

        with self.writer() as session:
            con = session.con
            current = session.schema_version()
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"database {self.path} has schema version {current}, newer than this "
                    f"program's {SCHEMA_VERSION}: upgrade the program"
                )
            if 0 < current < SCHEMA_VERSION and not self.is_memory and self._backups:
                backup_before_migration(self, con, current)
            for version in range(current, SCHEMA_VERSION):
                with self.transaction() as tx:
                    MIGRATIONS[version](tx)
                    set_meta(tx, "schema_version", str(version + 1))
                    if version == 0:
                        set_meta(tx, "data_version", "0")

    # -- writes (inside the caller's transaction) ---------------------------
    @staticmethod
    def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        set_meta(con, key, value)

    def bump_data_version(self, con: duckdb.DuckDBPyConnection) -> None:
        """Mark the data as changed (inside the caller's transaction): caches key on this."""
        con.execute(
            "UPDATE store_meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
            "WHERE key = 'data_version'"
        )

    def mark_demo_build(self, con: duckdb.DuckDBPyConnection, *, finished: bool) -> None:
        """Record (inside the caller's transaction) that a demo build started or finished."""
        set_meta(con, "demo_build", "finished" if finished else "started")

    def append(self, con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
        """Append a frame whose columns are a subset of the table's (inside a transaction)."""
        spec = TABLES[name]
        allowed = {*spec.column_names, "extra"}
        cols = [c for c in frame.columns if c in allowed]
        if len(cols) != len(frame.columns):
            raise KeyError(f"unknown columns for {name}: {set(frame.columns) - allowed}")
        view = f"_append_{name}"
        con.register(view, frame.to_arrow())
        col_sql = ", ".join(f'"{c}"' for c in cols)
        try:
            con.execute(f'INSERT INTO "{name}" ({col_sql}) SELECT {col_sql} FROM "{view}"')
        except BaseException:
            # The failed statement aborted the transaction: keep its error, not the cleanup's.
            with contextlib.suppress(duckdb.Error):
                con.unregister(view)
            raise
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


def open_store(
    path: str | Path | None = None, *, read_only: bool = False, wait: float | None = None
) -> Store:
    """Open (creating and migrating when needed) the store at ``path`` or the default file."""
    return Store(DEFAULT_DB_PATH if path is None else path, read_only=read_only, wait=wait)
