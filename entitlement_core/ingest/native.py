"""Read native-format files (CSV or Parquet, one per table) into raw tables.

DOMAIN.md "Native import format (v1)": a folder of files named after the
tables (``accounts.csv``, ``cases.parquet`` ...), headers matched
case-insensitively (surrounding spaces ignored), extra columns kept, empty
cell = null.

CSV is comma-separated text (:mod:`.files` decides the encoding: UTF-8,
else Windows-1252; UTF-16 with a byte-order mark) read by :mod:`.csv_read`:
quoted cells may span lines, blank lines are skipped, and a problem names
the line its row starts on (the header is line 1). Parquet has no lines: a
problem names the row's 1-based position instead, and typed columns
(timestamps with or without a time zone, dates, numbers, booleans) are
turned into the text the CSV would hold, so one validator serves both. A
Parquet column of a type no native column can take (a duration, a map, a
list or struct in a native column, binary data) is refused by name.

Only regular files are read, within the import's size limit (:mod:`.files`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import TABLES, TableSpec
from .csv_read import MAX_PROBLEMS, csv_frame, named_columns, ragged_rows
from .files import DEFAULT_MAX_FILE_BYTES, Encoding, decode, folder_entries, read_regular_file
from .raw import LINE, RawTable, clean_text, nul_problems

__all__ = ["SUFFIXES", "frame_from_bytes", "ragged_rows", "read_native", "read_native_file"]

SUFFIXES = (".csv", ".parquet")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fail(source: str, message: str, line: int | None = None) -> ProblemsError:
    return ProblemsError([Problem(file=source, line=line, message=message)])


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


#: Parquet types a native column reads as text (anything else is refused by name).
_SCALARS = (
    pl.String, pl.Categorical, pl.Enum, pl.Boolean, pl.Date, pl.Datetime, pl.Time, pl.Decimal, pl.Null,
    pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.Int128, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64,
    pl.Float32, pl.Float64,
)  # fmt: skip


def _json_ready(dtype: pl.DataType) -> bool:
    """Whether an extra column of this type fits the ``extra`` JSON (nested scalars only)."""
    if isinstance(dtype, pl.List | pl.Array):
        return _json_ready(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return all(_json_ready(f.dtype) for f in dtype.fields)
    return isinstance(dtype, _SCALARS)


_EXPECT = {
    "text": "text",
    "int": "whole numbers",
    "float": "numbers",
    "decimal": "numbers",
    "bool": "true/false values",
    "date": "dates",
    "timestamp": "timestamps",
    "hhmm": "HH:MM times",
}


def _kind(dtype: pl.DataType) -> str:
    """A Parquet type as a user names it: ``duration``, ``map``, ``list of list`` ..."""
    if isinstance(dtype, pl.List | pl.Array):
        return f"list of {_kind(dtype.inner)}"
    return type(dtype).__name__.lower() if isinstance(dtype, pl.DataType) else str(dtype).lower()


def _type_problem(dtype: pl.DataType, target: str | None) -> str | None:
    """Why a Parquet column of ``dtype`` cannot feed native column type ``target`` (None: an extra)."""
    if isinstance(dtype, pl.Binary):
        return None  # text stored as bytes is read; other bytes are refused on their values
    if target is not None:
        if isinstance(dtype, _SCALARS):
            return None
        return f"a Parquet {_kind(dtype)} column cannot hold {_EXPECT[target]}: write plain {_EXPECT[target]}"
    if _json_ready(dtype):
        return None
    return f"a Parquet {_kind(dtype)} column cannot be kept: write it as text, numbers or dates"


def _parquet_frame(data: bytes, source: str, spec: TableSpec) -> tuple[pl.DataFrame, dict[str, str]]:
    """Parquet bytes to text cells under lower-case headers, with :data:`LINE` = row number."""
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except BaseException as exc:  # pyarrow and polars raise several kinds (a Rust panic too)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise _fail(source, f"not a readable Parquet file: {first}") from None
    headers = frame.columns
    frame = frame.rename({c: f"_c{i}" for i, c in enumerate(headers)})
    frame, sources = named_columns(frame, headers, source, line=None)
    types = {c.name: c.type for c in spec.columns}
    problems, exprs = [], []
    for name, dtype in frame.schema.items():
        why = _type_problem(dtype, types.get(name))
        if why is None and isinstance(dtype, pl.Binary):
            try:
                frame.get_column(name).cast(pl.String)
            except pl.exceptions.PolarsError:
                why = "the column holds binary data, not text"
        if why is not None:
            problems.append(Problem(file=source, column=sources[name], message=why))
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
    return read_native_file(source, data).frame


def read_native_file(
    source: str,
    data: bytes,
    *,
    encoding: Encoding | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> RawTable:
    """One native file (its name says the table) as a raw table.

    ``encoding`` forces the text encoding of a CSV file (see :func:`.files.decode`).

    Raises
    ------
    ProblemsError
        The file cannot be read as a native table (see the module notes).
    """
    table = _table_of(source)
    if len(data) > max_bytes:
        raise _fail(
            source, f"the file is larger than the import limit ({max_bytes / 2**20:,.0f} MiB; "
            "setting ENTITLEMENTS_IMPORT_MAX_FILE_MB)",
        )  # fmt: skip
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        text = decode(data, source, encoding)
        frame, sources = csv_frame(text.data, source)
        read_as = text.describe()
    elif suffix == ".parquet":
        frame, sources = _parquet_frame(data, source, TABLES[table])
        read_as = "Parquet"
    else:
        raise _fail(source, "unsupported file type: use .csv or .parquet")
    return RawTable(
        table=table,
        source=source,
        frame=frame,
        sha256=_sha256(data),
        format="native",
        column_sources=sources,
        encoding=read_as,
    )


def read_native(
    paths: Path | Iterable[Path],
    *,
    encoding: Encoding | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> list[RawTable]:
    """Read a folder, or single files, of the native format.

    A folder's ``.csv`` and ``.parquet`` entries are all read: one that is
    not a regular file (a pipe, a device, a link to nothing) is a problem,
    never skipped. Every problem found across the files is raised together
    in one :class:`ProblemsError`; nothing is read partially.
    """
    items = [paths] if isinstance(paths, Path) else list(paths)
    files: list[Path] = []
    problems: list[Problem] = []
    for item in items:
        if item.is_dir():
            found = folder_entries(item, SUFFIXES)
            if not found:
                problems.append(Problem(file=str(item), message="the folder holds no .csv or .parquet files"))
            files.extend(found)
        elif item.exists() or item.is_symlink():
            files.append(item)
        else:
            problems.append(Problem(file=str(item), message="no such file or folder"))
    if not items:
        problems.append(Problem(message="no files or folders to import"))
    # Files are named by their name alone, unless two share a name (two folders).
    names = [f.name for f in files]
    raws: list[RawTable] = []
    for file, name in zip(files, names, strict=True):
        source = name if names.count(name) == 1 else str(file)
        try:
            data = read_regular_file(file, source, max_bytes=max_bytes)
            raws.append(read_native_file(source, data, encoding=encoding, max_bytes=max_bytes))
        except ProblemsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProblemsError(problems)
    return raws
