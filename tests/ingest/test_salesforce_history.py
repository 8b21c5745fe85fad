"""Salesforce status history onto ``case_status_history``: CaseHistory, CaseHistory2 and stopped cases,
and an imported history stopping a milestone's clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.ingest import import_tables
from entitlement_core.ingest.salesforce import is_salesforce_folder, read_salesforce
from entitlement_core.ingest.sf_ids import to_18
from entitlement_core.problems import ProblemsError
from entitlement_core.sla import milestone_instances
from entitlement_core.sla.pauses import STOPPED_STATUS
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

WriteFiles = Callable[..., Path]
C1, C2 = "500Hs0000001CsE", "500Hs0000002CsE"

CASE_HISTORY = (
    '"Id","CaseId","CreatedDate","Field","OldValue","NewValue"\n'
    f'"017Hs0000001AAA","{C1}","2026-03-02 09:00:00","created","",""\n'
    f'"017Hs0000002AAA","{C1}","2026-03-02 10:00:00","Status","New","Waiting on Customer"\n'
    f'"017Hs0000003AAA","{C1}","2026-03-02 10:00:00","Priority","Low","High"\n'
    f'"017Hs0000004AAA","{C1}","2026-03-02 12:00:00","status","Waiting on Customer","Working"\n'
    f'"017Hs0000005AAA","{C2}","2026-03-02 11:00:00","Status","On Hold","Working"\n'
)  # fmt: skip


def history(raws: list, source: str | None = None) -> list[tuple[str, str, str]]:
    frames = [r.frame for r in raws if r.table == "case_status_history" and source in (None, r.source)]
    rows = pl.concat(frames, how="diagonal").select("case_id", "status", "changed_at")
    return sorted(rows.rows())


def i18(id15: str) -> str:
    return pl.select(to_18(pl.lit(id15))).item()


def test_status_changes_and_the_status_before_the_first(write_files: WriteFiles) -> None:
    """Rows whose Field is Status (any letter case) become changes; other fields are left out. The
    first change's OldValue holds from the case's creation: the history's ``created`` row for C1,
    Case.CreatedDate for C2 (which has no ``created`` row)."""
    folder = write_files(
        {
            "CaseHistory.csv": CASE_HISTORY,
            "Case.csv": '"Id","AccountId","CreatedDate"\n'
            f'"{C1}","001Hs00000AcMeQ","2026-03-02 09:00:00"\n'
            f'"{C2}","001Hs00000AcMeQ","2026-03-02 08:30:00"\n',
        }
    )
    assert is_salesforce_folder(folder)
    raws = read_salesforce(folder)
    assert history(raws) == [
        (i18(C1), "New", "2026-03-02 09:00:00"),
        (i18(C1), "Waiting on Customer", "2026-03-02 10:00:00"),
        (i18(C1), "Working", "2026-03-02 12:00:00"),
        (i18(C2), "On Hold", "2026-03-02 08:30:00"),
        (i18(C2), "Working", "2026-03-02 11:00:00"),
    ]
    lines = pl.concat([r.frame for r in raws if r.table == "case_status_history"])
    assert sorted(lines["_line"].to_list()) == [3, 3, 5, 6, 6]  # the initial rows carry their change's line


def test_case_history2_in_its_own_shape_and_repeats_left_out(write_files: WriteFiles) -> None:
    """CaseHistory2 rows are the Status from CreatedDate on; a row CaseHistory already has is left out."""
    folder = write_files(
        {
            "CaseHistory.csv": CASE_HISTORY,
            "CaseHistory2.csv": '"Id","CaseId","Status","CreatedDate","PreviousUpdate"\n'
            f'"0hiHs0000001AAA","{C1}","Waiting on Customer","2026-03-02 10:00:00",""\n'
            f'"0hiHs0000002AAA","{C1}","On Hold","2026-03-02 14:00:00","2026-03-02 12:00:00"\n',
        }
    )
    raws = read_salesforce(folder)
    assert history(raws, "CaseHistory2.csv") == [(i18(C1), "On Hold", "2026-03-02 14:00:00")]


def test_a_case_stopped_at_export_time(write_files: WriteFiles) -> None:
    """Case.IsStopped with a StopStartDate: a history row that stops the clock from then."""
    folder = write_files(
        {
            "Case.csv": '"Id","AccountId","CreatedDate","IsStopped","StopStartDate"\n'
            f'"{C1}","001Hs00000AcMeQ","2026-03-02 09:00:00","1","2026-03-02 10:30:00"\n'
            f'"{C2}","001Hs00000AcMeQ","2026-03-02 09:00:00","0",""\n',
        }
    )
    raws = read_salesforce(folder)
    assert history(raws) == [(i18(C1), STOPPED_STATUS, "2026-03-02 10:30:00")]
    stops = next(r for r in raws if r.table == "case_status_history")
    assert (stops.source, stops.source_column("changed_at")) == ("Case.csv", "StopStartDate")


def test_bad_rows_name_the_export_line_and_field(write_files: WriteFiles) -> None:
    folder = write_files(
        {
            "CaseHistory.csv": '"Id","CaseId","CreatedDate","Field","OldValue","NewValue"\n'
            f'"017Hs0000001AAA","{C1}","02/03/2026 10:00","Status","New","Working"\n'
            f'"017Hs0000002AAA","{C1}","2026-03-02 11:00:00","Status","Working",""\n'
        }
    )
    with pytest.raises(ProblemsError) as info:
        import_tables(Store(":memory:"), read_salesforce(folder), format="salesforce")
    found = {(p.file, p.line, p.column) for p in info.value.problems}
    assert ("CaseHistory.csv", 2, "CreatedDate") in found
    assert ("CaseHistory.csv", 3, "NewValue") in found


def test_an_imported_history_stops_the_clock(write_files: WriteFiles, tmp_path: Path) -> None:
    """A whole import: the process pauses on Waiting on Customer (mapping file); C1 waited 10:00-12:00
    and responded at 13:00 (24x7): First Response elapsed 120, paused 120."""
    folder = write_files(
        {
            "Account.csv": '"Id","Name"\n"001Hs00000AcMeQ","Acme"\n',
            "SlaProcess.csv": '"Id","Name","Paused_Statuses__c"\n'
            '"552Hs00000StDsP","Std","Waiting on Customer"\n',
            "MilestoneTarget.csv": "Process,Milestone,MinutesToComplete\nStd,First Response,240\n",
            "Entitlement.csv": '"Id","AccountId","StartDate","EndDate","SlaProcessId"\n'
            '"550Hs00000AcStD","001Hs00000AcMeQ","2026-01-01","2026-12-31","552Hs00000StDsP"\n',
            "Case.csv": '"Id","AccountId","EntitlementId","CreatedDate"\n'
            f'"{C1}","001Hs00000AcMeQ","550Hs00000AcStD","2026-03-02 09:00:00"\n'
            f'"{C2}","001Hs00000AcMeQ","550Hs00000AcStD","2026-03-02 08:30:00"\n',
            "CaseMilestone.csv": '"CaseId","MilestoneTypeId","StartDate","CompletionDate",'
            '"TargetResponseInMins","StoppedTimeInMins"\n'
            f'"{C1}","557Hs00000FrSrP","2026-03-02 09:00:00","2026-03-02 13:00:00","240","120"\n',
            "CaseHistory.csv": CASE_HISTORY,
        }
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text('[fields.SlaProcess]\nPaused_Statuses__c = "paused_statuses"\n')
    from entitlement_core.ingest.mapping import load_mapping

    store = Store(tmp_path / "db.duckdb")
    import_tables(store, read_salesforce(folder, mapping=load_mapping(mapping)), format="salesforce")
    assert store.count("case_status_history") == 5
    with store.reading() as snap:
        tables = load_tables(snap).collect_all()
    as_of = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
    got = milestone_instances(tables, as_of=as_of).filter(pl.col("case_id") == i18(C1)).collect()
    assert got.select("elapsed_minutes", "paused_minutes", "status").rows() == [(120.0, 120.0, "met")]
