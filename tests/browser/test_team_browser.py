"""The running app and the command line on one database, driven in a real browser.

``streamlit run app.py`` serves a demo database while the command line
imports, renews and reports on the same file: every command succeeds, and
the app shows the new data on its next page run. An admin creates a
``block`` entitlement with a cap of 2 and records a case three times: two
land on it, the third is refused, and nothing is written anywhere else. A
visitor who is not signed in cannot import.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, _wait_idle, playwright
from tests.team import TODAY, cli, write_import

pytestmark = pytest.mark.browser
PASSWORD = "team-browser-test"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A demo database built by the command line, and the app serving it."""
    from entitlement_core.auth import hash_password

    folder = tmp_path_factory.mktemp("team-browser")
    db = folder / "team.duckdb"
    cli(db, "demo", "--cases", "2000", "--seed", "4", "--today", TODAY, check=True)
    port = _free_port()
    env = {
        **os.environ,
        "ENTITLEMENTS_DB_PATH": str(db),
        "ENTITLEMENTS_ADMIN_PASSWORD_HASH": hash_password(PASSWORD, n=2**12),
    }
    env.pop("ENTITLEMENTS_ADMIN_PASSWORD_SHA256", None)
    log = (folder / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start: {(folder / 'streamlit.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield {"base": base, "db": db, "folder": folder}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _no_exception(page: object) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def _choose(page: object, label: str, text: str) -> None:
    """Pick the option containing ``text`` in the visible selectbox labelled ``label``."""
    box = page.locator('[data-testid="stSelectbox"]:visible').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(f"^{re.escape(label)}$"))
    )
    box.click()
    page.keyboard.type(text)
    page.locator('[role="option"]:visible', has_text=text).first.click()


def _sign_in(page: object) -> None:
    page.get_by_label("Your name (recorded in the audit log)").fill("Dana")
    page.get_by_label("Admin password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as", timeout=60_000)
    _wait_idle(page)


def test_the_app_serves_while_the_command_line_writes(served: dict, browser: object) -> None:
    db, folder, base = served["db"], served["folder"], served["base"]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(f"{base}/account?as_of={TODAY}&q=TA0")
        _wait_idle(page)
        assert "Nothing matches" in page.locator('[data-testid="stMain"]').inner_text()
        commands = [
            ("import", str(write_import(folder / "drop", prefix="T")), "--format", "native"),
            ("renew", "--due-within", "90", "--as-of", TODAY),
            ("report", "utilization", "--as-of", TODAY, "--out", str(folder / "utilization.csv")),
            ("validate",),
            ("backup", str(folder / "nightly.duckdb")),
        ]
        for command in commands:
            done = cli(db, *command)  # the app keeps serving: nothing holds the file in between
            assert done.returncode == 0, (command, done.stderr[-2000:])
        page.reload()
        _wait_idle(page)
        _no_exception(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "T Co 0" in main  # the import, seen by the app on its next page run
        page.goto(f"{base}/renewals?as_of={TODAY}")
        _wait_idle(page)
        _no_exception(page)
    finally:
        page.close()


def test_three_cases_on_a_blocking_entitlement_made_in_the_form(served: dict, browser: object) -> None:
    from entitlement_core.store import Store

    db = served["db"]
    with Store(db) as store:
        before = store.query("SELECT entitlement_id, count(*) FROM cases GROUP BY 1")
    page = browser.new_page(viewport={"width": 1440, "height": 1400})
    try:
        page.goto(f"{served['base']}/admin?as_of={_today()}")
        _wait_idle(page)
        _sign_in(page)
        _choose(page, "Account", "A00001")
        page.get_by_label("Name", exact=True).fill("Browser block")
        page.get_by_label("Cap (empty = unlimited)").fill("2")
        _choose(page, "Overflow policy", "block")
        page.get_by_role("button", name="Create entitlement").click()
        page.wait_for_selector("text=Created entitlement", timeout=60_000)
        _wait_idle(page)
        created = page.locator('[data-testid="stAlert"]', has_text="Created entitlement").inner_text()
        ent = re.search(r"Created entitlement (ENT-[0-9A-F]+)", created).group(1)
        page.get_by_role("tab", name="Record case").click()
        _choose(page, "Entitlement", ent)  # offered at once: the options are fresh after the write
        outcomes = []
        for _ in range(3):
            page.get_by_role("button", name="Record case").click()
            page.wait_for_selector(f"text=/Recorded case CASE-[0-9A-F]+ on {ent}|Refused/", timeout=60_000)
            _wait_idle(page)
            _no_exception(page)
            outcomes.append(page.locator('[data-testid="stAlert"]:visible').all_inner_texts())
            shown = page.locator('input[aria-label="Entitlement"]:visible').input_value()
            assert shown.startswith(f"{ent} · "), (shown, outcomes)  # the picker still shows the choice
        assert any("Refused" in text for text in outcomes[-1]), outcomes
    finally:
        page.close()
    with Store(db) as store:
        after = store.query("SELECT entitlement_id, count(*) FROM cases GROUP BY 1")
        on_it = store.query("SELECT count(*) FROM cases WHERE entitlement_id = ?", [ent]).item()
    assert on_it == 2
    others = after.filter(after["entitlement_id"].ne_missing(ent))
    assert others.sort("entitlement_id").equals(before.sort("entitlement_id"))  # nothing landed elsewhere


def test_a_visitor_who_is_not_signed_in_cannot_import(served: dict, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(f"{served['base']}/data?as_of={TODAY}")
        _wait_idle(page)
        _no_exception(page)
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert page.get_by_text("Sign in to import data").count() == 1
    finally:
        page.close()
