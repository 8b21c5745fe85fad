"""Imports: native files, Salesforce exports and uploads, all or nothing.

Every format becomes :class:`RawTable` values; one validator checks them
against the schema and the stored data, and one transaction applies them.
A bad row anywhere means nothing changes and every problem is reported
(file, line, column, reason).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import TABLES
from ..store import Store
from .apply import FileStats, Progress, apply_tables
from .bundle import Format, detect_names, expand_uploads, native_name_problems, stage_files, unpack_zip
from .files import ENCODINGS, Encoding
from .native import read_native, read_native_file
from .raw import LINE, RawTable
from .validate import StagedTable, validate_tables

__all__ = [
    "ENCODINGS",
    "LINE",
    "Encoding",
    "FileStats",
    "Format",
    "ImportResult",
    "RawTable",
    "detect_format",
    "detect_names",
    "import_path",
    "import_tables",
    "import_uploads",
    "validate_only",
]


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one import run."""

    run_id: str
    format: str
    files: tuple[FileStats, ...]
    seconds: float
    #: What was imported but deserves a look (references to tables never imported ...).
    warnings: tuple[Problem, ...] = ()
    #: Files given but not read: a Salesforce export's objects no native table takes.
    skipped: tuple[str, ...] = ()

    @property
    def rows_added(self) -> int:
        return sum(f.rows_added for f in self.files)

    @property
    def rows_updated(self) -> int:
        return sum(f.rows_updated for f in self.files)

    def summary(self) -> str:
        return (
            f"imported {len(self.files)} file(s) ({self.format}): {self.rows_added} rows added, "
            f"{self.rows_updated} updated, in {self.seconds:.1f} s"
        )


def detect_format(path: Path) -> Format:
    """``salesforce`` when a folder holds files named after Salesforce objects, else ``native``."""
    from .salesforce import is_salesforce_folder

    return "salesforce" if path.is_dir() and is_salesforce_folder(path) else "native"


