"""Raw tables: what every import format produces before validation.

A reader (native folder, Salesforce export, upload) turns its files into
:class:`RawTable` values: text cells under native column names, with the
source line of each row. One validator and one transactional apply serve
every format, so an import either applies whole or changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..problems import Problem

__all__ = ["LINE", "RESERVED", "RawTable", "clean_text", "drop_blank_rows", "nul_problems"]

#: Column holding each row's line number in its source file (header = line 1).
LINE = "_line"

#: Column names the importer uses internally; a source column may not take them
#: (nor any name starting with ``__``), or it would be silently overwritten.
RESERVED = frozenset({LINE, "_source", "_record", "_has_extra", "_row"})


@dataclass(frozen=True)
class RawTable:
    """One source file's rows for one native table.

    ``frame`` has String columns named as the native columns (lower case),
    any extra source columns (kept in the ``extra`` JSON column; a nested
    Parquet column stays nested there), and :data:`LINE`. ``column_sources``
    maps a native column to the source column it came from, so errors name
    the header the user sees.
    """

    table: str
    source: str
    frame: pl.DataFrame
    sha256: str = ""
    format: str = "native"
    column_sources: dict[str, str] = field(default_factory=dict)
    #: How the file's text was read (``UTF-8``, ``Windows-1252: not valid UTF-8``, ``Parquet`` ...).
    encoding: str = ""

    def source_column(self, column: str) -> str:
        return self.column_sources.get(column, column)


def _cells(frame: pl.DataFrame) -> list[str]:
    return [c for c, t in frame.schema.items() if c != LINE and t == pl.String]


def clean_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim cells and turn empty ones into nulls (DOMAIN.md: empty cell = null)."""
    return frame.with_columns(pl.col(c).str.strip_chars().replace("", None).alias(c) for c in _cells(frame))


def drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows with no value at all (blank lines, ``,,,``) are not records."""
    cells = [c for c in frame.columns if c != LINE]
    if not cells:
        return frame.clear()
    return frame.filter(pl.any_horizontal(pl.col(cells).is_not_null()))


def nul_problems(frame: pl.DataFrame, source: str, shown: dict[str, str], limit: int = 50) -> list[Problem]:
    """A problem per cell holding a NUL character (binary data or UTF-16 saved as text)."""
    cells = _cells(frame)
    hits = [
        frame.filter(pl.col(c).str.contains("\x00", literal=True)).select(
            pl.col(LINE), pl.lit(shown.get(c, c)).alias("_column")
        )
        for c in cells
    ]
    found = pl.concat(hits).sort(LINE).head(limit) if hits else pl.DataFrame()
    return [
        Problem(
            file=source, line=line, column=column, message="the value holds a NUL character (binary data?)"
        )
        for line, column in (found.rows() if found.height else [])
    ]
