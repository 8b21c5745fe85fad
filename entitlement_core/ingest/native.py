"""Read native-format files (CSV or Parquet, one per table) into raw tables.

DOMAIN.md "Native import format (v1)": a folder of files named after the
tables (``accounts.csv``, ``cases.parquet`` ...), headers matched
case-insensitively (surrounding spaces ignored), extra columns kept, empty
cell = null.

CSV is comma-separated UTF-8 (a byte-order mark and CRLF line ends are
fine); quoted cells may span lines, blank lines are skipped, and a problem
names the line its row starts on (the header is line 1). Parquet has no
lines: a problem names the row's 1-based position instead, and typed
columns (timestamps with or without a time zone, dates, numbers, booleans)
are turned into the text the CSV would hold, so one validator serves both.

What cannot be read as intended is a problem, never a guess: a row with more
or fewer fields than the header, a semicolon- or tab-separated file, UTF-16
text, NUL characters, empty, duplicate or reserved headers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import TABLES, TableSpec
from .raw import LINE, RESERVED, RawTable, clean_text, drop_blank_rows, nul_problems

__all__ = ["SUFFIXES", "frame_from_bytes", "ragged_rows", "read_native", "read_native_file"]

SUFFIXES = (".csv", ".parquet")
MAX_PROBLEMS = 50
_BOM = b"\xef\xbb\xbf"
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fail(source: str, message: str, line: int | None = None) -> ProblemsError:
    return ProblemsError([Problem(file=source, line=line, message=message)])


def _named(
    frame: pl.DataFrame, headers: list[str], source: str, line: int | None = 1
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Rename positional columns to trimmed lower-case headers; return the header of each.

    A column with an empty header and no values (a trailing comma on every
    line) is dropped; an empty header over values is a problem, as are two
    headers equal ignoring case and spaces, and reserved names.
    """
    names = [h.replace("\ufeff", "").strip().lower() for h in headers]
    seen: dict[str, str] = {}
    problems, drop = [], []
    for position, (column, original, name) in enumerate(zip(frame.columns, headers, names, strict=False), 1):
        where = {"file": source, "line": line, "column": original.strip() or f"#{position}"}
        if not name:
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
        elif "\x00" in name:
            problems.append(Problem(**where, message="the header holds a NUL character: not a text file"))
        seen.setdefault(name, original.strip())
    if problems:
        raise ProblemsError(problems)
    renames = {c: n for c, n in zip(frame.columns, names, strict=False) if c not in drop}
    sources = {n: h.strip() for c, h, n in zip(frame.columns, headers, names, strict=False) if c not in drop}
    return frame.drop(drop).rename(renames), sources


# -- CSV -----------------------------------------------------------------------------------------


def _unreadable(data: bytes, source: str, exc: Exception) -> ProblemsError:
    """Say why the CSV could not be read, with the line where that can be found."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return _fail(source, "not UTF-8 text: save the file as UTF-8 CSV", line=line)
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


def _csv_frame(data: bytes, source: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """CSV bytes to text cells under lower-case headers, with :data:`LINE`."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(source, "the file is UTF-16 text: save it as UTF-8 CSV (comma-separated)")
    if not data.strip():
        raise _fail(source, "the file is empty (no header line)", line=1)
    if b"\n" not in data and b"\r" in data.rstrip(b"\r"):
        raise _fail(source, "lines end in a lone carriage return: save with LF or CRLF line ends")
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
                message = (
                    f"the header is one column separated by {shown}: native CSV files are comma-separated"
                )
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
    frame, sources = _named(frame, header, source)
    if b"\x00" in data:
        raise ProblemsError(nul_problems(frame, source, sources, MAX_PROBLEMS))
    return drop_blank_rows(clean_text(frame)), sources


# -- Parquet -------------------------------------------------------------------------------------


