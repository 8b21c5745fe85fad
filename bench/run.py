"""The benchmark suite: every step beside its baseline, at 100k, 1M and 10M cases, in one table.

Usage::

    python -m bench [--sizes 100000,1000000,10000000] [--quick] [--repeat R]
                    [--steps utilization,compliance,...] [--db-dir DIR] [--results DIR]

For each size it builds (or reuses, in ``--db-dir``) the seeded demo
database of that many cases (``python -m entitlement_core demo --seed 7
--today 2026-05-14``) and the import's CSV and Parquet files, then measures,
interleaved round by round so that a busy machine slows both sides alike:

=====================  ======================================================  =============================
step                   ours                                                    baseline
=====================  ======================================================  =============================
report utilization     ``python -m entitlement_core report utilization``       the bare consumed/remaining
                       (whole process, CSV to a file)                          SQL (whole process)
report compliance      ``report compliance`` (whole process)                   calendar-minute SQL
report milestones      ``report milestones`` (whole process, to a file)        calendar-minute SQL, to a file
utilization in proc.   load the tables, run the report (in process)            the hand SQL of its columns
compliance in proc.    load the tables, run the report (in process)            calendar-minute SQL
import CSV / Parquet   ``import_path`` of the folder into an empty store       DuckDB ``read_csv`` /
                                                                               ``read_parquet`` + INSERT
re-import              the same import into the loaded store (nothing          the bare CSV load
                       changes)
app (AppTest)          first Overview after start; the same page again; a      (none: targets in seconds)
                       switch to Utilization and SLA; an as-of change
=====================  ======================================================  =============================

Every side runs in its own process; its peak resident set size comes
from the operating system (``wait4``). The table shows the median of
``--repeat`` rounds (default 3 below 10M cases, 1 at 10M). The JSON of the
run (machine, sizes, every measurement) goes to ``--results``
(``bench/results/``). ``--quick`` is 100k and 1M cases, one round, the app
and ``report milestones`` at 100k only: a smoke run of the whole suite (the test suite runs it without
asserting on times).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.steps import IMPORT_TABLES, TODAY  # noqa: E402

PY = sys.executable
SIZES = (100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (100_000, 1_000_000)
STEPS = ("utilization", "compliance", "milestones", "inproc", "import", "app")
SEED = 7


@dataclass
class Run:
    """One process: wall seconds seen from outside, the seconds it reported, its peak memory."""

    wall: float
    peak_mb: float
    inner: dict[str, object] = field(default_factory=dict)


@dataclass
class Row:
    """One line of the table: a step at a size, ours beside its baseline."""

    step: str
    size: int
    ours: float
    baseline: float | None
    ours_peak_mb: float | None
    baseline_peak_mb: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.ours / self.baseline if self.baseline else None


def run_process(cmd: Sequence[str], *, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to its end; its wall time, peak RSS (MB) and the JSON of its last output line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=err, cwd=ROOT, env={**os.environ, **(env or {})}
        )
        # Reaped here, not by Popen: wait4 gives this child's own peak resident set size.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, problems = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{problems[-4000:]}")
    lines = [line for line in text.splitlines() if line.startswith("{")]
    inner: dict[str, object] = json.loads(lines[-1]) if lines else {}
    return Run(wall=wall, peak_mb=usage.ru_maxrss / 1024, inner=inner)  # ru_maxrss: KiB on Linux


def cli(db: Path, *args: str) -> list[str]:
    return [PY, "-m", "entitlement_core", "--db", str(db), *args]


def side(kind: str, *args: object) -> list[str]:
    return [PY, "-m", "bench.steps", kind, *map(str, args)]


def ensure_demo(folder: Path, cases: int) -> tuple[Path, float | None]:
    """The seeded demo database of ``cases`` cases (built when missing) and the build's seconds."""
    db = folder / f"demo-{cases}-{SEED}.duckdb"
    if db.exists():
        return db, None
    run = run_process(
        cli(db, "demo", "--cases", str(cases), "--seed", str(SEED), "--today", TODAY.isoformat())
    )
    return db, run.wall


