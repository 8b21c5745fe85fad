"""Values the importer refuses (DOMAIN.md "Values the importer refuses"), one row per refusal.

Each refused import names the file, line, column and reason, and leaves the database exactly
as it was (same content, same data version). Next to each refusal, the edge that is accepted.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entitlement_core.ingest import import_path
from entitlement_core.problems import ProblemsError
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot
from tests.ingest.test_native_hostile import BASE, CASES, ENTITLEMENTS

UTC = dt.UTC
PROCESSES = b"process_id,name\nP1,Standard\n"
ENT_HEADER = b"entitlement_id,account_id,usage_type,start_date,end_date,cap\n"


def parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def entitlement(cap: str = "10", start: str = "2026-01-01", end: str = "2026-12-31") -> bytes:
    return ENT_HEADER + f"E3,A1,cases,{start},{end},{cap}\n".encode()


def case_at(created: str) -> bytes:
    return CASES + f"C3,A1,{created},E1\n".encode()


def minutes(value: str) -> bytes:
    return b"time_entry_id,case_id,entry_date,minutes\n" + f"T1,C1,2026-02-01,{value}\n".encode()


def target(column: str, value: str) -> dict[str, bytes]:
    header = "process_id,milestone,target_minutes,warning_minutes"
    row = {"target_minutes": f"P1,FR,{value},", "warning_minutes": f"P1,FR,60,{value}"}[column]
    return {"entitlement_processes.csv": PROCESSES, "milestone_targets.csv": f"{header}\n{row}\n".encode()}


def hours(zone: str) -> dict[str, bytes]:
    header = "business_hours_id,timezone,mon_start,mon_end"
    return {"business_hours.csv": f"{header}\nB1,{zone},09:00,17:00\n".encode()}


DURATION = pa.array([dt.timedelta(hours=1)])
MAP = pa.array([[("a", 1)]], type=pa.map_(pa.string(), pa.int64()))
NESTED = pa.array([[[1, 2]]])


def accounts_parquet(**columns: pa.Array) -> dict[str, bytes]:
    base = {"account_id": pa.array(["A3"]), "name": pa.array(["Gamma"])}
    return {"accounts.parquet": parquet(pa.table(base | columns))}


# (files written over BASE, file, line, column, words in the message)
REFUSED = [
    # Numbers beyond what the arithmetic holds: caps and quantities 10^12, minutes 10^9.
    pytest.param(
        {"entitlements.csv": entitlement("1e19")}, "entitlements.csv", 2, "cap", "too large", id="cap-1e19"
    ),
    pytest.param(
        {"entitlements.csv": entitlement("1e308")}, "entitlements.csv", 2, "cap", "too large", id="cap-1e308"
    ),
    pytest.param(
        {"entitlements.csv": entitlement("1000000000000")},
        "entitlements.csv",
        2,
        "cap",
        "too large",
        id="cap-1e12",
    ),
    pytest.param(
        {"entitlements.csv": entitlement("NaN")}, "entitlements.csv", 2, "cap", "not a number", id="cap-nan"
    ),
    pytest.param(
        {"entitlements.csv": entitlement("inf")}, "entitlements.csv", 2, "cap", "not a number", id="cap-inf"
    ),
    pytest.param(
        {"entitlements.csv": entitlement("-Infinity")},
        "entitlements.csv",
        2,
        "cap",
        "not a number",
        id="cap-neg-inf",
    ),
    pytest.param(
        {"time_entries.csv": minutes("1e300")}, "time_entries.csv", 2, "minutes", "too large", id="min-1e300"
    ),
    pytest.param(
        {"time_entries.csv": minutes("1000000000")},
        "time_entries.csv",
        2,
        "minutes",
        "too large",
        id="minutes-1e9",
    ),
    pytest.param(
        target("target_minutes", "9223372036854775807"),
        "milestone_targets.csv",
        2,
        "target_minutes",
        "too large",
        id="target-minutes-int64-max",
    ),
    pytest.param(
        target("warning_minutes", "1e9"),
        "milestone_targets.csv",
        2,
        "warning_minutes",
        "too large",
        id="warning-1e9",
    ),
    pytest.param(
        {
            "usage_resources.csv": b"resource,unit\ntokens,token\n",
            "grants.csv": b"grant_id,entitlement_id,resource,quantity,effective_from,kind\n"
            b"G1,E1,tokens,5e12,2026-01-01T00:00:00Z,pack\n",
        },
        "grants.csv",
        2,
        "quantity",
        "too large",
        id="quantity-5e12",
    ),
    pytest.param(
        {
            "entitlements.csv": b"entitlement_id,account_id,usage_type,start_date,end_date,"
            b"crm_remaining_cases\nE3,A1,cases,2026-01-01,2026-12-31,-1e13\n"
        },
        "entitlements.csv",
        2,
        "crm_remaining_cases",
        "too large",
        id="negative-counter-beyond-bound",
    ),
    # Dates and timestamps outside 1900-01-01..2199-12-31 (UTC).
    pytest.param(
        {"entitlements.csv": entitlement(start="0001-01-01")},
        "entitlements.csv",
        2,
        "start_date",
        "outside the supported dates",
        id="date-year-1",
    ),
    pytest.param(
        {"entitlements.csv": entitlement(end="2200-01-01")},
        "entitlements.csv",
        2,
        "end_date",
        "outside the supported dates",
        id="date-2200",
    ),
    pytest.param(
        {"cases.csv": case_at("9999-12-31T23:59:59+14:00")},
        "cases.csv",
        4,
        "created_at",
        "outside the supported dates",
        id="timestamp-9999-with-zone",
    ),
    pytest.param(
        {"cases.csv": case_at("0001-01-01T00:00:00Z")},
        "cases.csv",
        4,
        "created_at",
        "outside the supported dates",
        id="timestamp-year-1",
    ),
    pytest.param(
        {"cases.csv": case_at("1900-01-01T00:30:00+01:00")},
        "cases.csv",
        4,
        "created_at",
        "outside the supported dates",
        id="timestamp-1899-in-utc",
    ),
    pytest.param(
        {
            "case_milestones.csv": b"case_id,milestone,started_at,target_at\n"
            b"C1,First Response,2026-02-01T10:00:00Z,2300-01-01T00:00:00Z\n"
        },
        "case_milestones.csv",
        2,
        "target_at",
        "outside the supported dates",
        id="target-at-2300",
    ),
    # Time zones the whole pipeline cannot use.
    pytest.param(
        hours("Factory"), "business_hours.csv", 2, "timezone", "unknown time zone", id="zone-factory"
    ),
    pytest.param(
        hours("localtime"), "business_hours.csv", 2, "timezone", "unknown time zone", id="zone-localtime"
    ),
    pytest.param(
        hours("Mars/Olympus"), "business_hours.csv", 2, "timezone", "unknown time zone", id="zone-unknown"
    ),
    # Headers and bytes.
    pytest.param(
        {"accounts.csv": b"account_id,name,_line\nA3,Gamma,7\n"},
        "accounts.csv",
        1,
        "_line",
        "reserved column name",
        id="header-line-reserved",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name,name\nA3,Gamma,G\n"},
        "accounts.csv",
        1,
        "name",
        "duplicate column header",
        id="header-exact-duplicate",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name\nA3,Gam\x00ma\n"},
        "accounts.csv",
        2,
        "name",
        "NUL character",
        id="nul",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,na\x00me\nA3,Gamma\n"},
        "accounts.csv",
        1,
        "na\\0me",
        "NUL character",
        id="nul-in-header",
    ),
    # Parquet columns of types the schema cannot take.
    pytest.param(
        {"plans.parquet": parquet(pa.table({"plan": ["P"], "usage_type": ["cases"], "cap": DURATION}))},
        "plans.parquet",
        None,
        "cap",
        "Parquet duration column cannot hold numbers",
        id="parquet-duration-cap",
    ),
    pytest.param(
        accounts_parquet(waited=DURATION),
        "accounts.parquet",
        None,
        "waited",
        "cannot be kept",
        id="parquet-duration",
    ),
    pytest.param(
        accounts_parquet(tags=MAP), "accounts.parquet", None, "tags", "Parquet map", id="parquet-map-extra"
    ),
    pytest.param(
        {"accounts.parquet": parquet(pa.table({"account_id": ["A3"], "name": MAP}))},
        "accounts.parquet",
        None,
        "name",
        "Parquet map column cannot hold text",
        id="parquet-map-native",
    ),
    pytest.param(
        {"accounts.parquet": parquet(pa.table({"account_id": ["A3"], "name": NESTED}))},
        "accounts.parquet",
        None,
        "name",
        "list of list of int64 column cannot hold text",
        id="parquet-nested-list-native",
    ),
    pytest.param(
        {"accounts.parquet": b"PAR1 not really"},
        "accounts.parquet",
        None,
        None,
        "not a readable",
        id="parquet-broken",
    ),
    # milestone_targets without its optional key columns: duplicates are duplicates.
    pytest.param(
        {
            "entitlement_processes.csv": PROCESSES,
            "milestone_targets.csv": b"process_id,milestone,target_minutes\nP1,FR,60\nP1,FR,30\n",
        },
        "milestone_targets.csv",
        3,
        "process_id",
        "duplicate key P1/FR",
        id="targets-without-priority-duplicate",
    ),
    # The new table and columns are checked like the others.
    pytest.param(
        {
            "case_status_history.csv": b"case_id,status,changed_at\n"
            b"C9,Waiting on Customer,2026-02-01T11:00:00Z\n"
        },
        "case_status_history.csv",
        2,
        "case_id",
        "unknown case_id 'C9'",
        id="status-history-unknown-case",
    ),
    pytest.param(
        {"case_status_history.csv": b"case_id,status,changed_at\nC1,,2026-02-01T11:00:00Z\n"},
        "case_status_history.csv",
        2,
        "status",
        "required value is empty",
        id="status-history-empty-status",
    ),
    pytest.param(
        {"case_status_history.csv": b"case_id,status,changed_at\nC1,On Hold,1800-02-01T11:00:00Z\n"},
        "case_status_history.csv",
        2,
        "changed_at",
        "outside the supported dates",
        id="status-history-out-of-range",
    ),
    pytest.param(
        {"cases.csv": b"case_id,account_id,created_at,business_hours_id\nC3,A1,2026-02-03T10:00:00Z,BH9\n"}
        | hours("Europe/Berlin"),
        "cases.csv",
        2,
        "business_hours_id",
        "unknown business_hours_id 'BH9'",
        id="case-business-hours-unknown",
    ),
]


@pytest.fixture
def loaded(store: Store, write_files) -> Store:
    """A store holding two accounts, two entitlements and two cases."""
    import_path(store, write_files(BASE), format="native")
    return store


def _refused(store: Store, folder: Path, **options: object) -> list:
    before = snapshot(store)
    version = store.data_version()
    with pytest.raises(ProblemsError) as info:
        import_path(store, folder, **options)  # type: ignore[arg-type]
    assert_same_content(before, snapshot(store))
    assert store.data_version() == version
    return info.value.problems


def _where(problems: list, words: str) -> tuple:
    matching = [p for p in problems if words in p.message]
    assert matching, [str(p) for p in problems]
    return matching[0].file, matching[0].line, matching[0].column


@pytest.mark.parametrize(("files", "file", "line", "column", "words"), REFUSED)
def test_refused_with_where_and_why_and_nothing_changes(
    loaded: Store, write_files, files, file, line, column, words
) -> None:
    problems = _refused(loaded, write_files({**BASE, **files}), format="native")
    assert _where(problems, words) == (file, line, column)


# (files written over BASE, table, key column, key, expected stored values)
ACCEPTED = [
    pytest.param(
        {"entitlements.csv": entitlement("999999999999.5")},
        "entitlements",
        "E3",
        {"cap": 999999999999.5},
        id="cap-edge",
    ),
    pytest.param(
        {"time_entries.csv": minutes("999999999")}, "time_entries", "T1", {"minutes": 999999999.0}, id="min"
    ),
    pytest.param(
        {"entitlements.csv": entitlement(start="1900-01-01", end="2199-12-31")},
        "entitlements",
        "E3",
        {"start_date": dt.date(1900, 1, 1), "end_date": dt.date(2199, 12, 31)},
        id="date-edges",
    ),
    pytest.param(
        {"cases.csv": case_at("2199-12-31T23:59:59.999Z")},
        "cases",
        "C3",
        {"created_at": dt.datetime(2199, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)},
        id="timestamp-last-moment",
    ),
    pytest.param(
        {"cases.csv": case_at("1900-01-01T01:00:00+01:00")},
        "cases",
        "C3",
        {"created_at": dt.datetime(1900, 1, 1, tzinfo=UTC)},
        id="timestamp-first-moment",
    ),
    pytest.param(
        hours("Asia/Kathmandu"), "business_hours", "B1", {"timezone": "Asia/Kathmandu"}, id="zone-odd"
    ),
    pytest.param(
        accounts_parquet(tags=pa.array([["gold", "emea"]]), nested=NESTED),
        "accounts",
        "A3",
        {"extra": '{"tags":["gold","emea"],"nested":[[1,2]]}'},
        id="parquet-nested-extras-kept",
    ),
    pytest.param(
        {
            "cases.csv": b"case_id,account_id,created_at,business_hours_id\nC3,A1,2026-02-03T10:00:00Z,B1\n",
            **hours("Europe/Berlin"),
        },
        "cases",
        "C3",
        {"business_hours_id": "B1"},
        id="case-business-hours",
    ),
]


@pytest.mark.parametrize(("files", "table", "key", "expected"), ACCEPTED)
def test_edges_are_accepted(loaded: Store, write_files, files, table, key, expected) -> None:
    from entitlement_core.schema import TABLES

    import_path(loaded, write_files(files), format="native")
    row = loaded.table(table).filter(pl.col(TABLES[table].key[0]) == key).row(0, named=True)
    assert {c: row[c] for c in expected} == expected


def test_targets_without_priority_and_origin_reimport_without_change(loaded: Store, write_files) -> None:
    files = {
        "entitlement_processes.csv": PROCESSES,
        "milestone_targets.csv": b"process_id,milestone,target_minutes\n"
        b"P1,First Response,60\nP1,Resolution,480\n",
    }
    first = import_path(loaded, write_files(files), format="native")
    assert first.rows_added == 3
    again = import_path(loaded, write_files(files), format="native")
    assert (again.rows_added, again.rows_updated) == (0, 0)
    changed = {**files, "milestone_targets.csv": files["milestone_targets.csv"].replace(b",480", b",240")}
    third = import_path(loaded, write_files(changed), format="native")
    assert (third.rows_added, third.rows_updated) == (0, 1)
    assert loaded.query("SELECT count(*) FROM milestone_targets").item() == 2


# -- anything that is not a regular file ------------------------------------------------------


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail (not hang) if reading blocks: a pipe opened for reading waits for a writer forever."""

    def stop(*_: object) -> None:
        raise TimeoutError("the import blocked")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _special(folder: Path, kind: str) -> Path:
    path = folder / "cases.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        os.symlink("/dev/zero", path)
    elif kind == "dangling":
        os.symlink(folder / "gone.csv", path)
    elif kind == "folder":
        path.mkdir()
    return path


