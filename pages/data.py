"""Data: import files (signed-in admins only; all or nothing, audited), import history, data health."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import admin
from entitlement_core.problems import ProblemsError, problems_frame
from entitlement_core.schema import TABLES
from entitlement_core.store import StoreError
from ui import common, signin
from ui.markdown import md

c = common.header("Data", "Bring in new data and check the health of what is stored.")
db = common.store()


def _import(actor: str) -> None:
    """The upload form and its outcome: applied whole, audited as ``actor``'s, or nothing changes."""
    with st.form("upload", clear_on_submit=True, border=False):
        files = st.file_uploader("Files", type=["csv", "parquet"], accept_multiple_files=True, key="uploads")
        submitted = st.form_submit_button("Validate and import", type="primary", icon=":material/upload:")
    if submitted and not files:
        st.warning("Choose one or more files first.")
    elif submitted:
        bar = st.progress(0.0, text="Reading files")

        def progress(done: int, total: int, message: str) -> None:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=message)

        try:
            uploads = [(f.name, f.getvalue()) for f in files]
            result = admin.import_uploaded(db, uploads, actor=actor, progress=progress)
        except StoreError as exc:
            bar.empty()
            st.error(f"Nothing was imported: {md(exc)}", icon=":material/error:")
        except ProblemsError as exc:
            bar.empty()
            st.error(
                f"Nothing was imported: {len(exc.problems):,} problem(s) found. Fix them and upload again.",
                icon=":material/error:",
            )
            st.dataframe(
                problems_frame(exc.problems).select("file", "line", "column", "record_id", "message"),
                hide_index=True,
                column_config={
                    "file": "File",
                    "line": st.column_config.NumberColumn("Line", format="%d"),
                    "column": "Column",
                    "record_id": "Record",
                    "message": "Reason",
                },
            )
        else:
            # Run the page again on the new data (health, counts, the sidebar's options), with the outcome.
            st.session_state["import_outcome"] = result
            common.invalidate()
            st.rerun()
    result = st.session_state.pop("import_outcome", None)
    if result is not None:
        st.success(result.summary().capitalize(), icon=":material/check_circle:")
        st.dataframe(
            pl.DataFrame([vars(f) for f in result.files]),
            hide_index=True,
            column_config={
                "file": "File",
                "table": "Table",
                "rows_read": "Read",
                "rows_added": "Added",
                "rows_updated": "Updated",
            },
        )


tabs = st.tabs(["Import", "Data health", "Import history", "Tables"])
with tabs[0]:
    st.caption(
        "Native files, one per table, named after it (e.g. `accounts.csv`, `cases.parquet`). "
        "An import is all or nothing: a file with a bad row changes nothing. Re-importing a file "
        "updates rows by key, never duplicates them. Every import is recorded with who ran it."
    )
    # Importing changes data: only a signed-in admin may (the same sign-in as the Admin page).
    actor = signin.admin_actor("import data")
    if actor is not None:
        _import(actor)
    with st.expander("File format (native v1)"):
        spec = pl.DataFrame(
            {
                "file": [f"{name}.csv" for name in TABLES],
                "required": [
                    ", ".join(col.name for col in t.columns if col.required) for t in TABLES.values()
                ],
                "optional": [
                    ", ".join(col.name for col in t.columns if not col.required) for t in TABLES.values()
                ],
            }
        )
        st.dataframe(
            spec,
            hide_index=True,
            column_config={"file": "File", "required": "Required columns", "optional": "Optional columns"},
        )

with tabs[1]:
    if not common.has_data():
        st.info(common.EMPTY_HINT, icon=":material/inbox:")
    else:
        summary, found = common.view("health")
        bad = summary.filter(~pl.col("is_ok"))
        errors = bad.filter(pl.col("severity") == "error").height
        (st.error if errors else st.warning if bad.height else st.success)(
            f"{errors} check(s) with errors, {bad.height - errors} with warnings, "
            f"{summary.height - bad.height} passing (as of {c.as_of_label})."
        )
        result = (
            pl.when(pl.col("is_ok")).then(pl.lit("✓ OK")).otherwise(pl.col("severity").str.to_titlecase())
        )
        st.dataframe(
            summary.with_columns(result.alias("result")).select(
                "result", "records", "check", "table", "kind"
            ),
            hide_index=True,
            column_config={
                "result": st.column_config.TextColumn("Result", width="small"),
                "records": st.column_config.NumberColumn("Records", format="%d", width="small"),
                "check": st.column_config.TextColumn("Check", width="large"),
                "table": "Table",
                "kind": "Kind",
            },
        )
        if not found.is_empty():
            st.markdown("**Configuration problems to fix**")
            st.dataframe(found, hide_index=True)
        st.caption(
            "Data checks are computed as of the sidebar's date; see the Utilization page for the cases."
        )

with tabs[2]:
    history = common.guarded(db.import_history)
    if history.is_empty():
        common.empty("No import yet. The demo database is built directly, not imported.")
    else:
        st.dataframe(
            history.select(
                "finished_at",
                "actor",
                "file_name",
                "table_name",
                "format",
                "rows_read",
                "rows_added",
                "rows_updated",
                "sha256",
            ),
            hide_index=True,
            column_config={
                "finished_at": st.column_config.DatetimeColumn("Finished (UTC)", format="YYYY-MM-DD HH:mm"),
                "actor": "By",
                "file_name": "File",
                "table_name": "Table",
                "format": "Format",
                "rows_read": "Read",
                "rows_added": "Added",
                "rows_updated": "Updated",
                "sha256": st.column_config.TextColumn("SHA-256", width="small"),
            },
        )

with tabs[3]:
    counts = common.guarded(db.table_counts)
    st.dataframe(
        pl.DataFrame({"table": list(counts), "rows": list(counts.values())}),
        hide_index=True,
        column_config={"table": "Table", "rows": st.column_config.NumberColumn("Rows", format="localized")},
    )
    st.caption(f"Database `{c.path}` · data version {c.version}")
