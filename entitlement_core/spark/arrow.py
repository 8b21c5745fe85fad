"""Polars frames across the Spark boundary: declared schemas, Arrow batches, and the functions Spark calls.

Spark has no unsigned integers: the kernels' row number ``_ent`` (UInt32)
travels as a long. Polars output is handed over with
``to_arrow(compat_level=pl.CompatLevel.oldest())`` (plain strings, no views)
and cast to the declared Arrow schema; input batches are cast back to the
kernels' Polars types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import polars as pl
import pyarrow as pa

__all__ = ["arrow_schema", "frame_of", "map_batches", "spark_ddl", "to_table"]

Fn = Callable[[pl.DataFrame], pl.DataFrame]


def _carried(dtype: pl.DataType) -> pl.DataType:
    """The Polars type a column travels as (unsigned integers widen to a long)."""
    if isinstance(dtype, pl.UInt8 | pl.UInt16 | pl.UInt32 | pl.UInt64):
        return pl.Int64()
    return dtype


def arrow_schema(schema: dict[str, pl.DataType]) -> pa.Schema:
    """The Arrow schema a frame of ``schema`` travels as."""
    empty = pl.DataFrame(schema={k: _carried(v) for k, v in schema.items()})
    return pa.schema([_plain(f) for f in empty.to_arrow(compat_level=pl.CompatLevel.oldest()).schema])


def _plain(field: pa.Field) -> pa.Field:
    """Spark's Arrow types: 32-bit offsets (``string``, not ``large_string``)."""
    kind = field.type
    if pa.types.is_large_string(kind):
        kind = pa.string()
    elif pa.types.is_large_binary(kind):
        kind = pa.binary()
    return pa.field(field.name, kind, field.nullable)


def spark_ddl(schema: dict[str, pl.DataType]) -> Any:
    """The Spark ``StructType`` of a frame of ``schema``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_schema(schema))


def to_table(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pa.Table:
    """``frame`` as the declared Arrow table (columns in order, cast)."""
    carried = frame.select([pl.col(k).cast(_carried(v)) for k, v in schema.items()])
    return carried.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(arrow_schema(schema))


def frame_of(data: pa.RecordBatch | pa.Table, schema: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """An Arrow batch from Spark as Polars, the columns of ``schema`` cast to their kernel types."""
    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    if schema:
        have = frame.schema
        frame = frame.with_columns([_cast(k, have[k], v) for k, v in schema.items() if k in have])
    return frame


def _cast(name: str, have: pl.DataType, want: pl.DataType) -> pl.Expr:
    """Column ``name`` as ``want``: text dates and timestamps parsed, timestamps in UTC (a catalog
    table may hold them as text, or without a zone: UTC)."""
    col = pl.col(name)
    if isinstance(want, pl.Datetime):
        if have == pl.String:
            return col.str.to_datetime(time_unit="us", time_zone="UTC")
        if isinstance(have, pl.Datetime):
            utc = col.dt.convert_time_zone("UTC") if have.time_zone else col.dt.replace_time_zone("UTC")
            return utc.dt.cast_time_unit("us")
    if isinstance(want, pl.Date) and have == pl.String:
        return col.str.to_date()
    return col.cast(want)


def map_batches(fn: Fn, out: dict[str, pl.DataFrame] | dict[str, pl.DataType], into: dict[str, pl.DataType]
                ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:  # fmt: skip
    """A ``mapInArrow`` function: each batch (cast to ``into``) through ``fn``, declared as ``out``."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            result = fn(frame_of(batch, into))
            if result.height:
                yield from to_table(result, out).to_batches()  # type: ignore[arg-type]

    return run


def apply_table(
    fn: Fn, out: dict[str, pl.DataType], into: dict[str, pl.DataType]
) -> Callable[[pa.Table], pa.Table]:
    """An ``applyInArrow`` function: a group's rows (cast to ``into``) through ``fn``, declared as ``out``."""

    def run(table: pa.Table) -> pa.Table:
        return to_table(fn(frame_of(table, into)), out)

    return run
