"""``export DIR``: every native table of a store as files of the native import format.

One file per table (``cases.parquet`` or ``cases.csv`` ...), the table's
columns under their native names, plus the columns kept in ``extra``
unpacked again: importing the folder into an empty database reproduces the
database. Any engine reads the Parquet files (``aggregate --source DIR``,
a Spark job, a lakehouse table).

CSV cells are written as the importer reads them: timestamps ISO 8601 in
UTC (``2026-03-01T09:30:00.000000Z``), dates ``YYYY-MM-DD``, booleans
``true``/``false``, exact decimals, empty for null.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import polars as pl

from .schema import TABLES

__all__ = ["ExportTablesFormat", "export_native", "native_frame"]

ExportTablesFormat = Literal["parquet", "csv"]


def native_frame(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """A stored table's rows in the native import format: its columns, then its extra columns unpacked."""
    columns = [c for c in TABLES[name].column_names if c in frame.columns]
    native = frame.select(columns)
    if "extra" not in frame.columns or frame.get_column("extra").null_count() == frame.height:
        return native
    decoded = frame.select(pl.col("extra").str.json_decode(infer_schema_length=None)).to_series()
    if not isinstance(decoded.dtype, pl.Struct):
        return native
    extra = decoded.struct.unnest()
    extra = extra.select([c for c in extra.columns if c.lower() not in {n.lower() for n in columns}])
    return pl.concat([native, extra], how="horizontal")


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            utc = col.dt.convert_time_zone("UTC") if dtype.time_zone else col
            col = utc.dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ")
        elif isinstance(dtype, pl.Boolean):
            col = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            col = pl.struct(col.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
        exprs.append(col.alias(name))
    return frame.select(exprs)


def export_native(store: Any, folder: Path, fmt: ExportTablesFormat = "parquet") -> dict[str, int]:
    """Write every native table of ``store`` to ``folder`` (one consistent snapshot); rows per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with store.reading() as snap:
        for name in TABLES:
            frame = native_frame(snap.table(name), name)
            path = folder / f"{name}.{fmt}"
            tmp = path.with_name(f".{path.name}.partial")
            if fmt == "parquet":
                frame.write_parquet(tmp)
            else:
                _csv_ready(frame).write_csv(tmp, null_value="")
            tmp.replace(path)
            counts[name] = frame.height
    return counts
