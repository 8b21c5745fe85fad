"""Remove the demo data (admins; a confirmation, and a backup first)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from entitlement_core.admin.demo_data import DemoStatus, demo_status, remove_demo
from entitlement_core.store import Store, StoreError
from ui.markdown import md

__all__ = ["demo_removal"]


def _consequence(status: DemoStatus) -> str:
    text = f"This empties every table ({status.rows:,} rows)"
    if status.imports:
        # Demo rows carry no mark: what was imported on top of the demo goes with it.
        text += f", including the data of {status.imports:,} import(s) made since the demo was built"
    return text + ". A backup of the whole database is written first, beside it in `backups/`."


def demo_removal(db: Store, actor: str, *, on_success: Callable[[], None]) -> None:
    """The "Remove the demo data" section, shown while the database holds the demo."""
    done = st.session_state.pop("demo_removed", None)
    if done is not None:
        st.success(done, icon=":material/check_circle:")
    try:
        status = demo_status(db)
    except StoreError:
        return
    if not status.has_demo:
        return
    with st.expander("Remove the demo data", icon=":material/delete:"):
        st.markdown(_consequence(status))
        with st.form("remove_demo", border=False):
            confirm = st.checkbox("I understand: remove the demo data", key="remove_demo_confirm")
            submitted = st.form_submit_button("Remove the demo data", icon=":material/delete_forever:")
        if submitted and not confirm:
            st.warning("Tick the confirmation first.")
        elif submitted:
            try:
                with st.spinner("Backing up, then removing the demo…"):
                    removal = remove_demo(db, actor=actor)
            except StoreError as exc:
                st.error(f"Nothing was removed: {md(exc)}", icon=":material/error:")
                return
            where = f" Backup: `{removal.backup}`." if removal.backup else ""
            removed = f"Removed the demo data ({removal.rows_removed:,} rows).{where}"
            st.session_state["demo_removed"] = removed
            on_success()
            st.rerun()
