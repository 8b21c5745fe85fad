"""The app's as-of value (now by default, a date in the URL); its cache (a page switch computes nothing)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

from .conftest import ROOT, TODAY
from .test_pages import _metrics, _no_exception

#: A moment inside a business day of the demo's "today" (Tuesday 2026-06-30).
NOW = dt.datetime(2026, 6, 30, 14, 40, 37, tzinfo=dt.UTC)


@pytest.fixture
def now_app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Run the app with the clock fixed at :data:`NOW` and no as-of date in the URL (so: now)."""
    import ui.common

    monkeypatch.setattr(ui.common, "_clock", lambda: NOW)

    def run(db: Path, page: str | None = None, **query: str) -> AppTest:
        monkeypatch.setenv("ENTITLEMENTS_DB_PATH", str(db))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(page).run()
        return at

    return run


def _statuses(db: Path, as_of: AsOf) -> Counter:
    with Store(db) as store:
        tables = load_tables(store).collect_all()
    return Counter(Basis(tables, as_of=as_of).instances["status"].to_list())


def test_at_risk_now_is_computed_for_now_not_for_midnight_tonight(now_app: Callable, demo_db: Path) -> None:
    at = now_app(demo_db, "pages/sla.py")
    _no_exception(at)
    figures = _metrics(at)
    pinned = NOW.replace(second=0)  # "now" is pinned to the minute for the session
    now_counts = _statuses(demo_db, AsOf.at(pinned))
    tonight = _statuses(demo_db, AsOf.on(TODAY))
    shown = ("at_risk", "violated")
    assert [now_counts[s] for s in shown] != [tonight[s] for s in shown], "the demo should tell the two apart"
    assert figures["At risk now"] == f"{now_counts['at_risk']:,}"
    assert figures["Violated"] == f"{now_counts['violated']:,}"
    assert any("As of **now" in c.value and "14:40 UTC" in c.value for c in at.caption)


def test_a_date_in_the_url_means_the_end_of_that_day(now_app: Callable, demo_db: Path) -> None:
    at = now_app(demo_db, "pages/sla.py", as_of=TODAY.isoformat())
    _no_exception(at)
    tonight = _statuses(demo_db, AsOf.on(TODAY))
    assert _metrics(at)["At risk"] == f"{tonight['at_risk']:,}"
    assert any("end of 30 Jun 2026" in c.value for c in at.caption)
    # "Back to now" (in the sidebar, drawn by the router) clears the date and pins now afresh.
    at = now_app(demo_db, as_of=TODAY.isoformat())
    assert at.sidebar.date_input(key="as_of").value == TODAY
    next(b for b in at.sidebar.button if b.label == "Back to now").click().run()
    _no_exception(at)
    assert at.session_state["as_of"] is None
    assert at.session_state["_now"] == NOW.replace(second=0)


def test_now_is_shown_in_the_sidebar_with_an_update_button(now_app: Callable, demo_db: Path) -> None:
    at = now_app(demo_db)
    _no_exception(at)
    assert at.sidebar.date_input(key="as_of").value is None
    assert any("Now: 30 Jun 2026, 14:40 UTC" in c.value for c in at.sidebar.caption)
    assert any(b.label == "Update" for b in at.sidebar.button)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    """Counts every intermediate layer built and every view model computed."""
    import ui.common

    calls: Counter = Counter()
    original_init = Basis.__init__

    def init(self: Basis, *args: object, **kwargs: object) -> None:
        calls["basis"] += 1
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Basis, "__init__", init)
    for name, fn in list(ui.common._VIEWS.items()):

        def wrapped(*args: object, _fn: Callable = fn, _name: str = name, **kwargs: object) -> object:
            calls[f"view:{_name}"] += 1
            return _fn(*args, **kwargs)

        monkeypatch.setitem(ui.common._VIEWS, name, wrapped)
    yield calls


def test_a_page_switch_with_the_same_filters_computes_nothing_again(
    app: Callable, demo_db: Path, counted: Counter
) -> None:
    at = app(demo_db, "pages/overview.py", tier=["Pro"])
    for page in ("pages/utilization.py", "pages/sla.py", "pages/revenue.py"):
        at.switch_page(page).run()
        _no_exception(at)
    first = Counter(counted)
    assert first["basis"] == 2  # the as-of value and 30 days earlier (the overview's comparison)
    for page in ("pages/overview.py", "pages/utilization.py", "pages/sla.py", "pages/revenue.py"):
        at.switch_page(page).run()
        _no_exception(at)
    assert counted == first, counted - first
    # Another session with other filters computes the views again, not the intermediate layer.
    other = app(demo_db, "pages/revenue.py", tier=["Standard"])
    _no_exception(other)
    assert counted["basis"] == first["basis"]
    assert counted["view:revenue"] == first["view:revenue"] + 1
