"""How CSV text is read, for native files and Salesforce exports alike (ingest/files.py).

UTF-8 (a byte-order mark is fine), else Windows-1252 (Data Loader's default on Windows), UTF-16
and UTF-32 with a byte-order mark, ``--encoding`` to force one; lines ending in a lone carriage
return are read as lines, never dropped. The same header rules refuse what cannot be read as
intended in a Salesforce export as in a native file.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from entitlement_core.ingest import import_path
from entitlement_core.ingest.files import decode
from entitlement_core.ingest.sf_ids import to_18
from entitlement_core.problems import ProblemsError
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

NAME = "Müller & Café – “quoted” €"  # needs Windows-1252 beyond Latin-1 (– “ ” €)
NATIVE = f"account_id,name\r\nA1,{NAME}\r\n"
SALESFORCE = f'"Id","Name"\r\n"001000000000001AAA","{NAME}"\r\n'


@pytest.mark.parametrize(
    ("data", "encoding", "text", "described"),
    [
        (b"id\nA1\n", None, b"id\nA1\n", "UTF-8"),
        ("id\né\n".encode(), None, "id\né\n".encode(), "UTF-8"),
        (b"\xef\xbb\xbfid\n\xc3\xa9\n", None, "id\né\n".encode(), "UTF-8"),
        (b"id\n\xe9\x80\n", None, "id\né€\n".encode(), "Windows-1252: not valid UTF-8"),
        (b"id\n\x81\n", None, "id\n\x81\n".encode(), "Windows-1252: not valid UTF-8"),  # undefined: C1
        ("id\né\n".encode("utf-16"), None, "id\né\n".encode(), "UTF-16"),
        (b"\xfe\xff" + "id\né\n".encode("utf-16-be"), None, "id\né\n".encode(), "UTF-16"),
        ("id\né\n".encode("utf-32"), None, "id\né\n".encode(), "UTF-32"),
        (b"id\n\xe9\x80\n", "latin-1", "id\né\x80\n".encode(), "Latin-1: --encoding"),
        ("id\né\n".encode(), "cp1252", "id\nÃ©\n".encode(), "Windows-1252: --encoding"),
        (b"\xef\xbb\xbfid\n\xc3\xa9\n", "cp1252", "id\né\n".encode(), "UTF-8"),  # a byte-order mark wins
        (b"id\rA1\rA2\r", None, b"id\nA1\nA2\n", "UTF-8: carriage-return line ends"),
        (b"id\r\nA1\r\n", None, b"id\r\nA1\r\n", "UTF-8"),
    ],
)
def test_decode(data: bytes, encoding: str | None, text: bytes, described: str) -> None:
    got = decode(data, "x.csv", encoding)  # type: ignore[arg-type]
    assert (got.data, got.describe()) == (text, described)


def test_forced_utf8_names_the_line_of_the_first_bad_byte() -> None:
    with pytest.raises(ProblemsError) as info:
        decode(b"id\nA1\nCaf\xe9\n", "x.csv", "utf-8")
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == ("x.csv", 3)
    assert "not UTF-8" in problem.message


def test_a_byte_order_mark_over_other_text_is_refused() -> None:
    with pytest.raises(ProblemsError, match="UTF-8 byte-order mark but is not UTF-8"):
        decode(b"\xef\xbb\xbfid\n\xe9\n", "x.csv")


@pytest.mark.parametrize(
    ("content", "encoding", "shown"),
    [
        (NATIVE.encode("cp1252"), None, "Windows-1252: not valid UTF-8"),
        (NATIVE.encode("utf-16"), None, "UTF-16"),
        (b"\xef\xbb\xbf" + NATIVE.encode(), None, "UTF-8"),
        (NATIVE.encode("cp1252"), "cp1252", "Windows-1252: --encoding"),
        (NATIVE.replace("\r\n", "\r").encode(), None, "UTF-8: carriage-return line ends"),
    ],
)
def test_native_files_in_every_encoding(
    store: Store, write_files, content: bytes, encoding: str | None, shown: str
) -> None:
    result = import_path(store, write_files({"accounts.csv": content}), format="native", encoding=encoding)
    assert [(f.rows_read, f.rows_added, f.encoding) for f in result.files] == [(1, 1, shown)]
    assert store.query("SELECT name FROM accounts").item() == NAME


@pytest.mark.parametrize(
    ("content", "encoding", "shown"),
    [
        (SALESFORCE.encode("cp1252"), None, "Windows-1252: not valid UTF-8"),
        (SALESFORCE.encode("utf-16"), None, "UTF-16"),
        (SALESFORCE.encode("cp1252"), "cp1252", "Windows-1252: --encoding"),
        # Old Mac exports: every record on its own line, none silently dropped.
        (
            SALESFORCE.replace("\r\n", "\r").encode("cp1252"),
            None,
            "Windows-1252: not valid UTF-8; carriage-return line ends",
        ),
    ],
)
def test_salesforce_exports_in_every_encoding(
    store: Store, write_files, content: bytes, encoding: str | None, shown: str
) -> None:
    result = import_path(store, write_files({"Account.csv": content}), encoding=encoding)
    assert [(f.rows_read, f.rows_added, f.encoding) for f in result.files] == [(1, 1, shown)]
    assert store.query("SELECT name FROM accounts").item() == NAME


def test_cr_only_salesforce_file_with_many_records_keeps_them_all(store: Store, write_files) -> None:
    ids = pl.select(to_18(pl.format("00100000000{}", pl.int_range(1, 51).cast(pl.String).str.zfill(4))))
    text = '"Id","Name"\r' + "".join(f'"{i}","Account {n}"\r' for n, i in enumerate(ids.to_series(), 1))
    result = import_path(store, write_files({"Account.csv": text.encode()}))
    assert result.files[0].rows_read == 50
    assert store.count("accounts") == 50


# -- Salesforce files get the same header rules as native ones --------------------------------

ROW = b'"001000000000001AAA"'
SF_REFUSED = [
    pytest.param(b'"Id","Name","Name"\n' + ROW + b',"Acme","B"\n', 1, "Name", "duplicate column header",
                 id="exact-duplicate-header"),
    pytest.param(b'"Id","","Name"\n' + ROW + b',"x","Acme"\n', 1, "#2", "empty column header over values",
                 id="empty-header-over-values"),
    pytest.param(b'"Id","Name","_line"\n' + ROW + b',"Acme","3"\n', 1, "_line", "reserved column name",
                 id="internal-column-name"),
    pytest.param(b'"Id","Name","__date"\n' + ROW + b',"Acme","x"\n', 1, "__date", "reserved column name",
                 id="internal-prefix"),
    pytest.param(b'"Id","Name"\n' + ROW + b',"Ac\x00me"\n', 2, "Name", "NUL character", id="nul-byte"),
    pytest.param(b'"Id","Name"\n' + ROW + b',"Acme\n', 2, None, "never closed", id="unclosed-quote"),
    pytest.param(b'"Id";"Name"\n' + ROW + b';"Acme"\n', 1, None, "separated by ';'", id="semicolons"),
    pytest.param(b'"Id","Name","Text"\n' + ROW + b',"Acme"\n', 2, None, "2 fields where the header has 3",
                 id="short-row"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "line", "column", "words"), SF_REFUSED)
def test_salesforce_headers_and_bytes_are_refused(
    store: Store, tmp_path: Path, content: bytes, line: int, column: str | None, words: str
) -> None:
    (tmp_path / "Account.csv").write_bytes(content)
    before = snapshot(store)
    with pytest.raises(ProblemsError) as info:
        import_path(store, tmp_path, format="salesforce")
    matching = [p for p in info.value.problems if words in p.message]
    assert matching, [str(p) for p in info.value.problems]
    assert (matching[0].file, matching[0].line, matching[0].column) == ("Account.csv", line, column)
    assert_same_content(before, snapshot(store))


@pytest.mark.parametrize(
    "data",
    [
        "account_id,name\nA1,Acme\n".encode("utf-16-le"),  # UTF-16 without its byte-order mark
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # an .xlsx saved under a .csv name
    ],
)
def test_binary_data_is_not_text(data: bytes) -> None:
    with pytest.raises(ProblemsError, match="not a text file: binary data, or UTF-16 without"):
        decode(data, "accounts.csv")
