"""Salesforce ids: the 18-character suffix, normalisation, case repair and bad values."""

from __future__ import annotations

import string

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entitlement_core.ingest.sf_ids import SUFFIX_ALPHABET, id_suffix, normalise_ids, to_18


def reference_suffix(id15: str) -> str:
    """Salesforce's documented algorithm, one id at a time (the test oracle)."""
    out = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        out += SUFFIX_ALPHABET[sum(1 << i for i, c in enumerate(chunk) if c in string.ascii_uppercase)]
    return out


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001D000000IqhSL", "001D000000IqhSLIAZ"),
        ("5003000000D8cuI", "5003000000D8cuIAAR"),
        ("000000000000000", "000000000000000AAA"),
        ("ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNO555"),
        ("abcdefghijklmno", "abcdefghijklmnoAAA"),
    ],
)
def test_known_ids(id15: str, id18: str) -> None:
    assert pl.select(to_18(pl.lit(id15))).item() == id18
    # An 18-character id is already normal.
    assert pl.select(to_18(pl.lit(id18))).item() == id18


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(string.ascii_letters + string.digits, min_size=15, max_size=15), min_size=1, max_size=50)
)
def test_suffix_matches_reference(ids: list[str]) -> None:
    got = pl.Series(ids).to_frame("id").select(id_suffix(pl.col("id"))).to_series().to_list()
    assert got == [reference_suffix(i) for i in ids]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001D000000IqhSL", "001D000000IqhSLIAZ"),
        ("001D000000IqhSLIAZ", "001D000000IqhSLIAZ"),
        (" 001D000000IqhSL ", "001D000000IqhSLIAZ"),  # padding from spreadsheets
        ("001d000000iqhsliaz", "001D000000IqhSLIAZ"),  # lower-cased by a case-insensitive tool: repaired
        ("001D000000IQHSLIAZ", "001D000000IqhSLIAZ"),  # upper-cased likewise
        ("001D000000IqhSLiaz", "001D000000IqhSLIAZ"),  # suffix in lower case
        ("", None),
        (None, None),
    ],
)
def test_normalise_good_values(value: str | None, expected: str | None) -> None:
    frame = pl.DataFrame({"id": [value]}, schema={"id": pl.String})
    out, errors = normalise_ids(frame, ["id"])
    assert out["id"].to_list() == [expected]
    assert errors.height == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("001D000000IqhS", "has 14 characters; a Salesforce id has 15 or 18"),
        ("001D000000IqhSLIA", "has 17 characters"),
        ("001D000000IqhSLIAZX", "has 19 characters"),
        ("001D000000IqhS-", "only letters and digits"),
        ("0010000000000000AB", "suffix does not match"),  # bits set on digits: no letter case fits
    ],
)
def test_normalise_reports_bad_values(value: str, message: str) -> None:
    frame = pl.DataFrame({"id": ["001D000000IqhSL", value], "other": ["x", "y"]})
    out, errors = normalise_ids(frame, ["id"])
    assert errors.select("column", "row", "value").rows() == [("id", 1, value)]
    assert message in errors["message"][0]
    assert errors["message"][0].startswith("not a Salesforce id")
    # The bad value is left as written; the good one is normalised; other columns untouched.
    assert out.rows() == [("001D000000IqhSLIAZ", "x"), (value, "y")]


def test_normalise_several_columns_and_absent_ones() -> None:
    frame = pl.DataFrame({"id": ["5003000000D8cuI"], "accountid": ["001D000000IqhSL"], "name": ["Acme"]})
    out, errors = normalise_ids(frame, ["id", "accountid", "contactid"])
    assert out.row(0) == ("5003000000D8cuIAAR", "001D000000IqhSLIAZ", "Acme")
    assert errors.height == 0


def test_fifteen_and_eighteen_character_forms_match() -> None:
    """A reference written in 15 characters joins the record's 18-character Id."""
    parents, _ = normalise_ids(pl.DataFrame({"id": ["001D000000IqhSLIAZ"]}), ["id"])
    children, _ = normalise_ids(
        pl.DataFrame({"accountid": ["001D000000IqhSL", "001D000000IqhSl"]}), ["accountid"]
    )
    joined = children.join(parents, left_on="accountid", right_on="id", how="inner")
    # Case matters in 15-character ids: ...IqhSl is another record.
    assert joined.height == 1
