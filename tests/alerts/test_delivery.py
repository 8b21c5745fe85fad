"""Delivery, end to end against a real local webhook receiver and a real local SMTP server.

Payload contents (the account, the record, the figures, a link with filters,
the core's agent banner), the Slack variant, email in text and HTML to the
owner and the team; once per crossing; re-arming after a pack and after a
renewal; retries after the receiver failed; no duplicate after a crash
between send and record beyond the documented at-least-once (the receiver
sees the same idempotency key again); two runs at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.alerts import parse_rules, run_alerts
from entitlement_core.alerts.messages import message_id
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store
from tests.alerts.conftest import ROOT, Inbox, Receiver, import_csv, smtp_env

AS_OF = dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=dt.UTC)
ALL_RULES = 8  # the small world crosses every rule once (but case_paused, which needs paused clocks)


def run(
    db: Path, rules: str = "", *, as_of: dt.datetime = AS_OF, **settings: object
) -> tuple[int, list[str]]:
    """``alerts run`` in this process; returns the exit code and the log lines."""
    lines: list[str] = []
    code = run_alerts(
        Store(db),
        parse_rules(rules),
        Settings(**settings),
        as_of=as_of,
        explicit_as_of=True,
        log=lines.append,
        warn=lines.append,
    )
    return code, lines


def by_rule(receiver: Receiver) -> dict[str, dict]:
    return {r["json"]["rule"]: r for r in receiver.requests}


def deliveries(db: Path) -> pl.DataFrame:
    return Store(db).query("SELECT * FROM alert_deliveries ORDER BY delivery_key")


def test_webhook_payload_has_the_account_record_figures_link_and_the_core_banner(
    world: Path, receiver: Receiver
) -> None:
    code, lines = run(world, alerts_webhook_url=receiver.url, app_url="https://ents.example.com/app/")
    assert code == 0, lines
    assert len(receiver.requests) == ALL_RULES
    near = by_rule(receiver)["near_limit"]
    body = near["json"]
    assert near["headers"]["Idempotency-Key"] == body["idempotency_key"]
    assert body["idempotency_key"].startswith("near_limit:E1@")
    assert body["account"] == {
        "id": "A1",
        "name": "Acme Corp",
        "owner": "Olu Ade",
        "tier": "Pro",
        "plan": "Standard",
    }
    assert body["entitlement"] == {"id": "E1"} and body["case"] is None
    assert body["record"] == {"kind": "entitlement", "id": "E1"}
    figures = body["figures"]
    assert (figures["consumed"], figures["cap"], figures["remaining"], figures["status"]) == (
        8,
        10,
        2,
        "near_limit",
    )
    assert body["link"] == "https://ents.example.com/app/account?q=A1&as_of=2026-06-30"
    assert body["as_of"] == "2026-06-30T23:59:59.999999Z" and body["severity"] == "warning"
    # The agent banner is the utilization report's own sentence, never rebuilt.
    with Store(world).reading() as snap:
        util = run_report("utilization", load_tables(snap), as_of=AS_OF, settings=Settings())
    assert body["banner"] == util.filter(pl.col("entitlement_id") == "E1")["banner"].item()
    assert body["banner"] == "Customer has 2 cases remaining"
    violated = by_rule(receiver)["milestone_violated"]["json"]
    assert violated["case"] == {"id": "CV", "milestone": "First Response"}
    assert violated["crossing_at"] == "2026-06-30T09:00:00Z"  # the moment the target passed
    assert (
        violated["idempotency_key"]
        == "milestone_violated:CV/First Response/2026-06-30T08:00:00Z@2026-06-30T09:00:00Z"
    )
    assert (
        violated["link"] == "https://ents.example.com/app/sla?owner=Mia+Chen&tier=Enterprise&as_of=2026-06-30"
    )
    assert violated["figures"]["target_minutes"] == 60 and violated["figures"]["elapsed_minutes"] == 120
    assert by_rule(receiver)["unmatched_cases"]["json"]["figures"]["case_ids"] == ["CU"]
    assert sum(line.split()[1] == "fired" for line in lines) == ALL_RULES
    assert sum(" delivered alert " in line for line in lines) == ALL_RULES
    assert lines[-1].endswith(
        f"{ALL_RULES} fired (near_limit 1, exhausted 1, over_cap 1, projected_run_out 1, "
        "milestone_at_risk 1, milestone_violated 1, renewal_due 1, unmatched_cases 1), "
        f"0 re-armed, {ALL_RULES} delivered, 0 failed"
    )


def test_slack_variant_has_text_blocks_and_the_key(world: Path, receiver: Receiver) -> None:
    rules = (
        f'[rules.exhausted]\nwebhook_url = "{receiver.url}"\nwebhook_format = "slack"\nnotify = ["webhook"]\n'
    )
    code, _ = run(world, rules)  # no default webhook: only the exhausted rule's own
    assert code == 0
    assert len(receiver.requests) == 1
    body = receiver.requests[0]["json"]
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("Exhausted: Globex Ltd: Entitlement exhausted: 0 cases remaining")
    text = json.dumps(body["blocks"])
    assert "exhausted:E2@" in text and "Open in the app" in text
    assert receiver.requests[0]["headers"]["Idempotency-Key"].startswith("exhausted:E2@")


def test_once_per_crossing(world: Path, receiver: Receiver) -> None:
    assert run(world, alerts_webhook_url=receiver.url)[0] == 0
    code, lines = run(world, alerts_webhook_url=receiver.url)
    assert code == 0
    assert len(receiver.requests) == ALL_RULES  # nothing new
    assert lines[-1].endswith("0 fired, 0 re-armed, 0 delivered, 0 failed")
    later = AS_OF + dt.timedelta(hours=2)  # still true two hours later: still nothing new
    assert run(world, as_of=later, alerts_webhook_url=receiver.url)[0] == 0
    assert not [k for k in receiver.keys if k.startswith(("near_limit", "exhausted", "over_cap"))][3:]


def test_a_pack_re_arms_exhausted_and_the_next_crossing_fires_again(
    world: Path, receiver: Receiver, tmp_path: Path
) -> None:
    rules = '[rules.exhausted]\nnotify = ["webhook"]\n'
    assert run(world, rules, alerts_webhook_url=receiver.url)[0] == 0
    first = [k for k in receiver.keys if k.startswith("exhausted:")]
    assert len(first) == 1
    pack = "grant_id,entitlement_id,resource,quantity,effective_from,kind\n"
    pack += "G1,E2,cases,5,2026-06-01T00:00:00Z,pack\n"
    import_csv(world, tmp_path, {"usage_resources.csv": "resource,unit\ncases,cases\n", "grants.csv": pack})
    code, lines = run(world, rules, alerts_webhook_url=receiver.url)
    assert code == 0
    assert "re-armed exhausted entitlement E2 · A2: condition cleared" in "\n".join(lines)
    assert (
        Store(world).query("SELECT cleared_at FROM alerts WHERE alert_key = ?", [first[0]]).item() is not None
    )
    cases = "".join(f"CP{i},A2,E2,2026-06-1{i}T10:00:00Z\n" for i in range(5))
    import_csv(world, tmp_path, {"cases.csv": "case_id,account_id,entitlement_id,created_at\n" + cases})
    assert run(world, rules, alerts_webhook_url=receiver.url)[0] == 0
    again = [k for k in receiver.keys if k.startswith("exhausted:")]
    assert len(again) == 2 and again[1] != again[0]  # a new crossing: a new key


def test_a_renewal_re_arms_renewal_due(world: Path, receiver: Receiver) -> None:
    from entitlement_core.renewals import apply_renewals, plan_renewals

    assert run(world, alerts_webhook_url=receiver.url)[0] == 0
    assert "renewal_due" in by_rule(receiver)
    store = Store(world)
    with store.reading() as snap:
        plan = plan_renewals(load_tables(snap), as_of=AS_OF, due_within_days=30)
    apply_renewals(store, plan, actor="test")
    code, lines = run(world, alerts_webhook_url=receiver.url)
    assert code == 0
    assert any("re-armed renewal_due entitlement E4" in line for line in lines)
    assert (
        Store(world)
        .query("SELECT count(*) FROM alerts WHERE rule_id = 'renewal_due' AND cleared_at IS NULL")
        .item()
        == 0
    )


def test_a_failed_delivery_is_recorded_and_retried_at_the_next_run(world: Path, receiver: Receiver) -> None:
    receiver.fail = True
    code, lines = run(world, alerts_webhook_url=receiver.url, alerts_attempts=2)
    assert code == 3
    # The first delivery was tried twice; the others were not tried against a receiver that is down.
    assert len(receiver.requests) == 2 and len(set(receiver.keys)) == 1
    failed = deliveries(world)
    assert failed["status"].to_list() == ["failed"] * ALL_RULES
    assert sorted(failed["attempts"].to_list()) == [0] * (ALL_RULES - 1) + [2]
    assert "HTTP 500: receiver down" in failed.filter(pl.col("attempts") == 2)["last_error"].item()
    assert sum(" failed alert " in line and "retried at the next run" in line for line in lines) == ALL_RULES
    receiver.fail = False
    code, lines = run(world, alerts_webhook_url=receiver.url, alerts_attempts=2)
    assert code == 0
    assert lines[-1].endswith(f"0 fired, 0 re-armed, {ALL_RULES} delivered, 0 failed")
    assert set(receiver.keys) == set(failed["alert_key"])
    assert deliveries(world)["status"].to_list() == ["sent"] * ALL_RULES


def test_email_goes_to_the_owner_and_the_team_in_text_and_html(world: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    rules = """
    [routing]
    team_email = "leads@example.com"
    [routing.owners]
    "Olu Ade" = "olu@example.com"
    [rules.near_limit]
    notify = ["owner", "team"]
    [rules.exhausted]
    enabled = false
    [rules.over_cap]
    notify = ["owner"]
    email = "finance@example.com"
    """
    rules = "\n".join(line.strip() for line in rules.splitlines()) + "\n"
    only = "".join(
        f"[rules.{r}]\nenabled = false\n"
        for r in (
            "projected_run_out",
            "milestone_at_risk",
            "milestone_violated",
            "renewal_due",
            "unmatched_cases",
        )
    )
    code, lines = run(
        world, rules + only, **{k.removeprefix("ENTITLEMENTS_").lower(): v for k, v in smtp_env(port).items()}
    )
    assert code == 0, lines
    got = sorted((tuple(r), m["Subject"]) for r, m in zip(inbox.recipients, inbox.messages, strict=True))
    assert got == [
        (("finance@example.com",), "[critical] Over cap: Acme Corp (E3)"),
        (("leads@example.com",), "[warning] Near limit: Acme Corp (E1)"),
        (("olu@example.com",), "[critical] Over cap: Acme Corp (E3)"),
        (("olu@example.com",), "[warning] Near limit: Acme Corp (E1)"),
    ]
    message = next(
        m
        for m, r in zip(inbox.messages, inbox.recipients, strict=True)
        if r == ["olu@example.com"] and "Near" in m["Subject"]
    )
    key = message["X-Idempotency-Key"]
    assert key.startswith("near_limit:E1@") and message["Message-ID"] == message_id(key)
    assert message["From"] == "alerts@example.com"
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert "Customer has 2 cases remaining" in text and "consumed: 8" in text and key in text
    assert (
        "Customer has 2 cases remaining" in page
        and 'href="http://localhost:8501/account?q=A1&amp;as_of=2026-06-30"' in page
    )


def test_starttls_is_required_when_configured(world: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    rules = '[routing]\nteam_email = "leads@example.com"\n[rules.exhausted]\nnotify = ["team"]\n' + "".join(
        f"[rules.{r}]\nenabled = false\n"
        for r in (
            "near_limit",
            "over_cap",
            "projected_run_out",
            "milestone_at_risk",
            "milestone_violated",
            "renewal_due",
            "unmatched_cases",
        )
    )
    code, _ = run(
        world, rules, smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls", alerts_attempts=1
    )
    assert code == 3
    assert inbox.messages == []  # never sent in the clear
    assert "does not offer STARTTLS" in deliveries(world)["last_error"].item()


def _start_paused_run(db: Path, url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTITLEMENTS_")}
    env.update(
        PYTHONPATH=str(ROOT), ENTITLEMENTS_ALERTS_WEBHOOK_URL=url, ENTITLEMENTS_ALERTS_PAUSE_AFTER_SEND="120"
    )
    return subprocess.Popen(
        [sys.executable, "-m", "entitlement_core", "alerts", "run", "--as-of", "2026-06-30", "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_crash_between_send_and_record_resends_the_same_key_once(world: Path, receiver: Receiver) -> None:
    job = _start_paused_run(world, receiver.url)
    try:
        receiver.wait_for(1)
        assert len(receiver.requests) == 1, job.stderr.read() if job.poll() is not None else "no request"
        job.send_signal(signal.SIGKILL)  # after the send, before its record
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
    sent_before_crash = receiver.keys[0]
    recorded = deliveries(world)
    assert len(recorded) == ALL_RULES  # every alert was recorded before anything was sent
    assert recorded["status"].to_list() == ["pending"] * ALL_RULES
    assert recorded["claimed_by"].drop_nulls().n_unique() == 1  # the dead run's claim
    code, lines = run(world, alerts_webhook_url=receiver.url)
    assert code == 0, lines
    keys = receiver.keys
    assert len(keys) == ALL_RULES + 1 and len(set(keys)) == ALL_RULES
    assert keys.count(sent_before_crash) == 2  # the documented at-least-once: the same key again
    assert deliveries(world)["status"].to_list() == ["sent"] * ALL_RULES
    assert run(world, alerts_webhook_url=receiver.url)[0] == 0
    assert len(receiver.keys) == ALL_RULES + 1  # and nothing after that


def test_two_runs_at_once_fire_and_send_each_crossing_once(world: Path, receiver: Receiver) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTITLEMENTS_")}
    env.update(PYTHONPATH=str(ROOT), ENTITLEMENTS_ALERTS_WEBHOOK_URL=receiver.url)
    command = [
        sys.executable,
        "-m",
        "entitlement_core",
        "alerts",
        "run",
        "--as-of",
        "2026-06-30",
        "--db",
        str(world),
    ]
    jobs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for job in jobs:
        _out, err = job.communicate(timeout=180)
        assert job.returncode == 0, err
    time.sleep(0.2)
    assert sorted(receiver.keys) == sorted(set(receiver.keys)) and len(receiver.keys) == ALL_RULES
    assert Store(world).query("SELECT count(*) FROM alerts").item() == ALL_RULES


def test_the_rules_file_can_name_the_default_webhook_and_the_environment_wins(
    world: Path, receiver: Receiver
) -> None:
    other = Receiver()
    try:
        rules = f'[routing]\nwebhook_url = "{other.url}"\nwebhook_format = "slack"\n'
        assert run(world, rules, alerts_webhook_url=receiver.url)[0] == 0
        assert len(receiver.requests) == ALL_RULES and other.requests == []
        assert all(set(r["json"]) == {"text", "blocks"} for r in receiver.requests)  # the file's format
    finally:
        other.close()


def test_the_rules_file_alone_points_at_a_receiver(world: Path, receiver: Receiver) -> None:
    assert run(world, f'[routing]\nwebhook_url = "{receiver.url}"\n')[0] == 0
    assert len(set(receiver.keys)) == ALL_RULES


def test_smtp_credentials_come_from_the_environment_else_streamlit_secrets(tmp_path: Path) -> None:
    from entitlement_core.alerts.delivery import smtp_credentials

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[smtp]\nusername = "mailer"\npassword = "from-secrets"\n', encoding="utf-8")
    assert smtp_credentials(Settings(), secrets=[secrets]) == ("mailer", "from-secrets")
    env = Settings(smtp_username="ops", smtp_password="from-env")
    assert smtp_credentials(env, secrets=[secrets]) == ("ops", "from-env")
    assert smtp_credentials(Settings(), secrets=[tmp_path / "none.toml"]) == (None, None)


def test_tls_checks_the_server_certificate(world: Path, tmp_path: Path) -> None:
    """``tls``: a server whose certificate nobody vouches for is refused (nothing is sent)."""
    import shutil
    import ssl
    import subprocess as sp

    from aiosmtpd.controller import Controller

    from tests.alerts.conftest import free_port

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    sp.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        rules = '[routing]\nteam_email = "leads@example.com"\n[rules.exhausted]\nnotify = ["team"]\n'
        code, _ = run(
            world, rules, smtp_host="127.0.0.1", smtp_port=port, smtp_security="tls", alerts_attempts=1
        )
    finally:
        controller.stop()
    assert code == 3 and inbox.messages == []
    errors = deliveries(world)["last_error"].drop_nulls().to_list()
    assert errors and all("CERTIFICATE_VERIFY_FAILED" in e or "not attempted" in e for e in errors)
