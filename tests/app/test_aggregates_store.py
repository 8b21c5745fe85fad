"""The app on an aggregates store: every page renders, as of the aggregation, and says what lists hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from entitlement_core.cli import main

from .conftest import TODAY

PAGES = ("pages/overview.py", "pages/utilization.py", "pages/sla.py", "pages/upsell.py", "pages/renewals.py",
         "pages/revenue.py", "pages/account.py", "pages/data.py")  # fmt: skip


@pytest.fixture(scope="module")
def aggregates_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("aggregates-app")
    assert main(["--db", str(demo_db), "export", str(root / "export")]) == 0
    args = [
        "aggregate",
        "--source",
        str(root / "export"),
        "--out",
        str(root / "agg"),
        "--as-of",
        TODAY.isoformat(),
    ]
    assert main(args) == 0
    db = root / "agg.duckdb"
    assert main(["--db", str(db), "import", str(root / "agg"), "--format", "aggregates"]) == 0
    return db


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_aggregates(
    aggregates_db: Path, app: Callable[..., object], page: str
) -> None:
    at = app(aggregates_db, page, as_of="2026-01-01")  # another date in the URL: the aggregation's wins
    assert not at.exception, [e.value for e in at.exception]
    # The aggregation's as-of value, whatever the URL says.
    assert any(f"{TODAY:%d %b %Y}" in c.value for c in at.caption), [c.value for c in at.caption]
    if page in ("pages/sla.py", "pages/utilization.py"):
        assert any("holds aggregates, not cases" in i.value for i in at.info)
