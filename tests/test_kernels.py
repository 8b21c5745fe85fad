"""Kernels: every kernel's result on the whole data equals ``combine`` of its results on slices.

Slices are random: any rows for the ``any row slice`` kernels, whole
entitlements for the others (their stated partition contract). The data is
a small demo (cases and hours, packs, commitments, metered events,
milestones in three calendars), so every kernel has real work to do.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.basis import Basis
from entitlement_core.kernels import ANY_ROWS, WHOLE_ENTITLEMENTS, Kernel, run_local
from entitlement_core.kernels.compliance import COUNTS, GROUP_KEYS, MARGINS, SlaContext
from entitlement_core.kernels.consumption import CONSUMPTION, TOTALS
from entitlement_core.kernels.ledger import UNIT_SCHEMA, case_units, entry_units
from entitlement_core.kernels.rows import CAP_REACHED, DRAWDOWN_DEMAND, OVERAGE_UNITS
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store
from entitlement_core.usage import positions as pos

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.datetime(2026, 6, 30, 15, 40, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def basis(tmp_path_factory: pytest.TempPathFactory) -> Basis:
    """The intermediate layer of a 4,000-case demo (module scope)."""
    from entitlement_core.demo import build_demo

    path = tmp_path_factory.mktemp("kernels") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, cases=4000, seed=5, today=dt.date(2026, 6, 30))
        tables = load_tables(store).collect_all()
    return Basis(tables, as_of=AS_OF, settings=Settings())


def row_slices(frame: pl.DataFrame, parts: int, seed: int) -> list[pl.DataFrame]:
    """``frame`` cut into ``parts`` random sets of rows (some may be empty)."""
    which = np.random.default_rng(seed).integers(0, parts, frame.height)
    return [frame.filter(pl.Series(which == p)) for p in range(parts)]


def entitlement_slices(frame: pl.DataFrame, parts: int, seed: int, key: str = "_ent") -> list[pl.DataFrame]:
    """``frame`` cut into ``parts`` random sets of whole entitlements."""
    keys = frame.get_column(key).unique().sort()
    which = np.random.default_rng(seed).integers(0, parts, keys.len())
    return [
        frame.filter(pl.col(key).is_in(keys.filter(pl.Series(which == p)).implode())) for p in range(parts)
    ]


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in a fixed order (partials come in any)."""
    return frame.sort(frame.columns, nulls_last=True)


def check_additive(kernel: Kernel, rows: pl.DataFrame, context: object, seeds: range = range(3)) -> None:
    whole = kernel.combine([kernel.kernel(rows, context, AS_OF)])
    assert whole.schema == pl.Schema(kernel.schema)
    assert whole.height > 0, kernel.name
    cut = entitlement_slices if kernel.partition == WHOLE_ENTITLEMENTS else row_slices
    for seed in seeds:
        parts = [kernel.kernel(part, context, AS_OF) for part in cut(rows, 5, seed)]
        assert all(p.schema == whole.schema for p in parts)
        assert_frame_equal(canonical(kernel.combine(parts)), canonical(whole))


def test_every_kernel_states_its_partition_contract() -> None:
    kernels = [CONSUMPTION, TOTALS, CAP_REACHED, OVERAGE_UNITS, DRAWDOWN_DEMAND, COUNTS, MARGINS]
    assert {k.partition for k in kernels} <= {ANY_ROWS, WHOLE_ENTITLEMENTS}
    assert [k.partition for k in kernels] == [ANY_ROWS, ANY_ROWS, WHOLE_ENTITLEMENTS, WHOLE_ENTITLEMENTS,
                                              ANY_ROWS, ANY_ROWS, ANY_ROWS]  # fmt: skip
    assert all(k.grain for k in kernels)


def test_the_ledger_is_a_row_local_map(basis: Basis) -> None:
    """Ledger units of slices of cases are the slices of the whole ledger (any row slice)."""
    whole = basis.units_of(basis.terms["_ent"])
    # The units the sums read: the same rows, without the ids and the cases' local days.
    assert_frame_equal(
        canonical(whole.drop("case_id", "time_entry_id").with_columns(
            pl.when(pl.col("is_case")).then(None).otherwise(pl.col("consumed_date")).alias("consumed_date"))),
        canonical(basis.units),
    )  # fmt: skip
    cases = basis.tables.cases.collect()
    parts = [case_units(part, basis.context).collect() for part in row_slices(cases, 4, 1)]
    hours = whole.filter(~pl.col("is_case"))
    assert_frame_equal(canonical(pl.concat([*parts, hours])), canonical(whole))
    assert whole.schema == pl.Schema(UNIT_SCHEMA)
    assert entry_units(pl.DataFrame(schema=dict.fromkeys(("time_entry_id", "case_id", "entitlement_id"),
                                                         pl.String) | {"entry_date": pl.Date, "minutes":
                                                         pl.Float64, "is_deleted": pl.Boolean}),
                       basis.context).collect().height == 0  # fmt: skip


