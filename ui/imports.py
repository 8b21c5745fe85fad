"""The Data page's import form: native files or a Salesforce export (files or a .zip), and its outcome.

The form calls the core's one upload import (:func:`entitlement_core.admin.import_uploaded`,
the command line's reader and rules: all or nothing, audited). A failed import keeps the
chosen files in the form, so fixing one file does not mean choosing them all again.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from entitlement_core import admin
from entitlement_core.ingest import ImportResult
from entitlement_core.problems import Problem, ProblemsError, problems_frame
from entitlement_core.settings import Settings
from entitlement_core.store import Store, StoreError
from ui.markdown import md

__all__ = ["FORMATS", "import_form"]

#: The format choices: ``None`` is detected from the file names.
FORMATS: dict[str, str | None] = {
    "Detect from file names": None,
    "Native files": "native",
    "Salesforce export": "salesforce",
}
_PROBLEM_COLUMNS = {
    "file": "File",
    "line": st.column_config.NumberColumn("Line", format="%d"),
    "column": "Field",
    "record_id": "Record",
    "message": "Reason",
}
_STATS_COLUMNS = {
    "file": "File",
    "table": "Became",
    "rows_read": st.column_config.NumberColumn("Read", format="localized"),
    "rows_added": st.column_config.NumberColumn("Added", format="localized"),
    "rows_updated": st.column_config.NumberColumn("Updated", format="localized"),
    "encoding": "Read as",
}


def _uploader_key() -> str:
    """The uploader's key: a new one after a successful import empties the form."""
    generation = st.session_state.get("_uploads_generation", 0)
    return "uploads" if generation == 0 else f"uploads_{generation}"


def command_line_hint() -> str:
    limit = Settings().import_max_file_mb
    return (
        "Large exports import faster from the command line on the server, without the browser's "
        f"upload limit: `python -m entitlement_core import export.zip` (files up to {limit:,} MiB each; "
        "`--format salesforce --mapping mapping.toml` where needed)."
    )


def _problems(exc: ProblemsError) -> None:
    """Each problem once: where (file, line, field) in a table; general ones as text below it."""
    located = [p for p in exc.problems if p.file or p.line or p.column]
    general = [p for p in exc.problems if not (p.file or p.line or p.column)]
    files = len({p.file for p in located if p.file})
    where = f" in {files} file(s)" if files else ""
    st.error(
        f"Nothing was imported: {len(exc.problems):,} problem(s) found{where}. "
        "Fix them and import again; the chosen files are kept.",
        icon=":material/error:",
    )
    if located:
        st.dataframe(
            problems_frame(located).select("file", "line", "column", "record_id", "message"),
            hide_index=True,
            column_config=_PROBLEM_COLUMNS,
        )
    for problem in general:
        st.markdown(f"- {md(problem.message)}")


def _outcome(result: ImportResult) -> None:
    st.success(result.summary().capitalize(), icon=":material/check_circle:")
    stats = pl.DataFrame([vars(f) for f in result.files])
    st.dataframe(stats, hide_index=True, column_config=_STATS_COLUMNS)
    if result.skipped:
        st.caption(
            f"Not read ({len(result.skipped)}): objects no native table takes: "
            + ", ".join(f"`{name}`" for name in result.skipped)
        )
    if result.warnings:
        st.warning(f"{len(result.warnings)} warning(s): imported, worth a look.", icon=":material/warning:")
        st.dataframe(
            problems_frame(result.warnings).select("file", "line", "column", "record_id", "message"),
            hide_index=True,
            column_config=_PROBLEM_COLUMNS,
        )


def _run(db: Store, files: list[Any], mapping: Any, format: str | None, actor: str) -> ImportResult | None:
    bar = st.progress(0.0, text="Reading files")

    def progress(done: int, total: int, message: str) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=message.capitalize())

    try:
        uploads = [(f.name, f.getvalue()) for f in files]
        rules = (mapping.name, mapping.getvalue()) if mapping is not None else None
        options = {"format": format, "mapping": rules, "progress": progress}
        return admin.import_uploaded(db, uploads, actor=actor, **options)
    except StoreError as exc:
        bar.empty()
        st.error(f"Nothing was imported: {md(exc)}", icon=":material/error:")
    except ProblemsError as exc:
        bar.empty()
        _problems(exc)
    except ValueError as exc:  # a mapping file that does not validate
        bar.empty()
        _problems(ProblemsError([Problem(file=getattr(mapping, "name", None), message=str(exc))]))
    return None


def import_form(db: Store, actor: str, *, on_success: Any) -> None:
    """The upload form and its outcome: applied whole, audited as ``actor``'s, or nothing changes.

    ``on_success`` runs after an import (drop caches); the page then runs again with the outcome.
    """
    with st.form("upload", clear_on_submit=False, border=False):
        choice = st.radio("Format", list(FORMATS), horizontal=True, key="import_format")
        files = st.file_uploader(
            "Files: native `.csv` / `.parquet`, Salesforce object `.csv` files, or a `.zip` of either",
            type=["csv", "parquet", "zip"],
            accept_multiple_files=True,
            key=_uploader_key(),
        )
        with st.expander("Salesforce mapping file (optional)"):
            mapping = st.file_uploader(
                "Custom fields, objects, milestone targets and plans (TOML; see docs/salesforce.md)",
                type=["toml"],
                key=f"mapping_{_uploader_key()}",
            )
        submitted = st.form_submit_button("Validate and import", type="primary", icon=":material/upload:")
    if submitted and not files:
        st.warning("Choose one or more files first.")
    elif submitted:
        result = _run(db, files, mapping, FORMATS[choice], actor)
        if result is not None:
            st.session_state["import_outcome"] = result
            st.session_state["_uploads_generation"] = st.session_state.get("_uploads_generation", 0) + 1
            on_success()
            st.rerun()
    result = st.session_state.pop("import_outcome", None)
    if result is not None:
        _outcome(result)