def _as_text(name: str, dtype: pl.DataType, target: str | None) -> pl.Expr:
    """A typed Parquet column as the text a CSV cell would hold."""
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        utc = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None) if dtype.time_zone else col
        # Whole milliseconds take the importer's fast ``...00.000Z`` shape; finer keeps every digit.
        full = (
            pl.when(utc.dt.nanosecond() % 1_000_000 == 0)
            .then(utc.dt.to_string("%Y-%m-%dT%H:%M:%S%.3fZ"))
            .otherwise(utc.dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ"))
        )
        if target == "date":
            # A date written as a midnight timestamp (pandas does) is that date.
            return pl.when(utc.dt.time() == dt.time(0)).then(utc.dt.to_string("%Y-%m-%d")).otherwise(full)
        return full
    if isinstance(dtype, pl.Date):
        return col.dt.to_string("%Y-%m-%d")
    if isinstance(dtype, pl.Time):
        return col.dt.to_string("%H:%M:%S")
    if isinstance(dtype, pl.Boolean):
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
    if isinstance(dtype, pl.List | pl.Array | pl.Struct):
        if target is None:
            return col  # an extra column: kept nested in the extra JSON
        # In a native column, shown as JSON text ({"v": ...} stripped to the value).
        return pl.struct(col.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
    return col.cast(pl.String)


def _parquet_frame(data: bytes, source: str, spec: TableSpec) -> tuple[pl.DataFrame, dict[str, str]]:
    """Parquet bytes to text cells under lower-case headers, with :data:`LINE` = row number."""
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow and polars raise several kinds
        raise _fail(source, f"not a readable Parquet file: {str(exc).splitlines()[0]}") from exc
    headers = frame.columns
    frame = frame.rename({c: f"_c{i}" for i, c in enumerate(headers)})
    frame, sources = _named(frame, headers, source, line=None)
    types = {c.name: c.type for c in spec.columns}
    problems, exprs = [], []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Binary | pl.Object):
            try:
                frame.get_column(name).cast(pl.String)
            except pl.exceptions.PolarsError:
                message = "the column holds binary data, not text"
                problems.append(Problem(file=source, column=sources[name], message=message))
                continue
        exprs.append(_as_text(name, dtype, types.get(name)).alias(name))
    if problems:
        raise ProblemsError(problems)
    frame = frame.select(exprs).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))
    nul = nul_problems(frame, source, sources, MAX_PROBLEMS)
    if nul:
        raise ProblemsError(nul)
    return clean_text(frame), sources


# -- files ---------------------------------------------------------------------------------------


def _table_of(source: str) -> str:
    stem = Path(source).stem.strip().lower()
    if stem not in TABLES:
        known = ", ".join(f"{t}.csv" for t in TABLES)
        raise _fail(source, f"no native table is named {stem!r}; file names must be one of: {known}")
    return stem


def frame_from_bytes(data: bytes, source: str) -> pl.DataFrame:
    """Parse one uploaded or read file (by its name's suffix) into text cells."""
    return _parse(data, source, _table_of(source))[0]


def _parse(data: bytes, source: str, table: str) -> tuple[pl.DataFrame, dict[str, str]]:
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        return _csv_frame(data, source)
    if suffix == ".parquet":
        return _parquet_frame(data, source, TABLES[table])
    raise _fail(source, "unsupported file type: use .csv or .parquet")


def read_native_file(source: str, data: bytes) -> RawTable:
    """One native file (its name says the table) as a raw table.

    Raises
    ------
    ProblemsError
        The file cannot be read as a native table (see the module notes).
    """
    table = _table_of(source)
    frame, sources = _parse(data, source, table)
    return RawTable(
        table=table, source=source, frame=frame, sha256=_sha256(data), format="native", column_sources=sources
    )


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    return [path]


def read_native(paths: Path | Iterable[Path]) -> list[RawTable]:
    """Read a folder, or single files, of the native format.

    Every problem found across the files is raised together in one
    :class:`ProblemsError`; nothing is read partially.
    """
    items = [paths] if isinstance(paths, Path) else list(paths)
    files: list[Path] = []
    problems: list[Problem] = []
    for item in items:
        if not item.exists():
            problems.append(Problem(file=str(item), message="no such file or folder"))
            continue
        found = _files(item)
        if item.is_dir() and not found:
            problems.append(Problem(file=str(item), message="the folder holds no .csv or .parquet files"))
        files.extend(found)
    if not items:
        problems.append(Problem(message="no files or folders to import"))
    # Files are named by their name alone, unless two share a name (two folders).
    names = [f.name for f in files]
    raws: list[RawTable] = []
    for file, name in zip(files, names, strict=True):
        source = name if names.count(name) == 1 else str(file)
        try:
            raws.append(read_native_file(source, file.read_bytes()))
        except ProblemsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProblemsError(problems)
    return raws
