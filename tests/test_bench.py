"""The benchmark scripts run, and their hand-written SQL baselines agree with the core.

Timing is not tested here (benchmarks print ratios); what is tested is that
each script still runs on a small database and that the utilization
baseline, an independent SQL implementation of the report's columns, gives
the same numbers as the report.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("data", ["demo", "synthetic"])
def test_utilization_baseline_agrees_with_the_report(data: str, tmp_path: Path, capsys) -> None:
    bench = load("bench_utilization")
    code = bench.main(["--data", data, "--cases", "4000", "--repeat", "1", "--db-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "every compared column agrees" in out
    assert "ratio ours / baseline" in out


def test_disagreements_are_counted_per_column() -> None:
    import polars as pl

    bench = load("bench_utilization")
    row = {
        "entitlement_id": "E1", "account_id": "A1", "usage_type": "cases", "cap": 10.0, "consumed": 4.0,
        "remaining": 6.0, "pct_used": 0.4, "status": "healthy", "burn_rate_per_day": 0.1,
        "projected_at_end": 5.0, "projected_exhaustion_date": None,
    }  # fmt: skip
    base = pl.DataFrame([row, {**row, "entitlement_id": "E2"}])
    second = pl.col("entitlement_id") == "E2"
    util = base.with_columns(pl.when(second).then(pl.lit("near_limit")).otherwise("status").alias("status"))
    none = pl.DataFrame({"entitlement_id": []}, schema={"entitlement_id": pl.String})
    assert bench.disagreements(base, util, none)["status"] == 1
    assert bench.disagreements(base, util, none)["consumed"] == 0
    # With grants of its own resource, only consumed is compared.
    granted = pl.DataFrame({"entitlement_id": ["E2"]})
    assert bench.disagreements(base, util, granted)["status"] == 0
    # A row missing on one side differs in every column.
    assert set(bench.disagreements(base, util.head(1), none).values()) == {1}


def run_script(*args: str) -> str:
    import subprocess

    result = subprocess.run(
        [sys.executable, *args], cwd=BENCH.parent, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_business_minutes_benchmark_runs_and_its_baseline_is_exact() -> None:
    out = run_script("bench/bench_business_minutes.py", "--pairs", "3000", "--repeat", "1")
    assert "exact vs closed form: True" in out
    assert "ratio:" in out
    assert "paused exact:         True" in out  # the stopped clock, pauses and all, to the microsecond
    assert "paused / unpaused:" in out


def test_import_benchmark_imports_every_row_then_nothing_on_reimport() -> None:
    import json

    lines = [json.loads(line) for line in run_script("bench/bench_import.py", "--cases", "2000").splitlines()]
    steps = {line["step"]: line for line in lines if "step" in line}
    assert steps["import"]["cases"] == 2000 and steps["import"]["added"] > 2000
    assert steps["reimport"]["added"] == steps["reimport"]["updated"] == 0
    assert "import_vs_baseline" in lines[-1]


def test_demo_benchmark_builds_the_asked_number_of_cases() -> None:
    import json

    line = json.loads(run_script("bench/bench_demo.py", "2000").splitlines()[-1])
    assert line["cases"] == 2000 and line["time_entries"] > 0 and line["cases_per_second"] > 0


def test_forecast_benchmark_runs_and_prints_its_ratios(tmp_path: Path, capsys) -> None:
    bench = load("bench_forecast")
    code = bench.main(["--cases", "4000", "--repeat", "1", "--db-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ratio forecast / report utilization" in out
    assert "report forecast-backtest" in out
