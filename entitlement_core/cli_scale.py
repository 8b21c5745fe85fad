"""The command line's ``export`` and ``aggregate`` (docs/scale.md): past one machine.

- ``export DIR [--format parquet|csv]``: every native table, in the native
  import format (importing the folder reproduces the database);
- ``aggregate --engine local|spark --source DIR --out DIR [--as-of]``:
  the aggregate tables of an export folder, with the small native tables
  beside them, ready for ``import DIR --format aggregates``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .cli_runtime import Progress
from .settings import load_settings

__all__ = ["add_scale_commands", "import_aggregates_command"]


def _cmd_export(args: argparse.Namespace, store: Any) -> int:
    from .native_export import export_native

    counts = export_native(store, Path(args.dir), args.format)
    for name, rows in counts.items():
        print(f"  {name}.{args.format}: {rows} rows", file=sys.stderr)
    print(f"exported {len(counts)} tables to {args.dir}", file=sys.stderr)
    return 0


def _conf(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write KEY=VALUE")
    return key.strip(), value


def _cmd_aggregate(args: argparse.Namespace, store: None) -> int:
    from .aggregates.store import read_source, write_aggregates

    settings = load_settings()
    source, out = Path(args.source), Path(args.out)
    started = time.perf_counter()
    progress = Progress()
    tables = read_source(source)
    if args.engine == "local":
        from .aggregates import from_basis
        from .basis import Basis

        progress(0, 1, "running the kernels on the whole data")
        found = from_basis(Basis(tables, as_of=args.as_of, settings=settings), engine="local")
        progress(1, 1, "done")
    else:
        try:
            from .spark import aggregate_frames, read_tables, session
        except ImportError as exc:
            print(
                f"error: the Spark engine needs pyspark: install requirements-spark.txt ({exc})",
                file=sys.stderr,
            )
            return 1
        from pyspark.sql import SparkSession

        # A session already running in this process (a notebook, a test) is used and left running.
        ours = SparkSession.getActiveSession() is None
        spark = session(args.spark_master, dict(args.spark_conf or []))
        try:
            found = aggregate_frames(
                spark, read_tables(spark, source), args.as_of, settings=settings, progress=progress
            )
        finally:
            if ours:
                spark.stop()
    written = write_aggregates(found, tables, out)
    print(
        f"aggregated {source} as of {args.as_of} with the {args.engine} engine in "
        f"{time.perf_counter() - started:.1f} s: {len(written)} files in {out}",
        file=sys.stderr,
    )
    return 0


def import_aggregates_command(args: argparse.Namespace, store: Any) -> int:
    """``import DIR --format aggregates``."""
    from .aggregates.store import import_aggregates, load_aggregate_folder
    from .cli import _actor

    result = import_aggregates(store, Path(args.path), actor=_actor(), progress=Progress())
    found = load_aggregate_folder(Path(args.path))
    print(result.summary())
    print(f"aggregates as of {found.as_of} ({found.meta['engine']} engine): reports answer as of that value")
    return 0


def add_scale_commands(sub: Any, common: argparse.ArgumentParser, as_of_type: Any) -> None:
    """Add ``export`` and ``aggregate`` to the command line's subparsers."""
    exp = sub.add_parser(
        "export", parents=[common], help="write every native table to a folder (Parquet or CSV)",
        description="Write every native table to DIR in the native import format: importing the folder "
        "into an empty database reproduces this one; any engine can read it.",
    )  # fmt: skip
    exp.set_defaults(run=_cmd_export, needs_db=True)
    exp.add_argument("dir", metavar="DIR", help="the folder to write (created when absent)")
    exp.add_argument(
        "--format", choices=["parquet", "csv"], default="parquet", help="file format (default parquet)"
    )

    agg = sub.add_parser(
        "aggregate", parents=[common], help="aggregate exported native tables (local or Spark engine)",
        description="Run every row-proportional step on the native tables of --source (an export folder) "
        "and write the aggregate tables, with the small native tables, to --out: load them with "
        "`import OUT --format aggregates`. See docs/scale.md.",
    )  # fmt: skip
    agg.set_defaults(run=_cmd_aggregate, needs_db=False, no_store=True)
    agg.add_argument("--engine", choices=["local", "spark"], default="local", help="where the kernels run")
    agg.add_argument(
        "--source", required=True, metavar="DIR", help="folder of native tables (Parquet or CSV)"
    )
    agg.add_argument("--out", required=True, metavar="DIR", help="folder to write the aggregate tables to")
    agg.add_argument(
        "--as-of", type=as_of_type, default=None, metavar="TIMESTAMP",
        help="as-of moment or date (as for report; default now): the aggregates' reports answer as of it",
    )  # fmt: skip
    agg.add_argument("--spark-master", default="local[2]", help="Spark master URL (default local[2])")
    agg.add_argument(
        "--spark-conf", type=_conf, action="append", metavar="KEY=VALUE", help="a Spark setting (repeatable)"
    )
