"""Native import against hostile files: every bad one names file, line, column and reason and
changes nothing; every odd-but-valid one imports to the values it means.

Files are written byte for byte (BOM, CRLF, NUL, UTF-16 ...), so each case says exactly
what a user's spreadsheet or script produced.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl
import pytest

from entitlement_core.ingest import import_path
from entitlement_core.problems import ProblemsError
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

ACCOUNTS = b"account_id,name,tier\nA1,Acme,Standard\nA2,Beta,Pro\n"
ENTITLEMENTS = (
    b"entitlement_id,account_id,usage_type,start_date,end_date,cap\n"
    b"E1,A1,cases,2026-01-01,2026-12-31,10\n"
    b"E2,A2,hours,2026-01-01,2026-12-31,100\n"
)
CASES = (
    b"case_id,account_id,created_at,entitlement_id\n"
    b"C1,A1,2026-02-01T10:00:00Z,E1\n"
    b"C2,A2,2026-02-02T10:00:00Z,E2\n"
)
BASE = {"accounts.csv": ACCOUNTS, "entitlements.csv": ENTITLEMENTS, "cases.csv": CASES}
UTC = dt.UTC


def parquet(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


@pytest.fixture
def loaded(store: Store, write_files) -> Store:
    """A store holding two accounts, two entitlements and two cases."""
    import_path(store, write_files(BASE), format="native")
    return store


# (files written over BASE, file, line, column, words in the message)
BAD = [
    pytest.param(
        {"accounts.csv": b"account_id;name;tier\nA3;Gamma;Pro\n"},
        "accounts.csv",
        1,
        None,
        "separated by ';'",
        id="semicolon-separated",
    ),
    pytest.param(
        {"accounts.csv": b"account_id\tname\ttier\nA3\tGamma\tPro\n"},
        "accounts.csv",
        1,
        None,
        "separated by tabs",
        id="tab-separated",
    ),
    pytest.param(
        {"accounts.csv": ACCOUNTS + b"A3,Gamma,Pro,surplus\n"},
        "accounts.csv",
        4,
        None,
        "4 fields where the header has 3",
        id="row-too-long",
    ),
    pytest.param(
        {"accounts.csv": ACCOUNTS + b"A3,Gamma\n"},
        "accounts.csv",
        4,
        None,
        "2 fields where the header has 3",
        id="row-too-short",
    ),
    pytest.param(
        {"accounts.csv": b'account_id,name,tier\nA1,"Acme\nCorp, Ltd",Standard\nA3,Gamma\n'},
        "accounts.csv",
        4,
        None,
        "2 fields where the header has 3",
        id="short-row-after-multiline-cell",
    ),
    pytest.param(
        {
            "accounts.csv": b"\xef\xbb\xbfaccount_id,name,tier\r\n"
            b'A1,"Acme\r\nCorp\r\nLtd",Standard\r\nA3,,Pro\r\n'
        },
        "accounts.csv",
        5,
        "name",
        "required value is empty",
        id="crlf-bom-multiline-line-numbers",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name,tier\n\nA1,Acme,Standard\n\nA3,,Pro\n"},
        "accounts.csv",
        5,
        "name",
        "required value is empty",
        id="blank-lines-still-counted",
    ),
    pytest.param(
        {"accounts.csv": ACCOUNTS + b"A3,Gam\x00ma,Pro\n"},
        "accounts.csv",
        4,
        "name",
        "NUL character",
        id="nul-byte",
    ),
    pytest.param(
        {"accounts.csv": ACCOUNTS + b'A3,"Gamma,Pro\nA4,Delta,Pro\n'},
        "accounts.csv",
        4,
        None,
        "never closed",
        id="unclosed-quote",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name, NAME \nA3,Gamma,G\n"},
        "accounts.csv",
        1,
        "NAME",
        "duplicate column header",
        id="duplicate-header-ignoring-case",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,,name\nA3,x,Gamma\n"},
        "accounts.csv",
        1,
        "#2",
        "empty column header over values",
        id="empty-header-over-values",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name,_source\nA3,Gamma,crm\n"},
        "accounts.csv",
        1,
        "_source",
        "reserved column name",
        id="reserved-header",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + b"E3,A1,cases,2026-1-5,2026-12-31,5\n"},
        "entitlements.csv",
        4,
        "start_date",
        "'2026-1-5' is not a date YYYY-MM-DD",
        id="date-single-digits",
    ),
    pytest.param(
        {"cases.csv": CASES + b"C3,A1,2026-2-3T10:00:00Z,E1\n"},
        "cases.csv",
        4,
        "created_at",
        "is not an ISO 8601 timestamp",
        id="timestamp-single-digits",
    ),
    pytest.param(
        {"cases.csv": CASES + b"C3,A1,2026-02-03T10:00:00+25:00,E1\n"},
        "cases.csv",
        4,
        "created_at",
        "is not an ISO 8601 timestamp",
        id="offset-out-of-range",
    ),
    pytest.param(
        {"cases.csv": CASES + b"C3,A1,03/02/2026 10:00,E1\n"},
        "cases.csv",
        4,
        "created_at",
        "is not an ISO 8601 timestamp",
        id="timestamp-not-iso",
    ),
    pytest.param(
        {
            "cases.parquet": parquet(
                pl.DataFrame(
                    {
                        "case_id": ["C9", "C1"],
                        "account_id": ["A1", "A1"],
                        "created_at": ["2026-03-01T00:00:00Z"] * 2,
                    }
                )
            )
        },
        "cases.parquet",
        2,
        "case_id",
        "duplicate key C1 (first on line 2 of cases.csv)",
        id="duplicate-key-across-csv-and-parquet",
    ),
    pytest.param(
        {"cases.csv": CASES + b" C1 ,A1,2026-02-05T10:00:00Z,E1\n"},
        "cases.csv",
        4,
        "case_id",
        "duplicate key C1 (first on line 2",
        id="keys-differing-by-spaces",
    ),
    pytest.param(
        {"accounts.csv": ACCOUNTS + b"A3,   ,Pro\n"},
        "accounts.csv",
        4,
        "name",
        "required value is empty",
        id="whitespace-only-required",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + b"E3,A1,Tokens,2026-01-01,2026-12-31,5\n"},
        "entitlements.csv",
        4,
        "usage_type",
        "unknown usage type 'Tokens'",
        id="unknown-choice-mixed-case",
    ),
    pytest.param(
        {"entitlement_processes.csv": b"process_id,name,version\nP1,Standard,1.5\n"},
        "entitlement_processes.csv",
        2,
        "version",
        "'1.5' is not a whole number",
        id="int-not-whole",
    ),
    pytest.param(
        {"entitlements.csv": ENTITLEMENTS + b"E3,A1,cases,2026-01-01,2026-12-31,1.000,5\n"},
        "entitlements.csv",
        4,
        None,
        "7 fields where the header has 6",
        id="thousands-separator-shifts-fields",
    ),
    pytest.param(
        {
            "time_entries.parquet": parquet(
                pl.DataFrame(
                    {
                        "time_entry_id": ["T1", "T2"],
                        "case_id": ["C1", "C1"],
                        "entry_date": [dt.date(2026, 2, 1)] * 2,
                        "minutes": [30, -5],
                    }
                )
            )
        },
        "time_entries.parquet",
        2,
        "minutes",
        "negative minutes (-5)",
        id="parquet-int-negative-row-number",
    ),
    pytest.param(
        {"accounts.parquet": parquet(pl.DataFrame({"account_id": ["A3"], "name": [b"\xff\xfe"]}))},
        "accounts.parquet",
        None,
        "name",
        "binary data",
        id="parquet-binary-column",
    ),
    pytest.param(
        {
            "entitlements.parquet": parquet(
                pl.DataFrame(
                    {
                        "entitlement_id": ["E3"],
                        "account_id": ["A1"],
                        "usage_type": ["cases"],
                        "start_date": [dt.datetime(2026, 1, 1, 9, 30)],
                        "end_date": [dt.date(2026, 12, 31)],
                    }
                )
            )
        },
        "entitlements.parquet",
        1,
        "start_date",
        "is not a date",
        id="parquet-datetime-with-time-in-date-column",
    ),
    pytest.param(
        {"cases.csv": CASES + b"C3,A9,2026-02-03T10:00:00Z,E1\n"},
        "cases.csv",
        4,
        "account_id",
        "unknown account_id 'A9'",
        id="unknown-foreign-key",
    ),
    pytest.param(
        {"cases.csv": CASES + b"C3,a1,2026-02-03T10:00:00Z,E1\n"},
        "cases.csv",
        4,
        "account_id",
        "unknown account_id 'a1'",
        id="keys-are-case-sensitive",
    ),
    pytest.param(
        {"cases.csv": b"Case_ID,Account_ID,Created_At\nC3,A9,2026-02-03T10:00:00Z\n"},
        "cases.csv",
        2,
        "Account_ID",
        "unknown account_id",
        id="problem-names-the-header-as-written",
    ),
]


@pytest.mark.parametrize(("files", "file", "line", "column", "words"), BAD)
def test_bad_file_names_where_and_why_and_changes_nothing(
    loaded: Store, write_files, files, file, line, column, words
) -> None:
    before = snapshot(loaded)
    version = loaded.data_version()
    with pytest.raises(ProblemsError) as info:
        import_path(loaded, write_files({**BASE, **files}), format="native")
    matching = [p for p in info.value.problems if words in p.message]
    assert matching, [str(p) for p in info.value.problems]
    assert (matching[0].file, matching[0].line, matching[0].column) == (file, line, column)
    assert_same_content(before, snapshot(loaded))
    assert loaded.data_version() == version


KOLKATA = pl.Series([dt.datetime(2026, 2, 3, 10, 0, 0, 250000)]).dt.replace_time_zone("Asia/Kolkata")

# (files written over BASE, table, key, expected stored values of that row)
GOOD = [
    pytest.param(
        {"accounts.csv": b'\xef\xbb\xbf Account_ID , Name ,TIER\r\nA3,"Gamma, Inc",Pro\r\n'},
        "accounts",
        "A3",
        {"name": "Gamma, Inc", "tier": "Pro", "extra": None},
        id="bom-crlf-spaced-headers",
    ),
    pytest.param(
        {"accounts.csv": b'account_id,name,tier\nA3,"two\nlines ""quoted""",Pro\n'},
        "accounts",
        "A3",
        {"name": 'two\nlines "quoted"'},
        id="quoted-multiline-cell",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name,tier,\nA3,Gamma,Pro,\nA4,Delta,Pro,\n"},
        "accounts",
        "A4",
        {"name": "Delta", "extra": None},
        id="trailing-comma-on-every-line",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name,tier\n\nA3,Gamma,Pro\n,,\n   \n\n"},
        "accounts",
        "A3",
        {"name": "Gamma"},
        id="blank-lines-skipped",
    ),
    pytest.param(
        {
            "accounts.csv": b"account_id,name,tier\n A3 ,  Gamma  ,Pro\n",
            "cases.csv": b"case_id,account_id,created_at\n C3 , A3 ,2026-02-03T10:00:00Z\n",
        },
        "cases",
        "C3",
        {"account_id": "A3"},
        id="keys-trimmed-and-resolved",
    ),
    pytest.param(
        {"cases.csv": b"case_id,account_id,created_at\nC3,A1,2026-02-03T10:00:00.250+0530\n"},
        "cases",
        "C3",
        {"created_at": dt.datetime(2026, 2, 3, 4, 30, 0, 250000, tzinfo=UTC)},
        id="fraction-and-compact-offset",
    ),
    pytest.param(
        {
            "cases.csv": b"case_id,account_id,created_at,closed_at,first_response_at\n"
            b"C3,A1,2026-02-03 10:00:00 UTC,2026-02-04T10:00:00+05,2026-02-03T10:00:00.123456789-08:00\n"
        },
        "cases",
        "C3",
        {
            "created_at": dt.datetime(2026, 2, 3, 10, tzinfo=UTC),
            "closed_at": dt.datetime(2026, 2, 4, 5, tzinfo=UTC),
            "first_response_at": dt.datetime(2026, 2, 3, 18, 0, 0, 123456, tzinfo=UTC),
        },
        id="timestamp-spellings",
    ),
    pytest.param(
        {"cases.csv": b"case_id,account_id,created_at\nC3,A1,2026-02-03\n"},
        "cases",
        "C3",
        {"created_at": dt.datetime(2026, 2, 3, tzinfo=UTC)},
        id="bare-date-is-midnight-utc",
    ),
    pytest.param(
        {
            "entitlements.csv": b"entitlement_id,account_id,usage_type,start_date,end_date,"
            b"consume_on,overflow\n"
            b"E3,A1,Hours,2026-01-01,2026-12-31,Closed, BLOCK \n"
        },
        "entitlements",
        "E3",
        {"usage_type": "hours", "consume_on": "closed", "overflow": "block"},
        id="choices-stored-lower-case",
    ),
    pytest.param(
        {
            "cases.csv": b"case_id,account_id,created_at,priority,status,is_deleted\n"
            b"C3,A1,2026-02-03T10:00:00Z,High,Waiting On Customer,TRUE\n"
        },
        "cases",
        "C3",
        {"priority": "High", "status": "Waiting On Customer", "is_deleted": True},
        id="free-text-keeps-case",
    ),
    pytest.param(
        {"accounts.csv": "account_id,name,tier\nA3,Müller Straße 東京 ☃,Pro\n".encode()},
        "accounts",
        "A3",
        {"name": "Müller Straße 東京 ☃"},
        id="non-ascii",
    ),
    pytest.param(
        {"accounts.csv": b"account_id,name,tier\nA3," + b"x" * 2_000_000 + b",Pro\n"},
        "accounts",
        "A3",
        {"name": "x" * 2_000_000},
        id="two-megabyte-cell",
    ),
    pytest.param(
        {"entitlement_processes.csv": b"process_id,name,version\nP1,Standard,9007199254740993\n"},
        "entitlement_processes",
        "P1",
        {"version": 9007199254740993},
        id="int-beyond-float-precision",
    ),
    pytest.param(
        {
            "cases.parquet": parquet(
                pl.DataFrame(
                    {
                        "case_id": ["C3"],
                        "account_id": ["A1"],
                        "created_at": KOLKATA.dt.cast_time_unit("ns"),
                        "is_deleted": [True],
                        "entitlement_id": ["E1"],
                    }
                )
            )
        },
        "cases",
        "C3",
        {"created_at": dt.datetime(2026, 2, 3, 4, 30, 0, 250000, tzinfo=UTC), "is_deleted": True},
        id="parquet-timestamp-with-time-zone-and-boolean",
    ),
    pytest.param(
        {
            "entitlements.parquet": parquet(
                pl.DataFrame(
                    {
                        "Entitlement_ID ": ["E3"],
                        "account_id": ["A1"],
                        "usage_type": ["Hours"],
                        "start_date": [dt.datetime(2026, 1, 1)],
                        "end_date": [dt.date(2026, 12, 31)],
                        "cap": [40],
                    }
                )
            )
        },
        "entitlements",
        "E3",
        {
            "usage_type": "hours",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "cap": 40.0,
        },
        id="parquet-midnight-datetime-as-date-int-cap",
    ),
    pytest.param(
        {
            "time_entries.parquet": parquet(
                pl.DataFrame(
                    {
                        "time_entry_id": ["T1"],
                        "case_id": ["C2"],
                        "entry_date": [dt.date(2026, 2, 2)],
                        "minutes": [90],
                    }
                )
            )
        },
        "time_entries",
        "T1",
        {"minutes": 90.0, "entry_date": dt.date(2026, 2, 2)},
        id="parquet-int-minutes",
    ),
]


