"""Salesforce record ids: the 15-character and the 18-character forms.

Salesforce shows a record id in two forms. The 15-character id is case
sensitive (``001D000000IqhSL`` and ``001D000000IqhSl`` are two records); the
18-character id appends a 3-character suffix that encodes which of the 15
characters are upper case, so it survives tools that ignore case
(``001D000000IqhSLIAZ``). Exports mix both forms: Data Loader writes 18
characters, reports and older integrations 15. Every id is normalised to the
18-character form so that references match.

The suffix: split the 15 characters into three chunks of five; for each chunk
build a 5-bit number whose bit ``i`` is set when character ``i`` of the chunk
is an upper-case letter ``A-Z``; each number indexes the alphabet
``ABCDEFGHIJKLMNOPQRSTUVWXYZ012345``. Example: ``001D0`` has an upper-case
letter at position 3 -> 8 -> ``I``; ``00000`` -> ``A``; ``IqhSL`` -> 1 + 8 +
16 = 25 -> ``Z``: ``001D000000IqhSL`` -> ``001D000000IqhSLIAZ``.

Everything here is a Polars expression over whole columns: the 15 case bits
are read as one byte array per value and weighed in one step; the 32,768
possible suffixes are a lookup table.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import polars as pl

__all__ = [
    "EMPTY_IDS",
    "ID_PATTERN",
    "SUFFIX_ALPHABET",
    "case_bits",
    "id_suffix",
    "normalise_ids",
    "to_18",
]

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

#: A well-formed id: 15 letters or digits, optionally followed by a 3-character suffix.
ID_PATTERN = r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$"

#: How the weekly Data Export writes an empty lookup (DOMAIN.md "References"): no record.
EMPTY_IDS = ("000000000000000AAA", "000000000000000aaa", "000000000000000")

_BITS = 15
# Per-value outcome of normalisation (anything >= _BAD is reported unless repaired).
_EMPTY, _OK, _BAD, _CASE = 0, 1, 2, 3


@cache
def _suffix_table() -> tuple[pl.Series, pl.Series]:
    """All 32,768 case-bit values and their 3-character suffixes."""
    values = list(range(1 << _BITS))
    suffixes = [
        SUFFIX_ALPHABET[v & 31] + SUFFIX_ALPHABET[(v >> 5) & 31] + SUFFIX_ALPHABET[(v >> 10) & 31]
        for v in values
    ]
    return pl.Series(values, dtype=pl.UInt16), pl.Series(suffixes, dtype=pl.String)


def case_bits(ids: pl.Expr) -> pl.Expr:
    """A UInt16 whose bit ``i`` says whether character ``i`` (of the first 15) is ``A-Z``.

    Values shorter than 15 bytes give null.
    """
    weights = pl.lit(pl.Series([[1 << i for i in range(_BITS)]], dtype=pl.Array(pl.UInt16, _BITS)))
    chars = ids.cast(pl.Binary).bin.head(_BITS).bin.reinterpret(dtype=pl.Array(pl.UInt8, _BITS))
    upper = chars.arr.eval(pl.element().is_between(ord("A"), ord("Z")).cast(pl.UInt16))
    return (upper * weights).arr.sum().cast(pl.UInt16)


def _encode(bits: pl.Expr) -> pl.Expr:
    values, suffixes = _suffix_table()
    return bits.replace_strict(values, suffixes, return_dtype=pl.String)


def _decode(suffix: pl.Expr) -> pl.Expr:
    """The case bits a 3-character suffix encodes (any letter case); null when not a suffix."""
    values, suffixes = _suffix_table()
    return suffix.str.to_uppercase().replace_strict(suffixes, values, default=None, return_dtype=pl.UInt16)


def id_suffix(ids: pl.Expr) -> pl.Expr:
    """The 3-character case-safe suffix of each id (computed from its first 15 characters)."""
    return _encode(case_bits(ids))


def to_18(ids: pl.Expr) -> pl.Expr:
    """The 18-character form of well-formed 15- or 18-character ids; null otherwise.

    An 18-character id is rebuilt from its first 15 characters (its own suffix
    is checked by :func:`normalise_ids`, which also repairs letter case).

    Examples
    --------
    >>> pl.select(to_18(pl.lit("001D000000IqhSL"))).item()
    '001D000000IqhSLIAZ'
    """
    head = ids.str.slice(0, _BITS)
    return pl.when(ids.str.contains(ID_PATTERN)).then(head + id_suffix(head))


def _restore_case(head: pl.Expr, bits: pl.Expr) -> pl.Expr:
    """Rewrite the letter case of 15 characters as ``bits`` says (an 18-character id is case-insensitive)."""
    chars = [head.str.slice(i, 1) for i in range(_BITS)]
    fixed = [
        pl.when((bits // (1 << i)) % 2 == 1).then(c.str.to_uppercase()).otherwise(c.str.to_lowercase())
        for i, c in enumerate(chars)
    ]
    return pl.concat_str(fixed)


def normalise_ids(frame: pl.DataFrame, columns: Iterable[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Normalise id columns to the 18-character form; report values that are not ids.

    Empty cells become null, as does ``000000000000000AAA``, the weekly
    Data Export's empty lookup (:data:`EMPTY_IDS`). A 15-character id gets its suffix. An
    18-character id whose suffix disagrees with its first 15 characters had
    its letter case changed by a case-insensitive tool: the suffix is the
    truth (Salesforce reads 18-character ids case-insensitively), so the case
    is restored from it; when no letter case fits the suffix the id is
    reported.

    Parameters
    ----------
    frame
        String columns; other columns pass through.
    columns
        Names of the id columns (absent names are skipped).

    Returns
    -------
    (frame, errors)
        ``frame`` with the id columns normalised (a bad value is left as it
        was); ``errors`` one row per bad value: ``column``, ``row`` (0-based
        row index in ``frame``), ``value``, ``message``.
    """
    errors: list[pl.DataFrame] = []
    out = frame
    for column in [c for c in columns if c in frame.columns]:
        raw = pl.col(column).str.strip_chars()
        present = (raw.str.len_bytes() > 0) & ~raw.is_in(EMPTY_IDS)
        out = out.with_columns(pl.when(present).then(raw).alias(column))
        col = pl.col(column)
        head = col.str.slice(0, _BITS)
        out = out.with_columns(__suffix=id_suffix(head))
        # Suffixes are written upper case; any other spelling takes the slower repair path.
        given = col.str.slice(_BITS, 3)
        state = (
            pl.when(col.is_null())
            .then(pl.lit(_EMPTY))
            .when(~col.str.contains(ID_PATTERN))
            .then(pl.lit(_BAD))
            .when((col.str.len_bytes() == _BITS) | (given == pl.col("__suffix")))
            .then(pl.lit(_OK))
            .otherwise(pl.lit(_CASE))
        )
        out = out.with_columns(__state=state).with_columns(
            pl.when(pl.col("__state") == _OK).then(head + pl.col("__suffix")).otherwise(col).alias(column)
        )
        if out.select((pl.col("__state") >= _BAD).any()).item():
            out, bad = _repair_or_report(out, column)
            errors.append(bad)
        out = out.drop("__suffix", "__state")
    schema = {"column": pl.String, "row": pl.Int64, "value": pl.String, "message": pl.String}
    error_frame = pl.concat(errors) if errors else pl.DataFrame(schema=schema)
    return out, error_frame


