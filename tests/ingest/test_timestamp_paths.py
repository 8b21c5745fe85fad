"""Every ISO 8601 form exports write takes the positional fast path, and gives what the general pattern gives.

Salesforce writes ``...00.000Z``, DuckDB ``2026-01-05 10:00:00.123456+00``,
pandas ``...+00:00``; all are UTC and parsed by position. The general
pattern (any offset, ``UTC``, up to 9 fraction digits) stays the reference:
both must agree on every cell, valid or not.
"""

from __future__ import annotations

import re

import polars as pl
import pytest

from entitlement_core.ingest.parse import _PLAIN, _UTC, _general_timestamp, _timestamp

FAST_FORMS = [
    "2026-01-05T10:00:00Z",
    "2026-01-05T10:00:00.000Z",
    "2026-01-05T10:00:00.123456Z",
    "2026-01-05T10:00:00.5Z",
    "2026-01-05T10:00:00,25Z",
    "2026-01-05 10:00:00",
    "2026-01-05 10:00:00.123456",
    "2026-01-05 10:00:00+00",
    "2026-01-05 10:00:00.123456+00",
    "2026-01-05T10:00:00+00:00",
    "2026-01-05T10:00:00.654321+00:00",
    "2026-01-05T10:00:00-00:00",
    "2026-01-05t10:00:00+0000",
    "2024-02-29T23:59:59.999999z",
]
GENERAL_FORMS = [
    "2026-01-05T10:00:00.5+0530",
    "2026-01-05T10:00:00+05",
    "2026-01-05T10:00:00-08:00",
    "2026-01-05 10:00:00 UTC",
    "2026-01-05T10:00:00.123456789Z",
    "2026-01-05T10:00Z",
    "2026-01-05",
]
INVALID = [
    "2026-02-30T10:00:00Z",
    "2026-13-05 10:00:00+00",
    "2026-01-05T25:00:00Z",
    "2026-01-05T10:00:00+00:00junk",
    "2026-1-05T10:00:00Z",
    "yesterday",
    "",
]


@pytest.mark.parametrize("cell", FAST_FORMS)
def test_export_forms_take_the_fast_path(cell: str) -> None:
    assert re.match(_PLAIN, cell) or re.match(_UTC, cell)


@pytest.mark.parametrize("cell", GENERAL_FORMS)
def test_other_forms_take_the_general_pattern(cell: str) -> None:
    assert not re.match(_PLAIN, cell) and not re.match(_UTC, cell)


def test_fast_path_and_general_pattern_agree_on_every_cell() -> None:
    cells = pl.DataFrame({"t": [*FAST_FORMS, *GENERAL_FORMS, *INVALID, None]})
    got = cells.select(fast=_timestamp(pl.col("t")), general=_general_timestamp(pl.col("t")))
    assert got["fast"].to_list() == got["general"].to_list()
    assert got["fast"].head(len(FAST_FORMS)).null_count() == 0
    assert got["fast"].tail(len(INVALID) + 1).null_count() == len(INVALID) + 1
    micros = got["fast"][FAST_FORMS.index("2026-01-05 10:00:00.123456+00")]
    assert micros.microsecond == 123456 and micros.utcoffset().total_seconds() == 0


def test_fast_path_agrees_on_random_instants() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    moments = pl.Series(rng.integers(0, 4_000_000_000_000_000, 2000)).cast(pl.Datetime("us"))
    forms = [
        "%Y-%m-%dT%H:%M:%S%.6fZ",
        "%Y-%m-%d %H:%M:%S%.6f+00",
        "%Y-%m-%dT%H:%M:%S%.3f+00:00",
        "%Y-%m-%d %H:%M:%S",
    ]
    for form in forms:
        cells = pl.DataFrame({"t": moments.dt.strftime(form)})
        got = cells.select(fast=_timestamp(pl.col("t")), general=_general_timestamp(pl.col("t")))
        assert got["fast"].to_list() == got["general"].to_list(), form
        assert got["fast"].null_count() == 0
