"""Targets of record and the milestone reconciliation (DOMAIN.md "Targets of record").

Berlin, Mon-Fri 09:00-17:00 (the ``berlin`` calendar of the factories, which closes
2026-12-25). Each row: an imported milestone with its recorded target, the target the product
computes, and the likely cause the reconciliation names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from entitlement_core.reports import REPORT_NAMES, run_report
from entitlement_core.settings import Settings
from entitlement_core.sla import milestone_instances
from entitlement_core.sla.reconciliation import (
    LIKELY_CAUSES,
    RECONCILIATION_COLUMNS,
    milestone_reconciliation,
)
from entitlement_core.staging import Tables

from .factories import local, tables

BER = "Europe/Berlin"
AS_OF = dt.datetime(2027, 1, 31, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return local(BER, 2026, month, day, hour, minute)


def world(milestones: dict[str, list[Any]], *, holidays: bool = True, process_minutes: int = 120) -> Tables:
    """One Berlin process (First Response: ``process_minutes``) and one case per milestone row."""
    n = len(milestones["started_at"])
    cases = [f"c{i}" for i in range(n)]
    t = tables(
        accounts={"account_id": ["a1"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["p"], "name": ["Berlin"], "business_hours_id": ["berlin"]},
        milestone_targets={
            "process_id": ["p"],
            "milestone": ["First Response"],
            "target_minutes": [process_minutes],
        },
        entitlements={
            "entitlement_id": ["e"],
            "account_id": ["a1"],
            "usage_type": ["cases"],
            "start_date": [dt.date(2026, 1, 1)],
            "end_date": [dt.date(2026, 12, 31)],
            "process_id": ["p"],
        },
        cases={
            "case_id": cases,
            "account_id": ["a1"] * n,
            "created_at": milestones["started_at"],
            "entitlement_id": ["e"] * n,
        },
        case_milestones={"case_id": cases, "milestone": ["First Response"] * n, **milestones},
    )
    if not holidays:
        t = Tables(**{**t.__dict__, "holidays": t.holidays.clear()})
    return t


# (started, own target minutes, recorded target, completed, holidays imported?, expected cause)
CAUSES = [
    pytest.param(
        # Thu Dec 24 16:00 + 120: Salesforce closed Friday the 25th -> Mon 10:00; the import has no
        # holiday -> Fri 10:00. Later by one whole open day (480).
        at(12, 24, 16), 120, at(12, 28, 10), None, False, "holiday missing from the export",
        id="holiday-missing",
    ),
    pytest.param(
        # Two missing holidays (Thu 24 and Fri 25 closed at the source): Wed 16:00 + 120 -> Mon 10:00.
        at(12, 23, 16), 120, at(12, 28, 10), None, False, "holiday missing from the export",
        id="two-holidays-missing",
    ),
    pytest.param(
        # The import closes the 25th, the source did not: Thu 16:00 + 120 -> Fri 10:00 there.
        at(12, 24, 16), 120, at(12, 25, 10), None, True, "holiday not in the source's calendar",
        id="holiday-not-at-the-source",
    ),
    pytest.param(
        # No minutes on the record: the process's 120 were used; the source recorded Mon 09:00 + 240.
        at(6, 8, 9), None, at(6, 8, 13), None, True, "target minutes differ",
        id="target-minutes-differ",
    ),
    pytest.param(
        # Recorded at 19:00 local, a closed moment here: the source's hours ran later.
        at(6, 8, 15), 120, at(6, 8, 19), None, True, "business hours differ",
        id="closed-moment-here",
    ),
    pytest.param(
        # Own minutes 120, recorded 60 open minutes later: not the minutes, so the calendar.
        at(6, 8, 9), 120, at(6, 8, 12), None, True, "business hours differ",
        id="own-minutes-agree-calendar-does-not",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("started", "own", "recorded", "completed", "holidays", "cause"), CAUSES)
def test_likely_cause(
    started: dt.datetime,
    own: int | None,
    recorded: dt.datetime,
    completed: dt.datetime | None,
    holidays: bool,
    cause: str,
) -> None:
    t = world(
        {
            "started_at": [started],
            "target_minutes": pl.Series([own], dtype=pl.Int64),
            "target_at": [recorded],
            "completed_at": pl.Series([completed], dtype=pl.Datetime("us", "UTC")),
        },
        holidays=holidays,
    )
    found = milestone_reconciliation(t, as_of=AS_OF)
    assert found.columns == list(RECONCILIATION_COLUMNS)
    assert found["likely_cause"].to_list() == [cause]
    assert found["target_at"].item() == recorded
    assert cause in LIKELY_CAUSES


def test_targets_within_a_minute_agree() -> None:
    t = world(
        {
            "started_at": [at(6, 8, 9), at(6, 9, 9)],
            "target_at": [at(6, 8, 11, 0) + dt.timedelta(seconds=59), at(6, 9, 11)],
        }
    )
    assert milestone_reconciliation(t, as_of=AS_OF).is_empty()


def test_status_at_risk_and_margin_follow_the_target_of_record() -> None:
    """Thu Dec 24 16:00 + 120 with no holiday imported: computed Fri 10:00; recorded Mon 10:00.

    Completed Mon 09:30: met by the record (violated by the computed target). Budget to the
    record here = Thu 60 + Fri 480 + Mon 60 = 600; elapsed = 60 + 480 + 30 = 570; margin 30.
    Open as of Mon 09:45: 585 elapsed, 15 left <= 30 (25% of 120): at risk, not violated.
    """
    t = world(
        {
            "started_at": [at(12, 24, 16)] * 2,
            "target_at": [at(12, 28, 10)] * 2,
            "completed_at": [at(12, 28, 9, 30), None],
        },
        holidays=False,
    )
    done, open_ = (
        milestone_instances(t, as_of=at(12, 28, 9, 45)).sort("case_id").collect().iter_rows(named=True)
    )
    assert (done["status"], done["margin_minutes"], done["elapsed_minutes"]) == ("met", 30.0, 570.0)
    assert (done["target_at"], done["computed_target_at"]) == (at(12, 28, 10), at(12, 25, 10))
    assert (open_["status"], open_["margin_minutes"]) == ("at_risk", 15.0)
    rec = milestone_reconciliation(t, as_of=at(12, 28, 9, 45)).sort("case_id")
    assert rec.select("status", "computed_status").rows() == [("met", "violated"), ("at_risk", "violated")]


def test_a_record_without_minutes_anywhere_still_gets_a_status_from_its_target() -> None:
    t = world({"started_at": [at(6, 8, 9)], "target_at": [at(6, 8, 11)], "milestone": ["Callback"]})
    row = milestone_instances(t, as_of=at(6, 8, 12)).collect().row(0, named=True)
    assert (row["milestone"], row["target_minutes"], row["computed_target_at"]) == ("Callback", None, None)
    assert (row["target_at"], row["status"], row["margin_minutes"]) == (at(6, 8, 11), "violated", -60.0)
    assert milestone_reconciliation(t, as_of=at(6, 8, 12)).is_empty()  # nothing to compare with


def test_report_is_registered_and_equals_the_core_function() -> None:
    assert "milestone-reconciliation" in REPORT_NAMES
    t = world({"started_at": [at(12, 24, 16)], "target_at": [at(12, 28, 10)]}, holidays=False)
    report = run_report("milestone-reconciliation", t, as_of=AS_OF, settings=Settings())
    assert report.equals(milestone_reconciliation(t, as_of=AS_OF))
    assert report.height == 1


def test_milestones_report_carries_the_computed_target() -> None:
    t = world({"started_at": [at(12, 24, 16)], "target_at": [at(12, 28, 10)]}, holidays=False)
    report = run_report("milestones", t, as_of=AS_OF, settings=Settings())
    assert report.select("target_at", "computed_target_at").row(0) == (at(12, 28, 10), at(12, 25, 10))


# -- stopped time of record (Salesforce's StoppedTimeInMins) ----------------------------------------

# (history, paused statuses, stopped of record, completed, recorded target, expected (cause, difference))
STOPS = [
    # The source stopped 120 minutes, the history shows Waiting 10-12 in a process pausing on it: agree.
    pytest.param([("Waiting on Customer", at(6, 8, 10)), ("Working", at(6, 8, 12))], "Waiting on Customer",
                 120.0, at(6, 8, 13), None, None, id="agree"),
    # No history at all: the source's stops cannot be seen.
    pytest.param([], "Waiting on Customer", 120.0, at(6, 8, 13), None,
                 ("status history missing from the export", 120.0), id="no-history"),
    # The process does not pause on On Hold; the source stopped for it.
    pytest.param([("On Hold", at(6, 8, 10)), ("Working", at(6, 8, 12))], "Waiting on Customer",
                 120.0, at(6, 8, 13), None, ("stopped time differs", 120.0), id="other-statuses"),
    # ... and its target of record moved by those minutes (11:00 + 120 = 13:00): the same cause.
    pytest.param([("On Hold", at(6, 8, 10)), ("Working", at(6, 8, 12))], "Waiting on Customer",
                 120.0, at(6, 8, 12, 30), at(6, 8, 13), ("stopped time differs", 120.0), id="target-moved"),
    # An open milestone's stopped time moves with the export time: not compared.
    pytest.param([], "Waiting on Customer", 120.0, None, None, None, id="open-not-compared"),
]  # fmt: skip


@pytest.mark.parametrize(("history", "paused", "stopped", "completed", "recorded", "expected"), STOPS)
def test_stopped_time_of_record(
    history: list[tuple[str, dt.datetime]],
    paused: str,
    stopped: float,
    completed: dt.datetime | None,
    recorded: dt.datetime | None,
    expected: tuple[str, float] | None,
) -> None:
    """Mon 8 June 09:00, First Response 120 (computed 11:00 without pauses, 13:00 with 10-12)."""
    t = world(
        {
            "started_at": [at(6, 8, 9)],
            "target_minutes": pl.Series([120], dtype=pl.Int64),
            "target_at": pl.Series([recorded], dtype=pl.Datetime("us", "UTC")),
            "completed_at": pl.Series([completed], dtype=pl.Datetime("us", "UTC")),
            "crm_stopped_minutes": [stopped],
        }
    )
    processes = t.entitlement_processes.with_columns(pl.lit(paused).alias("paused_statuses"))
    t = Tables(
        **{
            **t.__dict__,
            "entitlement_processes": processes,
            "case_status_history": pl.LazyFrame(
                {"case_id": ["c0"] * len(history), "status": [s for s, _ in history],
                 "changed_at": [a for _, a in history]},
                schema=t.case_status_history.collect_schema(),
            ),
        }
    )  # fmt: skip
    found = milestone_reconciliation(t, as_of=AS_OF)
    if expected is None:
        assert found.is_empty()
        return
    assert found.select("likely_cause", "stopped_difference_minutes").row(0) == expected
    assert found["crm_stopped_minutes"].item() == stopped
