"""Benchmark: the forecast of every entitlement against ``report utilization``, measured in the same run.

On a demo database of N cases (default 1,000,000, seed 7, today 2026-06-30),
interleaved and best of R, it times

- *baseline*: ``report utilization`` as the command line runs it, in this
  process: ``load_tables(store)``, the report, the CSV written to a file;
- *inputs*: :func:`~entitlement_core.forecast.forecast_inputs` from the
  tables (the daily consumption per entitlement and its terms: the
  intermediate layer built for it alone);
- *inputs, shared*: the same from the intermediate layer the utilization
  report just used (:class:`~entitlement_core.basis.Basis`), as the app and
  a run of several reports share it: what the forecast adds;
- *forecast*: :func:`~entitlement_core.forecast.forecast` of every
  entitlement from those inputs (the forecaster's own cost);
- *backtest*: ``report forecast-backtest`` (every ended term at 30, 90
  and 180 days), for reference.

It prints the best wall-clock seconds and the best CPU seconds (of this
process, every thread counted: steadier than wall-clock on a shared
machine) and their ratios to the baseline. Usage::

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

from entitlement_core.basis import Basis
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


class _Clock:
    """Best wall-clock and best CPU seconds (this process, all threads) of each named step."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def time(self, name: str, step):
        wall, cpu = time.perf_counter(), time.process_time()
        result = step()
        self.wall[name] = min(self.wall.get(name, float("inf")), time.perf_counter() - wall)
        self.cpu[name] = min(self.cpu.get(name, float("inf")), time.process_time() - cpu)
        return result


def measure(path: Path, repeat: int, backtest: bool, scratch: Path) -> _Clock:
    clock = _Clock()

    def baseline():
        basis = Basis(load_tables(store), as_of=AS_OF, settings=SETTINGS)
        report = basis.mart("utilization")
        write_frame(report, str(scratch / "utilization.csv"), "csv")
        return basis, report

    with Store(path) as store:
        for _ in range(repeat):
            basis, report = clock.time("baseline", baseline)
            inputs = clock.time("inputs", lambda: forecast_inputs(load_tables(store), as_of=AS_OF))
            shared = clock.time("shared", lambda: forecast_inputs(basis))  # noqa: B023
            assert shared.daily.height == inputs.daily.height
            rows = clock.time("forecast", lambda: forecast(inputs, as_of=AS_OF).collect())  # noqa: B023
            assert rows.height == report.height, (rows.height, report.height)
            if backtest:
                clock.time(
                    "backtest",
                    lambda: run_report(
                        "forecast-backtest", load_tables(store), as_of=AS_OF, settings=SETTINGS
                    ),
                )
    return clock


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
        clock = measure(path, args.repeat, args.backtest, Path(tmp))
    names = [
        ("baseline", "report utilization (load, report, CSV)"),
        ("inputs", "forecast inputs (from the tables)"),
        ("shared", "forecast inputs (from the report's basis)"),
        ("forecast", "forecast of every entitlement"),
    ]
    if args.backtest:
        names.append(("backtest", "report forecast-backtest"))
    print(f"{'best of ' + str(args.repeat):<42} {'wall':>8}          {'cpu':>8}")
    for key, label in names:
        wall, cpu = clock.wall[key], clock.cpu[key]
        print(
            f"{label:<42} {wall:7.3f} s ratio {wall / clock.wall['baseline']:4.2f}"
            f"  {cpu:7.3f} s ratio {cpu / clock.cpu['baseline']:4.2f}"
        )
    wall = clock.wall["forecast"] / clock.wall["baseline"]
    cpu = clock.cpu["forecast"] / clock.cpu["baseline"]
    print(f"ratio forecast / report utilization: wall {wall:.2f}, cpu {cpu:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
