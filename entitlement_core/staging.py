"""Staging: the native tables as typed Polars LazyFrames, one per source table.

Analytics never read the database: they take a :class:`Tables` bundle. The
bundle comes from the store (:func:`load_tables`) or, in tests, from tiny
inline frames (:meth:`Tables.from_frames`), which fills absent tables and
columns with typed nulls so a test names only what it is about.

The tables that grow with the cases (:data:`SCANNED_TABLES`) are not read
by :func:`load_tables` but scanned: a query reads only the columns it uses,
when it is collected. A report over a million cases then crosses four or
five of the cases' thirteen columns from DuckDB, not all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

import polars as pl
from polars.io.plugins import register_io_source

from .schema import TABLES

__all__ = ["POLARS_TYPES", "SCANNED_TABLES", "Tables", "conform", "load_tables", "polars_schema"]

POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "decimal": pl.Decimal(18, 6),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us", "UTC"),
    "hhmm": pl.String(),
}

#: Tables that grow with the cases: :func:`load_tables` scans them lazily.
SCANNED_TABLES = ("cases", "case_status_history", "time_entries", "case_milestones", "usage_events")


def polars_schema(table: str) -> dict[str, pl.DataType]:
    """The Polars schema of a native table (without the ``extra`` column)."""
    return {c.name: POLARS_TYPES[c.type] for c in TABLES[table].columns}


def conform(table: str, frame: pl.DataFrame | pl.LazyFrame | Mapping[str, Any]) -> pl.LazyFrame:
    """Cast ``frame`` to the table's schema, adding absent columns as nulls.

    Defaults of the schema (``consume_on = created``, ``overflow = warn``,
    ``is_deleted = false``) fill nulls, as the importer does.
    """
    lf = frame.lazy() if isinstance(frame, pl.DataFrame | pl.LazyFrame) else pl.LazyFrame(frame)
    have = set(lf.collect_schema().names())
    if not have:
        # No columns at all: an empty table (selecting literals would make one row of nulls).
        return pl.LazyFrame(schema=polars_schema(table))
    exprs = []
    for col in TABLES[table].columns:
        dtype = POLARS_TYPES[col.type]
        if col.name in have:
            e = pl.col(col.name)
            if col.type == "timestamp":
                e = _as_utc(e, lf.collect_schema()[col.name])
            else:
                e = e.cast(dtype)
        else:
            e = pl.lit(None, dtype=dtype)
        if col.default is not None:
            e = e.fill_null(pl.lit(col.default, dtype=dtype))
        exprs.append(e.alias(col.name))
    return lf.select(exprs)


def _as_utc(e: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return e.dt.replace_time_zone("UTC").dt.cast_time_unit("us")
        return e.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if dtype == pl.String:
        return e.str.to_datetime(time_unit="us", time_zone="UTC")
    return e.cast(pl.Datetime("us", "UTC"))


@dataclass(frozen=True)
class Tables:
    """Every native table as a typed LazyFrame (grain: the table's key)."""

    accounts: pl.LazyFrame
    contacts: pl.LazyFrame
    assets: pl.LazyFrame
    service_contracts: pl.LazyFrame
    contract_line_items: pl.LazyFrame
    plans: pl.LazyFrame
    business_hours: pl.LazyFrame
    holidays: pl.LazyFrame
    entitlement_processes: pl.LazyFrame
    milestone_targets: pl.LazyFrame
    entitlements: pl.LazyFrame
    cases: pl.LazyFrame
    case_status_history: pl.LazyFrame
    time_entries: pl.LazyFrame
    case_milestones: pl.LazyFrame
    usage_resources: pl.LazyFrame
    grants: pl.LazyFrame
    usage_events: pl.LazyFrame
    #: The aggregate tables of an aggregates store (:mod:`entitlement_core.aggregates`): the case-sized
    #: results come from them, not from rows.
    aggregates: Any = field(default=None, compare=False)

    @classmethod
    def from_frames(cls, frames: Mapping[str, Any] | None = None, **more: Any) -> Tables:
        """Build from frames or dicts of columns; absent tables are empty, typed."""
        given = {**(frames or {}), **more}
        unknown = set(given) - set(TABLES)
        if unknown:
            raise KeyError(f"unknown tables: {sorted(unknown)}")
        built = {}
        for name in TABLES:
            src = given.get(name)
            if src is None:
                built[name] = pl.LazyFrame(schema=polars_schema(name))
            else:
                built[name] = conform(name, src)
        return cls(**built)

    def collect_all(self) -> Tables:
        """Materialise every table once (use before running several marts)."""
        names = [f.name for f in fields(self) if f.name != "aggregates"]
        frames = pl.collect_all([getattr(self, name) for name in names])
        built = {name: df.lazy() for name, df in zip(names, frames, strict=True)}
        return Tables(**built, aggregates=self.aggregates)


def load_tables(store: Any) -> Tables:
    """Every native table of a :class:`~entitlement_core.store.Store`, typed.

    Small tables are read at once (a few at a time). The tables of
    :data:`SCANNED_TABLES` are scanned: a query reads only the columns it
    uses, when it is collected, through :meth:`Store.table
    <entitlement_core.store.Store.table>`. What a scan read is kept for the
    bundle's later queries; a query needing more columns of the table reads
    them again together with those already read (one statement: the columns
    always come from the same read). Each scanned table reads on a thread of
    its own (the time entries need not wait behind the cases), through a
    cursor of its own. Pass a read session
    (``with store.reading() as snap: load_tables(snap)``): every table then
    comes from one snapshot, and the frames must be collected before the
    block ends; call :meth:`Tables.collect_all` for an in-memory snapshot of
    every column (the app does, to run many marts on the same data).

    Examples
    --------
    ``report utilization`` over 1M cases reads ``case_id, entitlement_id,
    created_at, closed_at, is_deleted`` of ``cases``: about a fifth of the
    time of reading all thirteen columns.
    """
    small = [name for name in TABLES if name not in SCANNED_TABLES]

    def read(name: str) -> pl.LazyFrame:
        frame = store.table(name, TABLES[name].column_names)
        return frame.lazy().cast(polars_schema(name))  # type: ignore[arg-type]

    # A few at a time: most of a small read is DuckDB's fixed cost per statement, not data.
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="tables-small") as pool:
        frames = dict(zip(small, pool.map(read, small), strict=True))
    frames.update({name: _scan(_Reader(store), name) for name in SCANNED_TABLES})
    from .aggregates.store import read_aggregates

    return Tables(**frames, aggregates=read_aggregates(store))


