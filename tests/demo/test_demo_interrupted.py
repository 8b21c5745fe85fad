"""A demo build that stops midway is told apart from a finished one (chunks commit one by one)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from entitlement_core.cli import main
from entitlement_core.demo import build_demo
from entitlement_core.store import Store

TODAY = dt.date(2026, 5, 14)


class Stop(Exception):
    """Stands for the process being killed midway."""


def _interrupted(path: Path) -> None:
    def progress(done: int, total: int, message: str) -> None:
        if message.startswith("cases") and done < total:
            raise Stop

    with Store(path) as store, pytest.raises(Stop):
        build_demo(store, cases=3000, seed=3, today=TODAY, chunk_size=1000, progress=progress)


def test_a_finished_build_is_not_flagged(tmp_path: Path) -> None:
    with Store(tmp_path / "demo.duckdb") as store:
        build_demo(store, cases=500, seed=3, today=TODAY)
        assert not store.demo_build_unfinished()


def test_a_build_stopped_midway_is_flagged_until_built_again(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    _interrupted(path)
    with Store(path) as store:
        assert store.demo_build_unfinished()
        # Part of the cases were committed: the data is partial, hence the flag.
        assert 0 < store.count("cases") < 3000
        build_demo(store, cases=500, seed=3, today=TODAY)
        assert not store.demo_build_unfinished()
        assert store.count("cases") == 500


def test_the_command_line_warns_on_a_partial_demo(tmp_path: Path, capsys) -> None:
    path = tmp_path / "demo.duckdb"
    _interrupted(path)
    out = tmp_path / "u.csv"
    assert main(["report", "utilization", "--db", str(path), "--out", str(out)]) == 0
    assert "demo build" in capsys.readouterr().err
    assert main(["demo", "--cases", "300", "--db", str(path), "--today", "2026-05-14"]) == 0
    capsys.readouterr()
    assert main(["report", "utilization", "--db", str(path), "--out", str(out)]) == 0
    assert "demo build" not in capsys.readouterr().err
