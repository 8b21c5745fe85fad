"""Only signed-in admins change data; sign-in is throttled; data shown as Markdown is escaped."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from entitlement_core import auth
from entitlement_core.staging import conform
from entitlement_core.store import Store
from tests.app.test_pages import ADMIN_ENV, PASSWORD

SALTED_ENV = {"ENTITLEMENTS_ADMIN_PASSWORD_HASH": auth.hash_password(PASSWORD, n=2**10)}
UPLOAD = "FormSubmitter:upload-Validate and import"
NEW_ACCOUNT = b"account_id,name,tier\nANON1,Anonymous Co,Pro\n"


def _no_exception(at: object) -> None:
    assert not at.exception, [e.message for e in at.exception]


@pytest.fixture(autouse=True)
def _fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no failed sign-ins (the throttle is per process)."""
    monkeypatch.setattr(auth, "THROTTLE", auth.SignInThrottle())
    yield


def _sign_in(at: object, password: str = PASSWORD, name: str = "Dana") -> object:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button(key="FormSubmitter:signin-Sign in").click().run()
    return at


# -- the Data page's import ----------------------------------------------------------


@pytest.mark.parametrize("env", [{}, ADMIN_ENV], ids=["no sign-in configured", "password, not signed in"])
def test_an_anonymous_visitor_cannot_import(app: Callable, fresh_demo_db: Path, env: dict[str, str]) -> None:
    at = app(fresh_demo_db, "pages/data.py", env=env)
    _no_exception(at)
    assert not at.get("file_uploader")
    assert not [b for b in at.button if b.key == UPLOAD]
    if env:
        assert any("Sign in to import data" in m.value for m in at.markdown)
    else:
        assert any("read-only" in i.value for i in at.info)
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM accounts WHERE account_id = 'ANON1'").item() == 0
        assert store.import_history().is_empty()


def test_a_signed_in_import_is_audited_with_who_files_and_sha256(app: Callable, fresh_demo_db: Path) -> None:
    at = _sign_in(app(fresh_demo_db, "pages/data.py", env=SALTED_ENV))
    _no_exception(at)
    at.file_uploader(key="uploads").upload("accounts.csv", NEW_ACCOUNT, "text/csv")
    at.button(key=UPLOAD).click().run()
    _no_exception(at)
    assert any("imported 1 file(s)" in s.value.lower() for s in at.success)
    with Store(fresh_demo_db) as store:
        history = store.import_history()
        entry = store.audit_entries(1).row(0, named=True)
    assert history["actor"].to_list() == ["Dana (password)"]
    assert (entry["actor"], entry["action"], entry["record_id"]) == (
        "Dana (password)",
        "import",
        history["run_id"][0],
    )
    after = json.loads(entry["after"])
    assert after["rows_added"] == 1 and after["rows_updated"] == 0
    assert after["files"] == [
        {
            "file": "accounts.csv",
            "table": "accounts",
            "sha256": hashlib.sha256(NEW_ACCOUNT).hexdigest(),
            "rows_read": 1,
            "rows_added": 1,
            "rows_updated": 0,
        }
    ]
    # The history tab shows who.
    shown = next(d.value for d in at.dataframe if "file_name" in d.value.columns)
    assert shown["actor"].tolist() == ["Dana (password)"]


# -- sign-in --------------------------------------------------------------------------


def test_a_salted_hash_signs_in(app: Callable, demo_db: Path) -> None:
    at = _sign_in(app(demo_db, "pages/admin.py", env=SALTED_ENV))
    _no_exception(at)
    assert any("Signed in as **Dana (password)**" in m.value.replace("\\", "") for m in at.markdown)
    assert at.tabs
    assert not any("unsalted" in c.value for c in at.caption)


def test_the_deprecated_sha256_setting_signs_in_with_a_note(app: Callable, demo_db: Path) -> None:
    at = _sign_in(app(demo_db, "pages/admin.py", env=ADMIN_ENV))
    assert at.tabs
    assert any("unsalted SHA-256" in c.value and "hash-password" in c.value for c in at.caption)


