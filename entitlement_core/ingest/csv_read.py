"""CSV text to a frame of text cells with source line numbers: one reader for every format.

Native files and Salesforce exports are both RFC 4180 CSV with a header
line. This module reads their UTF-8 text (:func:`~.files.decode` chose the
encoding) into String columns named by the trimmed, lower-cased headers,
with :data:`~.raw.LINE`, the line each row starts on (the header is line 1;
quoted cells may span lines; blank lines are skipped but counted).

What cannot be read as intended is a problem, never a guess: a row with
more or fewer fields than the header, a semicolon- or tab-separated file,
an unclosed quote, NUL characters, and empty (over values), duplicate or
reserved headers. Everything is vectorised: the per-line counts come from
the bytes in one pass (NumPy), never from a loop over rows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..problems import Problem, ProblemsError
from .raw import LINE, RESERVED, clean_text, drop_blank_rows, nul_problems

__all__ = ["MAX_PROBLEMS", "csv_frame", "named_columns", "ragged_rows"]

MAX_PROBLEMS = 50
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def _fail(source: str, message: str, line: int | None = None) -> ProblemsError:
    return ProblemsError([Problem(file=source, line=line, message=message)])


def named_columns(
    frame: pl.DataFrame, headers: list[str], source: str, line: int | None = 1
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Rename positional columns to trimmed lower-case headers; return the header of each.

    A column with an empty header and no values (a trailing comma on every
    line) is dropped; an empty header over values is a problem, as are two
    headers equal ignoring case and spaces, reserved names (the importer's
    own columns, anything starting with ``__``) and NUL characters.
    """
    names = [h.replace("\ufeff", "").strip().lower() for h in headers]
    seen: dict[str, str] = {}
    problems, drop = [], []
    for position, (column, original, name) in enumerate(zip(frame.columns, headers, names, strict=False), 1):
        shown = original.strip().replace("\x00", "\\0") or f"#{position}"
        where = {"file": source, "line": line, "column": shown}
        if "\x00" in name:
            problems.append(
                Problem(**where, message="the header holds a NUL character: not a text file (UTF-16?)")
            )
        elif not name:
            if frame.get_column(column).is_not_null().any():
                problems.append(
                    Problem(**where, message=f"empty column header over values (column {position})")
                )
            drop.append(column)
        elif name in seen:
            message = f"duplicate column header (same as {seen[name]!r} ignoring case and spaces)"
            problems.append(Problem(**where, message=message))
        elif name in RESERVED or name.startswith("__"):
            problems.append(Problem(**where, message="reserved column name: rename the column"))
        seen.setdefault(name, original.strip())
    if problems:
        raise ProblemsError(problems)
    renames = {c: n for c, n in zip(frame.columns, names, strict=False) if c not in drop}
    sources = {n: h.strip() for c, h, n in zip(frame.columns, headers, names, strict=False) if c not in drop}
    return frame.drop(drop).rename(renames), sources


def _unreadable(data: bytes, source: str, exc: Exception) -> ProblemsError:
    """Say why the CSV could not be read, with the line where that can be found."""
    # An unclosed quote swallows the rest of the file: name the line that opens it.
    quotes = _per_line(np.frombuffer(data, np.uint8), ord('"'))
    parity = np.cumsum(quotes) % 2
    if parity.size and parity[-1] == 1:
        opens = np.flatnonzero((parity == 1) & (np.concatenate(([0], parity[:-1])) == 0))
        return _fail(source, "a quoted value is never closed (unbalanced '\"')", line=int(opens[-1]) + 1)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _fail(source, f"not a readable CSV file: {first}")


def _per_line(buf: np.ndarray, byte: int) -> np.ndarray:
    """How often ``byte`` occurs on each physical line (index 0 = line 1)."""
    starts = np.concatenate(([0], np.flatnonzero(buf == ord("\n")) + 1))
    hits = np.flatnonzero(buf == byte)
    return np.diff(np.searchsorted(hits, starts), append=hits.size)


