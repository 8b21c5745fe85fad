"""export, aggregate --engine local, import --format aggregates: the raw path's reports, exactly."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.aggregates import AGGREGATE_SCHEMAS
from entitlement_core.aggregates.basis import AggregateAsOfError, AggregateBasis
from entitlement_core.aggregates.store import read_source
from entitlement_core.basis import Basis
from entitlement_core.cli import main
from entitlement_core.sla.milestones import milestone_instances
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

from .helpers import AS_OF, SAME_REPORTS, TODAY, assert_same_reports, demo_store, reports


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2k-case demo, its Parquet and CSV exports, the local aggregation and the aggregates store."""
    root = tmp_path_factory.mktemp("scale")
    raw = demo_store(root)
    out = {"root": root, "raw": raw, "export": root / "export", "csv": root / "export-csv"}
    assert main(["--db", str(raw), "export", str(out["export"])]) == 0
    assert main(["--db", str(raw), "export", str(out["csv"]), "--format", "csv"]) == 0
    out["agg"] = root / "agg"
    args = ["aggregate", "--engine", "local", "--source", str(out["export"]), "--out", str(out["agg"])]
    assert main([*args, "--as-of", TODAY.isoformat()]) == 0
    out["store"] = root / "agg.duckdb"
    assert main(["--db", str(out["store"]), "import", str(out["agg"]), "--format", "aggregates"]) == 0
    return out


def test_export_then_import_reproduces_the_database(world: dict[str, Path], tmp_path: Path) -> None:
    for folder in ("export", "csv"):
        again = tmp_path / f"{folder}.duckdb"
        assert main(["--db", str(again), "import", str(world[folder])]) == 0
        with Store(world["raw"]) as a, Store(again) as b:
            before, after = snapshot(a), snapshot(b)
        before.pop("import_batches"), after.pop("import_batches")
        assert_same_content(before, after)


def test_aggregates_store_gives_the_raw_reports(world: dict[str, Path]) -> None:
    assert_same_reports(reports(world["raw"]), reports(world["store"]))


def test_report_command_answers_as_of_the_aggregation(world: dict[str, Path], tmp_path: Path, capsys) -> None:
    raw, agg = tmp_path / "raw.csv", tmp_path / "agg.csv"
    assert main(["--db", str(world["raw"]), "report", "utilization", "--as-of", TODAY.isoformat(),
                 "--out", str(raw)]) == 0  # fmt: skip
    assert main(["--db", str(world["store"]), "report", "utilization", "--out", str(agg)]) == 0
    assert raw.read_bytes() == agg.read_bytes()
    # Another as-of value: refused, naming the one the aggregates answer for.
    assert main(["--db", str(world["store"]), "report", "utilization", "--as-of", "2026-05-01"]) == 1
    assert "as of 2026-06-15" in capsys.readouterr().err


def test_the_store_holds_no_case_rows_and_the_aggregate_tables(world: dict[str, Path]) -> None:
    with Store(world["store"]) as store, store.reading() as snap:
        tables = load_tables(snap)
        assert tables.cases.collect().height == 0
        assert set(tables.aggregates.frames) == set(AGGREGATE_SCHEMAS)
        assert tables.aggregates["agg_totals"].height > 0
        assert isinstance(Basis(tables, as_of=AS_OF), AggregateBasis)
        with pytest.raises(AggregateAsOfError):
            Basis(tables, as_of=AS_OF.shifted(-1))


def test_csv_export_aggregates_the_same(world: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "agg-csv"
    assert (
        main(["aggregate", "--source", str(world["csv"]), "--out", str(out), "--as-of", TODAY.isoformat()])
        == 0
    )
    for name in AGGREGATE_SCHEMAS:
        if name == "agg_meta":
            continue
        a, b = pl.read_parquet(world["agg"] / f"{name}.parquet"), pl.read_parquet(out / f"{name}.parquet")
        assert_frame_equal(a.sort(a.columns), b.sort(b.columns), check_exact=True), name


def test_bad_folders_are_refused_clearly(world: dict[str, Path], tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["aggregate", "--source", str(empty), "--out", str(tmp_path / "o")]) == 1
    assert "no native tables here" in capsys.readouterr().err
    # An export is not an aggregation's output: the import says what is missing and changes nothing.
    target = tmp_path / "t.duckdb"
    assert main(["--db", str(target), "import", str(world["export"]), "--format", "aggregates"]) == 1
    assert "not an aggregation's output" in capsys.readouterr().err


def test_milestone_instances_of_whole_case_slices_are_the_whole(world: dict[str, Path]) -> None:
    """The Spark engine measures milestones on slices of whole cases (with their records): any such
    slicing gives the instances of the whole."""
    tables = read_source(world["export"]).collect_all()
    whole = milestone_instances(tables, as_of=AS_OF).collect()
    cases = tables.cases.collect()
    ids = cases.get_column("case_id").to_list()
    random.Random(5).shuffle(ids)
    parts = []
    for chunk in (ids[:300], ids[300:1100], ids[1100:]):
        keep = pl.Series(chunk)
        frames = {
            name: getattr(tables, name)
            for name in (
                "accounts",
                "entitlements",
                "entitlement_processes",
                "milestone_targets",
                "business_hours",
                "holidays",
            )
        }
        frames["cases"] = cases.filter(pl.col("case_id").is_in(keep.implode()))
        for name in ("case_milestones", "case_status_history"):
            frames[name] = getattr(tables, name).filter(pl.col("case_id").is_in(keep.implode()))
        parts.append(milestone_instances(Tables.from_frames(frames), as_of=AS_OF).collect())
    keys = ["case_id", "milestone", "started_at"]
    assert_frame_equal(pl.concat(parts).sort(keys), whole.sort(keys), check_exact=True)


def test_reports_named_in_same_reports_are_registered() -> None:
    from entitlement_core.reports import MARTS

    assert set(SAME_REPORTS) <= set(MARTS)


def test_the_aggregates_import_is_audited(world: dict[str, Path]) -> None:
    with Store(world["store"]) as store:
        actions = store.query("SELECT action FROM audit_log").get_column("action").to_list()
    assert "import" in actions and "import aggregates" in actions
