"""Time the native import against DuckDB's own CSV reader on the same files.

Usage: ``python bench/bench_import.py [--cases N] [--repeat R] [--memory] [--profile]``
(default 1,000,000 cases). The script writes N cases as CSV into a temporary
folder, with their parents (accounts, plans, entitlements), then measures,
each in its own process so that the peak resident set size belongs to that
measurement alone:

- ``baseline``: DuckDB ``read_csv`` of every file into the empty native
  tables with ``INSERT INTO ... SELECT`` (type casts only, no validation);
- ``import``: :func:`entitlement_core.ingest.import_path` of the folder into an
  empty store (read, validate, upsert in one transaction);
- ``reimport``: the same import again into the loaded store (nothing changes).

It prints one JSON line per measurement (wall and CPU seconds, peak RSS), then
the best of ``--repeat`` interleaved rounds and the ratios import / baseline.
``--profile`` runs the import under ``cProfile`` and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TABLE_ORDER = ("accounts", "plans", "entitlements", "cases")
START = np.datetime64("2025-01-01T00:00:00", "ms")


def _ids(prefix: str, n: int) -> pl.Expr:
    return pl.format(prefix + "{}", pl.int_range(0, n).cast(pl.String).str.zfill(7))


def _refs(prefix: str, index: np.ndarray) -> pl.Expr:
    """Ids of the rows at ``index`` (as written by :func:`_ids`)."""
    return pl.format(prefix + "{}", pl.lit(pl.Series(index)).cast(pl.String).str.zfill(7))


def _seconds(values: np.ndarray) -> np.ndarray:
    return (values * 1000).astype("timedelta64[ms]")


def generate(folder: Path, cases: int, seed: int = 7) -> dict[str, int]:
    """Write accounts, plans, entitlements and cases CSV files (vectorised, seeded)."""
    rng = np.random.default_rng(seed)
    n_acc = max(10, cases // 200)
    n_ent = 2 * n_acc
    accounts = pl.select(
        _ids("A", n_acc).alias("account_id"),
        pl.format("Account {}", pl.int_range(0, n_acc)).alias("name"),
        pl.Series("tier", rng.choice(["Standard", "Pro", "Enterprise"], n_acc)),
        pl.Series("region", rng.choice(["EMEA", "NA", "APAC"], n_acc)),
        pl.Series("owner", rng.choice(["Ann", "Bob", "Cy", "Dee"], n_acc)),
    )
    plans = pl.DataFrame(
        {
            "plan": ["Standard", "Pro", "Enterprise"],
            "usage_type": ["cases", "cases", "cases"],
            "cap": ["10", "50", ""],
            "annual_price": ["1000", "4000", "20000"],
        }
    )
    ent_acc = np.arange(n_ent) % n_acc
    term = rng.integers(0, 2, n_ent)
    entitlements = pl.select(
        _ids("E", n_ent).alias("entitlement_id"),
        _refs("A", ent_acc).alias("account_id"),
        pl.lit("cases").alias("usage_type"),
        pl.Series("start_date", np.where(term == 0, "2025-01-01", "2026-01-01")),
        pl.Series("end_date", np.where(term == 0, "2025-12-31", "2026-12-31")),
        pl.Series("cap", rng.choice(["10", "50", ""], n_ent)),
        pl.Series("plan", rng.choice(["Standard", "Pro", "Enterprise"], n_ent)),
    )
    case_ent = rng.integers(0, n_ent, cases)
    created = START + _seconds(rng.integers(0, 2 * 365 * 86_400, cases))
    response = created + _seconds(rng.integers(60, 86_400, cases))
    closed = response + _seconds(rng.integers(60, 20 * 86_400, cases))
    is_open = rng.random(cases) < 0.1
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    cases_frame = pl.select(
        _ids("C", cases).alias("case_id"),
        _refs("A", ent_acc[case_ent]).alias("account_id"),
        pl.Series("created_at", created).dt.strftime(fmt),
        _refs("E", case_ent).alias("entitlement_id"),
        pl.Series("first_response_at", response).dt.strftime(fmt),
        pl.when(pl.Series(is_open))
        .then(None)
        .otherwise(pl.Series(closed).dt.strftime(fmt))
        .alias("closed_at"),
        pl.Series("priority", rng.choice(["Low", "Medium", "High", "Critical"], cases)),
        pl.Series("origin", rng.choice(["Email", "Phone", "Web", "Chat"], cases)),
        pl.when(pl.Series(is_open)).then(pl.lit("Open")).otherwise(pl.lit("Closed")).alias("status"),
        pl.Series("is_deleted", np.where(rng.random(cases) < 0.01, "true", "false")),
    )
    frames = {"accounts": accounts, "plans": plans, "entitlements": entitlements, "cases": cases_frame}
    for name, frame in frames.items():
        frame.write_csv(folder / f"{name}.csv")
    return {name: frame.height for name, frame in frames.items()}


def _peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class _Clock:
    """Wall and CPU (user + system, all threads) seconds of a block."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def figures(self) -> dict[str, float]:
        return {"seconds": round(self.wall, 2), "cpu_seconds": round(self.cpu, 2)}


