"""Every page under AppTest: on the demo database, on an empty one, with filters, and the admin flows."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from entitlement_core import admin
from entitlement_core.store import Store

PAGES = [
    "pages/overview.py",
    "pages/utilization.py",
    "pages/sla.py",
    "pages/alerts.py",
    "pages/upsell.py",
    "pages/renewals.py",
    "pages/revenue.py",
    "pages/account.py",
    "pages/data.py",
    "pages/admin.py",
]
PASSWORD = "correct horse"
ADMIN_ENV = {"ENTITLEMENTS_ADMIN_PASSWORD_SHA256": hashlib.sha256(PASSWORD.encode()).hexdigest()}


def _metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _no_exception(at: object) -> None:
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo_database(app: Callable, demo_db: Path, page: str) -> None:
    at = app(demo_db, page, q="Software")
    _no_exception(at)
    assert at.title and at.title[0].value


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_empty_database(app: Callable, empty_db: Path, page: str) -> None:
    at = app(empty_db, page)
    _no_exception(at)
    if page not in ("pages/data.py", "pages/admin.py"):
        assert any("No data yet" in i.value for i in at.info)


def test_overview_shows_the_six_figures_with_deltas(app: Callable, demo_db: Path) -> None:
    at = app(demo_db)
    _no_exception(at)
    figures = _metrics(at)
    assert list(figures) == [
        "Active entitlements",
        "Near limit",
        "Exhausted or over cap",
        "Unmatched cases",
        "SLA compliance this month",
        "Renewals due in 90 days",
    ]
    assert all(v != "—" for v in figures.values())
    assert all(m.delta for m in at.metric if m.label != "SLA compliance this month")


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ({"tier": "Pro"}, "pages/overview.py"),
        ({"region": "EMEA"}, "pages/overview.py"),
        ({"usage": "hours"}, "pages/upsell.py"),
        ({"tier": ["Pro", "Standard"]}, "pages/renewals.py"),
    ],
)
def test_filters_change_the_numbers(app: Callable, demo_db: Path, query: dict, page: str) -> None:
    everything = _metrics(app(demo_db, page))
    filtered_at = app(demo_db, page, **query)
    _no_exception(filtered_at)
    filtered = _metrics(filtered_at)
    assert filtered.keys() == everything.keys()
    assert filtered != everything
    first = next(iter(everything))
    assert int(filtered[first].replace(",", "")) < int(everything[first].replace(",", ""))


def test_the_as_of_date_changes_the_numbers(app: Callable, demo_db: Path) -> None:
    now = _metrics(app(demo_db))
    earlier = _metrics(app(demo_db, as_of="2026-01-15"))
    assert now != earlier


def test_the_filter_summary_names_the_filters(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/utilization.py", tier="Pro", region="EMEA")
    assert "tier: Pro" in at.caption[0].value
    assert "region: EMEA" in at.caption[0].value


def test_account_page_verifies_eligibility(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/account.py", q="A00001")
    _no_exception(at)
    assert any("Eligibility" in m.value for m in at.markdown)
    banners = [*at.success, *at.warning, *at.error, *at.info]
    assert banners, "the agent banner or the not-eligible message is shown"


def test_app_builds_the_demo_when_the_database_is_missing(app: Callable, tmp_path: Path) -> None:
    env = {"ENTITLEMENTS_DEMO_CASES": "400", "ENTITLEMENTS_START_WITH": "demo"}
    at = app(tmp_path / "new.duckdb", env=env)
    _no_exception(at)
    assert (tmp_path / "new.duckdb").exists()
    assert _metrics(at)["Active entitlements"] not in ("0", "—")


def test_app_builds_the_demo_again_when_a_build_stopped_midway(app: Callable, tmp_path: Path) -> None:
    from entitlement_core.demo import build_demo

    path = tmp_path / "partial.duckdb"

    def stop(done: int, total: int, message: str) -> None:
        if message.startswith("cases") and done < total:
            raise KeyboardInterrupt

    with Store(path) as store:
        with pytest.raises(KeyboardInterrupt):
            build_demo(store, cases=3000, seed=3, today=dt.date(2026, 6, 30), chunk_size=1000, progress=stop)
        assert store.demo_build_unfinished()
    at = app(path, env={"ENTITLEMENTS_DEMO_CASES": "400"})
    _no_exception(at)
    # The app holds no connection between runs: the file is free for anyone.
    with Store(path) as store:
        assert not store.demo_build_unfinished()
        assert store.count("cases") == 400


# -- admin --------------------------------------------------------------------------


def _sign_in(app: Callable, db: Path) -> object:
    at = app(db, "pages/admin.py", env=ADMIN_ENV)
    at.text_input(key="signin_name").input("Dana")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    _no_exception(at)
    assert any("Signed in as" in m.value for m in at.markdown)
    return at


def test_admin_is_read_only_without_sign_in_configured(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/admin.py")
    assert any("read-only" in i.value for i in at.info)
    assert not at.tabs


def test_admin_refuses_a_wrong_password(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/admin.py", env=ADMIN_ENV)
    at.text_input(key="signin_name").input("Mallory")
    at.text_input(key="signin_password").input("guess")
    at.button[0].click().run()
    assert any("Wrong password" in e.value for e in at.error)
    assert not at.tabs


def test_admin_form_creates_an_entitlement_and_the_audit_log_shows_it(
    app: Callable, fresh_demo_db: Path
) -> None:
    at = _sign_in(app, fresh_demo_db)
    at.selectbox(key="ce_account").set_value(at.selectbox(key="ce_account").options[0].split(" · ")[0])
    at.text_input(key="ce_name").input("Pro support 2027")
    at.number_input(key="ce_cap").set_value(25.0)
    at.selectbox(key="ce_overflow").set_value("block")
    at.button(key="FormSubmitter:create_ent-Create entitlement").click().run()
    _no_exception(at)
    assert any("Created entitlement" in s.value for s in at.success)
    log = at.dataframe[-1].value
    assert log["action"].iloc[0] == "create_entitlement"
    assert log["actor"].iloc[0] == "Dana (password)"
    with Store(fresh_demo_db) as store:
        row = store.query("SELECT * FROM entitlements WHERE name = 'Pro support 2027'").row(0, named=True)
    assert (row["cap"], row["overflow"], row["usage_type"]) == (25.0, "block", "cases")


def _exhausted(db: Path, overflow: str) -> str:
    """An entitlement with a cap of 0 (exhausted from the start) whose term covers today."""
    today = dt.datetime.now(dt.UTC).date()
    with Store(db) as store:
        account = store.query("SELECT account_id FROM accounts ORDER BY account_id LIMIT 1").item()
        return admin.create_entitlement(
            store,
            {
                "entitlement_id": f"E-{overflow}",
                "account_id": account,
                "usage_type": "cases",
                "cap": 0,
                "start_date": today - dt.timedelta(days=30),
                "end_date": today + dt.timedelta(days=300),
                "overflow": overflow,
            },
            actor="test",
        ).record_id


def test_admin_refuses_a_case_on_an_exhausted_blocking_entitlement(
    app: Callable, fresh_demo_db: Path
) -> None:
    ent = _exhausted(fresh_demo_db, "block")
    at = _sign_in(app, fresh_demo_db)
    at.selectbox(key="rc_ent").set_value(ent)
    at.button(key="FormSubmitter:record_case-Record case").click().run()
    _no_exception(at)
    assert any("Refused" in e.value and "'block'" in e.value for e in at.error)
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM cases WHERE entitlement_id = ?", [ent]).item() == 0


def test_admin_asks_to_confirm_overage_on_a_warning_entitlement(app: Callable, fresh_demo_db: Path) -> None:
    ent = _exhausted(fresh_demo_db, "warn")
    at = _sign_in(app, fresh_demo_db)
    at.selectbox(key="rc_ent").set_value(ent)
    at.button(key="FormSubmitter:record_case-Record case").click().run()
    assert any("Confirm to record it anyway" in w.value for w in at.warning)
    at.button(key="rc_yes").click().run()
    _no_exception(at)
    assert any("Recorded case" in s.value for s in at.success)
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM cases WHERE entitlement_id = ?", [ent]).item() == 1


# -- data page ---------------------------------------------------------------------


def _signed_in_data_page(app: Callable, db: Path) -> object:
    at = app(db, "pages/data.py", env=ADMIN_ENV)
    at.text_input(key="signin_name").input("Dana")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="FormSubmitter:signin-Sign in").click().run()
    _no_exception(at)
    return at


def test_upload_with_errors_changes_nothing_and_lists_the_problems(
    app: Callable, fresh_demo_db: Path
) -> None:
    at = _signed_in_data_page(app, fresh_demo_db)
    bad = b"account_id,name,tier\nNEW1,New Co,Pro\nNEW2,,Pro\n"
    at.file_uploader(key="uploads").upload("accounts.csv", bad, "text/csv")
    at.button(key="FormSubmitter:upload-Validate and import").click().run()
    _no_exception(at)
    assert any("Nothing was imported" in e.value for e in at.error)
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["file", "line", "column", "record_id", "message"]
    assert problems["column"].iloc[0] == "name"
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM accounts WHERE account_id LIKE 'NEW%'").item() == 0


def test_upload_imports_several_files(app: Callable, fresh_demo_db: Path) -> None:
    at = _signed_in_data_page(app, fresh_demo_db)
    at.file_uploader(key="uploads").upload(
        "accounts.csv", b"account_id,name,tier\nNEW1,New Co,Pro\n", "text/csv"
    )
    at.file_uploader(key="uploads").upload(
        "contacts.csv", b"contact_id,account_id,name\nNC1,NEW1,Ann\n", "text/csv"
    )
    at.button(key="FormSubmitter:upload-Validate and import").click().run()
    _no_exception(at)
    assert any("imported 2 file(s)" in s.value.lower() for s in at.success)
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM contacts WHERE account_id = 'NEW1'").item() == 1
        assert store.import_history().height == 2


def test_admin_renews_and_edits_through_the_forms(app: Callable, fresh_demo_db: Path) -> None:
    with Store(fresh_demo_db) as store:
        ent, overflow = store.query(
            "SELECT entitlement_id, overflow FROM entitlements e WHERE NOT EXISTS "
            "(SELECT 1 FROM entitlements r WHERE r.renewal_of = e.entitlement_id) ORDER BY 1 LIMIT 1"
        ).row(0)
    new_overflow = "allow" if overflow != "allow" else "block"
    at = _sign_in(app, fresh_demo_db)
    at.selectbox(key="rn_ent").set_value(ent)
    at.button(key="FormSubmitter:renew-Renew").click().run()
    _no_exception(at)
    assert any(f"Renewed {ent}" in s.value for s in at.success)
    at.selectbox(key="ed_ent").set_value(ent)
    at.selectbox(key="ed_overflow").set_value(new_overflow)
    at.button(key="FormSubmitter:edit-Save changes").click().run()
    _no_exception(at)
    assert any("Updated overflow" in i.value for i in at.info), [i.value for i in at.info]
    actions = at.dataframe[-1].value["action"].tolist()
    # The renewal writes the new record and its anchor grant (the renewal run's rules), each audited.
    assert actions[:3] == ["update_entitlement", "renew", "renew"]
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM entitlements WHERE renewal_of = ?", [ent]).item() == 1


def test_admin_signed_in_on_an_empty_database(app: Callable, empty_db: Path) -> None:
    at = _sign_in(app, empty_db)
    assert any("No entitlement yet" in i.value for i in at.info)
    assert at.tabs


OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-secret",
    "client_id": "entitlements",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
}


def test_admin_uses_oidc_when_secrets_configure_it(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    monkeypatch.setenv("ENTITLEMENTS_DB_PATH", str(demo_db))
    monkeypatch.setenv(*next(iter(ADMIN_ENV.items())))  # OIDC wins over the password
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = OIDC
    at.run()
    at.switch_page("pages/admin.py").run()
    _no_exception(at)
    assert any("Sign in with your organisation" in i.value for i in at.info)
    assert [b.label for b in at.button if b.label == "Sign in"] == ["Sign in"]
    assert not at.text_input  # no password form
    at.user = {"is_logged_in": True, "email": "dana@example.com", "name": "Dana"}
    at.run()
    assert any("Signed in as **dana@example\\.com**" in m.value for m in at.markdown)
    assert at.tabs
