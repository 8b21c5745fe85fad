"""Compliance counted a window of start moments at a time equals compliance of every instance at once.

:meth:`Basis.sla <entitlement_core.basis.Basis.sla>` measures milestones in
windows of about ``SLA_SLICE_CASES`` cases and keeps only the kernels'
partials; the Overview measures only the milestones its figures need
(:func:`~entitlement_core.views.overview.measured_since`). Both must give
the figures of every instance measured at once.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest

import entitlement_core.basis as basis_module
from entitlement_core import views
from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.kernels import run_local
from entitlement_core.kernels.compliance import COUNTS, MARGINS, SlaContext
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store

AS_OF = dt.datetime(2026, 6, 30, 14, 40, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    from entitlement_core.demo import build_demo

    path: Path = tmp_path_factory.mktemp("sla-windows") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, cases=4000, seed=9, today=dt.date(2026, 6, 30))
        return load_tables(store).collect_all()


def _whole(basis: Basis) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The kernels run on every instance as one slice (the instances kept)."""
    instances = basis.instances
    context = SlaContext(basis.entitlement_dims.select("entitlement_id", "region", "plan", "usage_type"))
    return run_local(COUNTS, instances, context, None), run_local(MARGINS, instances, context, None)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2026, 3, 1)], ids=["moment", "date"])
def test_windows_give_the_counts_and_margins_of_every_instance(
    tables: Tables, as_of: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(basis_module, "SLA_SLICE_CASES", 600)
    windowed = Basis(tables, as_of=as_of, settings=Settings())
    windows = windowed.sla_windows()
    assert len(windows) >= 4
    assert windows[0][0] is None and windows[-1][1] is None
    for (_, before), (since, _) in pairwise(windows):
        assert before == since and since.weekday() == 0 and since.time() == dt.time.min  # type: ignore[union-attr]
    parts = windowed.sla()
    assert ("instances", None) not in windowed._memo  # only the partials were kept
    counts, margins = _whole(Basis(tables, as_of=as_of, settings=Settings()))
    assert counts.height > 0 and margins.height > 0
    assert _sorted(parts.counts).equals(_sorted(counts))
    assert _sorted(parts.margins).equals(_sorted(margins))


def test_windows_keep_imported_records_started_in_another_window(
    tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case's imported records may start weeks after it was created: they count in their own window."""
    from dataclasses import replace

    cases = tables.cases.collect().sample(400, seed=5)
    records = cases.select(
        "case_id",
        pl.lit("First Response").alias("milestone"),
        (pl.col("created_at") + pl.duration(days=23)).alias("started_at"),
        (pl.col("created_at") + pl.duration(days=23, hours=3)).alias("completed_at"),
    )
    schema = tables.case_milestones.collect_schema()
    imported = pl.concat([tables.case_milestones.collect(), records], how="diagonal_relaxed").select(
        [pl.col(name).cast(dtype) for name, dtype in schema.items()]
    )
    with_records = replace(tables, case_milestones=imported.lazy())
    monkeypatch.setattr(basis_module, "SLA_SLICE_CASES", 600)
    windowed = Basis(with_records, as_of=AS_OF, settings=Settings())
    assert len(windowed.sla_windows()) >= 4
    counts, margins = _whole(Basis(with_records, as_of=AS_OF, settings=Settings()))
    parts = windowed.sla()
    assert _sorted(parts.counts).equals(_sorted(counts))
    assert _sorted(parts.margins).equals(_sorted(margins))


def test_windows_from_a_moment_give_the_instances_started_since(
    tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(basis_module, "SLA_SLICE_CASES", 500)
    since = dt.datetime(2025, 11, 5, 6, 0, tzinfo=dt.UTC)  # a Wednesday: windows start there, then on Mondays
    windowed = Basis(tables, as_of=AS_OF, settings=Settings())
    windows = windowed.sla_windows(since)
    assert windows[0][0] == since and len(windows) >= 2
    assert all(b > since for _, b in windows[:-1])  # type: ignore[operator]
    whole = Basis(tables, as_of=AS_OF, settings=Settings())
    instances = whole.milestone_instances(started_from=since)
    context = SlaContext(whole.entitlement_dims.select("entitlement_id", "region", "plan", "usage_type"))
    assert _sorted(windowed.sla(since).counts).equals(_sorted(run_local(COUNTS, instances, context, None)))


def test_the_overview_measures_only_its_window_and_shows_the_same_figures(tables: Tables) -> None:
    basis = Basis(tables, as_of=AsOf.on(dt.date(2026, 6, 30)), settings=Settings())
    previous = Basis(tables, as_of=AsOf.on(dt.date(2026, 5, 31)), settings=Settings())
    view = views.overview_view(basis, previous)
    assert ("sla", None) not in basis._memo and ("sla", None) not in previous._memo
    since = views.overview.measured_since(basis, 26)
    assert since <= dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert since.date() <= dt.date(2026, 6, 30) - dt.timedelta(weeks=26)
    full = Basis(tables, as_of=AsOf.on(dt.date(2026, 6, 30)), settings=Settings())
    full.sla()  # every milestone measured: the figures must not change
    full._memo[("sla", since)] = full._memo[("sla", None)]
    assert view.trend.sort("milestone", "period_start").equals(
        views.weekly_compliance(full).sort("milestone", "period_start")
    )
    tile = next(t for t in view.tiles if t.key == "sla_compliance")
    assert tile.value is not None
    assert tile.value == views.kpi_values(full)["sla_compliance"]
