"""A Salesforce weekly Data Export imports as it comes (DOMAIN.md "References", "Targets of record").

``tests/fixtures/salesforce/weekly`` is written the way Setup > Data Export and Data Loader on
Windows write files (see its README): every value quoted, CRLF, booleans ``0``/``1``, datetimes
``2026-04-30 13:00:00`` (UTC), integers ``10.0``, ``000000000000000AAA`` for every empty lookup,
``Account.csv`` in Windows-1252, ``SlaProcess.csv`` in UTF-16 with a byte-order mark,
``Case.csv`` with a UTF-8 byte-order mark and a multi-line description. It is a partial export
(no Contact, User, Asset or Holiday file) and its CaseMilestone rows carry Salesforce's
TargetDate, computed with Friday 1 May 2026 closed (a holiday the export left out).

Every expected number below is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.checks import check_configuration
from entitlement_core.ingest import import_path
from entitlement_core.reports import REPORT_NAMES, run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

WEEKLY = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce" / "weekly"
AS_OF = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)  # Tuesday, 14:00 in Berlin
UTC = dt.UTC
E1 = "550Wk00000EnT01IAF"
ACME = "001Wk00000AcMeQIAV"


def z(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of 2026 in UTC."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def case(n: int) -> str:
    from entitlement_core.ingest.sf_ids import to_18

    return pl.select(to_18(pl.lit(f"500Wk0000000C{n:02d}"))).item()


@pytest.fixture(scope="module")
def weekly() -> Store:
    """The weekly export imported into a fresh store (once per module)."""
    store = Store(":memory:")
    import_path(store, WEEKLY)
    yield store
    store.close()


def test_weekly_export_imports_and_says_how_each_file_was_read() -> None:
    store = Store(":memory:")
    result = import_path(store, WEEKLY)  # detected as Salesforce
    assert result.format == "salesforce"
    read = {f.file: (f.table, f.rows_read, f.rows_added, f.encoding) for f in result.files}
    assert read == {
        "Account.csv": ("accounts", 2, 2, "Windows-1252: not valid UTF-8"),
        "BusinessHours.csv": ("business_hours", 1, 1, "UTF-8"),
        "SlaProcess.csv": ("entitlement_processes", 1, 1, "UTF-16"),
        "Entitlement.csv": ("entitlements", 3, 3, "UTF-8"),
        "Case.csv": ("cases", 12, 12, "UTF-8"),
        "CaseMilestone.csv": ("case_milestones", 6, 6, "UTF-8"),
    }
    # A partial export: the contacts the cases name were never imported; kept, and said once.
    assert [str(w) for w in result.warnings] == [
        "warning: Case.csv:2, column ContactId: 9 cases name contacts that were never imported (kept as ids)"
    ]


def test_reimport_changes_nothing(weekly: Store) -> None:
    before = snapshot(weekly)
    again = import_path(weekly, WEEKLY)
    assert (again.rows_added, again.rows_updated) == (0, 0)
    after = snapshot(weekly)
    del before["import_batches"], after["import_batches"]
    assert_same_content(before, after)


def test_values_read_as_meant(weekly: Store) -> None:
    accounts = weekly.query("SELECT name, extra->>'billingcity' AS city FROM accounts ORDER BY name")
    assert accounts.rows() == [("Café Crème SARL", "Paris"), ("Müller Maschinenbau GmbH", "München")]
    # 000000000000000AAA is an empty lookup; 0/1 booleans; 10.0 is ten; "2026-04-30 13:00:00" is UTC.
    e1 = weekly.query(
        "SELECT usage_type, cap, crm_remaining_cases, process_id, business_hours_id, asset_id "
        "FROM entitlements WHERE entitlement_id = ?",
        [E1],
    ).row(0)
    assert e1 == ("cases", 10.0, 3.0, "552Wk00000StDsPIAV", None, None)
    warranty = weekly.query("SELECT usage_type, process_id FROM entitlements WHERE name = 'Beta Warranty'")
    assert warranty.row(0) == ("none", None)
    c1 = weekly.query(
        "SELECT created_at, is_deleted, entitlement_id, business_hours_id, first_response_at, extra "
        "FROM cases WHERE case_id = ?",
        [case(1)],
    ).row(0, named=True)
    assert c1["created_at"] == dt.datetime(2026, 4, 30, 13, tzinfo=UTC)
    assert (c1["is_deleted"], c1["entitlement_id"], c1["business_hours_id"]) == (
        False,
        E1,
        "01mWk00000BeRlNIAV",
    )
    assert c1["first_response_at"] == dt.datetime(2026, 5, 4, 8, 30, tzinfo=UTC)
    assert '"description":"Spindle stops, then\\r\\nrestarts; \\"E42\\" shown"' in c1["extra"]
    assert weekly.query("SELECT entitlement_id FROM cases WHERE case_id = ?", [case(5)]).item() is None
    assert weekly.query("SELECT is_deleted FROM cases WHERE case_id = ?", [case(4)]).item() is True
    milestones = weekly.query(
        "SELECT target_at, target_minutes, crm_elapsed_minutes, crm_stopped_minutes, "
        "crm_actual_elapsed_minutes FROM case_milestones WHERE case_id = ? ORDER BY milestone",
        [case(1)],
    )
    assert milestones.rows() == [
        (dt.datetime(2026, 5, 4, 9, tzinfo=UTC), 240, 210.0, 0.0, 210.0),
        (dt.datetime(2026, 5, 8, 13, tzinfo=UTC), 2400, 2220.0, 0.0, 2220.0),
    ]


def _report(store: Store, name: str) -> pl.DataFrame:
    return run_report(name, load_tables(store), as_of=AS_OF, settings=Settings())


def test_utilization_equals_the_hand_computed_figures(weekly: Store) -> None:
    """E1: cap 10 (CasesPerEntitlement "10.0"), term 2026 in Berlin (its process's calendar).

    Cases naming E1 created by the as-of moment: 1 (Apr 30), 2 (Mar 2), 3 (Jun 24), 4 (Feb 10,
    deleted: still consumed), 6 (Jan 20), 7 (Apr 15), 8 (May 5), 12 (Jun 10) = 8; case 10 (Jul 15)
    comes later. Remaining 2, pct 0.8: near limit. Burn window Apr 2..Jun 30 (90 days) holds
    cases 1, 3, 7, 8, 12: 5/90 a day; 184 days left: projected 8 + 5/90 x 184; exhausted in
    ceil(2 / (5/90)) = 36 days: 2026-08-05.
    """
    util = _report(weekly, "utilization").filter(pl.col("entitlement_id") == E1).row(0, named=True)
    assert (util["consumed"], util["remaining"], util["pct_used"], util["status"]) == (
        8,
        2,
        0.8,
        "near_limit",
    )
    assert util["burn_rate_per_day"] == pytest.approx(5 / 90)
    assert util["projected_at_end"] == pytest.approx(8 + 5 / 90 * 184, abs=1e-6)
    assert util["projected_exhaustion_date"] == dt.date(2026, 8, 5)
    # Salesforce's RemainingCases says 3: it stopped counting the deleted case.
    rec = _report(weekly, "reconciliation").row(0, named=True)
    assert (rec["entitlement_id"], rec["difference"], rec["likely_cause"]) == (E1, 1, "deleted cases")
    # Case 5 names no entitlement (000000000000000AAA) while E1 was active: an unmatched case.
    unmatched = _report(weekly, "unmatched-cases")
    assert unmatched.select("case_id", "entitlement_id").rows() == [(case(5), E1)]


def test_milestones_follow_the_target_dates_of_the_file(weekly: Store) -> None:
    """Berlin Mon-Fri 09:00-17:00 (CEST = UTC+2); the import has no holidays.

    Case 1 started Thu Apr 30 15:00 local. First Response (240): Salesforce closed Fri May 1 and
    recorded Mon May 4 11:00 local (09:00Z); computed here without the holiday: Fri 11:00
    (09:00Z). Completed Mon 10:30 local: met by the target of record (violated by the computed
    one); elapsed here Thu 120 + Fri 480 + Mon 90 = 690; budget to the target of record Thu 120
    + Fri 480 + Mon 120 = 720; margin 30. Resolution (2400): recorded Fri May 8 15:00 local,
    computed Thu May 7 15:00 local; completed Thu 16:00: met; elapsed 120 + 4 x 480 + 420 = 2460,
    budget 2880, margin 420. Case 3 (Wed Jun 24 09:00 local) Resolution 2400 = five whole days:
    Tue Jun 30 17:00 local; as of Tue 14:00: elapsed 4 x 480 + 300 = 2220, 180 left <= 600 (25%):
    at risk.
    """
    got = _report(weekly, "milestones").select(
        "case_id",
        "milestone",
        "target_at",
        "computed_target_at",
        "elapsed_minutes",
        "status",
        "margin_minutes",
    )
    assert got.rows() == [
        (case(1), "First Response", z(5, 4, 9), z(5, 1, 9), 690.0, "met", 30.0),
        (case(1), "Resolution", z(5, 8, 13), z(5, 7, 13), 2460.0, "met", 420.0),
        (case(2), "First Response", z(3, 2, 12, 15), z(3, 2, 12, 15), 105.0, "met", 135.0),
        (case(2), "Resolution", z(3, 9, 8, 15), z(3, 9, 8, 15), 1545.0, "met", 855.0),
        (case(3), "First Response", z(6, 24, 11), z(6, 24, 11), 60.0, "met", 180.0),
        (case(3), "Resolution", z(6, 30, 15), z(6, 30, 15), 2220.0, "at_risk", 180.0),
    ]  # fmt: skip
    compliance = _report(weekly, "compliance")
    assert compliance.select("milestone", "met", "violated", "at_risk").rows() == [
        ("First Response", 3, 0, 0),
        ("Resolution", 2, 0, 1),
    ]


def test_milestone_reconciliation_names_the_missing_holiday(weekly: Store) -> None:
    rec = _report(weekly, "milestone-reconciliation")
    shown = ("case_id", "milestone", "difference_minutes", "likely_cause", "status", "computed_status")
    assert rec.select(shown).rows() == [
        (case(1), "First Response", 3 * 1440.0, "holiday missing from the export", "met", "violated"),
        (case(1), "Resolution", 1440.0, "holiday missing from the export", "met", "violated"),
    ]  # fmt: skip


def test_validate_warns_about_what_the_partial_export_left_out(weekly: Store) -> None:
    found = check_configuration(load_tables(weekly))
    assert found.filter(pl.col("severity") == "error").is_empty()
    warnings = dict(zip(found["check"], found["message"], strict=True))
    assert (
        warnings["reference-never-imported"] == "9 cases name contacts that were never imported (kept as ids)"
    )
    assert warnings["business-hours-without-holidays"].startswith(
        "1 business-hours calendar(s) and no holidays"
    )


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_report_runs_on_the_weekly_export(weekly: Store, name: str) -> None:
    frame = _report(weekly, name)
    assert isinstance(frame, pl.DataFrame)
