"""The alert job and the digest from the command line: a stable dry run on the demo, the digest as
Markdown and by email (once per owner and week), and a scheduled run while the app serves readers."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entitlement_core.alerts.rules import RULE_IDS
from entitlement_core.store import Store
from tests.alerts.conftest import Inbox, Receiver, alerts_cli, smtp_env, write_rules
from tests.team import READER, ROOT, TODAY, cli


@pytest.fixture(scope="module")
def demo_today(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-case demo database whose "today" is today (as `demo` builds it), once per module."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    cli(path, "demo", "--cases", "3000", "--seed", "7", check=True)
    return path


def test_the_dry_run_on_the_demo_is_stable_sorted_and_changes_nothing(demo_today: Path) -> None:
    first, second = alerts_cli(demo_today, "run", "--dry-run"), alerts_cli(demo_today, "run", "--dry-run")
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stderr == second.stderr
    lines = first.stdout.splitlines()
    alerts, summary = lines[:-1], lines[-1]
    assert alerts and all(line.startswith("would fire ") for line in alerts)
    order = [RULE_IDS.index(line.split()[2]) for line in alerts]
    assert order == sorted(order)  # by rule, then account and record
    assert summary.startswith(f"dry run as of now: {len(alerts)} alert(s) would fire (")
    assert summary.endswith("nothing was changed")
    # Sensible volume: no violation older than a day, only active entitlements.
    assert len(alerts) < 200
    # The milestones report carries paused clocks: the case_paused rule runs (demo cases wait on customers).
    assert "case_paused needs paused SLA clocks" not in first.stderr
    assert any(line.split()[2] == "case_paused" for line in alerts)
    assert Store(demo_today).query("SELECT count(*) FROM alerts").item() == 0


def test_digest_as_markdown_and_by_email_once_per_week(
    world: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    done = alerts_cli(world, "digest", "--owner", "Olu Ade", "--as-of", "2026-06-30")
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert md.startswith("# Weekly digest for Olu Ade\n\nWeek 2026-W27, as of 2026-06-30.")
    assert "## Near limit and exhausted (2)" in md and "| Acme Corp | E1 | near limit | 8 / 10 cases |" in md
    assert "## Upsell candidates (2)" in md and "## Renewals due (0)" in md
    assert "## Milestones breached last week (0)" in md
    assert "http://localhost:8501/upsell?owner=Olu+Ade" in md
    mia = alerts_cli(world, "digest", "--owner", "Mia Chen", "--as-of", "2026-06-30").stdout
    assert "## Milestones breached last week (1)" in mia and "| CV | First Response | Globex Ltd |" in mia
    assert "## Renewals due (1)" in mia

    rules = write_rules(tmp_path, '[routing.owners]\n"Olu Ade" = "olu@example.com"\n')
    for attempt in range(2):
        sent = alerts_cli(
            world, "digest", "--send", "--rules", str(rules), "--as-of", "2026-06-30", env=smtp_env(port)
        )
        assert sent.returncode == 0, sent.stderr
        assert "1 owner(s) without an address in [routing.owners] get no digest: Mia Chen" in sent.stderr
        assert ("queued" if attempt == 0 else "already queued for this week") in sent.stdout
    assert inbox.recipients == [["olu@example.com"]]  # once per owner and week
    message = inbox.messages[0]
    assert message["Subject"].startswith("Weekly digest 2026-W27 for Olu Ade: 2 near limit or exhausted")
    assert message["X-Idempotency-Key"] == "digest:Olu Ade@2026-W27"
    assert "<h2>Upsell candidates (2)</h2>" in message.get_body(("html",)).get_content()


def test_a_scheduled_alerts_run_succeeds_while_the_app_serves_readers(
    tmp_path: Path, receiver: Receiver
) -> None:
    db = tmp_path / "shared.duckdb"
    cli(db, "demo", "--cases", "1500", "--seed", "3", "--today", TODAY, check=True)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER.format(root=str(ROOT), db=str(db), stop=str(stop), threads=3)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    env = {"ENTITLEMENTS_ALERTS_WEBHOOK_URL": receiver.url}
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        time.sleep(0.5)
        runs = [alerts_cli(db, "run", "--as-of", TODAY, env=env) for _ in range(2)]
        later = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=3)).isoformat()
        runs.append(alerts_cli(db, "run", "--as-of", later, env=env))
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    for done in runs:
        assert done.returncode == 0, done.stderr[-2000:]
    for thread in json.loads(out.strip().splitlines()[-1]):
        assert thread["errors"] == [], thread["errors"][:2]
    assert runs[0].stdout.count(" fired ") > 0 and " 0 fired," in runs[1].stdout.splitlines()[-1]
    assert len(receiver.keys) == len(set(receiver.keys)) > 0
