"""Aggregate tables in a store, and the folders the engines read and write.

- :func:`read_source`: a folder of native tables (Parquet or CSV, as
  ``export`` writes them) as :class:`~entitlement_core.staging.Tables`;
- :func:`write_aggregates`: an aggregation's output folder: the aggregate
  tables and the small native tables, as Parquet;
- :func:`import_aggregates`: such a folder into a store, replacing its
  content whole (built beside it and put in place when finished);
- :func:`read_aggregates`: the aggregate tables of a store (None when it
  holds raw cases).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import TABLES
from . import AGGREGATE_SCHEMAS, CASE_TABLES, Aggregates

__all__ = ["import_aggregates", "read_aggregates", "read_source", "write_aggregates"]

SMALL_TABLES = tuple(name for name in TABLES if name not in CASE_TABLES)


def _files(folder: Path) -> dict[str, Path]:
    """Table name -> its file in ``folder`` (``NAME.parquet`` or ``NAME.csv``)."""
    if not folder.is_dir():
        raise ProblemsError([Problem(file=str(folder), message="not a folder")])
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".parquet", ".csv") and path.is_file():
            name = path.stem.lower()
            if name in found:
                raise ProblemsError([Problem(file=str(path), message=f"table {name} is given twice")])
            found[name] = path
    return found


def _read(path: Path, schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    if path.suffix.lower() == ".parquet":
        return pl.scan_parquet(path)
    # Our own CSV (``export --format csv``): text, typed by the schema (booleans spelled out).
    text = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
    names = text.collect_schema().names()
    typed = []
    for c in names:
        dtype = schema.get(c)
        if isinstance(dtype, pl.Boolean):
            flags = {"true": True, "false": False}
            typed.append(
                pl.col(c).str.to_lowercase().replace_strict(flags, default=None, return_dtype=pl.Boolean)
            )
        elif isinstance(dtype, pl.Date):
            typed.append(pl.col(c).str.to_date("%Y-%m-%d"))
    return text.with_columns(typed) if typed else text


def read_source(folder: Path) -> Any:
    """The native tables of an export folder (absent tables are empty), typed, scanned lazily."""
    from ..staging import Tables, conform, polars_schema

    files = _files(folder)
    if "cases" not in files and "entitlements" not in files:
        raise ProblemsError(
            [Problem(file=str(folder), message="no native tables here (cases.parquet, entitlements.csv ...)")]
        )
    frames = {}
    for name in TABLES:
        if name in files:
            try:
                frames[name] = conform(name, _read(files[name], polars_schema(name)))
            except (pl.exceptions.PolarsError, OSError) as exc:
                raise ProblemsError([Problem(file=str(files[name]), message=f"unreadable: {exc}")]) from None
    return Tables.from_frames(frames)


def write_aggregates(aggregates: Aggregates, tables: Any, out: Path) -> list[Path]:
    """Write the aggregate tables and the small native tables to ``out`` (Parquet); the files written."""
    from ..native_export import native_frame

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in AGGREGATE_SCHEMAS:
        path = out / f"{name}.parquet"
        aggregates[name].write_parquet(path)
        written.append(path)
    for name in SMALL_TABLES:
        path = out / f"{name}.parquet"
        native_frame(getattr(tables, name).collect(), name).write_parquet(path)
        written.append(path)
    return written


def load_aggregate_folder(folder: Path) -> Aggregates:
    """The aggregate tables of an aggregation's output folder, checked."""
    files = _files(folder)
    missing = [name for name in AGGREGATE_SCHEMAS if name not in files]
    if missing:
        raise ProblemsError(
            [Problem(file=str(folder), message=f"not an aggregation's output: {', '.join(missing)} missing "
                     "(write one with `aggregate --out DIR`)")]
        )  # fmt: skip
    frames = {}
    for name in AGGREGATE_SCHEMAS:
        try:
            frames[name] = _read(files[name], AGGREGATE_SCHEMAS[name]).collect()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise ProblemsError([Problem(file=str(files[name]), message=f"unreadable: {exc}")]) from None
    try:
        return Aggregates(frames)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise ProblemsError([Problem(file=str(folder), message=str(exc))]) from None


def import_aggregates(store: Any, folder: Path, *, actor: str = "cli", progress: Any = None) -> Any:
    """Replace the store's content with an aggregation's output folder: the small native tables
    (validated like any import) and the aggregate tables. All or nothing: built beside the database
    and put in its place only when finished; audited as ``actor``'s import."""
    from ..admin.imports import _audit
    from ..ingest import import_path

    aggregates = load_aggregate_folder(folder)
    files = _files(folder)
    small = [files[name] for name in SMALL_TABLES if name in files]
    stray = [files[name].name for name in CASE_TABLES if name in files]
    if stray:
        raise ProblemsError(
            [Problem(file=str(folder), message=f"an aggregates import takes no case-sized tables: {', '.join(stray)}")]  # noqa: E501
        )  # fmt: skip
    with store.rebuilding() as fresh, fresh.transaction() as con:
        result = import_path(fresh, small, format="native", progress=progress)
        for name in AGGREGATE_SCHEMAS:
            view = f"_load_{name}"
            con.register(view, aggregates[name].to_arrow())
            try:
                con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{view}"')
            finally:
                with contextlib.suppress(Exception):
                    con.unregister(view)
        fresh.bump_data_version(con)
        _audit(fresh, con, result, actor)
        value = str(aggregates.as_of)
        after = {"as_of": value, "engine": aggregates.meta["engine"]}
        fresh.audit(con, actor=actor, action="import aggregates", table_name="agg_meta", record_id=value,
                    before=None, after=after)  # fmt: skip
    return result


def read_aggregates(store: Any) -> Aggregates | None:
    """The aggregate tables of a store or read session; None when it has none (a raw store)."""
    query = getattr(store, "query", None)
    if query is None:
        return None
    found = query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'agg_meta'")
    if found.item() == 0:
        return None
    frames = {name: query(f'SELECT * FROM "{name}"') for name in AGGREGATE_SCHEMAS}
    return Aggregates(frames)