def _row(store: Store, table: str, key: str) -> dict[str, object]:
    from entitlement_core.schema import TABLES

    frame = store.table(table).filter(pl.col(TABLES[table].key[0]) == key)
    assert frame.height == 1, frame
    return frame.row(0, named=True)


@pytest.mark.parametrize(("files", "table", "key", "expected"), GOOD)
def test_odd_but_valid_file_imports_what_it_means(
    loaded: Store, write_files, files, table, key, expected
) -> None:
    import_path(loaded, write_files(files), format="native")
    row = _row(loaded, table, key)
    assert {c: row[c] for c in expected} == expected


@pytest.mark.parametrize("files", [p.values[0] for p in GOOD], ids=[p.id for p in GOOD])
def test_odd_but_valid_file_reimports_without_change(loaded: Store, write_files, files) -> None:
    import_path(loaded, write_files(files), format="native")
    before = snapshot(loaded)
    again = import_path(loaded, write_files(files), format="native")
    assert (again.rows_added, again.rows_updated) == (0, 0)
    after = snapshot(loaded)
    del before["import_batches"], after["import_batches"]
    assert_same_content(before, after)


def test_header_only_file_imports_nothing(loaded: Store, write_files) -> None:
    result = import_path(
        loaded, write_files({"cases.csv": b"case_id,account_id,created_at\r\n"}), format="native"
    )
    assert [(f.rows_read, f.rows_added) for f in result.files] == [(0, 0)]
    assert loaded.count("cases") == 2


