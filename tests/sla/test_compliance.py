"""Compliance marts over milestone instances: counts, trend, lists and margins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.sla import (
    INSTANCE_SCHEMA,
    at_risk_list,
    compliance,
    compliance_trend,
    margin_distribution,
    margin_summary,
    violations,
)

AS_OF = dt.datetime(2026, 6, 17, 12, tzinfo=dt.UTC)
MON = dt.datetime(2026, 6, 15, 9, tzinfo=dt.UTC)


def instances(**columns: list[Any]) -> pl.LazyFrame:
    """Milestone instances: the given columns, the others filled with plain defaults."""
    n = len(next(iter(columns.values())))
    defaults: dict[str, Any] = {
        "case_id": [f"c{i}" for i in range(n)],
        "account_id": ["a1"] * n,
        "owner": ["ann"] * n,
        "tier": ["gold"] * n,
        "milestone": ["First Response"] * n,
        "priority": ["High"] * n,
        "origin": ["Web"] * n,
        "started_at": [MON] * n,
        "target_minutes": [240] * n,
    }
    data = defaults | columns
    if "margin_minutes" not in data and "elapsed_minutes" in data:
        data["margin_minutes"] = [
            t - e for t, e in zip(data["target_minutes"], data["elapsed_minutes"], strict=True)
        ]
    frame = pl.DataFrame({k: v for k, v in data.items()}, schema={k: INSTANCE_SCHEMA[k] for k in data})
    missing = [pl.lit(None, dtype=d).alias(k) for k, d in INSTANCE_SCHEMA.items() if k not in data]
    return frame.lazy().with_columns(missing).select(list(INSTANCE_SCHEMA))


STATUSES = ["met", "met", "met", "violated", "open", "at_risk", "open", "paused"]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (STATUSES, (3, 1, 1, 2, 1, 0.75)),
        (["open", "at_risk", "paused"], (0, 0, 1, 1, 1, None)),
        (["violated"], (0, 1, 0, 0, 0, 0.0)),
        (["met"], (1, 0, 0, 0, 0, 1.0)),
    ],
    ids=["mixed", "nothing decided: null", "all violated", "all met"],
)
def test_compliance_counts_and_ratio(statuses: list[str], expected: tuple[Any, ...]) -> None:
    """Paused milestones are counted and never enter the ratio (met / (met + violated))."""
    got = compliance(instances(status=statuses), by=("milestone",)).collect()
    assert got.select("met", "violated", "at_risk", "open", "paused", "compliance").row(0) == expected


def test_compliance_by_default_groups() -> None:
    frame = instances(
        status=["met", "violated", "met", "met"],
        priority=["High", "High", "Low", None],
        tier=["gold", "gold", "gold", "silver"],
    )
    got = compliance(frame).collect()
    expected = pl.DataFrame(
        {
            "milestone": ["First Response"] * 3,
            "priority": ["High", "Low", None],
            "origin": ["Web"] * 3,
            "tier": ["gold", "gold", "silver"],
            "met": [1, 1, 1],
            "violated": [1, 0, 0],
            "at_risk": [0, 0, 0],
            "open": [0, 0, 0],
            "paused": [0, 0, 0],
            "compliance": [0.5, 1.0, 1.0],
        }
    )
    assert_frame_equal(got, expected)


def test_compliance_total_without_groups() -> None:
    got = compliance(instances(status=STATUSES), by=()).collect()
    assert got.rows() == [(3, 1, 1, 2, 1, 0.75)]


def test_weekly_trend_starts_weeks_on_monday() -> None:
    started = [
        dt.datetime(2026, 6, 15, 0, tzinfo=dt.UTC),  # Monday
        dt.datetime(2026, 6, 21, 23, 59, tzinfo=dt.UTC),  # Sunday, same week
        dt.datetime(2026, 6, 22, 0, tzinfo=dt.UTC),  # next Monday
    ]
    got = compliance_trend(instances(status=["met", "violated", "met"], started_at=started)).collect()
    assert got.select("milestone", "period_start", "met", "violated", "compliance").rows() == [
        ("First Response", dt.date(2026, 6, 15), 1, 1, 0.5),
        ("First Response", dt.date(2026, 6, 22), 1, 0, 1.0),
    ]


def test_violations_worst_first_with_owner() -> None:
    frame = instances(
        status=["violated", "met", "violated"],
        elapsed_minutes=[250.0, 100.0, 400.0],
        completed_at=[MON, MON, None],
        owner=["ann", "bob", "cy"],
    )
    got = violations(frame).collect()
    assert got.select("case_id", "owner", "overrun_minutes", "is_open").rows() == [
        ("c2", "cy", 160.0, True),
        ("c0", "ann", 10.0, False),
    ]


def test_at_risk_list_least_time_left_first() -> None:
    target = [AS_OF + dt.timedelta(minutes=m) for m in (50, 20, 300, 25)]
    frame = instances(
        status=["at_risk", "at_risk", "open", "open"],
        elapsed_minutes=[190.0, 220.0, 100.0, 215.0],
        target_at=target,
    )
    got = at_risk_list(frame, as_of=AS_OF).collect()
    assert got.select("case_id", "minutes_left", "minutes_to_target").rows() == [
        ("c1", 20.0, 20.0),
        ("c0", 50.0, 50.0),
    ]
    within = at_risk_list(frame, as_of=AS_OF, within_minutes=30).collect()
    assert within["case_id"].to_list() == ["c1", "c3"]


def test_margin_distribution_bins_completed_instances() -> None:
    frame = instances(
        status=["met", "met", "met", "violated", "open"],
        margin_minutes=[30.0, 90.0, 100.0, -10.0, 5.0],
    )
    got = margin_distribution(frame, bin_minutes=60).collect()
    assert got.select("bin_start_minutes", "bin_end_minutes", "instances", "share").rows() == [
        (-60.0, 0.0, 1, 0.25),
        (0.0, 60.0, 1, 0.25),
        (60.0, 120.0, 2, 0.5),
    ]


def test_margin_summary() -> None:
    frame = instances(
        status=["met", "met", "met", "violated", "open"],
        margin_minutes=[30.0, 90.0, 120.0, -10.0, 5.0],
    )
    row = margin_summary(frame).collect().row(0, named=True)
    assert row["completed"] == 4
    assert (row["met"], row["violated"], row["compliance"]) == (3, 1, 0.75)
    assert row["median_margin_minutes"] == 60.0
    assert (row["min_margin_minutes"], row["max_margin_minutes"]) == (-10.0, 120.0)
    assert row["mean_margin_minutes"] == pytest.approx(57.5)
