"""The app and scheduled jobs on one database file, at the same time.

- A reader process with several threads works as the app does (checks the
  data version file on every "page run", reloads a snapshot when it moved,
  computes figures, reads the import history) while the command line
  imports, renews, reports and validates the same file: no reader sees an
  error, every command succeeds, every write is there afterwards and the
  readers end on the newest data.
- Two processes record the last unit of a ``block`` entitlement at the same
  moment: exactly one succeeds.
- Two ``renew`` runs at once renew each entitlement once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from entitlement_core.store import Store
from tests.team import READER, ROOT, TODAY, cli, write_import


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database (1,500 cases, today 2026-06-30), built once by the command line."""
    path = tmp_path_factory.mktemp("team") / "template.duckdb"
    cli(path, "demo", "--cases", "1500", "--seed", "3", "--today", TODAY, check=True)
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> Path:
    target = tmp_path / "shared.duckdb"
    target.write_bytes(demo_file.read_bytes())
    return target


def test_readers_and_command_line_writers_share_one_file(db: Path, tmp_path: Path) -> None:
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER.format(root=str(ROOT), db=str(db), stop=str(stop), threads=4)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        time.sleep(1.0)
        first, second = write_import(tmp_path / "one", prefix="X"), write_import(tmp_path / "two", prefix="Y")
        commands = [
            ("import", str(first), "--format", "native"),
            ("renew", "--due-within", "90", "--as-of", TODAY),
            ("report", "utilization", "--as-of", TODAY, "--out", str(tmp_path / "u1.csv")),
            ("import", str(second), "--format", "native"),
            ("validate",),
            ("report", "milestones", "--as-of", TODAY, "--out", str(tmp_path / "m.csv")),
            ("renew", "--due-within", "180", "--as-of", TODAY),
            ("report", "utilization", "--as-of", TODAY, "--out", str(tmp_path / "u2.csv")),
        ]
        for command in commands:
            done = cli(db, *command)
            assert done.returncode == 0, (command, done.stderr[-2000:])
        time.sleep(1.5)  # the readers' next page runs see the last change
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    threads = json.loads(out.strip().splitlines()[-1])
    store = Store(db)
    final_version, final_count = store.data_version(), store.count("entitlements")
    for thread in threads:
        assert thread["errors"] == [], thread["errors"][:2]
        assert thread["loads"] >= 2  # read at the start and again after changes landed
        assert thread["versions"][-1] == final_version
        assert thread["counts"][-1] == final_count
    # Every write is there.
    assert (
        store.query(
            "SELECT count(*) FROM accounts WHERE account_id LIKE 'XA%' OR account_id LIKE 'YA%'"
        ).item()
        == 10
    )
    assert (
        store.query("SELECT count(*) FROM cases WHERE case_id LIKE 'XC%' OR case_id LIKE 'YC%'").item() == 40
    )
    assert store.query("SELECT count(*) FROM entitlements WHERE renewal_of IS NOT NULL").item() > 0
    assert (tmp_path / "u2.csv").stat().st_size > (tmp_path / "u1.csv").stat().st_size > 0
    assert set(store.import_history()["actor"]) == {store.import_history()["actor"][0]}
    assert store.import_history()["actor"][0].startswith("cli:")


RACER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    import datetime as dt
    from entitlement_core import admin
    from entitlement_core.store import Store

    store = Store({db!r}, wait=60)
    for i, (ent, start) in enumerate({rounds!r}):
        while time.time() < start:
            time.sleep(0.001)
        try:
            admin.record_case(
                store,
                {{"entitlement_id": ent, "created_at": dt.datetime.now(dt.UTC)}},
                actor="racer {name}",
            )
            print("ok", flush=True)
        except admin.OverflowBlocked:
            print("blocked", flush=True)
    """
)


def test_two_writers_race_for_the_last_unit_of_a_blocking_entitlement(db: Path) -> None:
    """Each round: a 'block' entitlement with one unit left, two processes record a case at once."""
    import datetime as dt

    from entitlement_core import admin

    today = dt.datetime.now(dt.UTC).date()
    store = Store(db)
    account = store.query("SELECT account_id FROM accounts ORDER BY 1 LIMIT 1").item()
    ids = [f"E-RACE-{i}" for i in range(3)]
    for ent in ids:
        admin.create_entitlement(
            store,
            {
                "entitlement_id": ent,
                "account_id": account,
                "usage_type": "cases",
                "cap": 2,
                "overflow": "block",
                "start_date": today - dt.timedelta(days=10),
                "end_date": today + dt.timedelta(days=300),
            },
            actor="test",
        )
        admin.record_case(store, {"entitlement_id": ent, "created_at": dt.datetime.now(dt.UTC)}, actor="test")
    start = time.time() + 4.0
    rounds = [(ent, start + i * 1.0) for i, ent in enumerate(ids)]
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER.format(root=str(ROOT), db=str(db), rounds=rounds, name=name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    outcomes = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err[-2000:]
        outcomes.append(out.split())
    for i, ent in enumerate(ids):
        assert sorted(o[i] for o in outcomes) == ["blocked", "ok"], outcomes
        assert store.query("SELECT count(*) FROM cases WHERE entitlement_id = ?", [ent]).item() == 2


def test_two_renewal_runs_at_once_renew_each_entitlement_once(db: Path) -> None:
    from tests.team import start_cli

    runs = [start_cli(db, "renew", "--due-within", "120", "--as-of", TODAY) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=180)
        assert run.returncode == 0, err[-2000:]
    store = Store(db)
    twice = store.query(
        "SELECT count(*) FROM (SELECT renewal_of FROM entitlements WHERE renewal_of IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1)"
    ).item()
    assert twice == 0
    made = store.query(
        "SELECT count(*) FROM entitlements WHERE regexp_matches(entitlement_id, '-R[0-9]{8}$')"
    )
    audited = store.query(
        "SELECT count(*) FROM audit_log WHERE action = 'renew' AND table_name = 'entitlements'"
    )
    assert made.item() == audited.item() > 0
