"""Apply validated tables to the store: an upsert by key, all tables in one transaction.

Only rows that are new or differ from the stored row are written, so
re-importing the same files changes nothing. Columns a file does not carry
keep their stored values (or the schema default for a new row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import polars as pl

from ..schema import IMPORT_ORDER, TABLES, TableSpec
from ..store import Store
from .validate import HAS_EXTRA, SOURCE, StagedTable

__all__ = ["FileStats", "Progress", "apply_tables"]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FileStats:
    """What one imported file did: rows read, added and updated."""

    file: str
    table: str
    rows_read: int
    rows_added: int
    rows_updated: int
    #: How the file's text was read (``UTF-8``, ``Windows-1252: not valid UTF-8``, ``Parquet`` ...).
    encoding: str = ""


def _literal_default(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str) and value.isidentifier():
        return f"'{value}'"
    raise ValueError(f"unsupported default {value!r}")


def _values(spec: TableSpec, staged: StagedTable, *, stored: bool) -> list[tuple[str, str]]:
    """(column, SQL value) of every stored column for a staged row ``s``.

    A column the files carry takes the file's value (its default when the
    cell is empty); one they do not carry keeps the stored row's value ``t``
    (``stored``), or its default for a new row.
    """
    out = []
    for col in spec.columns:
        default = _literal_default(col.default) if col.default is not None else None
        if col.name in staged.present:
            expr = f's."{col.name}"'
        elif stored:
            expr = f't."{col.name}"'
        else:
            expr = default or "NULL"
        if default is not None and expr != default:
            expr = f"coalesce({expr}, {default})"
        out.append((col.name, expr))
    # Extra columns replace the stored ones only where the row's file had extra columns.
    keep = "t.extra" if stored else "NULL"
    extra = (
        f"CASE WHEN s.{HAS_EXTRA} THEN CAST(s.extra AS JSON) ELSE {keep} END" if staged.has_extra else keep
    )
    out.append(("extra", extra))
    return out


def _merge_sql(spec: TableSpec, staged: StagedTable, view: str, temp: str) -> str:
    """SQL creating ``temp``: staged rows that are new or changed, merged with stored values."""
    values = _values(spec, staged, stored=True)
    select = [f'{expr} AS "{name}"' for name, expr in values]
    compare = [
        f'({expr}) IS NOT DISTINCT FROM t."{name}"'
        if name != "extra"
        else f"CAST({expr} AS VARCHAR) IS NOT DISTINCT FROM CAST(t.extra AS VARCHAR)"
        for name, expr in values
    ]
    on = " AND ".join(
        f's."{k}" = t."{k}"' if spec.column(k).required else f's."{k}" IS NOT DISTINCT FROM t."{k}"'
        for k in spec.key
    )
    return (
        f"CREATE TEMP TABLE {temp} AS SELECT {', '.join(select)}, s.{SOURCE} AS {SOURCE}, "
        f't.rowid AS _rowid FROM {view} s LEFT JOIN "{spec.name}" t ON {on} '
        f"WHERE t.rowid IS NULL OR NOT ({' AND '.join(compare)})"
    )


def _apply_table(con: duckdb.DuckDBPyConnection, staged: StagedTable) -> pl.DataFrame:
    """Upsert one table; return rows added/updated per source file."""
    spec = TABLES[staged.table]
    cols = [c for c in spec.column_names if c in staged.present]
    payload = staged.frame.select(*cols, "extra", HAS_EXTRA, SOURCE)
    view, temp = f"_staged_{spec.name}", f"_changed_{spec.name}"
    col_sql = ", ".join(f'"{c}"' for c in (*spec.column_names, "extra"))
    empty = not con.execute(f'SELECT EXISTS (SELECT 1 FROM "{spec.name}")').fetchall()[0][0]
    con.register(view, payload.to_arrow())
    try:
        if empty:
            # Nothing stored yet: every row is new, inserted straight from the staged rows.
            values = ", ".join(expr for _, expr in _values(spec, staged, stored=False))
            con.execute(f'INSERT INTO "{spec.name}" ({col_sql}) SELECT {values} FROM {view} s')
            return payload.group_by(pl.col(SOURCE).alias("file"), maintain_order=True).agg(
                pl.len().alias("added"), pl.lit(0).alias("updated")
            )
        con.execute(_merge_sql(spec, staged, view, temp))
    finally:
        con.unregister(view)
    con.execute(
        f'DELETE FROM "{spec.name}" WHERE rowid IN (SELECT _rowid FROM {temp} WHERE _rowid IS NOT NULL)'
    )
    con.execute(f'INSERT INTO "{spec.name}" ({col_sql}) SELECT {col_sql} FROM {temp}')
    stats = con.sql(
        f"SELECT {SOURCE} AS file, count(*) FILTER (WHERE _rowid IS NULL) AS added, "
        f"count(*) FILTER (WHERE _rowid IS NOT NULL) AS updated FROM {temp} GROUP BY 1"
    ).pl()
    con.execute(f"DROP TABLE {temp}")
    return stats


def apply_tables(
    store: Store,
    staged: dict[str, StagedTable],
    *,
    sources: list[tuple[str, str, str, str, int]],
    run_id: str,
    started_at: dt.datetime,
    progress: Progress | None = None,
) -> list[FileStats]:
    """Write every staged table in one transaction and record the import batch.

    ``sources`` lists (file, table, sha256, format, rows_read) per file. Any
    exception rolls everything back: the store is left as it was.
    """
    order = [t for t in IMPORT_ORDER if t in staged]
    added: dict[str, int] = {}
    updated: dict[str, int] = {}
    with store.transaction() as con:
        for i, table in enumerate(order):
            if progress:
                progress(i, len(order), f"applying {table}")
            for file, a, u in _apply_table(con, staged[table]).rows():
                added[file] = added.get(file, 0) + a
                updated[file] = updated.get(file, 0) + u
        finished = dt.datetime.now(dt.UTC)
        result = []
        for file, table, sha, fmt, read in sources:
            stats = FileStats(file, table, read, added.get(file, 0), updated.get(file, 0))
            result.append(stats)
            con.execute(
                "INSERT INTO import_batches (run_id, file_name, sha256, format, table_name, rows_read, "
                "rows_added, rows_updated, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    file,
                    sha,
                    fmt,
                    table,
                    read,
                    stats.rows_added,
                    stats.rows_updated,
                    started_at,
                    finished,
                ],
            )
        if any(added.values()) or any(updated.values()):
            store.bump_data_version(con)
    if progress:
        progress(len(order), len(order), "done")
    return result
