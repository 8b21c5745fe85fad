"""The demo's status histories: consistent with the cases, waits of hours and days, a few parked cases,
and clocks that stop for them."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.demo.build import generate_demo
from entitlement_core.demo.options import DemoOptions
from entitlement_core.sla import milestone_instances
from entitlement_core.staging import Tables

TODAY = dt.date(2026, 5, 14)
END_OF_TODAY = dt.datetime(2026, 5, 14, 23, 59, 59, 999_999, tzinfo=dt.UTC)
PAUSED = ("Waiting on Customer", "On Hold")


@pytest.fixture(scope="module")
def demo() -> dict[str, pl.DataFrame]:
    """A 20,000-case demo as of 2026-05-14, as frames (module scope)."""
    parts: dict[str, list[pl.DataFrame]] = {}
    for name, frame in generate_demo(DemoOptions(cases=20_000, seed=7, today=TODAY)):
        parts.setdefault(name, []).append(frame)
    return {name: pl.concat(frames) for name, frames in parts.items()}


@pytest.fixture(scope="module")
def history(demo: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each history row with its case's moments, and the waits (a paused row and when it ended)."""
    cases = demo["cases"].select(
        "case_id", "created_at", "first_response_at", "closed_at", pl.col("status").alias("now")
    )
    return (
        demo["case_status_history"]
        .sort("case_id", "changed_at")
        .with_columns(
            pl.col("changed_at").shift(-1).over("case_id").alias("until"),
        )
        .join(cases, on="case_id")
    )


def test_every_row_lies_in_its_case_life(history: pl.DataFrame) -> None:
    assert (history["changed_at"] >= history["first_response_at"]).all()  # a history starts at the response
    closed = history.filter(pl.col("closed_at").is_not_null())
    assert (closed["changed_at"] <= closed["closed_at"]).all()
    assert history["changed_at"].max() <= END_OF_TODAY


def test_the_last_row_is_the_case_status(history: pl.DataFrame, demo: dict[str, pl.DataFrame]) -> None:
    last = history.filter(pl.col("until").is_null())
    assert (last["status"] == last["now"]).all()
    unanswered = demo["cases"].filter(pl.col("first_response_at").is_null())
    assert unanswered.join(history, on="case_id", how="semi").is_empty()  # still New: no change yet


def test_cases_wait_for_hours_and_days_and_a_few_are_parked(history: pl.DataFrame) -> None:
    waits = history.filter(pl.col("status").is_in(PAUSED) & pl.col("until").is_not_null())
    hours = (waits["until"] - waits["changed_at"]).dt.total_minutes() / 60
    waiting_cases = waits["case_id"].n_unique()
    cases = history["case_id"].n_unique()
    assert 0.3 < waiting_cases / cases < 0.5
    assert hours.median() > 1 and (hours > 48).sum() > 100  # waits of hours, some for days
    per_case = waits.group_by("case_id").len()
    parked = per_case.filter(pl.col("len") >= 6).height
    assert 0.01 * cases < parked < 0.04 * cases  # "parked suspiciously often"
    assert set(waits["status"]) == set(PAUSED)
    assert {"Working", "Closed", "Escalated"} <= set(history["status"])


def test_processes_pause_and_clocks_stop(demo: dict[str, pl.DataFrame]) -> None:
    """The Standard processes pause on both statuses, Premier on waiting only; Resolution clocks of
    cases that waited stop (paused minutes), First Response ones never do (a wait starts after it)."""
    processes = dict(demo["entitlement_processes"].select("process_id", "paused_statuses").iter_rows())
    assert processes == {
        "EP-STANDARD-AMER": "Waiting on Customer;On Hold",
        "EP-STANDARD-EMEA": "Waiting on Customer;On Hold",
        "EP-PREMIER": "Waiting on Customer",
    }
    tables = Tables.from_frames(demo)
    got = milestone_instances(tables, as_of=END_OF_TODAY).collect()
    by = got.group_by("milestone").agg((pl.col("paused_minutes") > 0).mean().alias("share"))
    shares = dict(by.iter_rows())
    assert shares["First Response"] == 0
    assert 0.2 < shares["Resolution"] < 0.5
    assert got.filter(pl.col("status") == "paused").height > 0