def test_wrong_passwords_make_every_session_wait(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/admin.py", env=SALTED_ENV)
    for _ in range(3):
        _sign_in(at, "guess")
        assert any("Wrong password" in e.value for e in at.error)
    _sign_in(at, "guess again")
    assert any("Wait 1 s" in e.value for e in at.error)
    # Another session (a new browser) is held up as well, even with the right password.
    other = _sign_in(app(demo_db, "pages/admin.py", env=SALTED_ENV))
    assert any("Too many failed sign-ins" in e.value for e in other.error)
    assert not other.tabs


def test_the_sign_in_name_is_escaped(app: Callable, demo_db: Path) -> None:
    at = _sign_in(app(demo_db, "pages/admin.py", env=SALTED_ENV), name="![x](https://evil.example/p.png)")
    bar = next(m.value for m in at.markdown if "Signed in as" in m.value)
    assert "](" not in bar and "\\!\\[x\\]\\(https\\://evil\\.example/p\\.png\\)" in bar


# -- data shown as Markdown -----------------------------------------------------------

HOSTILE = "![pixel](https://evil.example/p.png) [click](https://evil.example) :red[alarm] $x$"


@pytest.fixture
def hostile_db(fresh_demo_db: Path) -> Path:
    """The demo with an account whose name, owner and entitlement carry Markdown."""
    today = dt.date(2026, 6, 30)
    with Store(fresh_demo_db) as store, store.transaction() as con:
        store.append(
            con,
            "accounts",
            conform(
                "accounts",
                {"account_id": ["EVIL1"], "name": [HOSTILE], "owner": [HOSTILE], "tier": ["Pro"]},
            ).collect(),
        )
        store.append(
            con,
            "entitlements",
            conform(
                "entitlements",
                {
                    "entitlement_id": ["EVIL-E1"],
                    "account_id": ["EVIL1"],
                    "usage_type": ["cases"],
                    "name": [HOSTILE],
                    "cap": [5.0],
                    "start_date": [today - dt.timedelta(days=30)],
                    "end_date": [today + dt.timedelta(days=300)],
                },
            ).collect(),
        )
        store.bump_data_version(con)
    return fresh_demo_db


def _markdown_texts(at: object) -> list[str]:
    kinds = ("markdown", "caption", "subheader", "title", "header", "info", "warning", "error", "success")
    return [e.value for kind in kinds for e in getattr(at, kind)]


def test_a_shared_link_cannot_put_an_image_on_the_account_page(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/account.py", q="![x](https://evil.example/p.png)")
    _no_exception(at)
    texts = _markdown_texts(at)
    assert any("evil" in t for t in texts)  # the words are shown...
    assert not any("](" in t or "![" in t for t in texts)  # ...as text, never as Markdown


def test_imported_names_are_shown_as_text(app: Callable, hostile_db: Path) -> None:
    at = app(hostile_db, "pages/account.py", q="EVIL1")
    _no_exception(at)
    texts = _markdown_texts(at)
    assert any("evil" in t for t in texts)
    for text in texts:
        assert "](" not in text and "![" not in text and ":red[" not in text, text


def test_filter_values_in_the_header_are_escaped(app: Callable, hostile_db: Path) -> None:
    at = app(hostile_db, "pages/utilization.py", owner=[HOSTILE])
    _no_exception(at)
    assert not any("](" in t for t in _markdown_texts(at))


def test_md_escapes_what_markdown_would_interpret() -> None:
    from ui.markdown import md

    assert md("Acme, Inc.") == "Acme, Inc\\."
    assert md("a\nb\r\n# c") == "a b \\# c"
    assert md(HOSTILE).count("\\") > 10
    assert pl.Series([md(HOSTILE)]).str.contains(r"[^\\]\]\(").item() is False


# -- a busy database -------------------------------------------------------------------


def test_a_database_busy_past_the_wait_says_who_holds_it(app: Callable, fresh_demo_db: Path) -> None:
    from tests.test_access import Holder

    held = Holder(fresh_demo_db, "write")
    try:
        at = app(fresh_demo_db, env={"ENTITLEMENTS_DB_WAIT_SECONDS": "0.5"})
    finally:
        held.release()
    _no_exception(at)
    assert any("busy" in e.value and f"process {held.proc.pid}" in e.value for e in at.error)
    # Once it is free again, the next run shows the data.
    at.run()
    _no_exception(at)
    assert not at.error and at.metric
