"""Fixtures of the app tests: a small demo database (built once), an empty one, and AppTest runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from entitlement_core.store import Store

ROOT = Path(__file__).resolve().parents[2]
#: The demo's "today" and the as-of date of every app test (deterministic figures).
TODAY = dt.date(2026, 6, 30)
DEMO_CASES = 3_000


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-case demo database file (seed 7, today 2026-06-30), built once per test session."""
    from entitlement_core.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, cases=DEMO_CASES, seed=7, today=TODAY)
    return path


@pytest.fixture
def fresh_demo_db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database, for tests that write to it."""
    target = tmp_path / "demo-copy.duckdb"
    target.write_bytes(demo_db.read_bytes())
    return target


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A database file with the schema and no data."""
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    return path


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    """Run the app on a page: ``app(db, "pages/sla.py", tier=["Pro"])`` returns the finished AppTest.

    Query parameters (the shared filters) are set before the first run, as a
    shared link would; ``as_of`` defaults to the demo's today.
    """
    from streamlit.testing.v1 import AppTest

    def run(
        db: Path, page: str | None = None, *, env: dict[str, str] | None = None, **query: object
    ) -> AppTest:
        monkeypatch.setenv("ENTITLEMENTS_DB_PATH", str(db))
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["as_of"] = TODAY.isoformat()
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(page).run()
        return at

    return run


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    """Each test starts without cached marts (a copied database may reuse a file path)."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()
