"""Reading one Salesforce export file: CSV text -> a frame with source line numbers.

Data Loader, the Salesforce CLI and the weekly Data Export write RFC 4180
CSV: a header of API field names, every value possibly quoted, quoted values
may span lines (long text fields). The text is UTF-8 (possibly with a
byte-order mark), or Windows-1252 (Data Loader's default on Windows), or
UTF-16 with a byte-order mark (:mod:`.files` decides). Cells are kept as
text, as exported; empty cells become null; headers are matched
case-insensitively, so columns are named by the lower-cased header and the
original is remembered for messages. The same CSV reader as native files
(:mod:`.csv_read`) refuses what cannot be read as intended.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .csv_read import csv_frame
from .files import DEFAULT_MAX_FILE_BYTES, Encoding, decode, read_regular_file

__all__ = ["Export", "read_export"]


@dataclass
class Export:
    """One object's export file, read: lower-cased headers, all String, plus ``_line``."""

    object: str
    source: str
    sha256: str
    frame: pl.DataFrame
    #: Lower-cased column name -> header as written in the file.
    headers: dict[str, str] = field(default_factory=dict)
    #: Names of derived columns, for messages (``__date`` -> ``ActivityDate``).
    derived: dict[str, str] = field(default_factory=dict)
    #: How the file's text was read (``UTF-8``, ``Windows-1252: not valid UTF-8`` ...).
    encoding: str = ""

    def has(self, sf_field: str) -> bool:
        return sf_field.lower() in self.frame.columns

    def present(self, fields: tuple[str, ...]) -> list[str]:
        """The lower-cased names of those of ``fields`` the file has, in order."""
        return [f.lower() for f in fields if f.lower() in self.frame.columns]

    def header(self, name: str) -> str:
        """The header a column came from, as the user sees it."""
        return self.headers.get(name, self.derived.get(name, name))

    def with_frame(self, frame: pl.DataFrame) -> Export:
        return Export(self.object, self.source, self.sha256, frame, self.headers, self.derived, self.encoding)


def read_export(
    path: Path, obj: str, *, encoding: Encoding | None = None, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Export:
    """Read one export file into an :class:`Export` of ``obj``.

    The file must be a regular file within ``max_bytes``; its text is
    UTF-8, else Windows-1252 (or the forced ``encoding``; UTF-16 with a
    byte-order mark is read too), see :mod:`.files`.

    Raises
    ------
    ProblemsError
        The file is not a regular file, not CSV, has rows wider or narrower
        than its header, NUL characters, or an empty, duplicate (ignoring
        letter case) or reserved header.
    """
    path = Path(path)
    data = read_regular_file(path, path.name, max_bytes=max_bytes)
    text = decode(data, path.name, encoding)
    frame, headers = csv_frame(text.data, path.name, strip_values=False)
    return Export(obj, path.name, hashlib.sha256(data).hexdigest(), frame, headers, encoding=text.describe())
