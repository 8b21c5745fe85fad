"""Write report frames as CSV (ready for Excel), Parquet or JSON.

CSV (DOMAIN.md "Command line": numbers plain, timestamps ISO 8601 UTC):

- UTF-8; a file for people (a download, ``--out FILE``) starts with a byte-order
  mark so that Excel reads it as UTF-8, standard output does not (pipes);
- dates ``YYYY-MM-DD``; timestamps ``2026-01-05T10:00:00Z`` (fractions of a
  second only when there are any);
- numbers plain: no thousands separators, no scientific notation, negative
  numbers stay numbers;
- text cells a spreadsheet would run as a formula (starting with ``= + - @``,
  their full-width forms, tab, carriage return or line feed) get a leading
  apostrophe, so ``=HYPERLINK(...)`` shows as text. Only text is touched.
- lists and structs as JSON text, durations as ISO 8601 (``PT1H30M``);
  exact decimals (money) as plain numbers.

Parquet keeps every type; JSON is an array of records with timestamps as in CSV.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Literal

import polars as pl

__all__ = ["ExportFormat", "excel_safe", "to_bytes", "write_frame"]

ExportFormat = Literal["csv", "parquet", "json"]

#: A cell starting with one of these is evaluated by spreadsheets (OWASP "CSV injection").
_FORMULA = "^[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]"
_BOM = b"\xef\xbb\xbf"


def _iso_utc(col: pl.Expr, dtype: pl.Datetime) -> pl.Expr:
    """A timestamp as ISO 8601 UTC with ``Z``; naive timestamps are UTC already."""
    utc = col.dt.convert_time_zone("UTC") if dtype.time_zone else col
    whole = utc.dt.to_string("%Y-%m-%dT%H:%M:%SZ")
    fraction = utc.dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")
    return pl.when(utc.dt.nanosecond() == 0).then(whole).otherwise(fraction)


def _json_text(col: pl.Expr) -> pl.Expr:
    """A nested value as JSON text (encoded inside a one-field struct, then unwrapped)."""
    encoded = pl.struct(col.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
    return pl.when(col.is_not_null()).then(encoded)


def excel_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as a spreadsheet should see it: formulas neutralised, timestamps ISO UTC,
    nested values as JSON text. Numbers, dates and booleans are left as they are.

    >>> excel_safe(pl.DataFrame({"name": ["=1+1", "-x"], "n": [-5, 2]})).rows()
    [("'=1+1", -5), ("'-x", 2)]
    """
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        text: pl.Expr | None = None
        if dtype == pl.String:
            text = col
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            text = col.cast(pl.String)
        elif isinstance(dtype, pl.List | pl.Array | pl.Struct):
            text = _json_text(col)
        elif isinstance(dtype, pl.Datetime):
            exprs.append(_iso_utc(col, dtype).alias(name))
        elif isinstance(dtype, pl.Duration):
            exprs.append(col.dt.to_string("iso").alias(name))
        elif isinstance(dtype, pl.Decimal):
            # Exact amounts as plain numbers (``150``, ``149.99``), not padded to their scale.
            exprs.append(col.cast(pl.Float64).alias(name))
        if text is not None:
            exprs.append(pl.when(text.str.contains(_FORMULA)).then("'" + text).otherwise(text).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _json_ready(frame: pl.DataFrame) -> pl.DataFrame:
    schema = frame.schema.items()
    exprs = [_iso_utc(pl.col(n), t).alias(n) for n, t in schema if isinstance(t, pl.Datetime)]
    exprs += [pl.col(name).cast(pl.Float64) for name, dtype in schema if isinstance(dtype, pl.Decimal)]
    return frame.with_columns(exprs) if exprs else frame


def to_bytes(frame: pl.DataFrame, fmt: ExportFormat = "csv", *, bom: bool = True) -> bytes:
    """The frame serialised in ``fmt`` (what a download button or ``--out`` writes).

    Parameters
    ----------
    frame
        Any report frame.
    fmt
        ``csv`` (Excel-safe, see the module notes), ``parquet`` or ``json``.
    bom
        Start a CSV with a UTF-8 byte-order mark (for Excel); ignored for the others.
    """
    buf = io.BytesIO()
    if fmt == "csv":
        if bom:
            buf.write(_BOM)
        excel_safe(frame).write_csv(buf, date_format="%Y-%m-%d", float_scientific=False)
    elif fmt == "parquet":
        frame.write_parquet(buf)
    elif fmt == "json":
        _json_ready(frame).write_json(buf)
    else:
        raise ValueError(f"unknown format {fmt!r}: use csv, parquet or json")
    return buf.getvalue()


def write_frame(frame: pl.DataFrame, out: str | Path | None, fmt: ExportFormat = "csv") -> None:
    """Write to a file (atomically: a partial file never takes the name), or to standard
    output when ``out`` is ``-`` or None."""
    to_stdout = out is None or str(out) == "-"
    data = to_bytes(frame, fmt, bom=not to_stdout)
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(out)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_bytes(data)
    tmp.replace(path)
