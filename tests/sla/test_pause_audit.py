"""The pause audit, worked by hand (Berlin Mon-Fri 09:00-17:00; times Berlin local)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest

from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.sla import milestone_instances
from entitlement_core.sla.pause_audit import case_pauses, pause_share, paused_time, status_share
from entitlement_core.staging import conform

from .test_milestones import at, world

WAIT, HOLD, WORK = "Waiting on Customer", "On Hold", "Working"


def audit_world():  # type: ignore[no-untyped-def]
    """c1: closed Mon 17:00, waited 10-12 and 14-15. c2: on hold from Mon 11:00, still open. c3: no
    history. c4: Escalated only (never paused). c5: waiting from Mon 16:30 to Tue 09:30 (over the night).
    c1-c3 belong to owner ann (account a1), c4-c5 to bob (a2)."""
    history = [
        ("c1", WAIT, at(10)), ("c1", WORK, at(12)), ("c1", WAIT, at(14)), ("c1", WORK, at(15)),
        ("c1", "Closed", at(17)),
        ("c2", HOLD, at(11)),
        ("c4", "Escalated", at(10)),
        ("c5", WAIT, at(16, 30)), ("c5", WORK, at(9, 30, day=16)),
    ]  # fmt: skip
    t = world(
        {
            "case_id": ["c1", "c2", "c3", "c4", "c5"],
            "account_id": ["a1", "a1", "a1", "a2", "a2"],
            "closed_at": [at(17), None, None, None, None],
        },
        case_status_history={
            "case_id": [c for c, _, _ in history],
            "status": [s for _, s, _ in history],
            "changed_at": [a for _, _, a in history],
        },
    )
    accounts = conform(
        "accounts", {"account_id": ["a1", "a2"], "name": ["Acme", "Beta"], "owner": ["ann", "bob"]}
    )
    processes = t.entitlement_processes.with_columns(pl.lit(f"{WAIT};{HOLD}").alias("paused_statuses"))
    return dataclasses.replace(t, entitlement_processes=processes, accounts=accounts)


AS_OF = at(10, day=16)  # Tuesday 10:00


@pytest.fixture(scope="module")
def audit() -> tuple[pl.DataFrame, pl.DataFrame]:
    return case_pauses(audit_world(), as_of=AS_OF, threshold=0.5)


# (case, life, paused, share, pauses, resumes, longest, paused now, main status, over the threshold)
EXPECTED = [
    # Closed Mon 17:00: life 480; paused 120 + 60.
    ("c1", 480.0, 180.0, 180 / 480, 2, 2, 120.0, False, WAIT, False),
    # Open: life Mon 09-17 + Tue 09-10 = 540; on hold Mon 11-17 (360) + Tue 09-10 (60) = 420.
    ("c2", 540.0, 420.0, 420 / 540, 1, 0, 420.0, True, HOLD, True),
    ("c3", 540.0, 0.0, 0.0, 0, 0, 0.0, False, None, False),
    ("c4", 540.0, 0.0, 0.0, 0, 0, 0.0, False, None, False),
    # Waiting Mon 16:30-17:00 (30) and Tue 09:00-09:30 (30); the night is closed anyway.
    ("c5", 540.0, 60.0, 60 / 540, 1, 1, 60.0, False, WAIT, False),
]  # fmt: skip


def test_each_case(audit: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    cases, _ = audit
    got = cases.sort("case_id").select(
        "case_id", "life_minutes", "paused_minutes", "paused_share", "pauses", "resumes",
        "longest_pause_minutes", "is_paused_now", "main_paused_status", "is_over_threshold",
    )  # fmt: skip
    assert got.rows() == EXPECTED
    assert cases["case_id"][0] == "c2"  # most paused share first


def test_share_by_status_owner_account_and_week(audit: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    cases, by_status = audit
    total = 480 + 4 * 540
    assert status_share(by_status, cases).rows() == [
        (HOLD, 1, 420.0, 420 / total),
        (WAIT, 2, 240.0, 240 / total),
    ]
    owners = pause_share(cases, by="owner")
    assert owners.select(
        "owner", "cases", "paused_cases", "paused_minutes", "pauses", "over_threshold"
    ).rows() == [
        ("ann", 3, 2, 600.0, 3, 1),
        ("bob", 2, 1, 60.0, 1, 0),
    ]
    assert owners["paused_share"].to_list() == [600 / 1560, 60 / 1080]
    accounts = pause_share(cases, by="account")
    assert accounts.select("account_id", "account_name").rows() == [("a1", "Acme"), ("a2", "Beta")]
    weeks = pause_share(cases, by="week")
    assert weeks.select("week_start", "cases").rows() == [(dt.date(2026, 6, 15), 5)]


def test_a_stop_exactly_at_the_as_of_moment_counts_as_a_pause() -> None:
    """c4 escalated at 10:00; put on hold at exactly the as-of moment: one pause, not resumed, 0 minutes."""
    t = audit_world()
    more = pl.LazyFrame({"case_id": ["c4"], "status": [HOLD], "changed_at": [AS_OF]}).cast(
        t.case_status_history.collect_schema()  # type: ignore[arg-type]
    )
    t = dataclasses.replace(t, case_status_history=pl.concat([t.case_status_history, more]))
    cases, _ = case_pauses(t, as_of=AS_OF)
    row = cases.filter(pl.col("case_id") == "c4").row(0, named=True)
    assert (row["pauses"], row["resumes"], row["paused_minutes"], row["is_paused_now"]) == (1, 0, 0.0, True)


def test_the_report_lists_paused_cases_with_the_threshold_setting() -> None:
    t = audit_world()
    got = run_report("pauses", t, as_of=AS_OF, settings=Settings(pause_share_threshold=0.3))
    assert got["case_id"].to_list() == ["c2", "c1", "c5"]
    assert got["is_over_threshold"].to_list() == [True, True, False]


def test_paused_time_beside_compliance() -> None:
    """Milestones of the audit world: paused business minutes over elapsed + paused."""
    instances = milestone_instances(audit_world(), as_of=AS_OF)
    figures = paused_time(instances)
    frame = instances.collect()
    assert figures["paused_minutes"] == pytest.approx(frame["paused_minutes"].sum(), abs=1 / 60)
    assert figures["paused_minutes"] > 0
    assert figures["paused_share"] == pytest.approx(
        frame["paused_minutes"].sum() / (frame["elapsed_minutes"].sum() + frame["paused_minutes"].sum())
    )
