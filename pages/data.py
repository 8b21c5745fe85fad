"""Data: import native files or Salesforce exports (signed-in admins only; all or nothing, audited),
import history, data health."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core.schema import TABLES
from ui import common, imports, signin
from ui.demo_removal import demo_removal

c = common.header("Data", "Bring in new data and check the health of what is stored.")
db = common.store()


tabs = st.tabs(["Import", "Data health", "Import history", "Tables"], key="tab", bind="query-params")
with tabs[0]:
    st.caption(
        "Native files, one per table, named after it (e.g. `accounts.csv`, `cases.parquet`), or a "
        "Salesforce export: its object files (`Account.csv`, `Case.csv` ...) or the `.zip` Setup > Data "
        "Export delivers. An import is all or nothing: a file with a bad row changes nothing. Re-importing "
        "a file updates rows by key, never duplicates them. Every import is recorded with who ran it."
    )
    # Importing changes data: only a signed-in admin may (the same sign-in as the Admin page).
    actor = signin.admin_actor("import data")
    if actor is not None:
        imports.import_form(db, actor, on_success=common.invalidate)
        st.caption(imports.command_line_hint())
        demo_removal(db, actor, on_success=common.invalidate)
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
        checks = summary.with_columns(result.alias("result"))
        checks = checks.select("result", "records", "check", "table", "kind")
        st.dataframe(
            checks,
            hide_index=True,
            column_config={
                "result": st.column_config.TextColumn("Result", width="small"),
                "records": st.column_config.NumberColumn("Records", format="%d", width="small"),
                "check": st.column_config.TextColumn("Check", width="large"),
                "table": "Table",
                "kind": "Kind",
            },
        )
        common.download(checks, key="data_health", file_name=f"data-health-{c.as_of_date}")
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
        shown = ["finished_at", "actor", "file_name", "table_name", "format", "rows_read", "rows_added",
                 "rows_updated", "sha256"]  # fmt: skip
        st.dataframe(
            history.select(shown),
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
        common.download(history, shown, key="import_history")

with tabs[3]:
    counts = common.guarded(db.table_counts)
    sizes = pl.DataFrame({"table": list(counts), "rows": list(counts.values())})
    st.dataframe(
        sizes,
        hide_index=True,
        column_config={"table": "Table", "rows": st.column_config.NumberColumn("Rows", format="localized")},
    )
    common.download(sizes, key="table_counts")
    st.caption(f"Database `{c.path}` · data version {c.version}")