def ensure_files(folder: Path, cases: int) -> Path:
    """The import's native files (CSV and Parquet) of ``cases`` cases (written when missing)."""
    import polars as pl

    from bench.bench_import import generate

    files = folder / f"import-{cases}-{SEED}"
    if (files / "cases.parquet").exists():
        return files
    files.mkdir(parents=True, exist_ok=True)
    generate(files, cases, SEED)
    for name in IMPORT_TABLES:
        pl.read_csv(files / f"{name}.csv", try_parse_dates=True, null_values=[""]).write_parquet(
            files / f"{name}.parquet"
        )
    return files


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _pair(step: str, size: int, ours: list[Run], base: list[Run] | None, note: str = "") -> Row:
    return Row(
        step=step,
        size=size,
        ours=_median([r.wall for r in ours]),
        baseline=_median([r.wall for r in base]) if base else None,
        ours_peak_mb=max(r.peak_mb for r in ours),
        baseline_peak_mb=max(r.peak_mb for r in base) if base else None,
        note=note,
    )


def measure_size(size: int, folder: Path, steps: Sequence[str], repeat: int, log: list[dict]) -> list[Row]:
    rows: list[Row] = []
    db, built = ensure_demo(folder, size)
    if built is not None:
        rows.append(Row("demo build (seeded)", size, built, None, None, None, "no baseline"))
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        out = Path(tmp)

        def record(name: str, run: Run) -> Run:
            log.append({"step": name, "size": size, **asdict(run)})
            return run

        for report in ("utilization", "compliance", "milestones"):
            if report not in steps:
                continue
            ours, base = [], []
            for _ in range(repeat):
                base.append(record(f"sql {report}", run_process(side(f"sql-{report}", db, out / "b.csv"))))
                ours.append(
                    record(
                        f"report {report}",
                        run_process(
                            cli(
                                db,
                                "report",
                                report,
                                "--as-of",
                                TODAY.isoformat(),
                                "--out",
                                str(out / "o.csv"),
                            )
                        ),
                    )
                )
            baseline = "bare consumed/remaining SQL" if report == "utilization" else "calendar-minute SQL"
            rows.append(_pair(f"report {report} (process)", size, ours, base, f"vs {baseline}"))
        if "inproc" in steps:
            for report in ("utilization", "compliance"):
                runs = [record(f"in process {report}", run_process(side(f"inproc-{report}", db, repeat)))]
                inner = runs[0].inner
                rows.append(
                    Row(
                        f"report {report} (in process)",
                        size,
                        float(inner["seconds"]),  # type: ignore[arg-type]
                        float(inner["baseline_seconds"]),  # type: ignore[arg-type]
                        runs[0].peak_mb,
                        None,
                        "vs hand SQL of its columns" if report == "utilization" else "vs calendar-minute SQL",
                    )
                )
        if "import" in steps:
            files = ensure_files(folder, size)
            runs: dict[str, list[Run]] = {
                k: [] for k in ("load-csv", "import-csv", "reimport", "load-pq", "import-pq")
            }
            for r in range(repeat):
                for kind, fmt in (("csv", "csv"), ("pq", "parquet")):
                    only = out / f"only-{fmt}"
                    only.mkdir(exist_ok=True)
                    for name in IMPORT_TABLES:
                        target = only / f"{name}.{fmt}"
                        if not target.exists():
                            target.symlink_to(files / f"{name}.{fmt}")
                    bare_db, ours_db = out / f"bare-{kind}-{r}.duckdb", out / f"ours-{kind}-{r}.duckdb"
                    runs[f"load-{kind}"].append(
                        record(
                            f"bare load {fmt}",
                            run_process(side(f"load-{'csv' if kind == 'csv' else 'parquet'}", only, bare_db)),
                        )
                    )
                    runs[f"import-{kind}"].append(
                        record(f"import {fmt}", run_process(side("import", only, ours_db)))
                    )
                    if kind == "csv":
                        runs["reimport"].append(
                            record("re-import csv", run_process(side("import", only, ours_db)))
                        )
                    bare_db.unlink(missing_ok=True)
                    ours_db.unlink(missing_ok=True)
            rows.append(
                _pair(
                    "import CSV (process)", size, runs["import-csv"], runs["load-csv"], "vs bare DuckDB load"
                )
            )
            rows.append(
                _pair(
                    "re-import, nothing changes",
                    size,
                    runs["reimport"],
                    runs["load-csv"],
                    "vs bare DuckDB load",
                )
            )
            rows.append(
                _pair(
                    "import Parquet (process)",
                    size,
                    runs["import-pq"],
                    runs["load-pq"],
                    "vs bare DuckDB load",
                )
            )
        if "app" in steps:
            run = record("app", run_process(side("app", db)))
            inner = run.inner
            if inner.get("errors"):
                raise RuntimeError(f"the app failed at {size} cases: {inner['errors']}")
            for key, label in (
                ("seconds", "app: first Overview after start"),
                ("warm_seconds", "app: Overview again (warm)"),
                ("switch_utilization_seconds", "app: switch to Utilization"),
                ("switch_sla_seconds", "app: switch to SLA"),
                ("as_of_change_seconds", "app: as-of change (Overview)"),
            ):
                peak = run.peak_mb if key == "seconds" else None
                rows.append(Row(label, size, float(inner[key]), None, peak, None, "AppTest, server time"))  # type: ignore[arg-type]
    return rows


