"""Sessions: one open connection to the database, a read-only snapshot or a writer's.

See :mod:`entitlement_core.store` for the access model. Sessions never
outlive their ``with`` block: when it ends, their cursors are closed (on the
thread that opened them, never left to an exiting thread) and any further
use raises :class:`~entitlement_core.access.StoreError`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import duckdb
import polars as pl

from .access import StoreError
from .schema import TABLES

__all__ = ["Session", "StoreReads", "audit_where", "data_version", "meta", "scalar", "set_meta"]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> object:
    """The first value of a statement's first row (fetching it whole: DuckDB 2
    refuses further work on a cursor with an unfinished result)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'")
    if not exists:
        return None
    value = scalar(con, "SELECT value FROM store_meta WHERE key = ?", [key])
    return None if value is None else str(value)


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO store_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    value = meta(con, "data_version")
    return int(value) if value is not None else 0


def audit_where(
    *,
    actors: Sequence[str] = (),
    actions: Sequence[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> tuple[str, list[object]]:
    """The audit log's filter as a ``WHERE`` clause and its bound values: who (any of ``actors``),
    what (any of ``actions``), when (``since`` inclusive, ``until`` exclusive, UTC)."""
    parts: list[str] = []
    params: list[object] = []
    for column, values in (("actor", actors), ("action", actions)):
        if values:
            parts.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    for op, moment in ((">=", since), ("<", until)):
        if moment is not None:
            parts.append(f"occurred_at {op} ?")
            params.append(moment)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


class Session:
    """One open connection to the database: a read-only snapshot, or a writer's connection.

    A read session may be used from several threads (each gets a cursor of
    its own, closed with the session); a write session from its own thread
    only (a transaction belongs to one connection). Once the session ends,
    every use raises :class:`StoreError`: nothing keeps the file open.
    """

    def __init__(self, path: str, con: duckdb.DuckDBPyConnection, *, writable: bool) -> None:
        self.path = path
        self.writable = writable
        self._base: duckdb.DuckDBPyConnection | None = con
        self._owner = threading.get_ident()
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}
        self._lock = threading.Lock()
        self.in_transaction = False

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection of the session."""
        base = self._base
        if base is None:
            raise StoreError(
                f"the session on {self.path} has ended: read inside `with store.reading()` (or collect "
                "the frames before it ends)"
            )
        if self.writable:
            if threading.get_ident() != self._owner:
                raise StoreError("a write session is used from the thread that opened it only")
            return base
        me = threading.get_ident()
        with self._lock:
            cursor = self._cursors.get(me)
            if cursor is None:
                cursor = base.cursor()
                cursor.execute("SET TimeZone = 'UTC'")
                self._cursors[me] = cursor
        return cursor

    def close(self) -> None:
        """Close this session's cursors (its base connection belongs to the gate)."""
        with self._lock:
            cursors, self._cursors = list(self._cursors.values()), {}
            self._base = None
        for cursor in cursors:
            cursor.close()

    # -- reads ----------------------------------------------------------
    def query(self, sql: str, params: Sequence[object] | dict[str, object] | None = None) -> pl.DataFrame:
        """Run a read-only statement built by this package and return a Polars frame."""
        con = self.con
        rel = con.sql(sql, params=params) if params is not None else con.sql(sql)
        return pl.from_arrow(rel.to_arrow_table())  # type: ignore[return-value]

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

    def count(self, name: str) -> int:
        if name not in TABLES and name not in ("import_batches", "audit_log"):
            raise KeyError(name)
        return int(scalar(self.con, f'SELECT count(*) FROM "{name}"') or 0)  # type: ignore[call-overload]

    def table_counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in TABLES}

    def import_history(self) -> pl.DataFrame:
        return self.query("SELECT * FROM import_batches ORDER BY batch_id DESC")

    def audit_entries(self, limit: int | None = 200, **where: Any) -> pl.DataFrame:
        """The newest audit-log entries (all with ``limit=None``) matching :func:`audit_where`'s filters."""
        sql, params = audit_where(**where)
        tail = " LIMIT ?" if limit is not None else ""
        return self.query(
            f"SELECT * FROM audit_log{sql} ORDER BY audit_id DESC{tail}",
            [*params, limit] if limit is not None else params,
        )

    def audit_choices(self) -> dict[str, list[str]]:
        """The actors and actions the audit log holds (the filters' options)."""
        return {
            col: self.query(f"SELECT DISTINCT {col} FROM audit_log ORDER BY 1")[col].to_list()
            for col in ("actor", "action")
        }

    def schema_version(self) -> int:
        value = meta(self.con, "schema_version")
        return int(value) if value is not None else 0

    def data_version(self) -> int:
        return data_version(self.con)

    def demo_build_unfinished(self) -> bool:
        """True when a demo build started here and never finished (the process stopped midway)."""
        return meta(self.con, "demo_build") == "started"


class StoreReads:
    """The read methods of a store: each runs in this thread's session, or a short one of its own."""

    def reading(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[object] | dict[str, object] | None = None) -> pl.DataFrame:
        """Run a read-only statement built by this package and return a Polars frame."""
        with self.reading() as snap:
            return snap.query(sql, params)

    def table(self, name: str, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """A whole native table as a Polars frame (typed as in the schema)."""
        with self.reading() as snap:
            return snap.table(name, columns)

    def count(self, name: str) -> int:
        with self.reading() as snap:
            return snap.count(name)

    def table_counts(self) -> dict[str, int]:
        with self.reading() as snap:
            return snap.table_counts()

    def import_history(self) -> pl.DataFrame:
        with self.reading() as snap:
            return snap.import_history()

    def audit_entries(self, limit: int | None = 200, **where: Any) -> pl.DataFrame:
        with self.reading() as snap:
            return snap.audit_entries(limit, **where)

    def audit_choices(self) -> dict[str, list[str]]:
        with self.reading() as snap:
            return snap.audit_choices()

    def schema_version(self) -> int:
        with self.reading() as snap:
            return snap.schema_version()

    def data_version(self) -> int:
        with self.reading() as snap:
            return snap.data_version()

    def demo_build_unfinished(self) -> bool:
        """True when a demo build started here and never finished (the process stopped midway)."""
        with self.reading() as snap:
            return snap.demo_build_unfinished()