def test_very_wide_rows_keep_every_extra_column(loaded: Store, write_files) -> None:
    names = [f"custom_{i}" for i in range(2000)]
    text = "account_id,name," + ",".join(names) + "\nA3,Gamma," + ",".join(str(i) for i in range(2000)) + "\n"
    import_path(loaded, write_files({"accounts.csv": text.encode()}), format="native")
    extra = json.loads(_row(loaded, "accounts", "A3")["extra"])
    assert len(extra) == 2000 and extra["custom_1999"] == "1999"
    again = import_path(loaded, write_files({"accounts.csv": text.encode()}), format="native")
    assert (again.rows_added, again.rows_updated) == (0, 0)


def test_parquet_nested_extra_column_stays_nested(loaded: Store, write_files) -> None:
    frame = pl.DataFrame({"account_id": ["A3"], "name": ["Gamma"], "Tags": [["gold", "emea"]]})
    import_path(loaded, write_files({"accounts.parquet": parquet(frame)}), format="native")
    assert json.loads(_row(loaded, "accounts", "A3")["extra"]) == {"tags": ["gold", "emea"]}


def test_file_without_extra_columns_keeps_stored_extras(loaded: Store, write_files) -> None:
    import_path(loaded, write_files({"accounts.csv": b"account_id,name,Industry\nA2,Beta,Tech\n"}))
    # One table, two files: only the CSV carries extra columns; the Parquet rows keep theirs.
    files = {
        "accounts.csv": b"account_id,name,Industry\nA1,Acme,Retail\n",
        "accounts.parquet": parquet(pl.DataFrame({"account_id": ["A2"], "name": ["Beta"]})),
    }
    result = import_path(loaded, write_files(files))
    assert {f.file: f.rows_updated for f in result.files} == {"accounts.csv": 1, "accounts.parquet": 0}
    assert json.loads(_row(loaded, "accounts", "A1")["extra"]) == {"industry": "Retail"}
    assert json.loads(_row(loaded, "accounts", "A2")["extra"]) == {"industry": "Tech"}


