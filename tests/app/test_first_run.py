"""A new database: the first-run choice (load the demo or start empty), and removing the demo later."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from entitlement_core.store import Store
from tests.app.test_pages import _metrics, _no_exception, _signed_in_data_page

SMALL = {"ENTITLEMENTS_DEMO_CASES": "300"}


def test_a_new_database_asks_and_starts_empty(app: Callable, tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    at = app(path, "pages/overview.py", env=SMALL)
    _no_exception(at)
    assert at.title[0].value.startswith("Welcome")
    at.button(key="start_empty").click().run()
    _no_exception(at)
    assert not any(t.value.startswith("Welcome") for t in at.title)
    with Store(path) as store:
        assert store.count("entitlements") == 0


def test_the_choice_survives_a_restart_and_loads_the_demo(app: Callable, tmp_path: Path) -> None:
    import streamlit as st

    path = tmp_path / "new.duckdb"
    _no_exception(app(path, env=SMALL))
    st.cache_resource.clear()  # a server restarted before anyone chose: it asks again
    at = app(path, "pages/overview.py", env=SMALL)
    assert at.title[0].value.startswith("Welcome")
    at.button(key="start_demo").click().run()
    _no_exception(at)
    assert _metrics(at)["Active entitlements"] not in ("0", "—")
    with Store(path) as store:
        assert store.count("cases") == 300


def test_start_with_empty_never_asks(app: Callable, tmp_path: Path) -> None:
    at = app(tmp_path / "new.duckdb", env={"ENTITLEMENTS_START_WITH": "empty"})
    _no_exception(at)
    assert not any(t.value.startswith("Welcome") for t in at.title)
    assert any("No data yet" in i.value for i in at.info)


def test_an_admin_removes_the_demo_after_confirming(app: Callable, fresh_demo_db: Path) -> None:
    at = _signed_in_data_page(app, fresh_demo_db)
    submit = "FormSubmitter:remove_demo-Remove the demo data"
    at.button(key=submit).click().run()
    assert any("Tick the confirmation" in w.value for w in at.warning)
    with Store(fresh_demo_db) as store:
        assert store.count("cases") > 0
    at.checkbox(key="remove_demo_confirm").check()
    at.button(key=submit).click().run()
    _no_exception(at)
    assert any("Removed the demo data" in s.value for s in at.success)
    with Store(fresh_demo_db) as store:
        assert store.count("cases") == 0
    assert list((fresh_demo_db.parent / "backups").glob("before-demo-removal-*.duckdb"))


def test_removal_is_not_offered_before_sign_in(app: Callable, fresh_demo_db: Path) -> None:
    at = app(fresh_demo_db, "pages/data.py")
    assert not any("remove the demo" in e.label.lower() for e in at.expander)
