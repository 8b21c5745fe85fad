"""Benchmark: the aggregation (local and Spark engines) against today's reports on the raw data.

For a demo of N cases (default 1,000,000), built once into ``--db-dir``
and exported there as Parquet (``export``), it times, best of R:

- *reports*: what the raw path runs today for the six reports the
  aggregates must reproduce (utilization, near-limit, upsell, renewals,
  compliance, overage): ``load_tables(store)`` and one basis for the six;
- *local aggregate*: ``aggregate --engine local`` (read the export folder,
  run every kernel once on the whole data, the aggregate tables in memory);
- *reports from aggregates*: the six reports of an aggregates store's
  tables (what the app does after ``import --format aggregates``);
- with ``--spark``: *Spark aggregate* on ``--spark-master`` (default
  ``local[2]``), including the session start, as a ratio for the record.

It checks that the reports from the aggregates (and from Spark's) equal the
raw path's, exit status 1 otherwise, and prints seconds and ratios (the
local aggregate must not be slower than today's reports: ratio <= 1 within
noise). Usage::

    python bench/bench_aggregate.py [--cases N] [--repeat R] [--db-dir DIR] [--spark]
        [--spark-master local[2]]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from entitlement_core.aggregates import Aggregates, from_basis
from entitlement_core.aggregates.store import read_source
from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.demo import build_demo
from entitlement_core.native_export import export_native
from entitlement_core.reports import run_reports
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store

TODAY = dt.date(2026, 5, 14)
AS_OF = AsOf.on(TODAY)
REPORTS = ("utilization", "near-limit", "upsell", "renewals", "compliance", "overage")
SETTINGS = Settings()


def _best(run: Any, repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - started)
    return best, out


def _prepare(folder: Path, cases: int) -> tuple[Path, Path]:
    db, export = folder / f"demo-{cases}.duckdb", folder / f"export-{cases}"
    if not db.exists():
        print(f"building a demo of {cases:,} cases in {db} ...", flush=True)
        with Store(db) as store:
            build_demo(store, cases=cases, seed=11, today=TODAY)
    if not (export / "cases.parquet").exists():
        with Store(db) as store:
            started = time.perf_counter()
            export_native(store, export, "parquet")
            print(f"export: {time.perf_counter() - started:.2f} s", flush=True)
    return db, export


def raw_reports(db: Path) -> dict[str, pl.DataFrame]:
    with Store(db) as store, store.reading() as snap:
        return run_reports(REPORTS, load_tables(snap), as_of=AS_OF, settings=SETTINGS)


def local_aggregate(export: Path) -> tuple[Aggregates, Tables]:
    tables = read_source(export)
    return from_basis(Basis(tables, as_of=AS_OF, settings=SETTINGS)), tables


def aggregate_reports(found: Aggregates, tables: Tables) -> dict[str, pl.DataFrame]:
    from entitlement_core.aggregates.store import SMALL_TABLES

    small = {name: getattr(tables, name) for name in SMALL_TABLES}
    bundle = replace(Tables.from_frames(small), aggregates=found).collect_all()
    return run_reports(REPORTS, bundle, as_of=AS_OF, settings=SETTINGS)


def spark_aggregate(export: Path, master: str) -> Aggregates:
    from entitlement_core.spark import aggregate_frames, read_tables, session

    spark = session(master)
    try:
        return aggregate_frames(spark, read_tables(spark, export), AS_OF, settings=SETTINGS)
    finally:
        spark.stop()


def differences(raw: dict[str, pl.DataFrame], other: dict[str, pl.DataFrame]) -> list[str]:
    return [name for name in raw if not raw[name].equals(other[name])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db-dir", type=Path, help="keep the demo and its export here (built when missing)")
    parser.add_argument("--spark", action="store_true", help="also time the Spark engine (needs pyspark)")
    parser.add_argument("--spark-master", default="local[2]")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.db_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, export = _prepare(folder, args.cases)
        t_raw, raw = _best(lambda: raw_reports(db), args.repeat)
        t_agg, (found, tables) = _best(lambda: local_aggregate(export), args.repeat)
        t_from, derived = _best(lambda: aggregate_reports(found, tables), args.repeat)
        print(f"cases: {args.cases:,}; as of {AS_OF}; best of {args.repeat}")
        print(f"reports on the raw data (6 reports, today's path): {t_raw:8.2f} s")
        print(f"local aggregate (every kernel, whole data):         {t_agg:8.2f} s")
        print(f"reports from the aggregates:                         {t_from:8.2f} s")
        print(f"ratio local aggregate / reports: {t_agg / t_raw:.2f}")
        print(f"ratio reports from aggregates / reports: {t_from / t_raw:.3f}")
        bad = differences(raw, derived)
        if args.spark:
            t_spark, spark_found = _best(lambda: spark_aggregate(export, args.spark_master), 1)
            print(f"Spark aggregate on {args.spark_master} (session start included): {t_spark:8.2f} s")
            print(f"ratio Spark aggregate / local aggregate: {t_spark / t_agg:.2f}")
            bad += [f"spark:{name}" for name in differences(raw, aggregate_reports(spark_found, tables))]
    if bad:
        print(f"reports from the aggregates differ from the raw path: {', '.join(bad)}")
        return 1
    print("every report from the aggregates equals the raw path's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