def _existing(store: Store, raws: Sequence[RawTable]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Stored keys of every table the raws refer to (for foreign keys), and stored usage types."""
    needed: set[str] = set()
    for raw in raws:
        needed.update(fk.table for fk in TABLES[raw.table].foreign_keys)
    keys = {}
    for table in needed:
        key = TABLES[table].key[0]
        keys[table] = store.query(f'SELECT DISTINCT "{key}" FROM "{table}"')
    usage = (
        store.query("SELECT entitlement_id, usage_type FROM entitlements")
        if any(r.table == "entitlements" for r in raws)
        else pl.DataFrame(schema={"entitlement_id": pl.String, "usage_type": pl.String})
    )
    return keys, usage


def validate_only(store: Store, raws: Sequence[RawTable]) -> tuple[dict[str, StagedTable], list[Problem]]:
    """Validate raw tables against the schema and the stored data; change nothing."""
    keys, usage = _existing(store, raws)
    return validate_tables(raws, keys, usage)


def import_tables(
    store: Store, raws: Sequence[RawTable], *, format: str = "native", progress: Progress | None = None
) -> ImportResult:
    """Validate and apply raw tables in one transaction.

    Raises
    ------
    ProblemsError
        When any row is bad; the store is unchanged.
    """
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC)
    if progress:
        progress(0, 1, f"validating {sum(r.frame.height for r in raws):,} rows")
    staged, problems = validate_only(store, raws)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ProblemsError(errors)
    sources = [(r.source, r.table, r.sha256, r.format, r.frame.height) for r in raws]
    run_id = uuid.uuid4().hex
    stats = apply_tables(
        store, staged, sources=sources, run_id=run_id, started_at=started_at, progress=progress
    )
    read_as = {r.source: r.encoding for r in raws}
    return ImportResult(
        run_id=run_id,
        format=format,
        files=tuple(replace(f, encoding=read_as.get(f.file, "")) for f in stats),
        seconds=time.perf_counter() - started,
        warnings=tuple(p for p in problems if p.severity == "warning"),
    )


def _max_bytes(max_file_bytes: int | None) -> int:
    """The import's file-size limit: as given, else the ``ENTITLEMENTS_IMPORT_MAX_FILE_MB`` setting."""
    if max_file_bytes is not None:
        return max_file_bytes
    from ..settings import load_settings

    return load_settings().import_max_file_mb * 1024 * 1024


def import_path(
    store: Store,
    path: Path | Iterable[Path],
    *,
    format: Format | None = None,
    mapping: Path | None = None,
    encoding: Encoding | None = None,
    max_file_bytes: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a folder or files in the native or Salesforce format (detected when not given).

    ``encoding`` forces the CSV files' text encoding (default: UTF-8, else
    Windows-1252); ``max_file_bytes`` is the largest file read (default:
    the ``ENTITLEMENTS_IMPORT_MAX_FILE_MB`` setting).
    """
    if encoding is not None and encoding not in ENCODINGS:
        raise ProblemsError([Problem(message=f"unknown encoding {encoding!r}: use {', '.join(ENCODINGS)}")])
    max_bytes = _max_bytes(max_file_bytes)
    paths = [path] if isinstance(path, Path) else list(path)
    if not paths:
        raise ProblemsError([Problem(message="no files or folders to import")])
    if len(paths) == 1 and paths[0].is_file() and paths[0].suffix.lower() == ".zip":
        # An archive (Setup > Data Export's .zip): its files, unpacked into a private folder.
        files = unpack_zip(paths[0].name, paths[0].read_bytes(), max_bytes=max_bytes)
        with tempfile.TemporaryDirectory(prefix="entitlements-import-") as folder:
            stage_files(files, Path(folder))
            return import_path(
                store, Path(folder), format=format, mapping=mapping, encoding=encoding,
                max_file_bytes=max_bytes, progress=progress,
            )  # fmt: skip
    if format is None:
        format = detect_format(paths[0]) if len(paths) == 1 else "native"
    if progress:
        progress(0, 1, "reading files")
    if format == "salesforce":
        from .salesforce import load_mapping, read_salesforce, salesforce_files

        if len(paths) != 1 or not paths[0].is_dir():
            raise ProblemsError([Problem(message="a Salesforce import takes one folder of object exports")])
        rules = load_mapping(mapping) if mapping else None
        raws = read_salesforce(paths[0], mapping=rules, encoding=encoding, max_bytes=max_bytes)
        read = {p.name.lower() for p in salesforce_files(paths[0], rules).values()}
        skipped = tuple(sorted(p.name for p in paths[0].iterdir() if p.name.lower() not in read))
        result = import_tables(store, raws, format=format, progress=progress)
        return replace(result, skipped=skipped)
    if mapping is not None:
        raise ProblemsError([Problem(message="--mapping applies to Salesforce imports only")])
    raws = read_native(paths, encoding=encoding, max_bytes=max_bytes)
    return import_tables(store, raws, format=format, progress=progress)


def import_uploads(
    store: Store,
    files: Sequence[tuple[str, bytes]],
    *,
    format: Format | None = None,
    mapping: tuple[str, bytes] | None = None,
    encoding: Encoding | None = None,
    max_file_bytes: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import uploaded files given as (file name, content) pairs: native files, or a Salesforce
    export's object files; ``.zip`` archives are unpacked first.

    ``format`` is detected from the file names when not given (:func:`.bundle.detect_names`);
    ``mapping`` is a Salesforce mapping file as (name, content). A Salesforce export is read by
    the same reader as :func:`import_path` (the command line's), from a private folder.

    Raises
    ------
    ProblemsError
        When any file or row is bad; the store is unchanged.
    """
    max_bytes = _max_bytes(max_file_bytes)
    if progress:
        progress(0, 1, "unpacking files")
    named = expand_uploads(files, max_bytes=max_bytes)
    if not named:
        raise ProblemsError([Problem(message="no files to import")])
    if format is None:
        format = detect_names([n for n, _ in named])
    if format == "salesforce":
        with tempfile.TemporaryDirectory(prefix="entitlements-upload-") as tmp:
            folder, rules = Path(tmp) / "export", None
            folder.mkdir()
            stage_files(named, folder)
            if mapping is not None:
                stage_files([mapping], Path(tmp))
                rules = Path(tmp) / Path(mapping[0]).name
            return import_path(
                store, folder, format="salesforce", mapping=rules, encoding=encoding,
                max_file_bytes=max_bytes, progress=progress,
            )  # fmt: skip
    if mapping is not None:
        why = "a mapping file applies to Salesforce exports only"
        raise ProblemsError([Problem(file=mapping[0], message=why)])
    problems = native_name_problems(n for n, _ in named)
    if problems:
        raise ProblemsError(problems)
    raws: list[RawTable] = []
    for name, data in named:
        try:
            raws.append(read_native_file(name, data, encoding=encoding, max_bytes=max_bytes))
        except ProblemsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProblemsError(problems)
    return import_tables(store, raws, format="native", progress=progress)
