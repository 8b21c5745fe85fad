"""The benchmark suite (``python -m bench``): it runs end to end, and its SLA baseline is sound.

Times are never asserted (the suite prints ratios against baselines
measured in the same run); what is tested is that ``--quick`` measures
every step at both sizes and writes its JSON, and that the calendar-minute
SQL counts the same milestones as ``report compliance``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from entitlement_core.demo import build_demo
    from entitlement_core.store import Store

    path = tmp_path_factory.mktemp("suite") / "demo.duckdb"
    store = Store(path)
    build_demo(store, cases=5000, seed=7, today=dt.date(2026, 5, 14))
    store.close()
    return path


def test_calendar_minute_sql_counts_the_same_milestones_as_the_report(demo_db: Path) -> None:
    from bench.sla_sql import COMPLIANCE_SQL, params
    from entitlement_core.reports import run_report
    from entitlement_core.settings import Settings
    from entitlement_core.staging import load_tables
    from entitlement_core.store import Store

    store = Store(demo_db, read_only=True)
    with store.reading() as snap:
        ours = run_report("compliance", load_tables(snap), as_of=dt.date(2026, 5, 14), settings=Settings())
    base = store.query(COMPLIANCE_SQL, params(dt.date(2026, 5, 14)))
    store.close()
    keys = ["milestone", "priority"]
    statuses = ["met", "violated", "at_risk", "open"]
    joined = ours.join(base, on=keys, how="full", coalesce=True, suffix="_sql")
    assert joined.height == ours.height == base.height > 0
    # Every instance is counted once on both sides (a paused clock is open to the SQL, which knows no
    # pauses); whole minutes move a few across a status line.
    total = joined.select(pl.sum_horizontal([*statuses, *(["paused"] if "paused" in ours.columns else [])]))
    total = total.to_series()
    total_sql = joined.select(pl.sum_horizontal([f"{s}_sql" for s in statuses])).to_series()
    assert total.to_list() == total_sql.to_list()
    # The SQL does not stop the clock while a case waits (paused statuses): it finds a few more violations.
    assert (joined["compliance"] - joined["compliance_sql"]).abs().max() < 0.06  # type: ignore[operator]
    assert (joined["met"] - joined["met_sql"]).abs().sum() <= 0.05 * joined["met"].sum()


def test_table_shows_ratio_and_peak_memory() -> None:
    from bench.run import Row, table

    text = table(
        [
            Row("report compliance (process)", 1_000_000, 3.0, 1.5, 900.0, 300.0, "vs calendar-minute SQL"),
            Row("app: first Overview after start", 100_000, 2.0, None, 500.0, None),
        ]
    )
    lines = text.splitlines()
    assert lines[0].startswith("| step | size | ours (s) | baseline (s) | ratio | peak MB")
    assert "| report compliance (process) | 1M | 3.00 | 1.50 | 2.00x | 900 / 300 |" in lines[2]
    assert "| app: first Overview after start | 100k | 2.00 |  |  | 500 |" in lines[3]


def test_quick_suite_measures_every_step_at_both_sizes(tmp_path: Path) -> None:
    """``python -m bench --quick``: 100k and 1M cases, whole processes and in process, one table, JSON."""
    cmd = [sys.executable, "-m", "bench", "--quick", "--db-dir", str(tmp_path / "db")]
    cmd += ["--results", str(tmp_path)]
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("| step | size | ours (s) | baseline (s) | ratio | peak MB")
    [path] = tmp_path.glob("bench-*-quick.json")
    result = json.loads(path.read_text())
    assert result["sizes"] == [100_000, 1_000_000] and result["machine"]["cpus"]
    steps = {(row["step"], row["size"]) for row in result["rows"]}
    for size in (100_000, 1_000_000):
        for step in (
            "report utilization (process)",
            "report compliance (process)",
            "report utilization (in process)",
            "report compliance (in process)",
            "import CSV (process)",
            "re-import, nothing changes",
            "import Parquet (process)",
        ):
            assert (step, size) in steps
    assert ("report milestones (process)", 100_000) in steps
    assert ("app: first Overview after start", 100_000) in steps
    for row in result["rows"]:
        assert row["ours"] > 0
        if row["baseline"] is not None:
            assert row["ratio"] == pytest.approx(row["ours"] / row["baseline"])
            assert row["ours_peak_mb"] > 0
