"""Killed at any moment: ``import``, ``renew`` and ``demo`` leave the old data or the new, never a mix.

Each command is first run to the end on a copy (the new data); then, on
fresh copies, it is killed with SIGKILL at seeded random moments spread over
its run. Afterwards the database always opens, holds exactly the old or
exactly the new content, and ``validate`` runs cleanly.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from entitlement_core.cli import main
from entitlement_core.store import Store
from tests.team import TODAY, cli, fingerprint, start_cli, write_import

#: Kills per command: enough moments to land in every phase (start, validation, the write, the
#: rename of a rebuilt demo), few enough to keep the suite quick.
KILLS = 6


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "template.duckdb"
    cli(path, "demo", "--cases", "3000", "--seed", "5", "--today", TODAY, check=True)
    return path


def _copy(template: Path, target: Path) -> Path:
    target.write_bytes(template.read_bytes())
    return target


def _commands(tmp_path: Path) -> dict[str, tuple[str, ...]]:
    folder = write_import(tmp_path / "drop", prefix="K", accounts=40, cases=4000)
    return {
        "import": ("import", str(folder), "--format", "native"),
        "renew": ("renew", "--due-within", "365", "--as-of", TODAY),
        "demo": ("demo", "--cases", "4000", "--seed", "9", "--today", TODAY),
    }


@pytest.mark.parametrize("command", ["import", "renew", "demo"])
def test_a_killed_command_leaves_the_old_data_or_the_new(
    command: str, template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _commands(tmp_path)[command]
    old = fingerprint(template)
    finished = _copy(template, tmp_path / "finished.duckdb")
    started = time.monotonic()
    cli(finished, *args, check=True)
    duration = time.monotonic() - started
    new = fingerprint(finished)
    assert new != old
    moments = random.Random(f"{command}-kills").sample(range(KILLS * 10), KILLS)
    seen = set()
    for i, moment in enumerate(sorted(moments)):
        db = _copy(template, tmp_path / f"killed-{i}.duckdb")
        proc = start_cli(db, *args)
        time.sleep(duration * 1.1 * moment / (KILLS * 10))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        found = fingerprint(db)  # the database opens
        assert found in (old, new), f"killed after {moment}: a mix of old and new data"
        seen.add("new" if found == new else "old")
        assert main(["validate", "--db", str(db)]) == 0
        assert "error" not in capsys.readouterr().err.replace("0 error(s)", "")
        Store(db).count("accounts")
    assert "old" in seen  # some kills landed before the commit
