"""The Data page's import form: Salesforce exports (a .zip), problems named once, files kept."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from entitlement_core.store import Store
from tests.app.test_pages import _no_exception, _signed_in_data_page

WEEKLY = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce" / "weekly"
SUBMIT = "FormSubmitter:upload-Validate and import"


def weekly_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(WEEKLY.glob("*.csv")):
            archive.write(path, f"WE_00D_1/{path.name}")
    return buffer.getvalue()


def test_salesforce_zip_upload_imports_and_says_what_each_file_became(app: Callable, empty_db: Path) -> None:
    at = _signed_in_data_page(app, empty_db)
    at.file_uploader(key="uploads").upload("WE_00D_1.zip", weekly_zip(), "application/zip")
    at.button(key=SUBMIT).click().run()
    _no_exception(at)
    assert any("(salesforce)" in s.value for s in at.success), [e.value for e in at.error]
    became = at.dataframe[0].value
    assert dict(zip(became["file"], became["table"], strict=True))["Case.csv"] == "cases"
    with Store(empty_db) as store:
        assert store.query("SELECT count(*) FROM cases").item() > 0
        assert store.query("SELECT actor FROM import_batches LIMIT 1").item().startswith("Dana")


def test_unknown_file_names_are_named_once_and_the_files_stay_chosen(
    app: Callable, fresh_demo_db: Path
) -> None:
    at = _signed_in_data_page(app, fresh_demo_db)
    uploader = at.file_uploader(key="uploads")
    uploader.upload("accounts.csv", b"account_id,name\nNEW1,New Co\n", "text/csv")
    uploader.upload("account.csv", b"account_id,name\nNEW2,Other\n", "text/csv")
    uploader.upload("case.csv", b"case_id\n", "text/csv")
    at.button(key=SUBMIT).click().run()
    _no_exception(at)
    assert any("Nothing was imported" in e.value for e in at.error)
    problems = at.dataframe[0].value
    assert list(problems["file"]) == ["account.csv", "case.csv"]
    assert not any("cases.csv" in m for m in problems["message"])  # the accepted names: said once, below
    assert any("cases.csv" in m.value.replace("\\", "") for m in at.markdown)
    # The form kept the chosen files: the same submit, after a failure, sends them all again.
    assert {f.name for f in at.file_uploader(key="uploads").value} == {
        "accounts.csv",
        "account.csv",
        "case.csv",
    }
    with Store(fresh_demo_db) as store:
        assert store.query("SELECT count(*) FROM accounts WHERE account_id LIKE 'NEW%'").item() == 0


def test_the_page_points_to_the_command_line(app: Callable, fresh_demo_db: Path) -> None:
    at = _signed_in_data_page(app, fresh_demo_db)
    assert any("python -m entitlement_core import" in c.value for c in at.caption)
