"""Uploads and archives: Salesforce exports (files or a .zip) through the same reader as the command line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from entitlement_core.ingest import import_path, import_uploads
from entitlement_core.ingest.bundle import detect_names, expand_uploads, native_name_problems, unpack_zip
from entitlement_core.problems import ProblemsError
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce"
WEEKLY = FIXTURES / "weekly"
BASIC = FIXTURES / "basic"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "salesforce-mapping.example.toml"
MB = 2**20


def files_of(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix == ".csv"]


def zipped(
    files: list[tuple[str, bytes]], *, prefix: str = "", extra: dict[str, bytes] | None = None
) -> bytes:
    """A .zip of ``files`` (under ``prefix``), as Setup > Data Export delivers one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(prefix + name, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def by_cli() -> dict:
    """The weekly export imported by the command line's path (the reference)."""
    store = Store(":memory:")
    import_path(store, WEEKLY)
    return snapshot(store)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["accounts.csv", "cases.parquet"], "native"),
        (["Account.csv", "Case.csv"], "salesforce"),
        (["ACCOUNT.CSV", "caseMilestone.csv", "Lead.csv"], "salesforce"),
        (["accounts.csv", "Case.csv"], "native"),
    ],
)
def test_detect_names(names: list[str], expected: str) -> None:
    assert detect_names(names) == expected


def test_detect_names_neither_says_what_each_format_expects_once() -> None:
    with pytest.raises(ProblemsError) as err:
        detect_names(["notes.txt", "Lead.csv"])
    [problem] = err.value.problems
    assert "accounts.csv" in problem.message and "Case.csv" in problem.message


def test_unknown_native_names_name_each_file_once_and_the_list_once() -> None:
    problems = native_name_problems(["accounts.csv", "account.csv", "case.csv", "notes.txt"])
    assert [p.file for p in problems] == ["account.csv", "case.csv", "notes.txt", None]
    assert all("cases.csv" not in (p.message or "") for p in problems[:-1])
    assert "cases.csv" in problems[-1].message


def test_uploaded_files_import_like_the_command_line(by_cli: dict) -> None:
    store = Store(":memory:")
    seen = []
    result = import_uploads(store, files_of(WEEKLY), progress=lambda d, t, m: seen.append(m))
    assert result.format == "salesforce"
    assert_same_content(snapshot(store), by_cli)
    assert {f.file: f.table for f in result.files}["Case.csv"] == "cases"
    assert seen and seen[0] == "unpacking files"


def test_uploaded_zip_of_the_export_folder_imports_the_same(by_cli: dict) -> None:
    store = Store(":memory:")
    archive = zipped(
        files_of(WEEKLY),
        prefix="WE_00D000000000001_1/",
        extra={"__MACOSX/._Case.csv": b"junk", "WE_00D000000000001_1/Lead.csv": b"Id,Name\n"},
    )
    result = import_uploads(store, [("WE_00D000000000001_1.zip", archive)])
    assert result.format == "salesforce"
    assert_same_content(snapshot(store), by_cli)
    assert result.skipped == ("Lead.csv",)


def test_command_line_takes_the_zip_too(by_cli: dict, tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(zipped(files_of(WEEKLY)))
    store = Store(":memory:")
    assert import_path(store, path).format == "salesforce"
    assert_same_content(snapshot(store), by_cli)


def test_salesforce_upload_with_a_mapping_file() -> None:
    store = Store(":memory:")
    result = import_uploads(
        store, files_of(BASIC), format="salesforce", mapping=(EXAMPLE.name, EXAMPLE.read_bytes())
    )
    reference = Store(":memory:")
    import_path(reference, BASIC, format="salesforce", mapping=EXAMPLE)
    assert_same_content(snapshot(store), snapshot(reference))
    assert "time_entries" in {f.table for f in result.files}


def test_a_bad_row_in_a_zip_changes_nothing_and_names_file_line_field() -> None:
    store = Store(":memory:")
    files = dict(files_of(WEEKLY))
    files["Case.csv"] = files["Case.csv"].replace(b"2026-04-30 13:00:00", b"2026-04-31 13:00:00", 1)
    before = snapshot(store)
    with pytest.raises(ProblemsError) as err:
        import_uploads(store, [("export.zip", zipped(list(files.items())))])
    assert_same_content(snapshot(store), before)
    problem = err.value.problems[0]
    assert problem.file == "Case.csv" and problem.line is not None and problem.column


def test_native_uploads_with_unknown_names_refuse_everything() -> None:
    store = Store(":memory:")
    with pytest.raises(ProblemsError) as err:
        import_uploads(store, [("accounts.csv", b"account_id,name\nA1,Acme\n"), ("acount.csv", b"x\n")])
    assert [p.file for p in err.value.problems] == ["acount.csv", None]
    assert store.query("SELECT count(*) FROM accounts").item() == 0


def test_chosen_format_wins_over_detection() -> None:
    with pytest.raises(ProblemsError) as err:
        import_uploads(Store(":memory:"), files_of(WEEKLY), format="native")
    assert {p.file for p in err.value.problems} >= {"Case.csv", "Account.csv"}


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"a/Case.csv": b"Id\n", "b/case.csv": b"Id\n"}, "a second file named"),
        ({"Case.csv": b"x" * (MB + 1)}, "larger than the import limit"),
    ],
)
def test_zip_refusals_name_archive_and_member(members: dict[str, bytes], why: str) -> None:
    with pytest.raises(ProblemsError) as err:
        unpack_zip("export.zip", zipped([], extra=members), max_bytes=MB)
    assert any(why in p.message and p.file.startswith("export.zip/") for p in err.value.problems)


def test_zip_refusals_not_an_archive_or_empty() -> None:
    with pytest.raises(ProblemsError, match=r"not a readable \.zip"):
        unpack_zip("export.zip", b"PK not really", max_bytes=MB)
    with pytest.raises(ProblemsError, match="holds no files"):
        unpack_zip("export.zip", zipped([], extra={"__MACOSX/._x": b""}), max_bytes=MB)


def test_member_paths_never_leave_the_folder() -> None:
    files = expand_uploads([("x.zip", zipped([], extra={"../../etc/Case.csv": b"Id\n"}))], max_bytes=MB)
    assert files == [("Case.csv", b"Id\n")]


def test_the_same_file_twice_is_a_problem() -> None:
    with pytest.raises(ProblemsError, match="two files with this name"):
        expand_uploads([("Case.csv", b"a"), ("x.zip", zipped([("case.csv", b"b")]))], max_bytes=MB)
