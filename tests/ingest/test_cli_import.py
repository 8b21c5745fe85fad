"""``python -m entitlement_core import``: per-file summary lines (how each file was read),
``--encoding``, warnings on standard error, and the schema migration of an older database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from entitlement_core.cli import main
from entitlement_core.schema import TABLES
from entitlement_core.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parents[2]
WEEKLY = ROOT / "tests" / "fixtures" / "salesforce" / "weekly"
CAFE = "account_id,name\r\nA1,Café Crème\r\n".encode("cp1252")


def test_import_prints_how_each_file_was_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    assert main(["import", str(WEEKLY), "--db", str(db)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith("imported 6 file(s) (salesforce): 25 rows added, 0 updated")
    assert "  Account.csv -> accounts: 2 read, 2 added, 0 updated (Windows-1252: not valid UTF-8)" in lines
    assert "  SlaProcess.csv -> entitlement_processes: 1 read, 1 added, 0 updated (UTF-16)" in lines
    assert (
        "warning: Case.csv:2, column ContactId: 9 cases name contacts that were never imported (kept as ids)"
        in out.err
    )


@pytest.mark.parametrize(
    ("encoding", "stored", "shown"),
    [
        (None, "Café Crème", "Windows-1252: not valid UTF-8"),
        ("cp1252", "Café Crème", "Windows-1252: --encoding"),
        ("latin-1", "Café Crème", "Latin-1: --encoding"),
    ],
)
def test_encoding_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str | None, stored: str, shown: str
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "accounts.csv").write_bytes(CAFE)
    db = tmp_path / "x.duckdb"
    args = ["import", str(tmp_path / "in"), "--db", str(db)] + (["--encoding", encoding] if encoding else [])
    assert main(args) == 0
    assert f"0 updated ({shown})" in capsys.readouterr().out
    with Store(db) as store:
        assert store.query("SELECT name FROM accounts").item() == stored


def test_forced_utf8_refuses_with_the_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "accounts.csv").write_bytes(CAFE)
    db = tmp_path / "x.duckdb"
    assert main(["import", str(tmp_path / "in"), "--db", str(db), "--encoding", "utf-8"]) == 1
    err = capsys.readouterr().err
    assert "error: accounts.csv:2: not UTF-8 text (--encoding utf-8)" in err
    assert "nothing was changed" in err
    with Store(db) as store:
        assert store.count("accounts") == 0


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "entitlement_core", "import", str(tmp_path), "--encoding", "utf-7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "invalid choice: 'utf-7'" in proc.stderr


def test_every_report_and_validate_run_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a user would: import the weekly export, then every report and validate."""
    from entitlement_core.reports import REPORT_NAMES

    db = str(tmp_path / "w.duckdb")
    assert main(["import", str(WEEKLY), "--db", db]) == 0
    capsys.readouterr()
    for name in REPORT_NAMES:
        assert main(["report", name, "--db", db, "--as-of", "2026-06-30", "--format", "json"]) == 0, name
        assert capsys.readouterr().out.startswith("[")
    assert main(["validate", "--db", db]) == 0
    assert "9 cases name contacts that were never imported" in capsys.readouterr().out


def test_a_version_three_database_gains_the_new_table_and_columns(tmp_path: Path) -> None:
    """The v4 migration: case_status_history (keyed) and the new columns, rows kept."""
    path = tmp_path / "v2.duckdb"
    with Store(path) as store, store.transaction() as con:
        con.execute("INSERT INTO accounts (account_id, name) VALUES ('A1', 'Acme')")
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE case_status_history")
    con.execute("DROP INDEX milestone_targets_key")  # its expression index blocks dropping a column
    for table, column in (
        ("cases", "business_hours_id"),
        ("case_milestones", "target_at"),
        ("case_milestones", "crm_elapsed_minutes"),
        ("milestone_targets", "business_hours_id"),
        ("entitlement_processes", "paused_statuses"),
    ):
        con.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    con.execute("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.count("accounts") == 1
        for name, spec in TABLES.items():
            assert store.table(name).columns == [*spec.column_names, "extra"]
        with store.transaction() as con:
            con.execute("INSERT INTO case_status_history VALUES ('C1', 'New', '2026-01-01', NULL)")
            with pytest.raises(duckdb.ConstraintException):
                con.execute("INSERT INTO case_status_history VALUES ('C1', 'New', '2026-01-01', NULL)")