#: Rows per frame a scan hands to the engine (it works on slices in parallel).
_SLICE_ROWS = 100_000


class _Reader:
    """Reads one scanned table of a bundle, on a thread of its own, and keeps what it read.

    Polars runs a scan on its own threads, which are not Python threads:
    their thread-local state does not last, so the store would open a new
    cursor at every scan. One reading thread keeps one cursor for the
    table; it ends when the bundle's frames are dropped. Reads and the
    record of what was read happen on that thread only, one at a time.
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tables-reader")
        self._read: dict[str, pl.DataFrame] = {}

    def table(self, name: str, columns: list[str]) -> pl.DataFrame:
        """``columns`` of table ``name``: read from the store once, then from memory."""
        return self._thread.submit(self._columns, name, columns).result()

    def _columns(self, name: str, columns: list[str]) -> pl.DataFrame:
        have = self._read.get(name)
        if have is None or not set(columns) <= set(have.columns):
            schema = polars_schema(name)
            wanted = set(columns) | set(have.columns if have is not None else ())
            ordered = [c for c in schema if c in wanted]
            have = self._store.table(name, ordered).cast({c: schema[c] for c in ordered})
            self._read[name] = have
        return have.select(columns)


def _scan(reader: _Reader, name: str) -> pl.LazyFrame:
    """A lazy scan of one native table: the projected columns are read when collected."""
    schema = polars_schema(name)

    def source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        # A query that needs no column (a row count) still needs the rows: read the first column.
        columns = list(schema) if with_columns is None else (list(with_columns) or [next(iter(schema))])
        left = n_rows
        for part in reader.table(name, columns).iter_slices(_SLICE_ROWS):
            if predicate is not None:
                part = part.filter(predicate)
            if left is not None:
                part = part.head(left)
                left -= part.height
            yield part
            if left == 0:
                return

    return register_io_source(source, schema=schema, is_pure=True, explain_name=f"store.{name}")
