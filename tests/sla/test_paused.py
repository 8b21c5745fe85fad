"""Paused clocks and which business hours, worked by hand (DOMAIN.md "Milestones (SLA)", EXAMPLES.md 22-27).

Europe/Berlin Mon-Fri 09:00-17:00 with 2026-12-25 a holiday; times are
Berlin local. Process ``p_std`` pauses on ``Waiting on Customer;On Hold``,
``p_wait`` on ``Waiting on Customer`` only, ``p_none`` on nothing; all
three in Berlin hours. Each row gives the case's creation, its status
history, its first response, the First Response target, the as-of moment
and what the milestone must show; every figure was worked out by hand in
the comment beside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import pytest

from entitlement_core.sla import milestone_instances
from entitlement_core.sla.pauses import STOPPED_STATUS

from .factories import local, tables

BER = "Europe/Berlin"
WAIT, HOLD, WORK = "Waiting on Customer", "On Hold", "Working"


def b(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return local(BER, 2026, month, day, hour, minute)


def world(
    *,
    created: dt.datetime,
    history: list[tuple[str, dt.datetime]],
    responded: dt.datetime | None,
    target: int = 240,
    process: str = "p_std",
    **more: Any,
) -> Any:
    processes = {
        "process_id": ["p_std", "p_wait", "p_none"],
        "name": ["Standard", "Waiting only", "No pauses"],
        "business_hours_id": ["berlin"] * 3,
        "paused_statuses": [f"{WAIT};{HOLD}", WAIT, None],
    }
    targets = {
        "process_id": ["p_std", "p_wait", "p_none"],
        "milestone": ["First Response"] * 3,
        "target_minutes": [target] * 3,
    }
    return tables(
        accounts={"account_id": ["a1"], "name": ["Acme"]},
        entitlement_processes=processes,
        milestone_targets=targets,
        entitlements={
            "entitlement_id": ["e1"],
            "account_id": ["a1"],
            "usage_type": ["cases"],
            "start_date": [dt.date(2026, 1, 1)],
            "end_date": [dt.date(2026, 12, 31)],
            "process_id": [process],
        },
        cases={
            "case_id": ["c1"],
            "account_id": ["a1"],
            "entitlement_id": ["e1"],
            "created_at": [created],
            "first_response_at": [responded],
        },
        case_status_history={
            "case_id": ["c1"] * len(history),
            "status": [s for s, _ in history],
            "changed_at": [at for _, at in history],
        },
        **more,
    )


def first_response(t: Any, as_of: dt.datetime) -> dict[str, Any]:
    rows = milestone_instances(t, as_of=as_of).filter(pl.col("milestone") == "First Response").collect()
    assert rows.height == 1
    return rows.row(0, named=True)


LATER = b(12, 31, 12)

# (id, created, history, responded, target, process, as_of, status, elapsed, paused, target_at)
CASES = [
    # ex22: 09-10 runs (60), 10-12 paused (120), 12-13 runs (60): elapsed 120;
    # target 09:00 + 240 + 120 = 15:00.
    ("ex22 a pause inside business hours", b(6, 9, 9), [(WAIT, b(6, 9, 10)), (WORK, b(6, 9, 12))],
     b(6, 9, 13), 240, "p_std", LATER, "met", 120, 120, b(6, 9, 15)),
    # ex23: 09-10 runs, paused from 10:00 to the as-of 16:00 (360); resumed at 16:00, 180 left: Mon 16-17
    # gives 60, Tue 09-11 the other 120.
    ("ex23 paused at the as-of moment", b(6, 8, 9), [(WAIT, b(6, 8, 10))],
     None, 240, "p_std", b(6, 8, 16), "paused", 60, 360, b(6, 9, 11)),
    # ex24: target 60 is 10:00, before the 11:00 pause; still violated at 15:00 while on hold.
    ("ex24 violated before the pause", b(6, 8, 9), [(HOLD, b(6, 8, 11))],
     None, 60, "p_std", b(6, 8, 15), "violated", 120, 240, b(6, 8, 10)),
    # ex25: the process names no paused statuses: 09-13 is 240, met exactly at the target.
    ("ex25 no paused statuses", b(6, 9, 9), [(WAIT, b(6, 9, 10)), (WORK, b(6, 9, 12))],
     b(6, 9, 13), 240, "p_none", LATER, "met", 240, 0, b(6, 9, 13)),
    # Fri 27 March 14:00 CET; paused Fri 16:00 CET to Mon 30 March 10:00 CEST (the clocks went forward on
    # Sunday): paused business time Fri 16-17 (60) + Mon 09-10 (60) = 120; elapsed Fri 14-16 (120) +
    # Mon 10-11 (60) = 180; target 240 + 120 = 360 business minutes: Fri 14-17 (180), Mon 09-12 (180).
    ("a pause over a weekend and the DST change", b(3, 27, 14), [(WAIT, b(3, 27, 16)), (WORK, b(3, 30, 10))],
     b(3, 30, 11), 240, "p_std", LATER, "met", 180, 120, b(3, 30, 12)),
    # Thu 24 Dec 15:00; paused Thu 16:00 to Mon 28 Dec 10:00 with Friday the 25th a holiday: paused
    # Thu 16-17 (60) + Mon 09-10 (60) = 120; elapsed Thu 15-16 + Mon 10-11 = 120; target 360 business
    # minutes: Thu 15-17 (120), Mon 09-13 (240).
    ("a pause over a holiday", b(12, 24, 15), [(WAIT, b(12, 24, 16)), (WORK, b(12, 28, 10))],
     b(12, 28, 11), 240, "p_std", LATER, "met", 120, 120, b(12, 28, 13)),
    # A pause entirely on the holiday stops nothing: Thu 15-17 and Mon 09-10 = 180.
    ("a pause on the holiday itself", b(12, 24, 15), [(HOLD, b(12, 25, 10)), (WORK, b(12, 25, 12))],
     b(12, 28, 10), 240, "p_std", LATER, "met", 180, 0, b(12, 28, 11)),
    # Waiting 10:00, then On Hold 11:00 (still stopped), Working 12:00; Waiting again 14:00-14:30.
    # Paused 120 + 30 = 150, elapsed 420 - 150 = 270; both pauses start before the clock reaches 480,
    # so the target is 480 + 150 = 630 business minutes: Mon 09-17 (480), Tue 09:00-11:30 (150).
    ("nested and repeated pauses", b(6, 8, 9),
     [(WAIT, b(6, 8, 10)), (HOLD, b(6, 8, 11)), (WORK, b(6, 8, 12)), (WAIT, b(6, 8, 14)),
      (WORK, b(6, 8, 14, 30))],
     b(6, 8, 16), 480, "p_std", LATER, "met", 270, 150, b(6, 9, 11, 30)),
    # Target 120: the first pause (10-11) starts at 60 running minutes and moves the target to 12:00; the
    # second (12:30-13:00) starts after the clock reached 120 and moves nothing. Violated as of 14:00.
    ("a pause after the target is reached moves nothing", b(6, 8, 9),
     [(WAIT, b(6, 8, 10)), (WORK, b(6, 8, 11)), (WAIT, b(6, 8, 12, 30)), (WORK, b(6, 8, 13))],
     None, 120, "p_std", b(6, 8, 14), "violated", 210, 90, b(6, 8, 12)),
    # On Hold stops p_std's clock but not p_wait's.
    ("on hold: paused in one process", b(6, 9, 9), [(HOLD, b(6, 9, 10)), (WORK, b(6, 9, 12))],
     b(6, 9, 13), 240, "p_std", LATER, "met", 120, 120, b(6, 9, 15)),
    ("... and not in another", b(6, 9, 9), [(HOLD, b(6, 9, 10)), (WORK, b(6, 9, 12))],
     b(6, 9, 13), 240, "p_wait", LATER, "met", 240, 0, b(6, 9, 13)),
]  # fmt: skip


CASE_ARGS = ("created", "history", "responded", "target", "process", "as_of", "status", "elapsed", "paused",
             "target_at")  # fmt: skip


@pytest.mark.parametrize(CASE_ARGS, [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_worked_examples(
    created: dt.datetime,
    history: list[tuple[str, dt.datetime]],
    responded: dt.datetime | None,
    target: int,
    process: str,
    as_of: dt.datetime,
    status: str,
    elapsed: float,
    paused: float,
    target_at: dt.datetime,
) -> None:
    t = world(created=created, history=history, responded=responded, target=target, process=process)
    row = first_response(t, as_of)
    assert (row["status"], row["elapsed_minutes"], row["paused_minutes"]) == (status, elapsed, paused)
    assert row["target_at"] == row["computed_target_at"] == target_at
    assert row["margin_minutes"] == target - elapsed


# Edge cases of the status history, each against the same case: created Mon 8 June 09:00, target 240,
# process p_std. (id, history, responded, as_of, status, elapsed, paused, target_at)
EDGES = [
    # Waiting since before the case was created: the clock is stopped from its start to 10:00.
    ("rows before the milestone started", [(WAIT, b(6, 5, 15)), (WORK, b(6, 8, 10))],
     b(6, 8, 12), LATER, "met", 120, 60, b(6, 8, 14)),
    # Waiting after the response: nothing of it counts for First Response.
    ("rows after completion", [(WORK, b(6, 8, 9, 30)), (WAIT, b(6, 8, 11))],
     b(6, 8, 10), LATER, "met", 60, 0, b(6, 8, 13)),
    ("a history with no paused status",
     [("New", b(6, 8, 9)), (WORK, b(6, 8, 10)), ("Escalated", b(6, 8, 11))],
     b(6, 8, 12), LATER, "met", 180, 0, b(6, 8, 13)),
    # Working and Waiting recorded at the same 10:00: the clock stops at 10:00.
    ("two statuses at one moment", [(WORK, b(6, 8, 10)), (WAIT, b(6, 8, 10)), (WORK, b(6, 8, 11))],
     b(6, 8, 12), LATER, "met", 120, 60, b(6, 8, 14)),
    # A change to Waiting exactly at the as-of moment counts: paused, with 60 minutes left (not at risk).
    ("paused exactly at the as-of moment", [(WAIT, b(6, 8, 12))],
     None, b(6, 8, 12), "paused", 180, 0, b(6, 8, 13)),
    # ... and a resume exactly at it counts too: running again, 60 + 60 elapsed, 120 paused.
    ("resumed exactly at the as-of moment", [(WAIT, b(6, 8, 10)), (WORK, b(6, 8, 12))],
     None, b(6, 8, 12), "open", 60, 120, b(6, 8, 15)),
    # The first row comes after the creation: before it the case is in no paused status.
    ("first row after creation", [(WORK, b(6, 8, 11)), (WAIT, b(6, 8, 12)), (WORK, b(6, 8, 12, 30))],
     b(6, 8, 13), LATER, "met", 210, 30, b(6, 8, 13, 30)),
    # Statuses compare ignoring letter case and spaces around and between words.
    ("letter case and spaces", [(" waiting  ON customer ", b(6, 8, 10)), (WORK, b(6, 8, 11))],
     b(6, 8, 12), LATER, "met", 120, 60, b(6, 8, 14)),
    # Salesforce's stop (a case stopped at export time) stops the clock in every process.
    ("stopped in Salesforce", [(STOPPED_STATUS, b(6, 8, 10))],
     None, b(6, 8, 11), "paused", 60, 60, b(6, 8, 14)),
    # Still waiting when the as-of moment comes after the close: paused 10-17, as if resumed at 18:00.
    ("paused over the evening", [(WAIT, b(6, 8, 10))],
     None, b(6, 8, 18), "paused", 60, 420, b(6, 9, 12)),
]  # fmt: skip


@pytest.mark.parametrize(("history", "responded", "as_of", "status", "elapsed", "paused", "target_at"),
                         [c[1:] for c in EDGES], ids=[c[0] for c in EDGES])  # fmt: skip
def test_history_edge_cases(
    history: list[tuple[str, dt.datetime]],
    responded: dt.datetime | None,
    as_of: dt.datetime,
    status: str,
    elapsed: float,
    paused: float,
    target_at: dt.datetime,
) -> None:
    t = world(created=b(6, 8, 9), history=history, responded=responded)
    row = first_response(t, as_of)
    assert (row["status"], row["elapsed_minutes"], row["paused_minutes"]) == (status, elapsed, paused)
    assert row["target_at"] == target_at


def test_history_of_other_cases_and_the_future_changes_nothing() -> None:
    """Rows of another case, and rows after the as-of moment, do not touch this case as of then."""
    history = [(WAIT, b(6, 8, 10))]
    base = first_response(world(created=b(6, 8, 9), history=history, responded=None), b(6, 8, 12))
    more = world(
        created=b(6, 8, 9),
        history=[*history, (WORK, b(6, 8, 12, 1)), (WAIT, b(6, 8, 15))],
        responded=None,
    )
    assert first_response(more, b(6, 8, 12)) == base
    assert (base["status"], base["elapsed_minutes"], base["paused_minutes"]) == ("paused", 60, 120)


def test_a_target_of_record_is_kept_and_its_budget_excludes_paused_time() -> None:
    """Salesforce recorded 15:30 (ours, moved by the 10-12 pause, is 15:00): kept; the budget is the
    running minutes from the start to it, 390 - 120 = 270, so the margin is 270 - 180 = 90 (completed
    at 14:00)."""
    records = {
        "case_id": ["c1"],
        "milestone": ["First Response"],
        "started_at": [b(6, 8, 9)],
        "completed_at": [b(6, 8, 14)],
        "target_minutes": [240],
        "target_at": [b(6, 8, 15, 30)],
    }
    t = world(
        created=b(6, 8, 9),
        history=[(WAIT, b(6, 8, 10)), (WORK, b(6, 8, 12))],
        responded=None,
        case_milestones=records,
    )
    row = first_response(t, LATER)
    assert row["target_at"] == b(6, 8, 15, 30)  # of record, as imported
    assert row["computed_target_at"] == b(6, 8, 15)
    assert (row["status"], row["elapsed_minutes"], row["paused_minutes"]) == ("met", 180, 120)
    assert row["margin_minutes"] == 390 - 120 - 180


# -- which business hours (DOMAIN.md; EXAMPLES.md 26, 27) ----------------------------------------

# (id, target's, process's, case's, entitlement's, expected calendar)
LEVELS = [
    ("the target's own (ex26)", "berlin_all_day", "berlin", "ny", "kolkata", "berlin_all_day"),
    ("the process's", None, "berlin", "ny", "kolkata", "berlin"),
    ("the case's (ex27)", None, None, "ny", "berlin", "ny"),
    ("the entitlement's", None, None, None, "kolkata", "kolkata"),
    ("none: 24x7", None, None, None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("target_bh", "process_bh", "case_bh", "entitlement_bh", "expected"),
                         [c[1:] for c in LEVELS], ids=[c[0] for c in LEVELS])  # fmt: skip
def test_which_business_hours(
    target_bh: str | None, process_bh: str | None, case_bh: str | None, entitlement_bh: str | None,
    expected: str | None,
) -> None:  # fmt: skip
    t = tables(
        accounts={"account_id": ["a1"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["p"], "name": ["P"], "business_hours_id": [process_bh]},
        milestone_targets={
            "process_id": ["p", "p"],
            "milestone": ["First Response", "Resolution"],
            "target_minutes": [60, 2400],
            "business_hours_id": [None, target_bh],
        },
        entitlements={
            "entitlement_id": ["e1"], "account_id": ["a1"], "usage_type": ["cases"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)],
            "process_id": ["p"], "business_hours_id": [entitlement_bh],
        },
        cases={
            "case_id": ["c1"], "account_id": ["a1"], "entitlement_id": ["e1"],
            "created_at": [b(6, 12, 16)], "business_hours_id": [case_bh],
        },
    )  # fmt: skip
    rows = milestone_instances(t, as_of=LATER).collect()
    calendars = dict(zip(rows["milestone"], rows["business_hours_id"], strict=True))
    assert calendars["Resolution"] == expected
    # The target level applies to its own milestone only: First Response falls to the next level.
    assert calendars["First Response"] == (expected if target_bh is None else process_bh)


def test_ex26_a_24x7_resolution_in_a_berlin_process() -> None:
    """Resolution 2400 in its own all-day hours: Fri 12 June 16:00 + 40 h = Sun 14 June 08:00."""
    t = tables(
        accounts={"account_id": ["a1"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["p"], "name": ["P"], "business_hours_id": ["berlin"]},
        milestone_targets={
            "process_id": ["p"], "milestone": ["Resolution"], "target_minutes": [2400],
            "business_hours_id": ["berlin_all_day"],
        },
        entitlements={
            "entitlement_id": ["e1"], "account_id": ["a1"], "usage_type": ["cases"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)], "process_id": ["p"],
        },
        cases={
            "case_id": ["c1"], "account_id": ["a1"], "entitlement_id": ["e1"], "created_at": [b(6, 12, 16)],
        },
    )  # fmt: skip
    row = milestone_instances(t, as_of=LATER).collect().row(0, named=True)
    assert row["target_at"] == b(6, 14, 8)


def test_ex27_measured_in_the_case_hours() -> None:
    """Process without hours, case in New York hours (Mon-Fri 09-17, Sat 09-13), entitlement in Berlin:
    created Fri 12 June 16:00 New York + 120 = Sat 13 June 10:00 New York (in Berlin hours it would be
    Mon 15 June 11:00 Berlin)."""
    ny = local("America/New_York", 2026, 6, 12, 16)
    t = tables(
        accounts={"account_id": ["a1"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["p"], "name": ["P"]},
        milestone_targets={"process_id": ["p"], "milestone": ["First Response"], "target_minutes": [120]},
        entitlements={
            "entitlement_id": ["e1"], "account_id": ["a1"], "usage_type": ["cases"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)], "process_id": ["p"],
            "business_hours_id": ["berlin"],
        },
        cases={
            "case_id": ["c1"], "account_id": ["a1"], "entitlement_id": ["e1"], "created_at": [ny],
            "business_hours_id": ["ny"],
        },
    )  # fmt: skip
    row = milestone_instances(t, as_of=LATER).collect().row(0, named=True)
    assert row["business_hours_id"] == "ny"
    assert row["target_at"] == local("America/New_York", 2026, 6, 13, 10)


def test_an_as_of_date_pauses_each_clock_until_the_end_of_that_day_in_its_own_zone() -> None:
    """As of 15 June 2026 (a date): a Berlin case and a New York case, both created Monday 09:00 local
    and waiting on the customer from 10:00 local. Each is measured as of the end of Monday in its own
    zone (Berlin 21:59:59.999999 UTC, New York 03:59:59.999999 UTC on Tuesday): paused, 60 elapsed,
    420 paused (10:00-17:00), target as if resumed then: 180 minutes into Tuesday = Tuesday 12:00."""
    from entitlement_core.asof import AsOf

    from .test_milestones import world

    ny = "America/New_York"
    t = world(
        {
            "case_id": ["c_ber", "c_ny"],
            "entitlement_id": ["e_berlin", "e_ny"],
            "created_at": [local(BER, 2026, 6, 15, 9), local(ny, 2026, 6, 15, 9)],
        },
        case_status_history={
            "case_id": ["c_ber", "c_ny"],
            "status": [WAIT, WAIT],
            "changed_at": [local(BER, 2026, 6, 15, 10), local(ny, 2026, 6, 15, 10)],
        },
    )
    t = dataclasses.replace(
        t, entitlement_processes=t.entitlement_processes.with_columns(pl.lit(WAIT).alias("paused_statuses"))
    )
    got = (
        milestone_instances(t, as_of=AsOf.on(dt.date(2026, 6, 15)))
        .filter(pl.col("milestone") == "First Response")
        .sort("case_id")
        .collect()
    )
    end_of_day = dt.timedelta(hours=24, microseconds=-1)
    assert got.select("case_id", "status", "elapsed_minutes", "paused_minutes").rows() == [
        ("c_ber", "paused", 60.0, 420.0),
        ("c_ny", "paused", 60.0, 420.0),
    ]
    assert got["as_of_at"].to_list() == [
        local(BER, 2026, 6, 15, 0) + end_of_day,
        local(ny, 2026, 6, 15, 0) + end_of_day,
    ]
    assert got["target_at"].to_list() == [local(BER, 2026, 6, 16, 12), local(ny, 2026, 6, 16, 12)]
