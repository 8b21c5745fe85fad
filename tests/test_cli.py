"""The command line: exit codes, one-line errors, import and report round trips."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from entitlement_core.cli import main, parse_as_of
from tests.ingest.test_native import BASE

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01", dt.datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)),
        ("2026-06-01T00:00:00Z", dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
        ("2026-06-01T02:00:00+02:00", dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
        ("2026-06-01T09:00", dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)),
    ],
)
def test_parse_as_of(text: str, expected: dt.datetime) -> None:
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

    with Store(db) as s:
        s.con.execute("DELETE FROM plans WHERE plan = 'Gold'")
    capsys.readouterr()
    assert main(["validate", "--db", str(db)]) == 1
    out = capsys.readouterr()
    assert "record E9: unknown plan 'Gold': no such record in plans" in out.out
    assert "1 error(s)" in out.err
