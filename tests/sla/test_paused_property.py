"""Property tests: paused clocks against a minute-by-minute walk that skips paused minutes.

The reference steps through UTC minutes, asks the zone database whether
each is open (:func:`fold0_open`) and whether the case is paused then
(the status of the last history row at or before it, DOMAIN.md rule 8),
and counts. Calendars are drawn across zones with DST changes (New York,
Berlin, Lord Howe's half hour), a half-hour zone (Kolkata), holidays and
all-day days; timestamps are whole minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entitlement_core.sla import BusinessCalendars, milestone_instances
from entitlement_core.sla.clock import stopped_clock
from entitlement_core.staging import Tables

from .factories import utc_series
from .test_business_time_property import ANCHORS, ANY_MINUTE, MINUTE, Calendar, calendars, fold0_open

Pause = tuple[dt.datetime, dt.datetime | None]
STATUSES = ("New", "Working", "Waiting on Customer", "On Hold", "Escalated")
UTC_TYPE = pl.Datetime("us", "UTC")
PAUSED = frozenset({"Waiting on Customer", "On Hold"})


def walk(
    is_open: Callable[[dt.datetime], bool],
    is_paused: Callable[[dt.datetime], bool],
    start: dt.datetime,
    until: dt.datetime,
    minutes: int,
) -> tuple[int, int, dt.datetime]:
    """Running and paused business minutes from ``start`` to ``until``, and the moment the running
    clock reaches ``minutes`` (no pause after ``until``: as if resumed then)."""
    running = paused = 0
    t = start
    while t < until:
        if is_open(t):
            if is_paused(t):
                paused += 1
            else:
                running += 1
        t += MINUTE
    t, left = start, minutes
    while left > 0:
        if is_open(t) and not (t < until and is_paused(t)):
            left -= 1
        t += MINUTE
    return running, paused, t


def in_pauses(pauses: list[Pause]) -> Callable[[dt.datetime], bool]:
    return lambda t: any(p <= t and (q is None or t < q) for p, q in pauses)


@st.composite
def pause_scenarios(draw: st.DrawFn) -> tuple[Calendar, dt.datetime, dt.datetime, int, list[Pause]]:
    anchor = draw(st.sampled_from(ANCHORS))
    cal = draw(calendars(ANY_MINUTE, anchor))
    start = anchor + draw(st.integers(0, 3 * 1440)) * MINUTE
    until = start + draw(st.integers(0, 3 * 1440)) * MINUTE
    target = draw(st.integers(0, min(600, cal.weekly_minutes)))
    pauses: list[Pause] = []
    for _ in range(draw(st.integers(0, 3))):
        p = start + draw(st.integers(-600, 4 * 1440)) * MINUTE
        length = draw(st.one_of(st.none(), st.integers(0, 2 * 1440)))
        pauses.append((p, None if length is None else p + length * MINUTE))
    return cal, start, until, target, pauses


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pause_scenarios())
def test_stopped_clock_matches_a_walk(
    scenario: tuple[Calendar, dt.datetime, dt.datetime, int, list[Pause]],
) -> None:
    """Any pauses (overlapping, open-ended, outside the span) against the walk."""
    cal, start, until, target, pauses = scenario
    business_hours, holidays = cal.frames()
    built = BusinessCalendars.covering(
        business_hours, holidays, first_at=start, last_at=until, horizon_minutes=target + 4 * 1440
    )
    frame = pl.DataFrame(
        {"row": [0] * len(pauses), "paused_from": utc_series([p for p, _ in pauses]),
         "paused_to": utc_series([q for _, q in pauses])},
        schema={"row": pl.Int64, "paused_from": UTC_TYPE, "paused_to": UTC_TYPE},
    )  # fmt: skip
    clock = stopped_clock(
        built, pl.Series(["cal"]), utc_series([start]), utc_series([until]), pauses=frame,
        minutes=pl.Series([target]),
    )  # fmt: skip
    paused = in_pauses(pauses)
    running, stopped, reached = walk(lambda t: fold0_open(cal, t), paused, start, until, target)
    assert clock.elapsed_minutes.item() == running
    assert clock.paused_minutes.item() == stopped
    assert clock.target_at is not None and clock.target_at.item() == reached
    assert clock.is_paused.item() == paused(until)


def _tables(cal: Calendar, start: dt.datetime, responded: dt.datetime | None, target: int,
            history: list[tuple[str, dt.datetime]]) -> Tables:  # fmt: skip
    business_hours, holidays = cal.frames()
    return Tables.from_frames(
        business_hours=business_hours,
        holidays=holidays,
        accounts={"account_id": ["a1"], "name": ["Acme"]},
        entitlement_processes={
            "process_id": ["p"], "name": ["P"], "business_hours_id": ["cal"],
            "paused_statuses": [";".join(sorted(PAUSED))],
        },
        milestone_targets={"process_id": ["p"], "milestone": ["First Response"], "target_minutes": [target]},
        entitlements={
            "entitlement_id": ["e1"], "account_id": ["a1"], "usage_type": ["cases"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)], "process_id": ["p"],
        },
        cases={
            "case_id": ["c1"], "account_id": ["a1"], "entitlement_id": ["e1"], "created_at": [start],
            "first_response_at": [responded],
        },
        case_status_history={
            "case_id": ["c1"] * len(history), "status": [s for s, _ in history],
            "changed_at": [t for _, t in history],
        },
    )  # fmt: skip


def status_at(history: list[tuple[str, dt.datetime]], t: dt.datetime) -> bool:
    """Paused at ``t``: the last rows at or before it; at one moment, any paused one wins."""
    before = [at for _, at in history if at <= t]
    if not before:
        return False
    last = max(before)
    return any(s in PAUSED for s, at in history if at == last)


@st.composite
def history_scenarios(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    anchor = draw(st.sampled_from(ANCHORS))
    cal = draw(calendars(ANY_MINUTE, anchor))
    start = anchor + draw(st.integers(0, 2 * 1440)) * MINUTE
    as_of = start + draw(st.integers(0, 3 * 1440)) * MINUTE
    responded = draw(st.one_of(st.none(), st.integers(0, 4 * 1440).map(lambda m: start + m * MINUTE)))
    target = draw(st.integers(0, min(600, cal.weekly_minutes)))
    moments = st.integers(-300, 4 * 1440).map(lambda m: start + m * MINUTE)
    rows = draw(st.lists(st.tuples(st.sampled_from(STATUSES), moments), max_size=8, unique=True))
    return cal, start, as_of, responded, target, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history_scenarios())
def test_milestones_match_a_walk_of_the_status_history(scenario) -> None:  # type: ignore[no-untyped-def]
    """Random status histories (before the start, after completion, at one moment, exactly at the
    as-of moment) through the whole milestone pipeline, against the walk."""
    cal, start, as_of, responded, target, history = scenario
    t = _tables(cal, start, responded, target, history)
    row = milestone_instances(t, as_of=as_of).collect().row(0, named=True)
    done = responded if responded is not None and responded <= as_of else None
    until = done or as_of
    known = [(s, at) for s, at in history if at <= as_of]
    running, stopped, reached = walk(
        lambda m: fold0_open(cal, m), lambda m: status_at(known, m), start, until, target
    )
    assert (row["elapsed_minutes"], row["paused_minutes"]) == (running, stopped)
    assert row["target_at"] == reached
    if done is not None:
        expected = "met" if done <= reached else "violated"
    elif as_of > reached:
        expected = "violated"
    elif status_at(known, as_of):
        expected = "paused"
    else:
        expected = "at_risk" if target - running <= 0.25 * target else "open"
    assert row["status"] == expected