def _repair_or_report(out: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Restore the letter case of case-changed 18-character ids; return the values still bad.

    Runs only when a column has a suspicious value, on those rows only.
    """
    col = pl.col(column)
    out = out.with_row_index("__row")
    given = _decode(col.str.slice(_BITS, 3))
    fixed = (
        out.filter(pl.col("__state") == _CASE)
        .with_columns(__given=given)
        .with_columns(__fixed=_restore_case(col.str.slice(0, _BITS), pl.col("__given")))
        .filter(case_bits(pl.col("__fixed")) == pl.col("__given"))
        .select("__row", (pl.col("__fixed") + _encode(pl.col("__given"))).alias("__new"))
    )
    if fixed.height:
        out = (
            out.join(fixed, on="__row", how="left", maintain_order="left")
            .with_columns(
                pl.coalesce("__new", column).alias(column),
                pl.when(pl.col("__new").is_not_null())
                .then(pl.lit(_OK))
                .otherwise("__state")
                .alias("__state"),
            )
            .drop("__new")
        )
    length = col.str.len_chars()
    reason = (
        pl.when(pl.col("__state") == _CASE)
        .then(pl.lit("its 3-character suffix does not match its first 15 characters"))
        .when(~length.is_in([15, 18]))
        .then(pl.format("has {} characters; a Salesforce id has 15 or 18", length))
        .otherwise(pl.lit("a Salesforce id has only letters and digits"))
    )
    bad = out.filter(pl.col("__state") >= _BAD).select(
        pl.lit(column).alias("column"),
        pl.col("__row").cast(pl.Int64).alias("row"),
        col.alias("value"),
        pl.format("not a Salesforce id: {}", reason).alias("message"),
    )
    return out.drop("__row"), bad
