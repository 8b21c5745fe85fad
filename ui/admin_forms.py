"""The admin page's forms: each calls one :mod:`entitlement_core.admin` action and reports the outcome.

Ids of new records are fixed for the life of a form (a resubmission is a
no-op in the core), and the same submission twice within a few seconds (a
double click) is recorded once. The overflow policy ``warn`` turns into a
confirmation button; ``block`` into a clear refusal.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from entitlement_core import admin
from entitlement_core.problems import ProblemsError, problems_frame
from entitlement_core.store import Store
from ui import common

USAGE_TYPES = ["cases", "hours", "none"]
OVERFLOW = ["warn", "block", "allow"]


def run(
    db: Store,
    actor: str,
    action: Callable[..., admin.AdminResult],
    *args: Any,
    key: str,
    fresh: str = "",
    **kwargs: Any,
) -> None:
    """Run an admin action and show the outcome (success, warnings, refusal or problems)."""
    same = [
        {k: v for k, v in a.items() if k not in (fresh, "created_at")} if isinstance(a, dict) else a
        for a in args
    ]
    fingerprint = repr((action.__name__, same))
    last = st.session_state.get(f"{key}_last")
    if last and last[0] == fingerprint and time.monotonic() - last[1] < 5:
        st.info(f"Already done: {last[2]}", icon=":material/check_circle:")
        return
    try:
        result = action(db, *args, actor=actor, **kwargs)
    except admin.NeedsConfirmation as exc:
        st.session_state[f"{key}_confirm"] = exc.message
        return
    except admin.OverflowBlocked as exc:
        st.error(str(exc), icon=":material/block:")
        return
    except ProblemsError as exc:
        st.error("Nothing was changed:", icon=":material/error:")
        st.dataframe(problems_frame(exc.problems).select("column", "record_id", "message"), hide_index=True)
        return
    except admin.AdminError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    for suffix in ("confirm", "id", "at"):
        st.session_state.pop(f"{key}_{suffix}", None)
    st.session_state[f"{key}_last"] = (fingerprint, time.monotonic(), result.message)
    (st.success if result.created else st.info)(result.message, icon=":material/check_circle:")
    for warning in result.warnings:
        st.warning(warning, icon=":material/warning:")
    common.invalidate()


def form_id(key: str, prefix: str) -> str:
    """An id fixed for the life of one form, so a double submit cannot create two records."""
    return str(st.session_state.setdefault(f"{key}_id", admin.new_id(prefix)))


def confirm_box(key: str) -> bool:
    """The overflow-warning prompt of the last submission, and whether it was confirmed."""
    message = st.session_state.get(f"{key}_confirm")
    if not message:
        return False
    st.warning(message, icon=":material/warning:")
    return st.button("Record as overage", key=f"{key}_yes", type="primary")


def entitlement_labels(util: pl.DataFrame) -> dict[str, str]:
    """``E000123 · Acme (cases, near_limit)`` for each entitlement of a utilization frame."""
    text = pl.format(
        "{} · {} ({}, {})", "entitlement_id", pl.col("account_name").fill_null(""), "usage_type", "status"
    )
    rows = util.sort("entitlement_id").select("entitlement_id", text.alias("label"))
    return dict(rows.iter_rows())


def _choices(frame: pl.LazyFrame, column: str) -> list[str | None]:
    return [None, *frame.select(column).collect()[column].to_list()]


def create_entitlement(db: Store, actor: str, as_of_date: dt.date) -> None:
    t = common.tables()
    accounts = t.accounts.select("account_id", "name").sort("name").collect()
    names = dict(zip(accounts["account_id"], accounts["name"] + " · " + accounts["account_id"], strict=True))
    with st.form("create_ent"):
        a, b, d = st.columns(3)
        account_id = a.selectbox("Account", list(names), format_func=names.get, key="ce_account")
        name = b.text_input("Name", key="ce_name", placeholder="e.g. Pro support 2027")
        usage_type = d.segmented_control(
            "Usage type (permanent)",
            USAGE_TYPES,
            default="cases",
            key="ce_usage",
            help="Chosen once: no edit path changes it.",
        )
        a, b, d = st.columns(3)
        start = a.date_input("Start date", value=as_of_date, key="ce_start", format="YYYY-MM-DD")
        end = b.date_input(
            "End date", value=as_of_date + dt.timedelta(days=364), key="ce_end", format="YYYY-MM-DD"
        )
        cap = d.number_input("Cap (empty = unlimited)", min_value=0.0, value=None, step=1.0, key="ce_cap")
        a, b, d, e = st.columns(4)
        plan = a.selectbox("Plan", _choices(t.plans, "plan"), format_func=lambda p: p or "—", key="ce_plan")
        overflow = b.selectbox("Overflow policy", OVERFLOW, key="ce_overflow")
        consume_on = d.selectbox("Consume on", ["created", "closed"], key="ce_consume")
        process_id = e.selectbox(
            "SLA process",
            _choices(t.entitlement_processes, "process_id"),
            format_func=lambda p: p or "—",
            key="ce_process",
        )
        if st.form_submit_button("Create entitlement", type="primary", icon=":material/add:"):
            row = {
                "entitlement_id": form_id("ce", "ENT"),
                "account_id": account_id,
                "usage_type": usage_type,
                "start_date": start,
                "end_date": end,
                "name": name,
                "cap": cap,
                "plan": plan,
                "overflow": overflow,
                "consume_on": consume_on,
                "process_id": process_id,
            }
            run(db, actor, admin.create_entitlement, row, key="ce", fresh="entitlement_id")


def record_case(db: Store, actor: str, labels: dict[str, str]) -> None:
    with st.form("record_case"):
        a, b, d = st.columns([3, 1, 1])
        ent = a.selectbox("Entitlement", list(labels), format_func=labels.get, key="rc_ent")
        priority = b.selectbox("Priority", ["Low", "Medium", "High", "Critical"], index=1, key="rc_priority")
        origin = d.selectbox("Origin", ["Email", "Phone", "Web", "Chat"], key="rc_origin")
        submitted = st.form_submit_button("Record case", type="primary", icon=":material/add:")
    if submitted:
        st.session_state["rc_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0)
        st.session_state.pop("rc_confirm", None)
    case = {
        "case_id": form_id("rc", "CASE"),
        "entitlement_id": ent,
        "priority": priority,
        "origin": origin,
        "created_at": st.session_state.get("rc_at") or dt.datetime.now(dt.UTC),
    }
    if submitted:
        run(db, actor, admin.record_case, case, key="rc", fresh="case_id")
    if confirm_box("rc"):
        run(db, actor, admin.record_case, case, key="rc", fresh="case_id", confirm=True)


def record_time_entry(
    db: Store, actor: str, labels: dict[str, str], hours_ids: list[str], as_of_date: dt.date
) -> None:
    ent = st.selectbox("Hours entitlement", hours_ids, format_func=labels.get, key="te_ent")
    if ent is None:
        common.empty("No hours entitlement: time entries consume hours banks only.")
        return
    cases = (
        common.tables()
        .cases.filter(pl.col("entitlement_id") == ent)
        .sort("created_at", descending=True)
        .head(200)
        .select("case_id")
        .collect()["case_id"]
        .to_list()
    )
    with st.form("record_time"):
        a, b, d = st.columns(3)
        case_id = a.selectbox("Case", cases, key="te_case")
        day = b.date_input("Date", value=as_of_date, key="te_date", format="YYYY-MM-DD")
        minutes = d.number_input("Minutes", min_value=1, value=60, step=15, key="te_minutes")
        submitted = st.form_submit_button("Record time", type="primary", icon=":material/schedule:")
    entry = {"time_entry_id": form_id("te", "TE"), "case_id": case_id, "entry_date": day, "minutes": minutes}
    if submitted:
        st.session_state.pop("te_confirm", None)
        run(db, actor, admin.record_time_entry, entry, key="te", fresh="time_entry_id")
    if confirm_box("te"):
        run(db, actor, admin.record_time_entry, entry, key="te", fresh="time_entry_id", confirm=True)


def renew(db: Store, actor: str, labels: dict[str, str]) -> None:
    with st.form("renew"):
        ent = st.selectbox("Entitlement to renew", list(labels), format_func=labels.get, key="rn_ent")
        a, b = st.columns(2)
        plan = a.selectbox(
            "Plan for the new term",
            _choices(common.tables().plans, "plan"),
            format_func=lambda p: p or "Keep the current plan",
            key="rn_plan",
        )
        cap = b.number_input(
            "Cap (empty: the plan's, else the current one)", min_value=0.0, value=None, key="rn_cap"
        )
        st.caption(
            "As the renewal run does: the new record `<id>-R<start date>` starts the day after the current "
            "term ends and lasts as long (a whole year stays a whole year), with an anchor grant of its cap; "
            "unused balance rolls over under the plan's policy once the current term has ended. Renewing "
            "twice creates nothing new."
        )
        if st.form_submit_button("Renew", type="primary", icon=":material/autorenew:"):
            row = {"entitlement_id": ent, "plan": plan, "cap": cap}
            run(db, actor, admin.renew_entitlement, row, key="rn")


def edit(db: Store, actor: str, labels: dict[str, str]) -> None:
    with st.form("edit"):
        st.caption("Change the name, cap, plan, end date or overflow policy. The usage type is permanent.")
        ent = st.selectbox("Entitlement", list(labels), format_func=labels.get, key="ed_ent")
        a, b, d, e, f = st.columns(5)
        name = a.text_input("New name", key="ed_name", placeholder="Keep")
        cap = b.number_input("New cap", min_value=0.0, value=None, key="ed_cap", placeholder="Keep")
        plan = d.selectbox(
            "New plan",
            _choices(common.tables().plans, "plan"),
            format_func=lambda p: p or "Keep",
            key="ed_plan",
        )
        end = e.date_input("New end date", value=None, key="ed_end", format="YYYY-MM-DD")
        overflow = f.selectbox(
            "Overflow policy", [None, *OVERFLOW], format_func=lambda p: p or "Keep", key="ed_overflow"
        )
        if st.form_submit_button("Save changes", type="primary", icon=":material/save:"):
            given = {"name": name or None, "cap": cap, "plan": plan, "end_date": end, "overflow": overflow}
            run(
                db,
                actor,
                admin.update_entitlement,
                ent,
                {k: v for k, v in given.items() if v is not None},
                key="ed",
            )


def audit_log(db: Store) -> None:
    log = db.audit_entries(200)
    if log.is_empty():
        common.empty("No change has been made through the admin page yet.")
        return
    st.dataframe(
        log.select("occurred_at", "actor", "action", "table_name", "record_id", "before", "after"),
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "actor": "Who",
            "action": "What",
            "table_name": "Table",
            "record_id": "Record",
            "before": st.column_config.JsonColumn("Before"),
            "after": st.column_config.JsonColumn("After"),
        },
    )
