"""Read native-format files (CSV or Parquet, one per table) into raw tables.

DOMAIN.md "Native import format (v1)": a folder of files named after the
tables (``accounts.csv``, ``cases.parquet`` ...), headers matched
case-insensitively, extra columns kept, empty cell = null.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import TABLES
from .raw import LINE, RawTable

__all__ = ["SUFFIXES", "frame_from_bytes", "read_native", "read_native_file"]

SUFFIXES = (".csv", ".parquet")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _normalise_headers(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    names = [c.strip().lstrip("\ufeff").lower() for c in frame.columns]
    seen: dict[str, str] = {}
    problems = []
    for original, name in zip(frame.columns, names, strict=True):
        if not name:
            problems.append(Problem(file=source, line=1, column=original, message="empty column header"))
        elif name in seen:
            problems.append(
                Problem(
                    file=source,
                    line=1,
                    column=original,
                    message=f"duplicate column header (same as {seen[name]!r} ignoring case)",
                )
            )
        seen[name] = original
    if problems:
        raise ProblemsError(problems)
    return frame.rename(dict(zip(frame.columns, names, strict=True)))


def _clean_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim cells and turn empty strings into nulls (DOMAIN: empty cell = null)."""
    return frame.with_columns(
        pl.col(c).str.strip_chars().replace("", None).alias(c) for c in frame.columns if c != LINE
    )


def _csv_frame(data: bytes, source: str) -> pl.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise ProblemsError([Problem(file=source, line=1, message="the file is empty (no header line)")])
    try:
        frame = pl.read_csv(data, infer_schema=False, truncate_ragged_lines=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProblemsError([Problem(file=source, message=f"not a readable CSV file: {message}")]) from exc
    except UnicodeDecodeError as exc:
        raise ProblemsError([Problem(file=source, message="not UTF-8 text")]) from exc
    frame = _normalise_headers(frame, source)
    # Line numbers: the header is line 1; quoted cells may span lines, so each
    # row starts after the newlines held by the rows before it.
    if frame.width and frame.height:
        inner = pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns).cast(
            pl.Int64
        )
        line = pl.int_range(0, pl.len(), dtype=pl.Int64) + 2 + inner.cum_sum() - inner
        frame = frame.with_columns(line.alias(LINE))
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(LINE))
    return _clean_text(frame)


def _parquet_frame(data: bytes, source: str) -> pl.DataFrame:
    import io

    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow and polars raise several kinds
        raise ProblemsError([Problem(file=source, message=f"not a readable Parquet file: {exc}")]) from exc
    frame = _normalise_headers(frame, source)
    casts = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            e = pl.col(name)
            if dtype.time_zone is not None:
                e = e.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            casts.append(e.dt.to_string("%Y-%m-%dT%H:%M:%S%.f").alias(name))
        elif isinstance(dtype, pl.Date):
            casts.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
        elif dtype != pl.String:
            casts.append(pl.col(name).cast(pl.String).alias(name))
    frame = frame.with_columns(casts)
    # Parquet has no lines: a row's "line" is its 1-based row number.
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))
    return _clean_text(frame)


def frame_from_bytes(data: bytes, source: str) -> pl.DataFrame:
    """Parse one uploaded or read file (by its name's suffix) into text cells."""
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        return _csv_frame(data, source)
    if suffix == ".parquet":
        return _parquet_frame(data, source)
    raise ProblemsError([Problem(file=source, message="unsupported file type: use .csv or .parquet")])


def read_native_file(source: str, data: bytes) -> RawTable:
    """One native file (its name says the table) as a raw table."""
    stem = Path(source).stem.lower()
    if stem not in TABLES:
        raise ProblemsError(
            [
                Problem(
                    file=source,
                    message=f"no native table is named {stem!r}; file names must be one of: "
                    + ", ".join(f"{t}.csv" for t in TABLES),
                )
            ]
        )
    frame = frame_from_bytes(data, source)
    return RawTable(table=stem, source=source, frame=frame, sha256=_sha256(data), format="native")


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
    raws: list[RawTable] = []
    for file in files:
        try:
            raws.append(read_native_file(file.name, file.read_bytes()))
        except ProblemsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProblemsError(problems)
    return raws
