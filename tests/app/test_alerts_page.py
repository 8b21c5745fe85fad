"""The Alerts page: the feed newest first, filtered by rule (in the URL) and the sidebar's owner;
acknowledging is for signed-in admins only, and audited."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from entitlement_core.alerts import parse_rules, run_alerts
from entitlement_core.settings import Settings
from entitlement_core.store import Store
from tests.app.conftest import TODAY
from tests.app.test_pages import ADMIN_ENV, PASSWORD


@pytest.fixture
def alerted_db(fresh_demo_db: Path) -> Path:
    """The demo database after one `alerts run` as of the demo's today (no receiver: the feed only)."""
    as_of = dt.datetime.combine(TODAY, dt.time.max, tzinfo=dt.UTC)
    code = run_alerts(
        Store(fresh_demo_db), parse_rules(""), Settings(), as_of=as_of, explicit_as_of=True,
        log=lambda line: None, warn=lambda line: None,
    )  # fmt: skip
    assert code == 0
    return fresh_demo_db


def _no_exception(at: object) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _table(at: object) -> object:
    return next(d for d in at.dataframe if "summary" in d.value.columns).value


def test_the_feed_lists_alerts_newest_first_and_filters_by_rule_and_owner(
    app: Callable, alerted_db: Path
) -> None:
    with Store(alerted_db) as store:
        total = store.query("SELECT count(*) FROM alerts").item()
        owner, exhausted = store.query(
            "SELECT owner, count(*) FILTER (WHERE rule_id = 'exhausted') FROM alerts "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).row(0)
    at = app(alerted_db, "pages/alerts.py")
    _no_exception(at)
    table = _table(at)
    assert len(table) == total > 0
    assert at.metric[0].value == f"{total:,}"
    at = app(alerted_db, "pages/alerts.py", rule=["exhausted"], owner=[owner])
    _no_exception(at)
    table = _table(at)
    assert len(table) == exhausted and set(table["owner"]) == {owner} and set(table["rule"]) == {"Exhausted"}
    assert table["link"].str.startswith("account?q=").all()
    assert not [m for m in at.multiselect if m.key == "alerts_ack"]  # no sign-in configured: read-only


def test_acknowledging_needs_a_signed_in_admin_and_is_audited(app: Callable, alerted_db: Path) -> None:
    at = app(alerted_db, "pages/alerts.py", env=ADMIN_ENV, rule="exhausted")
    _no_exception(at)
    assert not [m for m in at.multiselect if m.key == "alerts_ack"]
    at.text_input(key="signin_name").input("Dana")
    at.text_input(key="signin_password").input(PASSWORD)
    next(b for b in at.button if "signin" in (b.key or "")).click().run()
    _no_exception(at)
    pick = next(m for m in at.multiselect if m.key == "alerts_ack")
    with Store(alerted_db) as store:
        keys = store.query(
            "SELECT alert_key FROM alerts WHERE rule_id = 'exhausted' ORDER BY fired_at DESC, 1"
        )
    pick.set_value([keys["alert_key"][0]]).run()
    next(b for b in at.button if b.key == "alerts_ack_go").click().run()
    _no_exception(at)
    assert any("Acknowledged 1 alert(s) as Dana" in s.value for s in at.success)
    with Store(alerted_db) as store:
        row = store.query(
            "SELECT acknowledged_by FROM alerts WHERE alert_key = ?", [keys["alert_key"][0]]
        ).item()
        entry = store.audit_entries(1).row(0, named=True)
    assert row == "Dana (password)"
    assert (entry["action"], entry["table_name"], entry["record_id"]) == (
        "acknowledge",
        "alerts",
        keys["alert_key"][0],
    )
    assert json.loads(entry["after"])["acknowledged_by"] == "Dana (password)"