def test_csv_and_parquet_of_one_table_import_together(loaded: Store, write_files) -> None:
    more = pl.DataFrame({"case_id": ["C4"], "account_id": ["A2"], "created_at": ["2026-03-01T00:00:00Z"]})
    files = {"cases.csv": CASES + b"C3,A1,2026-02-03T10:00:00Z,E1\n", "cases.parquet": parquet(more)}
    result = import_path(loaded, write_files(files), format="native")
    assert {f.file: f.rows_added for f in result.files} == {"cases.csv": 1, "cases.parquet": 1}
    assert loaded.count("cases") == 4


def test_long_cells_are_cut_short_in_messages(loaded: Store, write_files) -> None:
    bad = b"E3,A1,cases,2026-01-01,2026-12-31," + b"9" * 1_000_000 + b"x\n"
    with pytest.raises(ProblemsError) as info:
        import_path(loaded, write_files({"entitlements.csv": ENTITLEMENTS + bad}), format="native")
    (problem,) = info.value.problems
    assert problem.line == 4 and problem.column == "cap"
    assert "is not a number" in problem.message and len(str(problem)) < 300


def test_many_ragged_rows_are_each_named(store: Store, write_files) -> None:
    rows = b"".join(b"A%d,Name\n" % i if i % 2 else b"A%d,Name,Pro\n" % i for i in range(10))
    with pytest.raises(ProblemsError) as info:
        import_path(store, write_files({"accounts.csv": b"account_id,name,tier\n" + rows}), format="native")
    assert [p.line for p in info.value.problems] == [3, 5, 7, 9, 11]


