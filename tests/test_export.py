"""Report export: Excel-safe CSV (formulas neutralised, plain numbers, ISO dates and UTC
timestamps, UTF-8 for Excel), and JSON and Parquet that read back to the same frame."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.export import excel_safe, to_bytes, write_frame

BOM = b"\xef\xbb\xbf"


def csv_rows(frame: pl.DataFrame) -> list[dict[str, str]]:
    """The CSV as a spreadsheet-minded reader sees it: every cell as text."""
    data = to_bytes(frame, "csv")
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def cell(value: object, dtype: pl.DataType | None = None) -> str:
    frame = pl.DataFrame({"k": ["row"], "v": pl.Series([value], dtype=dtype)})
    return csv_rows(frame)[0]["v"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\ncmd", "'\ncmd"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        ("Acme = best", "Acme = best"),
        ("a-b", "a-b"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_formula_leading_text_is_neutralised(text: str, shown: str) -> None:
    assert cell(text) == shown


def test_categorical_text_is_neutralised_too() -> None:
    assert cell("=cmd", pl.Categorical) == "'=cmd"


@pytest.mark.parametrize(
    ("value", "dtype", "shown"),
    [
        (-5, pl.Int64, "-5"),
        (-2.5, pl.Float64, "-2.5"),
        (1_234_567, pl.Int64, "1234567"),
        (1_234_567.25, pl.Float64, "1234567.25"),
        (1e20, pl.Float64, "100000000000000000000"),
        (-2.5e16, pl.Float64, "-25000000000000000"),
        (1e-7, pl.Float64, "0.0000001"),
        (0.8, pl.Float64, "0.8"),
        (True, pl.Boolean, "true"),
        (None, pl.Float64, ""),
    ],
)
def test_numbers_are_plain_and_negative_numbers_stay_numbers(value, dtype, shown: str) -> None:
    assert cell(value, dtype) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2026, 1, 5), "2026-01-05"),
        (dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC), "2026-01-05T10:00:00Z"),
        (dt.datetime(2026, 1, 5, 10, 0, 0, 250000, tzinfo=dt.UTC), "2026-01-05T10:00:00.250Z"),
        (dt.datetime(2026, 1, 5, 10, 0), "2026-01-05T10:00:00Z"),  # naive = UTC
        (dt.timedelta(minutes=90), "PT1H30M"),
        ([1, 2], "[1,2]"),
        ({"a": "=x"}, '{"a":"=x"}'),
    ],
)
def test_dates_timestamps_and_nested_values(value, shown: str) -> None:
    assert cell(value) == shown


def test_timestamps_in_other_zones_are_written_in_utc() -> None:
    berlin = pl.Series([dt.datetime(2026, 7, 1, 12, 0)]).dt.replace_time_zone("Europe/Berlin")
    assert cell(berlin[0], berlin.dtype) == "2026-07-01T10:00:00Z"


REPORT = pl.DataFrame(
    {
        "entitlement_id": ["E1", "E2", "E3"],
        "account_name": ["Müller Straße GmbH", "東京サポート", 'Ærø, "quoted" & co'],
        "cap": [10.0, None, 100.0],
        "consumed": [12, 3, 0],
        "remaining": [-2.0, None, 100.0],
        "pct_used": [1.2, None, 0.0],
        "end_date": [dt.date(2026, 12, 31), dt.date(2027, 1, 1), None],
        "as_of": pl.Series([dt.datetime(2026, 6, 1, 23, 59, 59, 999999)] * 3).dt.replace_time_zone("UTC"),
        "is_unlimited": [False, True, False],
        "tags": [["gold"], [], None],
    }
)


def test_csv_reads_back_to_the_same_values() -> None:
    data = to_bytes(REPORT.drop("tags"), "csv")
    back = pl.read_csv(data, schema_overrides={"end_date": pl.Date}).with_columns(
        pl.col("as_of").str.to_datetime(time_zone="UTC", time_unit="us")
    )
    assert_frame_equal(back, REPORT.drop("tags"), check_dtypes=False)
    assert back["account_name"].to_list() == REPORT["account_name"].to_list()


def test_csv_is_utf8_with_a_bom_for_files_and_without_for_standard_output(tmp_path, capsysbinary) -> None:
    out = tmp_path / "reports" / "utilization.csv"
    write_frame(REPORT, out, "csv")
    data = out.read_bytes()
    assert data.startswith(BOM) and "Müller Straße GmbH".encode() in data
    assert not list(out.parent.glob("*.partial"))
    write_frame(REPORT, "-", "csv")
    piped = capsysbinary.readouterr().out
    assert piped == data[len(BOM) :]


def test_json_round_trips() -> None:
    back = pl.read_json(io.BytesIO(to_bytes(REPORT, "json"))).with_columns(
        pl.col("end_date").str.to_date(),
        pl.col("as_of").str.to_datetime(time_zone="UTC", time_unit="us"),
    )
    assert_frame_equal(back, REPORT, check_dtypes=False)


def test_parquet_round_trips_every_type(tmp_path) -> None:
    path = tmp_path / "report.parquet"
    write_frame(REPORT, path, "parquet")
    assert_frame_equal(pl.read_parquet(path), REPORT)


def test_excel_safe_leaves_non_text_columns_alone() -> None:
    safe = excel_safe(REPORT)
    for name in ("cap", "consumed", "remaining", "pct_used", "end_date", "is_unlimited"):
        assert safe[name].dtype == REPORT[name].dtype
        assert safe[name].to_list() == REPORT[name].to_list()


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        to_bytes(REPORT, "xlsx")  # type: ignore[arg-type]