def machine() -> dict[str, object]:
    mem = cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        mem = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(x for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("model name"))
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu.split(":", 1)[-1].strip(),
        "memory": mem.split(":", 1)[-1].strip(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def table(rows: Sequence[Row]) -> str:
    """The suite's one table (Markdown): step, size, ours, baseline, ratio, peak MB ours / baseline."""
    lines = [
        "| step | size | ours (s) | baseline (s) | ratio | peak MB ours / baseline | baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        base = f"{r.baseline:.2f}" if r.baseline is not None else ""
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        peak = f"{r.ours_peak_mb:.0f}" if r.ours_peak_mb is not None else ""
        if r.baseline_peak_mb is not None:
            peak += f" / {r.baseline_peak_mb:.0f}"
        lines.append(f"| {r.step} | {_size(r.size)} | {r.ours:.2f} | {base} | {ratio} | {peak} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated case counts (default 100000,1000000,10000000)")
    parser.add_argument(
        "--quick", action="store_true", help="100k and 1M cases, one round (app and milestones at 100k)"
    )
    parser.add_argument("--repeat", type=int, help="rounds per step (default 3 below 10M cases, 1 at 10M)")
    parser.add_argument("--steps", help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument(
        "--db-dir", type=Path, default=ROOT / "bench" / ".data", help="databases and files kept here"
    )
    parser.add_argument(
        "--results", type=Path, default=ROOT / "bench" / "results", help="where the JSON goes"
    )
    args = parser.parse_args(argv)
    sizes = (
        [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    )
    steps = args.steps.split(",") if args.steps else list(STEPS)
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}: choose from {', '.join(STEPS)}")
    args.db_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    rows: list[Row] = []
    log: list[dict] = []
    for size in sizes:
        repeat = args.repeat or (1 if args.quick or size >= 10_000_000 else 3)
        # Quick: the slowest steps (the app, every milestone to a file) at the smallest size only.
        chosen = [s for s in steps if not (args.quick and s in ("app", "milestones") and size > 100_000)]
        print(
            f"measuring {_size(size)} cases: {', '.join(chosen)} ({repeat} round(s))",
            file=sys.stderr,
            flush=True,
        )
        rows.extend(measure_size(size, args.db_dir, chosen, repeat, log))
        print(table([r for r in rows if r.size == size]), file=sys.stderr, flush=True)
    text = table(rows)
    print(text)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    result = {
        "started": started.isoformat(),
        "seconds": (dt.datetime.now(dt.UTC) - started).total_seconds(),
        "machine": machine(),
        "sizes": sizes,
        "quick": args.quick,
        "rows": [{**asdict(r), "ratio": r.ratio} for r in rows],
        "runs": log,
        "table": text,
    }
    path = args.results / f"bench-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(result, indent=1, default=str))
    print(f"results: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
