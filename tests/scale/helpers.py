"""A demo world, its export, and the reports both paths must agree on (local and Spark engines)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from entitlement_core.asof import AsOf
from entitlement_core.demo.build import build_demo
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

TODAY = dt.date(2026, 6, 15)
AS_OF = AsOf.on(TODAY)
CASES = 2000
#: The reports an aggregates store must give exactly as the raw path does.
SAME_REPORTS = (
    "utilization",
    "near-limit",
    "upsell",
    "renewals",
    "compliance",
    "overage",
    "weekly-consumption",
)


def demo_store(folder: Path, cases: int = CASES) -> Path:
    """A demo database of ``cases`` cases in ``folder``."""
    path = folder / "raw.duckdb"
    with Store(path) as store:
        build_demo(store, cases=cases, seed=3, today=TODAY)
    return path


def reports(
    path: Path, names: tuple[str, ...] = SAME_REPORTS, as_of: AsOf = AS_OF
) -> dict[str, pl.DataFrame]:
    with Store(path) as store, store.reading() as snap:
        tables = load_tables(snap)
        return {name: run_report(name, tables, as_of=as_of, settings=Settings()) for name in names}


def assert_same_reports(raw: dict[str, pl.DataFrame], aggregated: dict[str, pl.DataFrame]) -> None:
    for name, frame in raw.items():
        assert frame.height > 0, f"{name}: the demo should give rows"
        assert_frame_equal(aggregated[name], frame, check_dtypes=True, check_exact=True), name
