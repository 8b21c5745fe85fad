"""Shared fixtures: stores, snapshots and a writer for small import folders."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.schema import TABLES
from entitlement_core.store import Store


@pytest.fixture
def store() -> Store:
    """A fresh in-memory store with the current schema (function scope)."""
    s = Store(":memory:")
    yield s
    s.close()


def snapshot(store: Store) -> dict[str, pl.DataFrame]:
    """Every native table's content, sorted by key: equal snapshots mean equal data."""
    out = {}
    for name, spec in TABLES.items():
        frame = store.table(name)
        out[name] = frame.sort(list(spec.key), nulls_last=True)
    out["import_batches"] = store.query("SELECT count(*) AS n FROM import_batches")
    return out


def assert_same_content(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    from polars.testing import assert_frame_equal

    assert a.keys() == b.keys()
    for name in a:
        assert_frame_equal(a[name], b[name], check_dtypes=True)


@pytest.fixture
def write_files(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{"accounts.csv": "...csv text..."}`` into a new folder and return it."""
    counter = {"n": 0}

    def write(files: dict[str, str | bytes], folder: str | None = None) -> Path:
        counter["n"] += 1
        target = tmp_path / (folder or f"import{counter['n']}")
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            path = target / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return target

    return write