def test_consumption_kernel_is_additive_and_local_runs_it_once(basis: Basis) -> None:
    check_additive(CONSUMPTION, basis.units, basis.context)
    check_additive(TOTALS, basis.units, basis.context)
    local = run_local(CONSUMPTION, basis.units, basis.context, AS_OF)
    assert_frame_equal(canonical(local.daily), canonical(basis.consumption.daily))
    # The totals utilization reads are the days summed (the per-day kernel's finish), to the unit:
    # the window decided by the instant its first day begins equals the window decided by the day.
    assert_frame_equal(canonical(local.totals), canonical(basis.totals))
    assert local.daily["consumed_date"].null_count() == 0


def test_cap_reached_kernel_takes_whole_entitlements(basis: Basis) -> None:
    reached = pos.reached_selection(pos.positions(basis.terms, basis.totals, basis.grants.per_key))
    check_additive(CAP_REACHED, basis.units, basis.context.with_selected(reached))


def test_overage_kernel_takes_whole_entitlements(basis: Basis) -> None:
    over = basis.positions.filter(pl.col("overage_base") > 0).select(
        "_ent", pl.col("overage_base").alias("overage")
    )
    units = basis.units_of(over["_ent"])  # the listing needs the ids (ties by case)
    check_additive(OVERAGE_UNITS, units, basis.context.with_selected(over))
    assert_frame_equal(
        canonical(run_local(OVERAGE_UNITS, units, basis.context.with_selected(over), AS_OF)),
        canonical(basis.overage_units),
    )


def test_drawdown_demand_kernel_is_additive(basis: Basis) -> None:
    inputs = basis.drawdown_inputs()
    assert inputs is not None
    _, context, used = inputs
    check_additive(DRAWDOWN_DEMAND, used.collect(), context)


@pytest.mark.parametrize("kernel", [COUNTS, MARGINS], ids=lambda k: k.name)
def test_compliance_kernels_are_additive(basis: Basis, kernel: Kernel) -> None:
    context = SlaContext(basis.entitlement_dims.select("entitlement_id", "region", "plan", "usage_type"))
    check_additive(kernel, basis.instances, context)
    partial = kernel.kernel(basis.instances, context, AS_OF)
    assert set(GROUP_KEYS) <= set(partial.columns)


def test_the_counts_carry_paused_milestones_and_paused_time(basis: Basis) -> None:
    """The demo pauses clocks (status histories): the counts hold paused milestones and paused seconds,
    their sums equal the instances' (whole seconds each), and slices add up to them (above)."""
    instances = basis.instances
    counts = run_local(COUNTS, instances, None, AS_OF)
    assert counts["paused"].sum() == (instances["status"] == "paused").sum() > 0
    measured = instances.filter(pl.col("status").is_not_null())
    for column, minutes in (("paused_seconds", "paused_minutes"), ("running_seconds", "elapsed_minutes")):
        expected = (measured[minutes] * 60).round(0).cast(pl.Int64).sum()
        assert counts[column].sum() == expected > 0


def test_medians_come_from_the_histogram_and_equal_the_rows(basis: Basis) -> None:
    """The compliance report's median margin (histogram) equals the median of the completed rows."""
    from entitlement_core.sla.compliance import margin_stats

    done = basis.instances.filter(pl.col("status").is_in(["met", "violated"]))
    rows = done.group_by("milestone").agg((pl.col("margin_minutes") * 60).round(0).median().alias("m"))
    hist = margin_stats(basis.sla().margins, by=("milestone",)).collect()
    joined = rows.join(hist, on="milestone")
    assert joined.height == rows.height > 0
    assert ((joined["m"] / 60 - joined["median_margin_minutes"]).abs() < 1e-9).all()


KERNEL_FILES = sorted((ROOT / "entitlement_core" / "kernels").glob("*.py"))


@pytest.mark.parametrize("path", KERNEL_FILES, ids=lambda p: p.name)
def test_kernels_import_only_polars_pyarrow_and_each_other(path: Path) -> None:
    """Kernels run on an engine's workers: no database, no validation models, no other core module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:  # the kernels package itself
                continue
            assert node.level == 0, f"{path.name} imports from outside the kernels package"
            names = [(node.module or "").split(".")[0]]
        else:
            continue
        for name in names:
            assert name in {"polars", "pyarrow", "__future__", "collections", "dataclasses", "datetime",
                            "typing"}, f"{path.name} imports {name}"  # fmt: skip
