"""The command line: exit codes, one-line errors, import and report round trips."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from entitlement_core.asof import AsOf
from entitlement_core.cli import main, parse_as_of
from entitlement_core.store import Store
from tests.ingest.test_native import BASE

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A date is the end of that day in each entitlement's own zone; a timestamp one moment for all.
        ("2026-06-01", AsOf.on(dt.date(2026, 6, 1))),
        ("2026-06-01T00:00:00Z", AsOf.at(dt.datetime(2026, 6, 1, tzinfo=dt.UTC))),
        ("2026-06-01T02:00:00+02:00", AsOf.at(dt.datetime(2026, 6, 1, tzinfo=dt.UTC))),
        ("2026-06-01T09:00", AsOf.at(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))),
    ],
)
def test_parse_as_of(text: str, expected: AsOf) -> None:
    assert parse_as_of(text) == expected


def test_help_exits_zero() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "entitlement_core", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0
    for command in ("demo", "import", "report"):
        assert command in proc.stdout


def test_import_then_reimport(tmp_path: Path, write_files, capsys) -> None:
    db = tmp_path / "t.duckdb"
    folder = write_files(BASE)
    assert main(["import", str(folder), "--format", "native", "--db", str(db)]) == 0
    assert "rows added" in capsys.readouterr().out
    assert main(["import", str(folder), "--format", "native", "--db", str(db)]) == 0
    assert "0 rows added, 0 updated" in capsys.readouterr().out


def test_bad_import_exits_one_with_file_line_column(tmp_path: Path, write_files, capsys) -> None:
    db = tmp_path / "t.duckdb"
    bad = {**BASE, "time_entries.csv": "time_entry_id,case_id,entry_date,minutes\nT1,C3,2026-02-03,-1\n"}
    assert main(["import", str(write_files(bad)), "--format", "native", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "time_entries.csv:2, column minutes, record T1: negative minutes (-1)" in err
    assert "nothing was changed" in err


def test_missing_path_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    code = main(["import", str(tmp_path / "nope"), "--format", "native", "--db", str(tmp_path / "t.duckdb")])
    assert code == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_unknown_report_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["report", "nonsense"])
    assert info.value.code == 2


def test_validate_exits_one_on_errors(tmp_path: Path, write_files, capsys) -> None:
    db = tmp_path / "t.duckdb"
    assert main(["import", str(write_files(BASE)), "--format", "native", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["validate", "--db", str(db)]) == 0
    bad = {
        "entitlements.csv": "entitlement_id,account_id,usage_type,start_date,end_date,plan\n"
        "E9,A1,cases,2026-01-01,2026-12-31,Gold\n",
        "plans.csv": "plan,usage_type\nGold,cases\n",
    }
    assert main(["import", str(write_files(bad)), "--format", "native", "--db", str(db)]) == 0
    from entitlement_core.store import Store

    with Store(db) as s, s.transaction() as con:
        con.execute("DELETE FROM plans WHERE plan = 'Gold'")
    capsys.readouterr()
    assert main(["validate", "--db", str(db)]) == 1
    out = capsys.readouterr()
    assert "record E9: unknown plan 'Gold': no such record in plans" in out.out
    assert "1 error(s)" in out.err


# -- arguments, exit codes and the database (README "Command line") -------------------


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    db = tmp_path / "small.duckdb"
    assert main(["demo", "--cases", "300", "--today", "2026-06-30", "--db", str(db)]) == 0
    return db


def _fingerprint(db: Path) -> dict[str, object]:
    from tests.team import fingerprint

    return fingerprint(db)


@pytest.mark.parametrize("where", ["before", "after"])
def test_db_is_honoured_before_or_after_the_command(
    where: str, small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("ENTITLEMENTS_DB_PATH", str(tmp_path / "default.duckdb"))
    args = ["--db", str(small_db), "validate"] if where == "before" else ["validate", "--db", str(small_db)]
    assert main(args) == 0
    assert not (tmp_path / "default.duckdb").exists()


def test_demo_with_db_before_the_command_leaves_the_default_database_alone(
    small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENTITLEMENTS_DB_PATH", str(small_db))
    before = _fingerprint(small_db)
    other = tmp_path / "other.duckdb"
    assert main(["--db", str(other), "demo", "--cases", "200", "--seed", "2", "--today", "2026-06-30"]) == 0
    assert _fingerprint(small_db) == before
    assert Store(other).count("cases") == 200


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--today", "0001-01-01"],
        ["demo", "--today", "2026-02-30"],
        ["demo", "--cases", "-5"],
        ["demo", "--seed", "x"],
        ["report", "utilization", "--as-of", "9999-12-31"],
        ["report", "utilization", "--as-of", "0001-01-01T00:00:00Z"],
        ["report", "utilization", "--format", "parquet"],
        ["renew", "--due-within", "-1"],
        ["renew"],
        ["validate", "--wait", "-3"],
        ["--db", "a.duckdb", "validate", "--db", "b.duckdb"],
        ["frobnicate"],
    ],
    ids=lambda a: " ".join(a),
)
def test_wrong_use_exits_two_and_touches_nothing(args: list[str], small_db: Path, capsys) -> None:
    before = _fingerprint(small_db)
    full = [*args, "--db", str(small_db)] if "--db" not in args else args
    with pytest.raises(SystemExit) as info:
        main(full)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err
    assert _fingerprint(small_db) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "utilization"], "does not exist"),
        (["validate"], "does not exist"),
        (["renew", "--due-within", "30"], "does not exist"),
        (["backup", "copy.duckdb"], "does not exist"),
        (["import", "nope"], "no such file or folder"),
        (["restore", "nope.duckdb"], "no such file"),
    ],
)
def test_a_missing_file_is_one_line_and_creates_no_database(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "none.duckdb"
    assert main([*args, "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0], err
    assert not db.exists()


def test_a_busy_database_is_one_line_naming_the_holder(small_db: Path, capsys) -> None:
    from tests.test_access import Holder

    held = Holder(small_db, "write")
    try:
        assert main(["validate", "--wait", "0.5", "--db", str(small_db)]) == 1
    finally:
        held.release()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "busy" in err[0] and f"process {held.proc.pid}" in err[0], err


def test_a_full_disk_is_one_line_and_changes_nothing(small_db: Path, tmp_path: Path) -> None:
    """Writes fail past a file size limit (as on a full disk): one line, exit 1, old data kept."""
    import os
    import resource
    import signal

    from tests.team import write_import

    folder = write_import(tmp_path / "big", prefix="F", accounts=200, cases=60_000)
    before = _fingerprint(small_db)
    limit = 1024 * 1024  # below the database's size: no block can be written past it
    assert small_db.stat().st_size > limit

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "entitlement_core", "import", str(folder), "--db", str(small_db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limited,
        timeout=300,
        check=False,
    )
    err = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert len(err) == 1 and err[0].startswith("error:") and "Traceback" not in proc.stderr, err
    assert _fingerprint(small_db) == before


def test_an_unexpected_error_is_one_line_and_traceback_shows_it(
    small_db: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from entitlement_core import cli

    def broken(*args: object) -> int:
        raise TypeError("something the program did not expect")

    monkeypatch.setattr(cli, "_cmd_validate", broken)
    assert main(["validate", "--db", str(small_db)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unexpected TypeError" in err[0] and "--traceback" in err[0]
    with pytest.raises(TypeError):
        main(["--traceback", "validate", "--db", str(small_db)])


def test_sigterm_rolls_back_and_exits_130(small_db: Path) -> None:
    import signal
    import time

    from tests.team import start_cli

    before = _fingerprint(small_db)
    proc = start_cli(small_db, "demo", "--cases", "300000", "--today", "2026-06-30")
    # Signal once the build is under way (its file beside the database exists), not during start-up.
    deadline = time.monotonic() + 60
    while not list(small_db.parent.glob(f".{small_db.name}.build-*")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; nothing was changed" in err and "Traceback" not in err
    assert _fingerprint(small_db) == before


def test_a_closed_output_pipe_is_no_traceback(small_db: Path) -> None:
    proc = subprocess.run(
        f"{sys.executable} -m entitlement_core report utilization --as-of 2026-06-30 "
        f"--db {small_db} | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.startswith("entitlement_id")
    assert "Traceback" not in proc.stderr and "Exception" not in proc.stderr, proc.stderr


def test_hash_password_reads_standard_input(tmp_path: Path) -> None:
    from entitlement_core import auth

    run = lambda text: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "entitlement_core", "hash-password"],
        cwd=ROOT,
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    made = run("a long passphrase\n")
    assert made.returncode == 0, made.stderr
    assert auth.check_password("a long passphrase", made.stdout.strip())
    assert made.stdout.startswith("scrypt:")
    short = run("short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr


def test_validate_fifty_times_in_a_row_never_dies_of_a_signal(small_db: Path) -> None:
    """A connection destroyed on a thread exiting at shutdown used to abort (exit 134) about one run
    in ten: sessions now close every cursor on the thread that opened them."""
    codes = [
        subprocess.run(
            [sys.executable, "-m", "entitlement_core", "validate", "--db", str(small_db)],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=False,
        ).returncode
        for _ in range(50)
    ]
    assert set(codes) == {0}, codes


def test_import_is_audited_with_who_files_and_sha256(tmp_path: Path, write_files, capsys) -> None:
    import hashlib
    import json

    db = tmp_path / "t.duckdb"
    folder = write_files(BASE)
    assert main(["import", str(folder), "--format", "native", "--db", str(db)]) == 0
    store = Store(db)
    history = store.import_history()
    entry = store.audit_entries(1).row(0, named=True)
    assert set(history["actor"]) == {entry["actor"]} and entry["actor"].startswith("cli:")
    assert (entry["action"], entry["record_id"]) == ("import", history["run_id"][0])
    files = {f["file"]: f for f in json.loads(entry["after"])["files"]}
    accounts = files["accounts.csv"]
    assert accounts["sha256"] == hashlib.sha256((folder / "accounts.csv").read_bytes()).hexdigest()
    assert (accounts["table"], accounts["rows_added"], accounts["rows_updated"]) == ("accounts", 2, 0)
