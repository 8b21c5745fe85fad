"""Every view choice lives in the URL: a link with them opens the same view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from entitlement_core.store import Store
from tests.app.test_pages import _no_exception


def _header(at: object) -> str:
    return at.caption[0].value


def test_upsell_owner_from_the_link_and_an_honest_header(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/upsell.py")
    owners = at.selectbox(key="upsell_owner").options
    owner = owners[1]
    at = app(demo_db, "pages/upsell.py", upsell_owner=owner)
    _no_exception(at)
    assert at.selectbox(key="upsell_owner").value == owner
    assert "account owner" in _header(at) and "All accounts" not in _header(at)
    table = at.dataframe[-1].value
    assert set(table["owner"]) == {owner}
    at.selectbox(key="upsell_owner").set_value(None).run()
    assert "All accounts" in _header(at)


def test_sla_compliance_by_from_the_link(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/sla.py", sla_by=["Priority"])
    _no_exception(at)
    assert at.get("button_group")[0].value == ["priority"]
    breakdown = next(d.value for d in at.dataframe if "compliance" in d.value.columns)
    assert "priority" in breakdown.columns and "milestone" not in breakdown.columns


def test_burn_down_entitlement_from_the_link(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/utilization.py")
    options = at.selectbox(key="util_pick").options
    ent = at.selectbox(key="util_pick").value
    other = next(o for o in options if o != at.selectbox(key="util_pick").format_func(ent))
    chosen = next(e for e in _ids(demo_db) if e in other)
    at = app(demo_db, "pages/utilization.py", entitlement=chosen)
    _no_exception(at)
    assert at.selectbox(key="util_pick").value == chosen


def _ids(db: Path) -> list[str]:
    with Store(db) as store:
        return store.query("SELECT entitlement_id FROM entitlements ORDER BY length(entitlement_id) DESC")[
            "entitlement_id"
        ].to_list()


def test_tab_from_the_link(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/data.py", tab="Tables")
    _no_exception(at)
    counts = at.dataframe[-1].value
    assert "rows" in counts.columns
