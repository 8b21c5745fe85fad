"""Time and peak memory of building the demo database.

Usage: ``python bench/bench_demo.py [CASES ...] [--chunk-size N] [--memory]``
(default: 50,000 and 1,000,000 cases). Each size is built into a fresh
database file in a temporary folder, in its own process, so that the peak
resident set size (``resource.getrusage``) belongs to that build alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = dt.date(2026, 5, 14)


def _one(cases: int, chunk_size: int, memory: bool) -> dict[str, object]:
    from entitlement_core.demo import build_demo
    from entitlement_core.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(":memory:" if memory else Path(tmp) / "demo.duckdb")
        started = time.perf_counter()
        # As the `demo` command builds it: beside the database, put in its place when finished.
        with store.rebuilding() as fresh:
            summary = build_demo(fresh, cases=cases, seed=7, today=TODAY, chunk_size=chunk_size)
        wall = time.perf_counter() - started
        store.close()
        size = 0 if memory else (Path(tmp) / "demo.duckdb").stat().st_size
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "cases": cases,
        "chunk_size": chunk_size,
        "database": "memory" if memory else "file",
        "seconds": round(wall, 2),
        "cases_per_second": round(cases / wall) if wall else None,
        "peak_rss_mib": round(peak_kib / 1024),
        "file_mib": round(size / 2**20, 1),
        "time_entries": summary.counts["time_entries"],
        "entitlements": summary.counts["entitlements"],
        "accounts": summary.counts["accounts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", type=int, default=[50_000, 1_000_000])
    parser.add_argument("--chunk-size", type=int, default=250_000)
    parser.add_argument("--memory", action="store_true", help="use an in-memory database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_one(args.cases[0], args.chunk_size, args.memory)))
        return
    for cases in args.cases:
        cmd = [sys.executable, __file__, str(cases), "--chunk-size", str(args.chunk_size), "--child"]
        if args.memory:
            cmd.append("--memory")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(out.strip())


if __name__ == "__main__":
    main()
