"""Native import: validation (one case per kind of bad input), upsert, idempotency, atomicity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.ingest import apply as apply_module
from entitlement_core.ingest import import_path, import_uploads
from entitlement_core.problems import ProblemsError
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

ACCOUNTS = """
account_id,name,tier,region,owner
A1,Acme,Standard,EMEA,Ann
A2,"Beta, Inc",Pro,NA,Bob
"""
PLANS = """
plan,usage_type,cap,overage_rate
Standard,cases,10,50
Pro,cases,50,40
"""
ENTITLEMENTS = """
entitlement_id,account_id,usage_type,start_date,end_date,cap,plan
E1,A1,cases,2026-01-01,2026-12-31,10,Standard
E2,A2,hours,2026-01-01,2026-12-31,100,
"""
CASES = """
case_id,account_id,created_at,entitlement_id,is_deleted,priority
C1,A1,2026-02-01T10:00:00Z,E1,false,High
C2,A1,2026-02-02T10:00:00Z,E1,true,Low
C3,A2,2026-02-03T10:00:00Z,E2,,Medium
"""
TIME_ENTRIES = """
time_entry_id,case_id,entry_date,minutes
T1,C3,2026-02-03,90
"""
BH_HEADER = "business_hours_id,timezone,mon_start,mon_end\n"
BASE = {
    "accounts.csv": ACCOUNTS,
    "plans.csv": PLANS,
    "entitlements.csv": ENTITLEMENTS,
    "cases.csv": CASES,
    "time_entries.csv": TIME_ENTRIES,
}


@pytest.fixture
def loaded(store: Store, write_files) -> Store:
    import_path(store, write_files(BASE), format="native")
    return store


def test_import_loads_typed_rows(loaded: Store) -> None:
    assert loaded.table_counts()["cases"] == 3
    cases = loaded.table("cases").sort("case_id")
    assert cases.schema["created_at"] == pl.Datetime("us", "UTC")
    assert cases["is_deleted"].to_list() == [False, True, False]  # empty = default false
    ent = loaded.table("entitlements").sort("entitlement_id")
    assert ent["consume_on"].to_list() == ["created", "created"]
    assert ent["overflow"].to_list() == ["warn", "warn"]
    assert ent["start_date"].to_list() == [dt.date(2026, 1, 1)] * 2
    assert loaded.table("time_entries")["minutes"].to_list() == [90.0]


def test_reimport_changes_nothing(loaded: Store, write_files) -> None:
    before = snapshot(loaded)
    version = loaded.data_version()
    result = import_path(loaded, write_files(BASE), format="native")
    assert result.rows_added == 0 and result.rows_updated == 0
    after = snapshot(loaded)
    del before["import_batches"], after["import_batches"]
    assert_same_content(before, after)
    assert loaded.data_version() == version


def test_upsert_updates_changed_rows_only(loaded: Store, write_files) -> None:
    changed = ACCOUNTS.replace("Acme,Standard", "Acme Corp,Standard")
    result = import_path(loaded, write_files({"accounts.csv": changed}), format="native")
    assert (result.rows_added, result.rows_updated) == (0, 1)
    assert loaded.table("accounts").filter(pl.col("account_id") == "A1")["name"][0] == "Acme Corp"
    assert loaded.count("accounts") == 2


def test_absent_columns_keep_stored_values(loaded: Store, write_files) -> None:
    only_names = "account_id,name\nA1,Acme Renamed\n"
    import_path(loaded, write_files({"accounts.csv": only_names}), format="native")
    row = loaded.table("accounts").filter(pl.col("account_id") == "A1").row(0, named=True)
    assert row["name"] == "Acme Renamed"
    assert (row["tier"], row["region"], row["owner"]) == ("Standard", "EMEA", "Ann")


def test_headers_case_insensitive_extra_columns_kept_offsets_converted(store: Store, write_files) -> None:
    folder = write_files(
        {
            "Accounts.CSV": "Account_ID,NAME,Industry\nA1,Acme,Retail\n",
            "cases.csv": "CASE_ID,Account_Id,Created_At\n"
            "C1,A1,2026-03-01T12:00:00+02:00\nC2,A1,2026-03-01 09:30\n",
        }
    )
    import_path(store, folder, format="native")
    assert store.table("accounts")["extra"][0] == '{"industry":"Retail"}'
    got = store.table("cases").sort("case_id")["created_at"].to_list()
    assert got == [
        dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
    ]


def test_parquet_imports_like_csv(store: Store, write_files, tmp_path: Path) -> None:
    csv_store = Store(":memory:")
    import_path(csv_store, write_files(BASE), format="native")
    folder = tmp_path / "pq"
    folder.mkdir()
    for name in ("accounts", "plans", "entitlements", "cases", "time_entries"):
        csv_store.table(name).drop("extra").write_parquet(folder / f"{name}.parquet")
    import_path(store, folder, format="native")
    a, b = snapshot(csv_store), snapshot(store)
    for name in ("accounts", "entitlements", "cases", "time_entries"):
        assert a[name].drop("extra").equals(b[name].drop("extra")), name


# One row per kind of bad input: (files to add on top of BASE, file, line, column, words in the message)
BAD_INPUTS = [
    pytest.param(
        {"cases.csv": CASES + "C4,A9,2026-02-04T10:00:00Z,,,\n"},
        "cases.csv",
        5,
        "account_id",
        "unknown account_id 'A9'",
        id="unknown-foreign-key",
    ),
    pytest.param(
        {"cases.csv": CASES + "C4,A1,2026-02-30T10:00:00Z,E1,,\n"},
        "cases.csv",
        5,
        "created_at",
        "not an ISO 8601 timestamp",
        id="bad-timestamp",
    ),
    pytest.param(
        {"time_entries.csv": TIME_ENTRIES + "T2,C3,2026-02-04,-30\n"},
        "time_entries.csv",
        3,
        "minutes",
        "negative minutes",
        id="negative-minutes",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + "E3,A1,cases,2026-06-01,2026-05-01,5,\n"},
        "entitlements.csv",
        4,
        "end_date",
        "before start_date",
        id="end-before-start",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + "E3,A1,tokens,2026-01-01,2026-05-01,5,\n"},
        "entitlements.csv",
        4,
        "usage_type",
        "unknown usage type 'tokens'",
        id="unknown-usage-type",
    ),
    pytest.param(
        {"cases.csv": CASES + "C1,A1,2026-02-05T10:00:00Z,E1,,\n"},
        "cases.csv",
        5,
        "case_id",
        "duplicate key C1 (first on line 2",
        id="duplicate-key-in-file",
    ),
    pytest.param(
        {"cases.csv": "case_id,created_at\nC9,2026-01-01T00:00:00Z\n"},
        "cases.csv",
        1,
        "account_id",
        "required column is missing",
        id="missing-required-column",
    ),
    pytest.param(
        {"accounts.csv": ACCOUNTS + "A3,,Pro,NA,Bob\n"},
        "accounts.csv",
        4,
        "name",
        "required value is empty",
        id="empty-required-value",
    ),
    pytest.param(
        {"cases.csv": CASES + "C4,A1,2026-02-04T10:00:00Z,E1,maybe,\n"},
        "cases.csv",
        5,
        "is_deleted",
        "not true/false/1/0",
        id="bad-boolean",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + "E3,A1,cases,2026-01-01,2026-12-31,ten,\n"},
        "entitlements.csv",
        4,
        "cap",
        "'ten' is not a number",
        id="bad-number",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + "E3,A1,cases,01/02/2026,2026-12-31,5,\n"},
        "entitlements.csv",
        4,
        "start_date",
        "not a date YYYY-MM-DD",
        id="bad-date",
    ),
    pytest.param(
        {"business_hours.csv": BH_HEADER + "BH1,Europe/Berlin,9:00,25:00\n"},
        "business_hours.csv",
        2,
        "mon_end",
        "not a time HH:MM",
        id="bad-time-of-day",
    ),
    pytest.param(
        {"business_hours.csv": BH_HEADER + "BH1,Mars/Olympus,09:00,17:00\n"},
        "business_hours.csv",
        2,
        "timezone",
        "unknown time zone",
        id="unknown-time-zone",
    ),
    pytest.param(
        {"business_hours.csv": BH_HEADER + "BH1,UTC,17:00,09:00\n"},
        "business_hours.csv",
        2,
        "mon_end",
        "closes at 09:00",
        id="closes-before-opening",
    ),
    pytest.param(
        {"cases.csv": CASES + "C4,A1,2026-02-04T10:00:00Z,E1,,\n", "cases.parquet": b"not parquet"},
        "cases.parquet",
        None,
        None,
        "not a readable Parquet file",
        id="unreadable-parquet",
    ),
    pytest.param(
        {"custom.csv": "a,b\n1,2\n"},
        "custom.csv",
        None,
        None,
        "no native table is named 'custom'",
        id="unknown-file",
    ),
    pytest.param(
        {
            "case_milestones.csv": "case_id,milestone,started_at,completed_at\n"
            "C1,First Response,2026-02-01T10:00:00Z,2026-02-01T09:00:00Z\n"
        },
        "case_milestones.csv",
        2,
        "completed_at",
        "before started_at",
        id="completed-before-started",
    ),
]


@pytest.mark.parametrize(("extra_files", "file", "line", "column", "words"), BAD_INPUTS)
def test_bad_input_names_file_line_column_and_changes_nothing(
    loaded: Store, write_files, extra_files, file, line, column, words
) -> None:
    before = snapshot(loaded)
    version = loaded.data_version()
    with pytest.raises(ProblemsError) as info:
        import_path(loaded, write_files({**BASE, **extra_files}), format="native")
    matching = [p for p in info.value.problems if words in p.message]
    assert matching, [str(p) for p in info.value.problems]
    problem = matching[0]
    assert (problem.file, problem.line, problem.column) == (file, line, column)
    assert_same_content(before, snapshot(loaded))
    assert loaded.data_version() == version


def test_usage_type_is_permanent(loaded: Store, write_files) -> None:
    changed = ENTITLEMENTS.replace("E1,A1,cases", "E1,A1,hours")
    with pytest.raises(ProblemsError, match="usage type is permanent"):
        import_path(loaded, write_files({"entitlements.csv": changed}), format="native")


def test_foreign_keys_resolve_against_stored_rows(loaded: Store, write_files) -> None:
    more = "case_id,account_id,created_at,entitlement_id\nC9,A2,2026-05-01T00:00:00Z,E2\n"
    result = import_path(loaded, write_files({"cases.csv": more}), format="native")
    assert result.rows_added == 1


def test_line_numbers_count_multiline_quoted_cells(store: Store, write_files) -> None:
    text = 'account_id,name\nA1,"two\nlines"\nA2,"three\nmore\nlines"\nA3,\n'
    with pytest.raises(ProblemsError) as info:
        import_path(store, write_files({"accounts.csv": text}), format="native")
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.record_id) == (7, "name", "A3")


def test_many_bad_rows_are_summarised(store: Store, write_files) -> None:
    rows = "".join(f"A{i},Name,,,\n" for i in range(200))
    text = "account_id,name,tier,region,owner\n" + rows + rows
    with pytest.raises(ProblemsError) as info:
        import_path(store, write_files({"accounts.csv": text}), format="native")
    assert len(info.value.problems) <= 51
    assert any("more rows with the same problem" in p.message for p in info.value.problems)


def test_fault_mid_import_rolls_everything_back(loaded: Store, write_files, monkeypatch) -> None:
    before = snapshot(loaded)
    real = apply_module._apply_table
    calls = {"n": 0}

    def failing(con, staged):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk went away")
        return real(con, staged)

    monkeypatch.setattr(apply_module, "_apply_table", failing)
    changed = {
        "accounts.csv": ACCOUNTS + "A3,Gamma,Pro,APAC,Cy\n",
        "plans.csv": PLANS + "Gold,cases,100,\n",
        "entitlements.csv": ENTITLEMENTS + "E3,A3,cases,2026-01-01,2026-12-31,100,Gold\n",
        "cases.csv": CASES + "C4,A3,2026-03-01T00:00:00Z,E3,,\n",
    }
    with pytest.raises(RuntimeError, match="disk went away"):
        import_path(loaded, write_files(changed), format="native")
    assert calls["n"] == 3  # two tables were written before the fault
    assert_same_content(before, snapshot(loaded))


def test_import_uploads_and_history(store: Store) -> None:
    result = import_uploads(store, [("accounts.csv", ACCOUNTS.lstrip().encode())])
    assert result.rows_added == 2
    history = store.import_history()
    assert history["file_name"].to_list() == ["accounts.csv"]
    assert history["rows_added"].to_list() == [2]
    assert len(history["sha256"][0]) == 64


def test_empty_files_are_reported_and_windows_1252_is_read(store: Store) -> None:
    with pytest.raises(ProblemsError, match="empty"):
        import_uploads(store, [("accounts.csv", b"")])
    windows = "account_id,name\nA1,Caf\xe9 \u20ac\n".encode("cp1252")
    result = import_uploads(store, [("accounts.csv", windows)])
    assert result.files[0].encoding == "Windows-1252: not valid UTF-8"
    assert store.query("SELECT name FROM accounts").item() == "Caf\xe9 \u20ac"
    with pytest.raises(ProblemsError) as info:
        import_uploads(store, [("accounts.csv", b"account_id,name\nA2,Caf\xe9\n")], encoding="utf-8")
    assert (info.value.problems[0].file, info.value.problems[0].line) == ("accounts.csv", 2)


def test_documented_example_folder_imports_cleanly(store: Store) -> None:
    """docs/examples/native is the README's import example: it must always import."""
    from entitlement_core.checks import check_configuration
    from entitlement_core.staging import load_tables

    folder = Path(__file__).resolve().parents[2] / "docs" / "examples" / "native"
    first = import_path(store, folder, format="native")
    assert first.rows_added == sum(f.rows_read for f in first.files)
    again = import_path(store, folder, format="native")
    assert (again.rows_added, again.rows_updated) == (0, 0)
    found = check_configuration(load_tables(store))
    assert found.filter(found["severity"] == "error").height == 0
