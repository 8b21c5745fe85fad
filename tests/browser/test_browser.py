"""The app in a real browser: ``streamlit run app.py`` driven by headless Chromium.

Every page renders without an exception box (screenshots go to
``tests/artifacts/``; the main pages' are copied to ``docs/screenshots/``),
a filtered view survives navigation through its link, the Renewals CSV
download carries exactly the rows of the core's ``renewals_due``, the Revenue
page draws its charts and the admin renewal run previews what it would create.
Each page's CSV download holds the rows the core computes; view choices reopen
from their URL in a new tab; every page fits a 390 px screen (no sideways
overflow outside tables, the sidebar closed); dark mode follows the browser
(screenshots in ``docs/screenshots/dark-*.png``); a Salesforce export's .zip
uploads through the Data page end to end (last: it adds data).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from entitlement_core import views

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
TODAY = dt.date(2026, 6, 30)
ADMIN_PASSWORD = "browser-test"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: (name, URL path and query) of every page; DOCS_PAGES are the README's screenshots.
PAGES = [
    ("overview", ""),
    ("utilization", "utilization"),
    ("renewals", "renewals"),
    ("sla", "sla"),
    ("alerts", "alerts"),
    ("revenue", "revenue"),
    ("upsell", "upsell"),
    ("account", "account?q=Software"),
    ("data", "data"),
    ("admin", "admin"),
]
DOCS_PAGES = {"overview", "utilization", "renewals", "sla", "revenue"}

if not CHROMIUM.exists():
    pytest.skip(
        "Debian Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A demo database, the renewals the core computes on it, and the app serving it."""
    from entitlement_core.demo import build_demo
    from entitlement_core.reports import run_report
    from entitlement_core.settings import Settings
    from entitlement_core.staging import load_tables
    from entitlement_core.store import Store

    folder = tmp_path_factory.mktemp("browser")
    db = folder / "demo.duckdb"
    settings = Settings()
    with Store(db) as store:
        build_demo(store, cases=2_000, seed=7, today=TODAY)
        # The app's ?as_of=TODAY: the end of that day in each entitlement's zone.
        renewals = run_report("renewals", load_tables(store), as_of=TODAY, settings=settings, within_days=90)
    port = _free_port()
    digest = hashlib.sha256(ADMIN_PASSWORD.encode()).hexdigest()
    env = {**os.environ, "ENTITLEMENTS_DB_PATH": str(db), "ENTITLEMENTS_ADMIN_PASSWORD_SHA256": digest}
    log = (folder / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
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
    yield {"base": base, "renewals": renewals, "db": db}
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


def _url(base: str, path: str, **query: str) -> str:
    params = "&".join(f"{k}={v}" for k, v in {"as_of": TODAY.isoformat(), **query}.items())
    return f"{base}/{path}{'&' if '?' in path else '?'}{params}"


def _wait_idle(page: object) -> None:
    """Wait until the script finished and the page stopped changing (no running indicator)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=90_000)
    page.wait_for_load_state("networkidle")
    stable = 0
    deadline = time.monotonic() + 90
    last = -1
    while stable < 3 and time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        height = page.evaluate(
            "() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight"
        )
        stable = stable + 1 if (not running and height == last) else 0
        last = height
        time.sleep(0.5)


def _screenshot(page: object, name: str) -> Path:
    """The whole page (the app scrolls inside its main area, so the viewport grows to fit)."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, min(int(height) + 40, 4000))})
    time.sleep(1.0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_a_link_straight_to_a_page_goes_through_the_router(server: dict, browser: object) -> None:
    """The first visit after the server starts is a shared link to a page, not the home page."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], "sla", tier="Pro"))
        _wait_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "Monitor" in sidebar and "View as of" in sidebar  # the router's sections and filters
        assert page.locator("h1").first.inner_text().strip() == "SLA"
        assert (
            "tier: Pro"
            in page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        )
    finally:
        page.close()


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_without_an_exception(server: dict, browser: object, name: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], path))
        _wait_idle(page)
        if name == "admin":
            page.get_by_label("Your name (recorded in the audit log)").fill("Dana")
            page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_selector("text=Signed in as", timeout=60_000)
            _wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
            '[data-testid="stException"]'
        ).first.inner_text()
        assert page.locator("h1").first.inner_text().strip() != ""
        shot = _screenshot(page, name)
        if name in DOCS_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, SCREENSHOTS / f"{name}.png")
    finally:
        page.close()


def test_a_filtered_link_keeps_its_filters_across_pages(server: dict, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], "", tier="Pro"))
        _wait_idle(page)
        assert (
            "tier: Pro"
            in page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        )
        page.get_by_role("link", name="Utilization").click()
        _wait_idle(page)
        assert "tier=Pro" in page.url
        assert (
            "tier: Pro"
            in page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        )
    finally:
        page.close()


def test_renewals_csv_download_has_exactly_the_due_rows(server: dict, browser: object) -> None:
    expected = server["renewals"]
    page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        page.goto(_url(server["base"], "renewals"))
        _wait_idle(page)
        with page.expect_download(timeout=30_000) as info:
            page.locator(".st-key-dl_renewals_table button").click()
        download = info.value
        assert download.suggested_filename == f"renewals-{TODAY}-90d.csv"
        text = Path(download.path()).read_text(encoding="utf-8-sig")  # Excel-safe CSV may start with a BOM
    finally:
        page.close()
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["entitlement_id", "account_id", "account_name"]
    assert {"end_date", "days_to_end", "pct_used", "recommended_plan"} <= set(header)
    assert len(rows) == expected.height > 0
    assert sorted(r["entitlement_id"] for r in rows) == sorted(expected["entitlement_id"].to_list())


def test_revenue_page_draws_its_charts(server: dict, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], "revenue"))
        _wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("h1").first.inner_text().strip() == "Revenue"
        main = page.locator('[data-testid="stMain"]')
        for title in ("Overage revenue by month", "Monetary commitments: drawn and remaining"):
            assert main.locator(".js-plotly-plot", has_text=title).count() == 1, title
        assert "Overage revenue" in main.locator('[data-testid="stMetric"]').first.inner_text()
    finally:
        page.close()


def test_admin_renewal_run_previews_without_changing_anything(server: dict, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], "admin"))
        _wait_idle(page)
        page.get_by_label("Your name (recorded in the audit log)").fill("Dana")
        page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Signed in as", timeout=60_000)
        _wait_idle(page)
        page.get_by_role("tab", name="Run renewals").click()
        page.get_by_role("button", name="Preview").click()
        page.wait_for_selector("text=renewal(s)", timeout=60_000)
        _wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_role("button", name=re.compile(r"^Create \d+ renewal")).count() == 1
        _screenshot(page, "admin-renewal-run")
    finally:
        page.close()


# -- every list leaves the app, view choices in the URL, 390 px, dark mode, Salesforce uploads -----------


@pytest.fixture(scope="module")
def core(server: dict) -> dict[str, object]:
    """The core's view models on the server's database, as of the same day as the pages."""
    from entitlement_core.asof import AsOf
    from entitlement_core.basis import Basis
    from entitlement_core.settings import Settings
    from entitlement_core.staging import load_tables
    from entitlement_core.store import Store

    with Store(server["db"]) as store:
        tables = load_tables(store).collect_all()
    as_of = AsOf.on(TODAY)
    return {
        "basis": Basis(tables, as_of=as_of, settings=Settings()),
        "previous": Basis(tables, as_of=as_of.shifted(-30), settings=Settings()),
    }


def _utilization_rows(b: object) -> object:
    present = views.utilization_view(b).statuses
    return views.utilization_view(b, statuses=tuple(views.default_statuses(present)), query="").table


def _account_ents(b: object) -> object:
    first = views.search_accounts(b.tables, "Software")["account_id"][0]
    return views.account_view(b, first).entitlements


#: (page, URL path, tab to open first, download key, the core's rows of that table).
DOWNLOADS = [
    ("overview", "", None, "attention", lambda c: views.overview_view(c["basis"], c["previous"]).attention),
    ("utilization", "utilization", None, "util_table", lambda c: _utilization_rows(c["basis"])),
    ("sla", "sla", "Violations", "sla_viol", lambda c: views.sla_worklist(c["basis"])),
    ("upsell", "upsell", None, "upsell_table", lambda c: views.upsell_view(c["basis"]).candidates),
    ("revenue", "revenue", None, "rev_accounts", lambda c: views.revenue_view(c["basis"]).per_account),
    ("account", "account?q=Software", "All entitlements", "acc_ents", lambda c: _account_ents(c["basis"])),
]  # fmt: skip


def _download_rows(page: object, key: str) -> list[dict[str, str]]:
    with page.expect_download(timeout=60_000) as info:
        page.locator(f".st-key-dl_{key} button").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(("name", "path", "tab", "key", "expected"), DOWNLOADS, ids=[d[0] for d in DOWNLOADS])
def test_each_page_downloads_the_rows_the_core_computes(
    server: dict,
    browser: object,
    core: dict,
    name: str,
    path: str,
    tab: str | None,
    key: str,
    expected: object,
) -> None:
    rows = expected(core)
    page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        page.goto(_url(server["base"], path))
        _wait_idle(page)
        if tab:
            page.get_by_role("tab", name=re.compile(tab)).click()
            _wait_idle(page)
        got = _download_rows(page, key)
    finally:
        page.close()
    assert len(got) == rows.height > 0, name
    for id_col in ("case_id", "entitlement_id", "account_id", "owner"):
        if id_col in rows.columns and got and id_col in got[0]:
            assert sorted(r[id_col] for r in got) == sorted(str(v or "") for v in rows[id_col].to_list())
            break


def test_view_choices_reopen_in_a_new_tab(server: dict, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], "sla"))
        _wait_idle(page)
        page.get_by_role("button", name="Origin", exact=True).click()
        _wait_idle(page)
        page.get_by_role("tab", name=re.compile("Violations")).click()
        _wait_idle(page)
        url = page.url
    finally:
        page.close()
    assert "sla_by=" in url and "sla_tab=" in url, url
    again = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        again.goto(url)
        _wait_idle(again)
        tab = again.get_by_role("tab", name=re.compile("Violations"))
        assert tab.get_attribute("aria-selected") == "true"
        active = again.locator('.st-key-sla_by button[aria-pressed="true"]').all_inner_texts()
        assert sorted(t.strip() for t in active) == ["Milestone", "Priority", "Tier"]
    finally:
        again.close()


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_fits_a_390_px_screen(server: dict, browser: object, name: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page.goto(_url(server["base"], path))
        _wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        overflow = page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return [document.documentElement.scrollWidth - window.innerWidth,"
            " m.scrollWidth - m.clientWidth]; }"
        )
        assert max(overflow) <= 1, f"{name}: {overflow} px wider than the screen"
        box = page.locator('[data-testid="stSidebar"]').bounding_box()
        covered = 0 if box is None else max(0.0, box["x"] + box["width"])
        assert covered < 60, f"the sidebar starts closed on a phone ({box})"
        title = page.title()
        assert "Entitlement Analytics" in title and title != "Entitlement Analytics"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("name", ["overview", "sla"])
def test_dark_mode_follows_the_browser(server: dict, browser: object, name: str) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    try:
        page.goto(_url(server["base"], dict(PAGES)[name]))
        _wait_idle(page)
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
        )
        assert background == "rgb(15, 20, 32)", background
        shot = _screenshot(page, f"dark-{name}")
        shutil.copyfile(shot, SCREENSHOTS / f"dark-{name}.png")
    finally:
        page.close()


def test_salesforce_zip_uploads_end_to_end(server: dict, browser: object, tmp_path: Path) -> None:
    """Last in the module: it adds a Salesforce org to the database the other tests read."""
    import zipfile

    from entitlement_core.store import Store

    weekly = ROOT / "tests" / "fixtures" / "salesforce" / "weekly"
    archive = tmp_path / "WE_00D000000000001_1.zip"
    # The demo database holds contacts: an export without Contact.csv names none on its cases
    # (else its ContactIds are refused as unknown, rightly: that refusal is tested in tests/app).
    with (weekly / "Case.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    cases = io.StringIO()
    writer = csv.DictWriter(cases, [k for k in rows[0] if k != "ContactId"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    with zipfile.ZipFile(archive, "w") as z:
        for file in sorted(weekly.glob("*.csv")):
            if file.name == "Case.csv":
                z.writestr(f"WE_00D000000000001_1/{file.name}", cases.getvalue())
            else:
                z.write(file, f"WE_00D000000000001_1/{file.name}")
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(_url(server["base"], "data"))
        _wait_idle(page)
        page.get_by_label("Your name (recorded in the audit log)").fill("Dana")
        page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Signed in as", timeout=60_000)
        _wait_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(archive))
        page.wait_for_selector("text=KB", timeout=30_000)  # the chosen archive, uploaded (its size shown)
        page.get_by_role("button", name="Validate and import").click()
        page.locator('[data-testid="stAlert"]').first.wait_for(timeout=120_000)
        _wait_idle(page)
        _screenshot(page, "data-salesforce-import")
        assert page.get_by_text("(salesforce)").count() > 0, "failed: data-salesforce-import.png"
        _wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        _screenshot(page, "data-salesforce-import")
    finally:
        page.close()
    with Store(server["db"]) as store:
        batches = store.query(
            "SELECT file_name, table_name, actor FROM import_batches WHERE format = 'salesforce'"
        )
    assert "Case.csv" in batches["file_name"].to_list() and "cases" in batches["table_name"].to_list()
    assert set(batches["actor"].to_list()) == {"Dana (password)"}
