"""Staging: the native tables as typed Polars LazyFrames, one per source table.

Analytics never read the database: they take a :class:`Tables` bundle. The
bundle comes from the store (:func:`load_tables`) or, in tests, from tiny
inline frames (:meth:`Tables.from_frames`), which fills absent tables and
columns with typed nulls so a test names only what it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import polars as pl

from .schema import TABLES

__all__ = ["POLARS_TYPES", "Tables", "conform", "load_tables", "polars_schema"]

POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us", "UTC"),
    "hhmm": pl.String(),
}


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
    time_entries: pl.LazyFrame
    case_milestones: pl.LazyFrame
    usage_resources: pl.LazyFrame
    grants: pl.LazyFrame
    usage_events: pl.LazyFrame

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
        frames = pl.collect_all([getattr(self, f.name) for f in fields(self)])
        return Tables(**{f.name: df.lazy() for f, df in zip(fields(self), frames, strict=True)})


def load_tables(store: Any) -> Tables:
    """Read every native table from a :class:`~entitlement_core.store.Store`."""
    frames = {}
    for name in TABLES:
        df = store.table(name, TABLES[name].column_names)
        frames[name] = df.lazy().cast(polars_schema(name))  # type: ignore[arg-type]
    return Tables(**frames)
