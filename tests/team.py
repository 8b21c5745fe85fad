"""Helpers of the team tests: the command line in a subprocess, a small demo file, table fingerprints."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from entitlement_core.schema import TABLES
from entitlement_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-06-30"

#: A reader process working as the app does (format with root, db, stop file and threads): checks the
#: data version file on every "page run", reloads a snapshot when it moved, computes figures. It prints
#: "reading" once started, and one JSON line per thread (loads, errors, versions, counts) once
#: ``stop`` exists.
READER = textwrap.dedent(
    """
    import datetime as dt, json, sys, threading, time, traceback
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from entitlement_core.settings import Thresholds
    from entitlement_core.staging import load_tables
    from entitlement_core.store import Store
    from entitlement_core.usage.utilization import utilization

    path, stop = {db!r}, Path({stop!r})
    as_of = dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.UTC)
    results = []

    def page_runs():
        store = Store(path, wait=60)
        last, loads, errors, versions, counts = None, 0, [], [], []
        while not stop.exists():
            try:
                stamp = store.stamp()
                if stamp != last:
                    with store.reading() as snap:
                        tables = load_tables(snap).collect_all()
                    util = utilization(tables, as_of=as_of, thresholds=Thresholds()).collect()
                    last, loads = stamp, loads + 1
                    versions.append(int(stamp.split()[0]))
                    counts.append(util.height)
                store.import_history()
            except BaseException as exc:
                errors.append("".join(traceback.format_exception(exc))[-800:])
            time.sleep(0.02)
        results.append(dict(loads=loads, errors=errors, versions=versions, counts=counts))

    threads = [threading.Thread(target=page_runs) for _ in range({threads})]
    for t in threads:
        t.start()
    print("reading", flush=True)
    for t in threads:
        t.join()
    print(json.dumps(results))
    """
)


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
