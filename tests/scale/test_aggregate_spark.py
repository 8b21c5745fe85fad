"""aggregate --engine spark, then import --format aggregates: every report the raw path's (one local session).

Runs in .venv-spark (pyspark with pandas<3): ``scripts/test.sh`` runs the
``spark``-marked tests there.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

pyspark = pytest.importorskip("pyspark")

from entitlement_core.aggregates import AGGREGATE_SCHEMAS  # noqa: E402
from entitlement_core.cli import main  # noqa: E402

from .helpers import AS_OF, TODAY, assert_same_reports, demo_store, reports  # noqa: E402

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    """One local session for the module (the command line reuses it)."""
    from entitlement_core.spark import session

    s = session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, spark) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spark")
    raw = demo_store(root)
    out = {"raw": raw, "export": root / "export", "spark": root / "agg-spark", "local": root / "agg-local"}
    assert main(["--db", str(raw), "export", str(out["export"])]) == 0
    for engine in ("spark", "local"):
        args = ["aggregate", "--engine", engine, "--source", str(out["export"]), "--out", str(out[engine])]
        assert main([*args, "--as-of", TODAY.isoformat()]) == 0
    out["store"] = root / "spark.duckdb"
    assert main(["--db", str(out["store"]), "import", str(out["spark"]), "--format", "aggregates"]) == 0
    return out


def test_spark_aggregates_give_the_raw_reports(world: dict[str, Path]) -> None:
    assert_same_reports(reports(world["raw"]), reports(world["store"]))


def test_spark_and_local_aggregate_tables_are_equal(world: dict[str, Path]) -> None:
    for name in AGGREGATE_SCHEMAS:
        if name == "agg_meta":
            continue
        a = pl.read_parquet(world["local"] / f"{name}.parquet")
        b = pl.read_parquet(world["spark"] / f"{name}.parquet")
        assert a.height > 0, name
        assert_frame_equal(b.sort(b.columns), a.sort(a.columns), check_exact=True), name


def test_python_entry_point_returns_spark_frames(world: dict[str, Path], spark, monkeypatch) -> None:
    """``aggregate(spark, tables, as_of)`` hands the aggregate tables back as Spark DataFrames, typed as
    declared (the computation itself is the command line's, checked above; not run twice here)."""
    from entitlement_core.aggregates.store import load_aggregate_folder
    from entitlement_core.spark import aggregate, engine, read_tables

    computed = load_aggregate_folder(world["spark"])
    seen = {}

    def frames(spark_, tables, as_of, settings=None):
        seen.update(tables=set(tables), as_of=as_of)
        return computed

    monkeypatch.setattr(engine, "aggregate_frames", frames)
    found = aggregate(spark, read_tables(spark, world["export"]), AS_OF)
    assert seen["as_of"] == AS_OF and "cases" in seen["tables"]
    assert set(found) == set(AGGREGATE_SCHEMAS)
    for name in ("agg_totals", "agg_overage_units", "agg_instances"):
        back = pl.from_arrow(found[name].toArrow()).cast(AGGREGATE_SCHEMAS[name])
        assert_frame_equal(back, computed[name], check_exact=True)
