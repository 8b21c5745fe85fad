"""Milestone instances as of a moment (DOMAIN.md "Milestones (SLA)", EXAMPLES.md 16-21)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.sla import INSTANCE_SCHEMA, milestone_instances
from entitlement_core.staging import Tables

from .factories import UTC, local, tables

BER = "Europe/Berlin"
MON_0900 = local(BER, 2026, 6, 15, 9)  # target 240 business minutes -> Monday 13:00


def at(hour: int, minute: int = 0, day: int = 15) -> dt.datetime:
    return local(BER, 2026, 6, day, hour, minute)


def world(cases: dict[str, list[Any]], **more: Any) -> Tables:
    """Accounts, processes, targets and entitlements shared by the tests, plus ``cases``."""
    base: dict[str, Any] = {
        "accounts": {"account_id": ["a1"], "name": ["Acme"], "tier": ["gold"], "owner": ["ann"]},
        "entitlement_processes": {
            "process_id": ["p_berlin", "p_spec", "p_plain", "p_ny"],
            "name": ["Berlin SLA", "Specific", "No calendar", "New York SLA"],
            "business_hours_id": ["berlin", None, None, "ny"],
        },
        "milestone_targets": {
            "process_id": [*["p_berlin"] * 3, *["p_spec"] * 4, "p_plain", "p_ny"],
            "milestone": ["First Response", "Resolution", "Follow-up", *["First Response"] * 6],
            "target_minutes": [240, 2400, 60, 240, 60, 30, 15, 240, 240],
            "priority": [None, None, None, None, "High", None, "High", None, None],
            "origin": [None, None, None, None, None, "Chat", "Chat", None, None],
        },
        "entitlements": {
            "entitlement_id": ["e_berlin", "e_spec", "e_none", "e_plain", "e_ny", "e_2020"],
            "account_id": ["a1"] * 6,
            "usage_type": ["cases"] * 6,
            "start_date": [dt.date(2026, 1, 1)] * 5 + [dt.date(2020, 1, 1)],
            "end_date": [dt.date(2026, 12, 31)] * 5 + [dt.date(2020, 12, 31)],
            "process_id": ["p_berlin", "p_spec", None, "p_plain", "p_ny", "p_berlin"],
            "business_hours_id": [None, None, "berlin", "berlin", "berlin", None],
        },
    }  # fmt: skip
    n = len(cases["case_id"])
    cases = {
        "account_id": ["a1"] * n,
        "created_at": [MON_0900] * n,
        "entitlement_id": ["e_berlin"] * n,
    } | cases
    return tables(**base, cases=cases, **more)


def first_response(frame: pl.LazyFrame, case_id: str = "c1") -> dict[str, Any]:
    rows = frame.filter((pl.col("case_id") == case_id) & (pl.col("milestone") == "First Response")).collect()
    assert rows.height == 1
    return rows.row(0, named=True)


# (case, first_response_at, as_of, status, completed_at, elapsed_minutes)
STATUSES = [
    ("ex16 open, 60 of 240 left = 25%", None, at(12), "at_risk", None, 180),
    ("ex17 open, 70 left", None, at(11, 50), "open", None, 170),
    ("ex18 as of exactly target_at", None, at(13), "at_risk", None, 240),
    ("ex19 a minute after target_at", None, at(13, 1), "violated", None, 241),
    ("ex20 completed exactly at target_at", at(13), at(15), "met", at(13), 240),
    ("ex21 completed after as_of is open", at(13, 30), at(12), "at_risk", None, 180),
    ("ex21 ... and violated once past target", at(14, 30), at(14), "violated", None, 300),
    ("completed late", at(13, 30), at(15), "violated", at(13, 30), 270),
    ("completed early", at(10), at(15), "met", at(10), 60),
]  # fmt: skip


@pytest.mark.parametrize(
    ("responded_at", "as_of", "status", "completed_at", "elapsed"),
    [c[1:] for c in STATUSES],
    ids=[c[0] for c in STATUSES],
)
def test_status_as_of_a_moment(
    responded_at: dt.datetime | None,
    as_of: dt.datetime,
    status: str,
    completed_at: dt.datetime | None,
    elapsed: float,
) -> None:
    t = world({"case_id": ["c1"], "first_response_at": [responded_at]})
    row = first_response(milestone_instances(t, as_of=as_of))
    assert row["target_at"] == at(13)
    assert (row["status"], row["completed_at"], row["elapsed_minutes"]) == (status, completed_at, elapsed)
    assert row["margin_minutes"] == 240 - elapsed


def test_open_past_a_target_that_ended_at_closing_is_violated_while_closed() -> None:
    """Friday 13:00 + 240 ends at the 17:00 close; as of 18:00 no business minute has passed since."""
    t = world({"case_id": ["c1"], "created_at": [at(13, day=12)]})
    row = first_response(milestone_instances(t, as_of=at(18, day=12)))
    assert (row["target_at"], row["elapsed_minutes"], row["status"]) == (at(17, day=12), 240, "violated")


@pytest.mark.parametrize(
    ("fraction", "warning_minutes", "expected"),
    [(0.25, None, "open"), (0.5, None, "at_risk"), (0.25, 70, "at_risk"), (0.5, 30, "open")],
)
def test_warning_window(fraction: float, warning_minutes: int | None, expected: str) -> None:
    """The window is the target's warning_minutes, else the fraction of the target (170 of 240 elapsed)."""
    t = world({"case_id": ["c1"]})
    if warning_minutes is not None:
        targets = t.milestone_targets.with_columns(
            pl.lit(warning_minutes, dtype=pl.Int64).alias("warning_minutes")
        )
        t = Tables(**{**t.__dict__, "milestone_targets": targets})
    row = first_response(milestone_instances(t, as_of=at(11, 50), at_risk_fraction=fraction))
    assert row["status"] == expected
    assert row["warning_minutes"] == (warning_minutes if warning_minutes is not None else 240 * fraction)


