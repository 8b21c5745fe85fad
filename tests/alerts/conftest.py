"""Fixtures of the alert tests: a small world on a database file, a local webhook receiver and a
local SMTP server (both on 127.0.0.1, started by the test), and the command line with settings."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from entitlement_core.admin import import_files
from entitlement_core.store import Store

ROOT = Path(__file__).resolve().parents[2]
#: The as-of moment of the small world's tests (the end of this day, UTC).
AS_OF = "2026-06-30"

ACCOUNTS = """account_id,name,tier,region,owner
A1,Acme Corp,Pro,EMEA,Olu Ade
A2,Globex Ltd,Enterprise,NA,Mia Chen
"""
PLANS = """plan,usage_type,cap
Standard,cases,10
"""
PROCESSES = """process_id,name
P1,Standard SLA
"""
TARGETS = """process_id,milestone,target_minutes
P1,First Response,60
"""
ENTITLEMENTS = """entitlement_id,account_id,usage_type,start_date,end_date,cap,plan,overflow,process_id
E1,A1,cases,2026-01-01,2026-12-31,10,Standard,warn,
E2,A2,cases,2026-01-01,2026-12-31,5,Standard,block,
E3,A1,cases,2026-01-01,2026-12-31,2,Standard,allow,
E4,A2,cases,2026-01-01,2026-07-15,100,,warn,P1
"""


def _cases() -> str:
    rows = ["case_id,account_id,entitlement_id,created_at,first_response_at,closed_at"]
    rows += [f"C1-{i},A1,E1,2026-0{1 + i % 6}-1{i}T10:00:00Z,," for i in range(8)]  # 8 of 10: near limit
    rows += [f"C2-{i},A2,E2,2026-0{1 + i}-05T10:00:00Z,," for i in range(5)]  # 5 of 5: exhausted
    rows += [f"C3-{i},A1,E3,2026-02-0{1 + i}T10:00:00Z,," for i in range(3)]  # 3 of 2: over cap
    rows += [
        "CV,A2,E4,2026-06-30T08:00:00Z,2026-06-30T10:00:00Z,",  # First Response violated at 09:00
        "COLD,A2,E4,2026-03-02T08:00:00Z,2026-03-02T10:00:00Z,",  # violated long ago: never alerts
        "CR,A2,E4,2026-06-30T23:10:00Z,,",  # open, 50 of 60 minutes gone: at risk
        "CU,A1,,2026-06-29T12:00:00Z,,",  # names no entitlement while E1 is active: unmatched
    ]
    return "\n".join(rows) + "\n"


def write_world(folder: Path) -> Path:
    """The small world's native files (see the comments of ``_cases`` for what each case is for)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "accounts.csv": ACCOUNTS,
        "plans.csv": PLANS,
        "entitlement_processes.csv": PROCESSES,
        "milestone_targets.csv": TARGETS,
        "entitlements.csv": ENTITLEMENTS,
        "cases.csv": _cases(),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world imported into a database file, once per session."""
    folder = write_world(tmp_path_factory.mktemp("world-files"))
    path = tmp_path_factory.mktemp("world") / "world.duckdb"
    import_files(Store(path), folder, actor="test")
    return path


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small world's database file."""
    target = tmp_path / "world.duckdb"
    target.write_bytes(world_template.read_bytes())
    return target


def import_csv(db: Path, tmp_path: Path, files: dict[str, str]) -> None:
    """Import native CSV text (``{"grants.csv": "..."}``) into ``db``."""
    folder = tmp_path / f"import-{time.monotonic_ns()}"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    import_files(Store(db), folder, actor="test")


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"rules-{time.monotonic_ns()}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def alerts_cli(
    db: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``python -m entitlement_core alerts ARGS --db DB`` in a process of its own (settings: ``env``)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("ENTITLEMENTS_")}
    full.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "entitlement_core", "alerts", *args, "--db", str(db)],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request; ``fail`` makes it answer 500."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail = False
        self.lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner.lock:
                    owner.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                    )
                    failing = owner.fail
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"receiver down" if failing else b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def keys(self) -> list[str]:
        with self.lock:
            return [r["json"].get("idempotency_key") for r in self.requests]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.keys) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (a free port), stopped after the test."""
    r = Receiver()
    yield r
    r.close()


class Inbox:
    """What the local SMTP server received: parsed messages and their envelopes."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server (aiosmtpd, plain, no TLS) on 127.0.0.1: ``(inbox, port)``."""
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    return {
        "ENTITLEMENTS_SMTP_HOST": "127.0.0.1",
        "ENTITLEMENTS_SMTP_PORT": str(port),
        "ENTITLEMENTS_SMTP_SECURITY": "none",
        "ENTITLEMENTS_SMTP_FROM": "alerts@example.com",
    }
