"""The next breach of each open case and the at-risk list ordered by it (Berlin Mon-Fri 09:00-17:00)."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from entitlement_core.sla import at_risk_list, milestone_instances
from entitlement_core.sla.breach import breach_text, next_breaches, with_next_breach

from .test_milestones import at, world


def test_next_breach_is_the_earliest_open_target() -> None:
    """As of Monday 12:25: c1's First Response (13:00) breaches in 35 business minutes, before its
    Resolution; c2 responded, so its next breach is its Resolution (2400 minutes from 09:00 = 5 days);
    c3's First Response is already violated (created Friday), its Resolution is next; c4 is waiting
    on the customer since 10:00: paused, 240 - 60 = 180 left."""
    t = world(
        {
            "case_id": ["c1", "c2", "c3", "c4"],
            "first_response_at": [None, at(10), None, None],
            "created_at": [at(9), at(9), at(9, day=12), at(9)],
        },
        case_status_history={"case_id": ["c4"], "status": ["Waiting on Customer"], "changed_at": [at(10)]},
    )
    processes = t.entitlement_processes.with_columns(pl.lit("Waiting on Customer").alias("paused_statuses"))
    t = dataclasses.replace(t, entitlement_processes=processes)
    as_of = at(12, 25)
    got = next_breaches(milestone_instances(t, as_of=as_of), as_of=as_of).collect()
    assert got.select("case_id", "milestone", "status", "minutes_left", "breach").rows() == [
        ("c1", "First Response", "at_risk", 35.0, "breaches in 35 business minutes"),
        ("c4", "First Response", "paused", 180.0, "paused: 180 business minutes left"),
        ("c3", "Resolution", "open", 2400 - 8 * 60 - 205.0, "breaches in 1,715 business minutes"),
        ("c2", "Resolution", "open", 2400 - 205.0, "breaches in 2,195 business minutes"),
    ]
    assert got["target_at"][0] == at(13)
    assert got["minutes_to_target"][0] == 35.0
    assert got.filter(pl.col("case_id") == "c1")["running_milestones"].item() == 2


@pytest.mark.parametrize(
    ("minutes", "status", "text"),
    [
        (35.0, "open", "breaches in 35 business minutes"),
        (34.5, "at_risk", "breaches in 35 business minutes"),  # not yet at 34
        (1.0, "at_risk", "breaches in 1 business minute"),
        (0.0, "at_risk", "breaches now"),
        (2400.0, "open", "breaches in 2,400 business minutes"),
        (12.0, "paused", "paused: 12 business minutes left"),
        (None, "open", "no target"),
    ],
)
def test_breach_text(minutes: float | None, status: str, text: str) -> None:
    frame = pl.DataFrame({"m": [minutes], "s": [status]}, schema={"m": pl.Float64, "s": pl.String})
    assert frame.select(breach_text(pl.col("m"), pl.col("s"))).item() == text


def test_the_at_risk_list_is_ordered_by_the_next_breach() -> None:
    """Two at-risk cases: c2 (created Friday 16:45, 20 left) comes before c1 (35 left)."""
    t = world({"case_id": ["c1", "c2"], "created_at": [at(9), at(16, 45, day=12)]})
    as_of = at(12, 25)
    instances = milestone_instances(t, as_of=as_of)
    rows = with_next_breach(at_risk_list(instances, as_of=as_of), next_breaches(instances, as_of=as_of))
    got = rows.collect()
    assert got.select("case_id", "next_breach_minutes", "next_breach").rows() == [
        ("c2", 20.0, "breaches in 20 business minutes"),
        ("c1", 35.0, "breaches in 35 business minutes"),
    ]
