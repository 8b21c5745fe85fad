"""Raw tables: what every import format produces before validation.

A reader (native folder, Salesforce export, upload) turns its files into
:class:`RawTable` values: text cells under native column names, with the
source line of each row. One validator and one transactional apply serve
every format, so an import either applies whole or changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = ["LINE", "RawTable"]

#: Column holding each row's line number in its source file (header = line 1).
LINE = "_line"


@dataclass(frozen=True)
class RawTable:
    """One source file's rows for one native table.

    ``frame`` has String columns named as the native columns (lower case),
    any extra source columns (kept in the ``extra`` JSON column), and
    :data:`LINE`. ``column_sources`` maps a native column to the source
    column it came from, so errors name the header the user sees.
    """

    table: str
    source: str
    frame: pl.DataFrame
    sha256: str = ""
    format: str = "native"
    column_sources: dict[str, str] = field(default_factory=dict)

    def source_column(self, column: str) -> str:
        return self.column_sources.get(column, column)
