"""Helpers of the team tests: the command line in a subprocess, a small demo file, table fingerprints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from entitlement_core.schema import TABLES
from entitlement_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-06-30"


def cli(db: Path, *args: str, timeout: float = 180, check: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m entitlement_core ARGS --db DB`` in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ENTITLEMENTS_DB_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-m", "entitlement_core", *args, "--db", str(db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert proc.returncode == 0, (args, proc.returncode, proc.stderr[-2000:])
    return proc


def start_cli(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ENTITLEMENTS_DB_PATH", None)
    return subprocess.Popen(
        [sys.executable, "-m", "entitlement_core", *args, "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_import(folder: Path, *, prefix: str, accounts: int = 5, cases: int = 20) -> Path:
    """A native import: ``accounts`` new accounts, a cases entitlement each (2026), ``cases`` cases."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(
        "account_id,name,tier,region,owner\n"
        + "".join(f"{prefix}A{i},{prefix} Co {i},Pro,EMEA,Olu\n" for i in range(accounts)),
        encoding="utf-8",
    )
    (folder / "entitlements.csv").write_text(
        "entitlement_id,account_id,usage_type,start_date,end_date,cap,overflow\n"
        + "".join(
            f"{prefix}E{i},{prefix}A{i},cases,2026-01-01,2026-12-31,10,warn\n" for i in range(accounts)
        ),
        encoding="utf-8",
    )
    (folder / "cases.csv").write_text(
        "case_id,account_id,entitlement_id,created_at\n"
        + "".join(
            f"{prefix}C{i},{prefix}A{i % accounts},{prefix}E{i % accounts},"
            f"2026-03-{1 + i % 28:02d}T10:00:00Z\n"
            for i in range(cases)
        ),
        encoding="utf-8",
    )
    return folder


def fingerprint(db: Path) -> dict[str, object]:
    """What the database holds: every native table's rows (hashed), and how many imports and audit
    entries (their times and run ids differ from run to run)."""
    out: dict[str, object] = {}
    with Store(db, wait=60).reading() as snap:
        for name in TABLES:
            out[name] = snap.query(
                f"SELECT count(*) AS n, md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' "
                f"ORDER BY CAST(t AS VARCHAR)), '')) AS h FROM \"{name}\" t"
            ).row(0)
        for name in ("import_batches", "audit_log"):
            out[name] = snap.count(name)
    return out