# EXAMPLES.md "Target specificity": any 240, High 60, Chat 30, High + Chat 15.
SPECIFICITY = [
    ("High", "Chat", 15),
    ("Low", "Chat", 30),
    ("High", "Email", 60),
    ("Low", "Email", 240),
    ("high", " CHAT", 15),
    (None, None, 240),
]


@pytest.mark.parametrize(("priority", "origin", "minutes"), SPECIFICITY)
def test_most_specific_target_wins(priority: str | None, origin: str | None, minutes: int) -> None:
    t = world({"case_id": ["c1"], "entitlement_id": ["e_spec"], "priority": [priority], "origin": [origin]})
    row = first_response(milestone_instances(t, as_of=at(10)))
    assert row["target_minutes"] == minutes
    assert row["business_hours_id"] is None  # no calendar anywhere: 24x7
    assert row["target_at"] == MON_0900 + dt.timedelta(minutes=minutes)


def test_derived_first_response_and_resolution() -> None:
    t = world({"case_id": ["c1"], "first_response_at": [at(10)], "closed_at": [at(11, day=16)]})
    got = milestone_instances(t, as_of=at(12, day=20)).sort("milestone").collect()
    assert got.select("milestone", "target_minutes", "elapsed_minutes", "status", "is_imported").rows() == [
        ("First Response", 240, 60.0, "met", False),
        ("Resolution", 2400, 600.0, "met", False),
    ]


@pytest.mark.parametrize(
    ("entitlement_id", "calendar"),
    [("e_berlin", "berlin"), ("e_plain", "berlin"), ("e_ny", "ny"), ("e_spec", None)],
    ids=["process", "entitlement when the process has none", "process over entitlement", "24x7"],
)
def test_calendar_of_a_case(entitlement_id: str, calendar: str | None) -> None:
    t = world({"case_id": ["c1"], "entitlement_id": [entitlement_id]})
    assert first_response(milestone_instances(t, as_of=at(10)))["business_hours_id"] == calendar


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"entitlement_id": [None]}, 0),
        ({"entitlement_id": ["e_none"]}, 0),
        ({"entitlement_id": ["e_2020"]}, 2),
        ({"is_deleted": [True]}, 2),
        ({"created_at": [at(10, day=22)]}, 0),
    ],
    ids=[
        "no entitlement",
        "entitlement without process",
        "outside the term",
        "deleted case",
        "created after as_of",
    ],
)
def test_which_cases_get_instances(changes: dict[str, list[Any]], expected: int) -> None:
    t = world({"case_id": ["c1"], **changes})
    assert milestone_instances(t, as_of=at(10, day=20)).collect().height == expected


