"""Every page on what real imports leave in the store: a partial weekly Salesforce export with
targets of record and no plans, and a native folder at the edges of what the importer accepts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from entitlement_core.ingest import import_path
from entitlement_core.store import Store

ROOT = Path(__file__).resolve().parents[2]
WEEKLY = ROOT / "tests" / "fixtures" / "salesforce" / "weekly"
PAGES = [
    "pages/overview.py",
    "pages/utilization.py",
    "pages/sla.py",
    "pages/upsell.py",
    "pages/renewals.py",
    "pages/revenue.py",
    "pages/account.py",
    "pages/data.py",
    "pages/admin.py",
]


@pytest.fixture(scope="module")
def weekly_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The weekly export fixture imported into a database file (no plans, no holidays, no contacts)."""
    path = tmp_path_factory.mktemp("weekly") / "weekly.duckdb"
    with Store(path) as store:
        import_path(store, WEEKLY)
    return path


@pytest.fixture(scope="module")
def edges_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example folder with the largest cap, the longest term and the widest moments accepted."""
    from tests.ingest.test_hostile_property import EDGES, _write

    folder = tmp_path_factory.mktemp("edges")
    _write(folder, [cell for param in EDGES for cell in param.values[0]])
    path = folder / "edges.duckdb"
    with Store(path) as store:
        import_path(store, folder, format="native")
    return path


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_a_partial_weekly_export(app: Callable, weekly_db: Path, page: str) -> None:
    at = app(weekly_db, page)
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_at_the_edges_of_accepted_values(app: Callable, edges_db: Path, page: str) -> None:
    at = app(edges_db, page)
    assert not at.exception, [e.message for e in at.exception]


def test_sla_page_lists_the_targets_of_record_that_differ(app: Callable, weekly_db: Path) -> None:
    at = app(weekly_db, "pages/sla.py", as_of="2026-06-30")
    assert not at.exception
    assert any(s.value == "Targets of record" for s in at.subheader)
    assert any("2 imported milestones whose recorded target" in c.value for c in at.caption)
    table = next(df.value for df in at.dataframe if "likely_cause" in df.value.columns)
    assert set(table["likely_cause"]) == {"holiday missing from the export"}