SPECIAL = [
    ("fifo", "not a regular file: a pipe (FIFO)"),
    ("device", "not a regular file: a character device"),
    ("dangling", "a link to nothing (dangling link)"),
]


@pytest.mark.parametrize(
    ("kind", "words", "given"),
    [
        *[(kind, words, "folder") for kind, words in SPECIAL],
        ("folder", "not a regular file: a folder", "folder"),
        *[(kind, words, "file") for kind, words in SPECIAL],
    ],
)
def test_only_regular_files_are_read(
    loaded: Store, write_files, no_hang: None, kind: str, words: str, given: str
) -> None:
    folder = write_files({"accounts.csv": BASE["accounts.csv"]})
    path = _special(folder, kind)
    problems = _refused(loaded, folder if given == "folder" else path, format="native")
    assert [(p.file, p.message.split(";")[0]) for p in problems] == [("cases.csv", words)]


@pytest.mark.parametrize(("kind", "words"), [("fifo", "a pipe (FIFO)"), ("dangling", "dangling link")])
def test_salesforce_exports_that_are_not_regular_files_are_reported(
    store: Store, tmp_path: Path, no_hang: None, kind: str, words: str
) -> None:
    (tmp_path / "Account.csv").write_text('"Id","Name"\n"001000000000001AAA","Acme"\n')
    target = tmp_path / "Case.csv"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        os.symlink(tmp_path / "missing.csv", target)
    problems = _refused(store, tmp_path, format="salesforce")
    assert [p.file for p in problems] == ["Case.csv"]
    assert words in problems[0].message


