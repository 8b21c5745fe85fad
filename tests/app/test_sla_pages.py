"""The SLA and Account pages show the next breach, the paused time beside compliance and the pause
audit, with the figures of the reports (the demo's status histories pause clocks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core import views
from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

from .conftest import TODAY
from .test_pages import _metrics, _no_exception


@pytest.fixture(scope="module")
def tonight(demo_db: Path) -> Basis:
    """The demo's basis as of the end of its today (what the pages show by default in these tests)."""
    with Store(demo_db) as store:
        tables = load_tables(store).collect_all()
    return Basis(tables, as_of=AsOf.on(TODAY))


def _boxes(at: object) -> list[str]:
    return [b.value for b in [*at.warning, *at.info]]  # type: ignore[attr-defined]


def test_sla_page_shows_paused_time_next_breach_and_pause_audit(
    app: Callable, demo_db: Path, tonight: Basis
) -> None:
    at = app(demo_db, "pages/sla.py")
    _no_exception(at)
    view = views.sla_view(tonight)
    paused = view.paused
    assert paused["paused_minutes"] > 0
    caption = next(c.value for c in at.caption if c.value.startswith("Paused time excluded"))
    assert f"{paused['paused_minutes'] / 60:,.1f} business hours" in caption
    assert f"{paused['paused_share']:.1%}" in caption
    first = tonight.mart("next-breaches").row(0, named=True)
    assert any("Next breach" in b and first["case_id"] in b and first["breach"] in b for b in _boxes(at))
    labels = [t.label for t in at.tabs]
    assert f"Next breaches ({tonight.mart('next-breaches').height:,})" in labels
    figures = _metrics(at)
    audit = view.pauses
    assert audit.paused_cases > 0 and audit.paused_share is not None
    assert figures["SLA time paused"] == f"{audit.paused_share:.1%}"
    assert figures["Cases paused"] == f"{audit.paused_cases:,}"
    assert figures["Paused most of their life"] == f"{audit.over_threshold:,}"
    assert any(label.startswith("Paused most of their life (") for label in labels)


def test_account_page_shows_the_accounts_next_breach(app: Callable, demo_db: Path, tonight: Basis) -> None:
    breaches = tonight.mart("next-breaches")
    first = breaches.row(0, named=True)
    account = first["account_id"]
    at = app(demo_db, "pages/account.py", q=account)
    _no_exception(at)
    mine = breaches.filter(pl.col("account_id") == account).row(0, named=True)
    assert any("Next SLA breach" in b and mine["case_id"] in b and mine["breach"] in b for b in _boxes(at)), (
        _boxes(at)
    )
    assert "Next breaches" in [t.label for t in at.tabs]
