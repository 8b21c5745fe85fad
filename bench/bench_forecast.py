"""Benchmark: the forecast of every entitlement against ``report utilization``, measured in the same run.

On a demo database of N cases (default 1,000,000, seed 7, today 2026-06-30),
interleaved and best of R, it times

- *baseline*: ``report utilization`` as the command line runs it, in this
  process: ``load_tables(store)``, the report, the CSV written to a file;
- *inputs*: :func:`~entitlement_core.forecast.forecast_inputs` (the daily
  consumption per entitlement and its terms, from the ledger: a stand-in
  for an intermediate layer computed once per as-of moment and shared);
- *forecast*: :func:`~entitlement_core.forecast.forecast` of every
  entitlement from those inputs (the forecaster's own cost);
- *backtest*: ``report forecast-backtest`` (every ended term at 30, 90
  and 180 days), for reference.

It prints the seconds and the ratios to the baseline. Usage::

    python bench/bench_forecast.py [--cases N] [--seed S] [--repeat R] [--db-dir DIR] [--no-backtest]

``--db-dir`` keeps the database between runs (built when missing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from entitlement_core.demo import build_demo
from entitlement_core.export import write_frame
from entitlement_core.forecast import forecast, forecast_inputs
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

TODAY = dt.date(2026, 6, 30)
AS_OF = dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=dt.UTC)
SETTINGS = Settings()


def database(folder: Path, cases: int, seed: int) -> Path:
    path = folder / f"forecast-{cases}-{seed}.duckdb"
    if not path.exists():
        with Store(path) as store:
            build_demo(store, cases=cases, seed=seed, today=TODAY)
    return path


def measure(path: Path, repeat: int, backtest: bool, scratch: Path) -> dict[str, float]:
    best = {
        "baseline": float("inf"),
        "inputs": float("inf"),
        "forecast": float("inf"),
        "backtest": float("inf"),
    }
    with Store(path) as store:
        for _ in range(repeat):
            started = time.perf_counter()
            report = run_report("utilization", load_tables(store), as_of=AS_OF, settings=SETTINGS)
            write_frame(report, str(scratch / "utilization.csv"), "csv")
            best["baseline"] = min(best["baseline"], time.perf_counter() - started)

            started = time.perf_counter()
            inputs = forecast_inputs(load_tables(store), as_of=AS_OF)
            best["inputs"] = min(best["inputs"], time.perf_counter() - started)

            started = time.perf_counter()
            rows = forecast(inputs, as_of=AS_OF).collect()
            best["forecast"] = min(best["forecast"], time.perf_counter() - started)
            assert rows.height == report.height, (rows.height, report.height)

            if backtest:
                started = time.perf_counter()
                run_report("forecast-backtest", load_tables(store), as_of=AS_OF, settings=SETTINGS)
                best["backtest"] = min(best["backtest"], time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs; the best counts")
    parser.add_argument(
        "--db-dir", type=Path, default=None, help="folder of the database (default: temporary)"
    )
    parser.add_argument("--no-backtest", dest="backtest", action="store_false", help="skip the backtest")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.db_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = database(folder, args.cases, args.seed)
        with Store(path) as store:
            entitlements, cases = store.count("entitlements"), store.count("cases")
        print(f"demo: {cases:,} cases, {entitlements:,} entitlements; as of {AS_OF.isoformat()}")
        best = measure(path, args.repeat, args.backtest, Path(tmp))
    base = best["baseline"]
    lines = [
        ("report utilization (load, report, CSV)", base),
        ("forecast inputs (ledger to daily)", best["inputs"]),
        ("forecast of every entitlement", best["forecast"]),
        ("inputs + forecast", best["inputs"] + best["forecast"]),
    ]
    if args.backtest:
        lines.append(("report forecast-backtest", best["backtest"]))
    for label, seconds in lines:
        print(f"{label:<42} {seconds:7.3f} s   ratio {seconds / base:.2f}")
    print(f"ratio forecast / report utilization: {best['forecast'] / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