def test_files_above_the_size_limit_are_refused_unread(loaded: Store, write_files, monkeypatch) -> None:
    folder = write_files({"cases.csv": case_at("2026-03-01T00:00:00Z")})
    problems = _refused(loaded, folder, format="native", max_file_bytes=100)
    assert "larger than the import limit" in problems[0].message
    assert "ENTITLEMENTS_IMPORT_MAX_FILE_MB" in problems[0].message
    monkeypatch.setenv("ENTITLEMENTS_IMPORT_MAX_FILE_MB", "1")
    big = write_files({"accounts.csv": b"account_id,name\n" + b"A9,x\n" * 300_000})
    assert "larger than the import limit" in _refused(loaded, big, format="native")[0].message
    assert import_path(loaded, folder, format="native").rows_added == 1  # the setting allows 1 MiB


def test_a_device_as_salesforce_export_is_refused(store: Store, tmp_path: Path, no_hang: None) -> None:
    os.symlink("/dev/zero", tmp_path / "Account.csv")
    problems = _refused(store, tmp_path, format="salesforce")
    assert problems[0].message.startswith("not a regular file: a character device")


def test_entitlement_file_of_the_base_is_what_the_refusals_change() -> None:
    """The refusals above write over these files; they import cleanly on their own."""
    assert ENTITLEMENTS.startswith(b"entitlement_id,")