def _line_numbers(frame: pl.DataFrame, first: int, quoted: bool) -> pl.Expr:
    """The line each row starts on (blank lines are rows; quoted cells may hold line breaks)."""
    index = pl.int_range(0, pl.len(), dtype=pl.Int64) + first
    if not quoted or not frame.width:
        return index
    inner = pl.sum_horizontal(
        pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in frame.columns
    ).cast(pl.Int64)
    return index + inner.cum_sum() - inner


def ragged_rows(frame: pl.DataFrame, data: bytes, width: int, quoted: bool) -> pl.DataFrame:
    """Rows whose number of fields is not the header's: (line, fields). Blank lines are fine.

    The separators of a row are the commas on its lines (counted in the
    bytes, each line belonging to the row that starts on or before it) less
    the commas inside its quoted cells. Vectorised throughout.
    """
    if not frame.height:
        return pl.DataFrame(schema={LINE: pl.Int64, "fields": pl.Int64})
    commas = _per_line(np.frombuffer(data, np.uint8), ord(","))
    starts = frame.get_column(LINE).to_numpy() - 1
    per_row = np.add.reduceat(commas, np.minimum(starts, commas.size - 1))
    cells = [c for c in frame.columns if c != LINE]
    in_cells = (
        pl.sum_horizontal(pl.col(c).str.count_matches(",", literal=True).fill_null(0) for c in cells)
        if quoted and cells
        else pl.lit(0)
    )
    fields = pl.lit(pl.Series(per_row)).cast(pl.Int64) - in_cells.cast(pl.Int64) + 1
    odd = frame.with_columns(fields.alias("fields")).filter(pl.col("fields") != width)
    # A blank line reads as one empty field: not a record, so not ragged.
    blank = pl.all_horizontal(pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cells)
    return odd.filter(~(blank & (pl.col("fields") == 1))).select(LINE, "fields")


def _empty_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    cells = [c for c, t in frame.schema.items() if c != LINE and t == pl.String]
    return frame.with_columns(pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in cells)


def csv_frame(data: bytes, source: str, *, strip_values: bool = True) -> tuple[pl.DataFrame, dict[str, str]]:
    """UTF-8 CSV bytes to text cells under lower-case headers, with :data:`LINE`.

    Parameters
    ----------
    data
        The file's text as UTF-8 (no byte-order mark; see :func:`~.files.decode`).
    source
        The file name problems name.
    strip_values
        Trim spaces around every cell (native files); Salesforce values are
        kept as exported. Either way an empty cell is null and a row with
        no value at all is not a record.

    Returns
    -------
    (frame, sources)
        String columns named by the lower-cased headers plus :data:`LINE`;
        ``sources`` maps each column to its header as written.

    Raises
    ------
    ProblemsError
        See the module notes; every problem names the file and, where there
        is one, the line and the column.
    """
    if not data.strip():
        raise _fail(source, "the file is empty (no header line)", line=1)
    try:
        first_row = pl.read_csv(
            data, has_header=False, infer_schema=False, n_rows=1, truncate_ragged_lines=True
        )
        header = [h or "" for h in first_row.row(0)]
        positional = [f"_c{i}" for i in range(len(header))]
        frame = pl.read_csv(
            data, infer_schema=False, new_columns=positional, truncate_ragged_lines=True, raise_if_empty=False
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise _unreadable(data, source, exc) from exc
    if len(header) == 1:
        for sep, shown in _OTHER_SEPARATORS.items():
            if sep in header[0]:
                message = f"the header is one column separated by {shown}: CSV files are comma-separated"
                raise _fail(source, message, line=1)
    quoted = b'"' in data
    first = 2 + sum(h.count("\n") for h in header)
    frame = frame.with_columns(_line_numbers(frame, first, quoted).alias(LINE))
    ragged = ragged_rows(frame, data, len(header), quoted)
    if ragged.height:
        raise ProblemsError(
            Problem(file=source, line=line, message=f"{fields} fields where the header has {len(header)}")
            for line, fields in ragged.head(MAX_PROBLEMS).rows()
        )
    frame, sources = named_columns(frame, header, source)
    nul = nul_problems(frame, source, sources, MAX_PROBLEMS) if b"\x00" in data else []
    if nul:
        raise ProblemsError(nul)
    cleaned = clean_text(frame) if strip_values else _empty_to_null(frame)
    return drop_blank_rows(cleaned), sources
