"""Write report frames as CSV (ready for Excel), Parquet or JSON.

CSV is UTF-8 with ISO dates, timestamps as ISO 8601 UTC (``...Z``), plain
numbers (no thousands separators), and text cells that a spreadsheet would
run as a formula (starting with ``= + - @``, tab or carriage return) are
neutralised with a leading apostrophe.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Literal

import polars as pl

__all__ = ["ExportFormat", "excel_safe", "to_bytes", "write_frame"]

ExportFormat = Literal["csv", "parquet", "json"]

_FORMULA = r"^[=+\-@\t\r]"


def excel_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would evaluate get a leading apostrophe; timestamps become ISO UTC."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(pl.when(col.str.contains(_FORMULA)).then("'" + col).otherwise(col).alias(name))
        elif isinstance(dtype, pl.Datetime):
            utc = col.dt.convert_time_zone("UTC") if dtype.time_zone else col
            exprs.append(utc.dt.to_string("%Y-%m-%dT%H:%M:%SZ").alias(name))
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            exprs.append(col.cast(pl.String, strict=False).alias(name) if isinstance(dtype, pl.List) else col)
    return frame.with_columns(exprs) if exprs else frame


def _json_ready(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            col = pl.col(name).dt.convert_time_zone("UTC") if dtype.time_zone else pl.col(name)
            exprs.append(col.dt.to_string("%Y-%m-%dT%H:%M:%SZ").alias(name))
    return frame.with_columns(exprs) if exprs else frame


def to_bytes(frame: pl.DataFrame, fmt: ExportFormat = "csv") -> bytes:
    """The frame serialised in ``fmt`` (what a download button or ``--out`` writes)."""
    buf = io.BytesIO()
    if fmt == "csv":
        safe = excel_safe(frame)
        flat = safe.select(
            pl.col(c).cast(pl.String) if isinstance(t, pl.List | pl.Struct) else pl.col(c)
            for c, t in safe.schema.items()
        )
        flat.write_csv(buf, date_format="%Y-%m-%d", float_scientific=False)
    elif fmt == "parquet":
        frame.write_parquet(buf)
    elif fmt == "json":
        _json_ready(frame).write_json(buf)
    else:
        raise ValueError(f"unknown format {fmt!r}: use csv, parquet or json")
    return buf.getvalue()


def write_frame(frame: pl.DataFrame, out: str | Path | None, fmt: ExportFormat = "csv") -> None:
    """Write to a file, or to standard output when ``out`` is ``-`` or None."""
    data = to_bytes(frame, fmt)
    if out is None or str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_bytes(data)
        tmp.replace(path)