def test_imported_records_replace_derived_ones() -> None:
    records = {
        "case_id": ["c1", "c1", "c1", "c1"],
        "milestone": ["First Response", "Follow-up", "Unknown", "Follow-up"],
        "started_at": [MON_0900, at(10), at(10), at(10, day=25)],
        "target_minutes": [30, None, None, None],
        "completed_at": [at(9, 20), at(11, 30), None, None],
    }
    t = world({"case_id": ["c1", "c2"], "first_response_at": [at(9, 10), None]}, case_milestones=records)
    got = milestone_instances(t, as_of=at(12)).sort("case_id", "started_at", "milestone").collect()
    assert got.select("case_id", "milestone", "target_minutes", "status", "is_imported").rows() == [
        ("c1", "First Response", 30, "met", True),  # the record's own target, not the process's 240
        ("c1", "Follow-up", 60, "violated", True),  # no target on the record: the process's
        ("c1", "Unknown", None, None, True),  # no target anywhere: not measured
        ("c2", "First Response", 240, "at_risk", False),
        ("c2", "Resolution", 2400, "open", False),
    ]


def test_one_row_in_full() -> None:
    t = world({"case_id": ["c1"], "priority": ["High"], "origin": ["Web"], "first_response_at": [at(10)]})
    got = milestone_instances(t, as_of=at(10)).filter(pl.col("milestone") == "First Response").collect()
    expected = pl.DataFrame(
        {
            "case_id": ["c1"],
            "entitlement_id": ["e_berlin"],
            "account_id": ["a1"],
            "process_id": ["p_berlin"],
            "business_hours_id": ["berlin"],
            "milestone": ["First Response"],
            "priority": ["High"],
            "origin": ["Web"],
            "tier": ["gold"],
            "owner": ["ann"],
            "is_deleted": [False],
            "is_imported": [False],
            "started_at": [MON_0900],
            "target_at": [at(13)],
            "computed_target_at": [at(13)],
            "completed_at": [at(10)],
            "target_minutes": [240],
            "warning_minutes": [60.0],
            "elapsed_minutes": [60.0],
            "status": ["met"],
            "margin_minutes": [180.0],
            "paused_minutes": [0.0],
            "as_of_at": [at(10)],
        },
        schema=INSTANCE_SCHEMA,
    )
    assert_frame_equal(got, expected)


def test_invariants_on_many_cases() -> None:
    """Unique grain, non-null keys, margin = target - elapsed, elapsed never above the wall clock."""
    n = 200
    created = [MON_0900 + dt.timedelta(minutes=53 * i) for i in range(n)]
    cases = {
        "case_id": [f"c{i:03d}" for i in range(n)],
        "created_at": created,
        "entitlement_id": ["e_berlin", "e_spec", "e_ny", "e_plain"] * (n // 4),
        "priority": ["High", "Low"] * (n // 2),
        "origin": ["Chat", "Email", "Web", "Chat"] * (n // 4),
        "first_response_at": [
            c + dt.timedelta(minutes=(i * 71) % 900) if i % 3 else None for i, c in enumerate(created)
        ],
        "closed_at": [
            c + dt.timedelta(minutes=(i * 331) % 9000) if i % 2 else None for i, c in enumerate(created)
        ],
    }
    as_of = dt.datetime(2026, 6, 22, tzinfo=UTC)
    got = milestone_instances(world(cases), as_of=as_of).collect()
    started = [i for i, c in enumerate(created) if c <= as_of]
    # Only the Berlin process has a Resolution target.
    assert got.height == sum(2 if cases["entitlement_id"][i] == "e_berlin" else 1 for i in started)
    assert got.select(pl.struct("case_id", "milestone", "started_at").is_unique().all()).item()
    assert got.select(pl.col("case_id", "milestone", "started_at", "status").null_count().sum()).row(0) == (
        0,
        0,
        0,
        0,
    )
    assert (got["margin_minutes"] == got["target_minutes"] - got["elapsed_minutes"]).all()
    wall = (pl.coalesce("completed_at", pl.lit(as_of)) - pl.col("started_at")).dt.total_microseconds() / 60e6
    assert got.select((pl.col("elapsed_minutes") <= wall).all()).item()
    assert set(got["status"]) <= {"met", "violated", "at_risk", "open"}
    assert (got["paused_minutes"] == 0).all()


def test_no_cases_gives_an_empty_typed_frame() -> None:
    got = milestone_instances(world({"case_id": []}), as_of=at(10)).collect()
    assert got.is_empty()
    assert got.schema == pl.Schema(INSTANCE_SCHEMA)


def test_as_of_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        milestone_instances(world({"case_id": ["c1"]}), as_of=dt.datetime(2026, 6, 15, 12))


def test_started_from_must_be_timezone_aware() -> None:
    aware = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="started_from"):
        milestone_instances(Tables.from_frames(), as_of=aware, started_from=aware.replace(tzinfo=None))
