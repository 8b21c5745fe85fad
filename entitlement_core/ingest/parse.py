"""Text cells to the native types, vectorised: timestamps, dates, numbers, ``HH:MM``.

One parser serves every import format (each cell is text by then). A cell
that does not parse becomes null, and the validator reports it with
:data:`EXPECT`, what the column wants. :func:`in_range` says whether a date
or timestamp falls on the supported days (DOMAIN.md "Values the importer
refuses": 1900-01-01 to 2199-12-31, UTC).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..schema import EARLIEST_DATE, LATEST_DATE, ColumnSpec

__all__ = ["EXPECT", "in_range", "parse_column"]

#: ISO 8601 as DOMAIN.md accepts it: a date, optionally a time (``T`` or a space),
#: seconds with up to 9 fraction digits, and ``Z``, ``UTC`` or an offset
#: (``+05:30``, ``+0530``, ``+05``). Two-digit months, days and hours only.
_TIMESTAMP = (
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2})(:\d{2}(?:[.,]\d{1,9})?)?\s?(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_DATE = r"^\d{4}-\d{2}-\d{2}$"
#: The usual shapes (``2026-01-05T10:00:00Z``, Salesforce's ``...00.000Z``) are
#: parsed by position (fastest).
_PLAIN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$"
#: The other shapes exports write (DuckDB ``2026-01-05 10:00:00.123456+00``, pandas
#: ``...+00:00``, microseconds, none): UTC with up to 6 fraction digits, a ``T`` or a space,
#: also parsed by position. Only other cells (other offsets, ``UTC``, 7-9 fraction digits,
#: no seconds) pay for the general pattern.
_UTC = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,6})?(?:[Zz]|[+-]00(?::?00)?)?$"


def _timestamp(e: pl.Expr) -> pl.Expr:
    """ISO 8601 text to a UTC instant (``Z`` or an offset converts; none means UTC;
    a bare date is its midnight UTC); anything else is null.

    >>> # 2026-01-05T10:00:00.5+0530 -> 2026-01-05 04:30:00.500 UTC
    """
    plain = e.str.contains(_PLAIN)
    seconds = (
        pl.when(plain)
        .then(e.str.slice(0, 19))
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    )
    millis = pl.when(plain & (e.str.len_bytes() == 24)).then(e.str.slice(20, 3).cast(pl.Int64)).otherwise(0)
    fast = (seconds + pl.duration(milliseconds=millis)).dt.replace_time_zone("UTC")
    rest = pl.when(~plain).then(e)
    utc = rest.str.contains(_UTC)
    general = _general_timestamp(pl.when(~utc).then(rest))
    return pl.coalesce(fast, _utc_timestamp(pl.when(utc).then(rest)), general)


def _utc_timestamp(cell: pl.Expr) -> pl.Expr:
    """Cells of the :data:`_UTC` shapes (others null) by position: seconds, then the fraction."""
    seconds = pl.concat_str(cell.str.slice(0, 10), pl.lit("T"), cell.str.slice(11, 8)).str.to_datetime(
        "%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us"
    )
    # The fraction, when any, follows the seconds: right-padded to microseconds.
    digits = cell.str.slice(19).str.extract(r"^[.,](\d{1,6})", 1)
    micros = digits.str.pad_end(6, "0").cast(pl.Int64).fill_null(0)
    return (seconds + pl.duration(microseconds=micros)).dt.replace_time_zone("UTC")


def _general_timestamp(e: pl.Expr) -> pl.Expr:
    g = e.str.extract_groups(_TIMESTAMP)
    day, hhmm, sec, off = (g.struct.field(f) for f in ("1", "2", "3", "4"))
    off = off.str.replace(":", "", literal=True)
    offset = (
        pl.when(off.is_null() | off.is_in(["Z", "z", "UTC"]))
        .then(pl.lit("+00:00"))
        .otherwise(pl.concat_str(off.str.slice(0, 3), pl.lit(":"), off.str.slice(3).str.pad_end(2, "0")))
    )
    text = pl.concat_str(
        day,
        pl.lit("T"),
        hhmm.fill_null("00:00"),
        sec.str.replace(",", ".", literal=True).fill_null(":00"),
        offset,
    )
    return text.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us", time_zone="UTC"
    ).dt.convert_time_zone("UTC")


def _hhmm(e: pl.Expr) -> pl.Expr:
    """``HH:MM`` (seconds and a trailing ``Z`` tolerated) normalised; ``24:00`` allowed."""
    m = e.str.extract_groups(r"^(\d{1,2}):(\d{2})(?::00(?:\.0+)?)?Z?$")
    hh = m.struct.field("1").cast(pl.Int32, strict=False)
    mm = m.struct.field("2").cast(pl.Int32, strict=False)
    ok = ((hh < 24) & (mm < 60)) | ((hh == 24) & (mm == 0))
    return pl.when(ok).then(
        pl.format("{}:{}", hh.cast(pl.String).str.zfill(2), mm.cast(pl.String).str.zfill(2))
    )


def parse_column(col: ColumnSpec, e: pl.Expr) -> pl.Expr:
    """Text cells of ``col`` to its native type; unparseable cells become null."""
    t = col.type
    if t == "text":
        return e.str.to_lowercase() if col.choices else e
    if t == "int":
        # Exact when written as an integer; ``30.0`` or ``1e3`` are whole numbers too.
        f = e.cast(pl.Float64, strict=False)
        whole = pl.when(f.is_finite() & (f == f.round(0))).then(f).cast(pl.Int64, strict=False)
        return pl.coalesce(e.str.strip_prefix("+").cast(pl.Int64, strict=False), whole)
    if t == "float":
        f = e.cast(pl.Float64, strict=False)
        return pl.when(f.is_finite()).then(f)
    if t == "decimal":
        # Parsed from the text itself: 149.99 stays 149.99 (no binary float on the way); scientific
        # notation (``1.5e3``) through a float. Wide enough that a value beyond the limit is refused as such.
        text = e.str.strip_chars().str.strip_prefix("+")
        f = text.cast(pl.Float64, strict=False)
        wide = pl.Decimal(38, 6)
        return pl.coalesce(
            text.cast(wide, strict=False), pl.when(f.is_finite() & (f.abs() < 1e30)).then(f).cast(wide)
        )
    if t == "bool":
        low = e.str.to_lowercase()
        return (
            pl.when(low.is_in(["true", "1", "t", "yes", "y"]))
            .then(True)
            .when(low.is_in(["false", "0", "f", "no", "n"]))
            .then(False)
            .otherwise(None)
        )
    if t == "date":
        return pl.when(e.str.contains(_DATE)).then(e.str.to_date("%Y-%m-%d", strict=False))
    if t == "timestamp":
        return _timestamp(e)
    if t == "hhmm":
        return _hhmm(e)
    raise ValueError(t)


#: What a column of each type wants, for messages.
EXPECT = {
    "int": "a whole number",
    "float": "a number",
    "decimal": "an exact number below 10^12 (at most 6 decimals are kept)",
    "bool": "true/false/1/0",
    "date": "a date YYYY-MM-DD",
    "timestamp": "an ISO 8601 timestamp",
    "hhmm": "a time HH:MM (00:00-24:00)",
}


_FIRST_AT = dt.datetime.combine(EARLIEST_DATE, dt.time(), dt.UTC)
_END_AT = dt.datetime.combine(LATEST_DATE + dt.timedelta(days=1), dt.time(), dt.UTC)


def in_range(typed: pl.Expr, kind: str) -> pl.Expr:
    """Dates and UTC timestamps on the supported days (null passes: it is checked elsewhere)."""
    if kind == "date":
        inside = typed.is_between(pl.lit(EARLIEST_DATE), pl.lit(LATEST_DATE))
    else:
        first, end = (pl.lit(m).cast(pl.Datetime("us", "UTC")) for m in (_FIRST_AT, _END_AT))
        inside = (typed >= first) & (typed < end)
    return inside.fill_null(True)