def test_messages_stay_on_one_line(loaded: Store, write_files) -> None:
    bad = b'E3,A1,cases,2026-01-01,2026-12-31,"1\r\n2\t3"\n'
    with pytest.raises(ProblemsError) as info:
        import_path(loaded, write_files({"entitlements.csv": ENTITLEMENTS + bad}), format="native")
    (problem,) = info.value.problems
    assert problem.message == "'1\\r\\n2\\t3' is not a number"
    assert "\n" not in str(problem)


def test_same_file_name_in_two_folders_is_told_apart(loaded: Store, write_files) -> None:
    one = write_files({"cases.csv": b"case_id,account_id,created_at\nC7,A1,2026-03-01T00:00:00Z\n"})
    two = write_files({"cases.csv": b"case_id,account_id,created_at\nC7,A2,2026-03-02T00:00:00Z\n"})
    with pytest.raises(ProblemsError) as info:
        import_path(loaded, [one / "cases.csv", two / "cases.csv"], format="native")
    (problem,) = info.value.problems
    assert problem.file == str(two / "cases.csv")
    assert f"first on line 2 of {one / 'cases.csv'}" in problem.message


def test_nothing_to_import_is_a_problem(store: Store) -> None:
    with pytest.raises(ProblemsError, match="no files or folders"):
        import_path(store, [], format="native")