def _baseline(folder: Path, db: str) -> dict[str, object]:
    from entitlement_core.store import Store

    store = Store(db)
    with _Clock() as clock, store.transaction() as con:
        for name in TABLE_ORDER:
            path = folder / f"{name}.csv"
            cols = ", ".join(f'"{c}"' for c in pl.read_csv(path, n_rows=0).columns)
            con.execute(
                f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM read_csv(?, header = true)', [str(path)]
            )
    rows = store.count("cases")
    store.close()
    return {"step": "baseline", **clock.figures(), "cases": rows}


def _import(folder: Path, db: str, profile: bool, again: bool) -> dict[str, object]:
    from entitlement_core.ingest import import_path
    from entitlement_core.store import Store

    store = Store(db)
    if again:
        import_path(store, folder, format="native")
    profiler = cProfile.Profile() if profile else None
    with _Clock() as clock:
        if profiler:
            profiler.enable()
        result = import_path(store, folder, format="native")
        if profiler:
            profiler.disable()
    rows = store.count("cases")
    store.close()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(30)
    return {
        "step": "reimport" if again else "import",
        **clock.figures(),
        "cases": rows,
        "added": result.rows_added,
        "updated": result.rows_updated,
    }


def _child(step: str, folder: Path, db: str, profile: bool) -> None:
    if step == "baseline":
        out = _baseline(folder, db)
    else:
        out = _import(folder, db, profile, again=step == "reimport")
    out["peak_rss_mib"] = _peak_mib()
    print(json.dumps(out))


def _run(step: str, folder: Path, db: str, profile: bool) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", step, "--folder", str(folder), "--db", db]
    if profile and step != "baseline":
        cmd.append("--profile")
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    if done.stderr.strip():
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="number of cases (default 1000000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory", action="store_true", help="use in-memory databases")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of measurements (best is reported)")
    parser.add_argument("--profile", action="store_true", help="profile the import with cProfile")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, Path(args.folder), args.db, args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "native"
        folder.mkdir()
        started = time.perf_counter()
        counts = generate(folder, args.cases, args.seed)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            json.dumps(
                {
                    "step": "generate",
                    "seconds": round(time.perf_counter() - started, 2),
                    "rows": counts,
                    "csv_mib": round(size / 2**20, 1),
                }
            )
        )
        runs: dict[str, list[dict[str, object]]] = {"baseline": [], "import": [], "reimport": []}
        for _ in range(args.repeat):
            # Interleaved rounds: a machine busy with other work slows all three alike.
            for step in runs:
                db = ":memory:" if args.memory else str(Path(tmp) / f"{step}.duckdb")
                Path(db).unlink(missing_ok=True)
                runs[step].append(_run(step, folder, db, args.profile))
                print(json.dumps(runs[step][-1]))
        best = {step: min(float(r["seconds"]) for r in rs) for step, rs in runs.items()}  # type: ignore[arg-type]
        cpu = {step: min(float(r["cpu_seconds"]) for r in rs) for step, rs in runs.items()}  # type: ignore[arg-type]
        peak = {step: max(int(r["peak_rss_mib"]) for r in rs) for step, rs in runs.items()}  # type: ignore[arg-type]
        summary = {
            "cases": args.cases,
            "best_seconds": best,
            "best_cpu_seconds": cpu,
            "peak_rss_mib": peak,
            "import_vs_baseline": round(best["import"] / best["baseline"], 2),
            "reimport_vs_baseline": round(best["reimport"] / best["baseline"], 2),
            "import_vs_baseline_cpu": round(cpu["import"] / cpu["baseline"], 2),
        }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
