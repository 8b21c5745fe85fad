"""Reading one Salesforce export file: CSV text -> a frame with source line numbers.

Data Loader and the Salesforce CLI write RFC 4180 CSV: a header of API field
names, every value possibly quoted, quoted values may span lines (long text
fields), UTF-8 possibly with a byte-order mark. Cells are kept as text
(``infer_schema=False``); empty cells become null; headers are matched
case-insensitively, so columns are named by the lower-cased header and the
original is remembered for messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..problems import Problem, ProblemsError
from .native import ragged_rows
from .raw import LINE

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

    def has(self, sf_field: str) -> bool:
        return sf_field.lower() in self.frame.columns

    def present(self, fields: tuple[str, ...]) -> list[str]:
        """The lower-cased names of those of ``fields`` the file has, in order."""
        return [f.lower() for f in fields if f.lower() in self.frame.columns]

    def header(self, name: str) -> str:
        """The header a column came from, as the user sees it."""
        return self.headers.get(name, self.derived.get(name, name))

    def with_frame(self, frame: pl.DataFrame) -> Export:
        return Export(self.object, self.source, self.sha256, frame, self.headers, self.derived)


def _problem(name: str, data: bytes, exc: Exception) -> Problem:
    """Say where a file stops being readable CSV (only runs when reading failed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return Problem(file=name, line=line, message="not UTF-8 text: export with UTF-8 encoding")
    if not text.strip():
        return Problem(file=name, message="empty file: no header line")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        width = len(next(reader))
        for row in reader:
            if row and len(row) != width:
                return Problem(
                    file=name, line=reader.line_num, message=f"{len(row)} fields where the header has {width}"
                )
    except csv.Error as err:
        return Problem(file=name, line=reader.line_num, message=f"not valid CSV: {err}")
    return Problem(file=name, message=f"not valid CSV: {str(exc).splitlines()[0]}")


def _line_numbers(frame: pl.DataFrame, data: bytes) -> pl.Expr:
    """Line of each row (header = line 1); a quoted value with line breaks makes its row span lines."""
    newlines = data.count(b"\n") - int(data.endswith(b"\n"))
    if newlines == frame.height:
        return pl.int_range(2, frame.height + 2, dtype=pl.Int64)
    breaks = [pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in frame.columns]
    span = (pl.sum_horizontal(breaks) + 1).cast(pl.Int64) if breaks else pl.lit(1, pl.Int64)
    return 2 + span.cum_sum() - span


def read_export(path: Path, obj: str) -> Export:
    """Read one export file into an :class:`Export` of ``obj``.

    Raises
    ------
    ProblemsError
        The file is not UTF-8, not CSV, has rows wider than its header, or
        two headers that differ only in letter case.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        frame = pl.read_csv(data, infer_schema=False, raise_if_empty=True, truncate_ragged_lines=True)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise ProblemsError([_problem(path.name, data, exc)]) from exc
    headers: dict[str, str] = {}
    for header in frame.columns:
        key = header.strip().lower()
        if key in headers:
            raise ProblemsError(
                [Problem(file=path.name, line=1, column=header, message=f"two columns named {header!r}")]
            )
        headers[key] = header.strip()
    frame = frame.rename(dict(zip(frame.columns, headers, strict=True)))
    lines = _line_numbers(frame, data)
    frame = frame.select(
        *[pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in frame.columns],
        lines.alias(LINE),
    )
    # A short row would be padded with nulls and a long one cut: both are refused.
    odd = ragged_rows(frame, data, len(headers), b'"' in data)
    if odd.height:
        tail = f"fields where the header has {len(headers)}"
        shown = odd.head(50).to_dicts()
        raise ProblemsError(
            Problem(file=path.name, line=r[LINE], message=f"{r['fields']} {tail}") for r in shown
        )
    # A blank line reads as a row of nulls; it has a line number but no record.
    values = [c for c in frame.columns if c != LINE]
    if values:
        frame = frame.filter(pl.any_horizontal(pl.col(values).is_not_null()))
    return Export(obj, path.name, hashlib.sha256(data).hexdigest(), frame, headers)
