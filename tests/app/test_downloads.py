"""Every table can leave the app: one download component, Excel-safe, exactly the rows shown
(or the whole list where a page shows its first rows), and the audit log filtered by who, what, when."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core import views
from entitlement_core.basis import Basis
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store
from tests.app.conftest import TODAY
from tests.app.test_pages import ADMIN_ENV, PAGES, PASSWORD, _no_exception
from ui.tables import csv_of


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a CSV for people starts with a byte-order mark (Excel)"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def basis(demo_db: Path) -> Basis:
    from entitlement_core.asof import AsOf

    with Store(demo_db) as store:
        tables = load_tables(store).collect_all()
    return Basis(tables, as_of=AsOf.on(TODAY), settings=Settings())


def test_csv_holds_the_shown_columns_of_every_row_excel_safe() -> None:
    frame = pl.DataFrame(
        {
            "account_name": ['=HYPERLINK("x")', "Acme"],
            "pct_used": [0.5, 1.25],
            "consumed": [-15, 3],
            "created_at": [dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), None],
            "hidden": ["a", "b"],
        }
    )
    rows = rows_of(csv_of(frame, ["account_name", "pct_used", "consumed", "created_at", "missing"]))
    assert list(rows[0]) == ["account_name", "pct_used", "consumed", "created_at"]
    assert rows[0] == {
        "account_name": '\'=HYPERLINK("x")',
        "pct_used": "0.5",
        "consumed": "-15",
        "created_at": "2026-01-05T10:00:00Z",
    }
    assert rows[1]["created_at"] == "" and len(rows) == 2


@pytest.mark.parametrize("which", ["violations", "at_risk"])
def test_sla_download_lists_are_the_page_lists_whole(basis: Basis, which: str) -> None:
    page = views.sla_view(basis, list_rows=50)
    whole = views.sla_worklist(basis, which=which)
    shown = page.violations if which == "violations" else page.at_risk
    count = page.violation_count if which == "violations" else page.at_risk_count
    assert whole.height == count
    assert whole.head(shown.height).equals(shown)


def test_account_download_holds_every_case_newest_first(basis: Basis) -> None:
    account = basis.tables.cases.group_by("account_id").len().sort("len").collect()[-1, "account_id"]
    view = views.account_view(basis, account, case_rows=5)
    whole = views.account_cases(basis, account)
    assert whole.height == view.case_count > 5
    assert whole.head(5)["case_id"].to_list() == view.cases["case_id"].to_list()


def _download_keys(at: object) -> list[str]:
    return [b.proto.id for b in at.get("download_button")]


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p not in ("pages/admin.py", "pages/data.py", "pages/alerts.py")]
)
def test_every_page_offers_its_tables_for_download(app: Callable, demo_db: Path, page: str) -> None:
    at = app(demo_db, page, q="Software")
    _no_exception(at)
    assert at.get("download_button"), f"{page}: no table offers a download"


def test_audit_log_filters_by_who_what_and_when(tmp_path: Path) -> None:
    with Store(tmp_path / "audit.duckdb") as store:
        moments = [dt.datetime(2026, 6, d, 12, tzinfo=dt.UTC) for d in (1, 2, 3)]
        with store.transaction() as con:
            for at, (actor, action) in zip(
                moments, [("Dana", "import"), ("Lee", "create"), ("Dana", "create")], strict=True
            ):
                store.audit(
                    con, actor=actor, action=action, table_name="t", record_id="r", before=None,
                    after={}, at=at,
                )  # fmt: skip
        assert store.audit_entries(None, actors=("Dana",)).height == 2
        assert store.audit_entries(None, actions=("create",))["actor"].to_list() == ["Dana", "Lee"]
        june_2 = store.audit_entries(None, since=moments[1].replace(hour=0), until=moments[2].replace(hour=0))
        assert june_2["actor"].to_list() == ["Lee"]
        assert store.audit_entries(1).height == 1
        assert store.audit_choices() == {"actor": ["Dana", "Lee"], "action": ["create", "import"]}


def test_admin_page_filters_the_audit_log(app: Callable, fresh_demo_db: Path) -> None:
    with Store(fresh_demo_db) as store, store.transaction() as con:
        for actor in ("Dana", "Lee"):
            store.audit(
                con, actor=actor, action="create", table_name="t", record_id=actor, before=None, after={}
            )
    at = app(fresh_demo_db, "pages/admin.py", env=ADMIN_ENV)
    at.text_input(key="signin_name").input("Dana")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="FormSubmitter:signin-Sign in").click().run()
    at.multiselect(key="audit_who").set_value(["Lee"]).run()
    _no_exception(at)
    log = at.dataframe[-1].value
    assert list(log["actor"]) == ["Lee"]
