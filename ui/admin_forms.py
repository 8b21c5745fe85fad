"""The admin page's forms: each calls one :mod:`entitlement_core.admin` action and reports the outcome.

Pickers are keyed by record id (:func:`pick`): their labels carry live
figures (an entitlement's status) that change with every write, the
selection does not, and nothing is chosen until the user chooses. After a
write the page runs again, so every picker offers the data as it now is
(a new entitlement at once), and the outcome is shown on that run.

The id of a new record is fixed until the page has shown the outcome of its
write (:func:`form_id`): a submission repeated before then (a double click)
carries the same id, and the core records it once. The overflow policy
``warn`` turns into a confirmation button; ``block`` into a clear refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from entitlement_core import admin
from entitlement_core.problems import ProblemsError, problems_frame
from entitlement_core.store import Store, StoreError
from ui import common
from ui.markdown import md

USAGE_TYPES = ["cases", "hours", "none"]
OVERFLOW = ["warn", "block", "allow"]


def pick(
    where: Any, label: str, labels: dict[str, str], *, key: str, placeholder: str = "Choose an entitlement"
) -> str | None:
    """A picker whose value is a record id: ``labels`` (id -> text) may change between runs, the
    selection stays on the same id (and is cleared, never moved, when the record is gone)."""
    chosen = st.session_state.get(key)
    if chosen is not None:
        # The browser may still hold the label of an earlier run (the status in it changed since):
        # the id it starts with is the record the user chose.
        chosen = chosen if chosen in labels else str(chosen).split(" · ", 1)[0]
        st.session_state[key] = chosen if chosen in labels else None
    return where.selectbox(
        label, list(labels), format_func=labels.get, index=None, key=key, placeholder=placeholder
    )


def outcome(key: str) -> None:
    """Show what the last submission of form ``key`` did (kept across the run that follows a write)."""
    done = st.session_state.pop(f"{key}_outcome", None)
    if done is None:
        return
    created, message, warnings = done
    (st.success if created else st.info)(md(message), icon=":material/check_circle:")
    for warning in warnings:
        st.warning(md(warning), icon=":material/warning:")


def run(
    db: Store,
    actor: str,
    action: Callable[..., admin.AdminResult],
    *args: Any,
    key: str,
    **kwargs: Any,
) -> None:
    """Run an admin action and show the outcome (success, warnings, refusal or problems).

    After a write, the page runs again (fresh pickers and figures) and shows
    the outcome there (:func:`outcome`).
    """
    try:
        result = action(db, *args, actor=actor, **kwargs)
    except admin.NeedsConfirmation as exc:
        st.session_state[f"{key}_confirm"] = exc.message
        return
    except (admin.AdminError, StoreError) as exc:
        st.session_state.pop(f"{key}_at", None)
        icon = ":material/block:" if isinstance(exc, admin.OverflowBlocked) else ":material/error:"
        st.error(md(exc), icon=icon)
        return
    except ProblemsError as exc:
        st.session_state.pop(f"{key}_at", None)
        st.error("Nothing was changed:", icon=":material/error:")
        st.dataframe(problems_frame(exc.problems).select("column", "record_id", "message"), hide_index=True)
        return
    st.session_state.pop(f"{key}_confirm", None)
    st.session_state[f"{key}_written"] = True
    st.session_state[f"{key}_outcome"] = (result.created, result.message, result.warnings)
    common.invalidate()
    st.rerun()


def form_id(key: str, prefix: str, *, submitted: bool) -> str:
    """The id of the form's next record, kept until the page has shown the outcome of its write.

    A submission repeated before then (a double click) carries the same id,
    and the core records it once; the first run that is not a submission
    after a write starts a new one.
    """
    if st.session_state.get(f"{key}_written") and not submitted:
        for suffix in ("written", "id", "at"):
            st.session_state.pop(f"{key}_{suffix}", None)
    return str(st.session_state.setdefault(f"{key}_id", admin.new_id(prefix)))


def confirm_box(key: str) -> bool:
    """The overflow-warning prompt of the last submission, and whether it was confirmed."""
    message = st.session_state.get(f"{key}_confirm")
    if not message:
        return False
    st.warning(md(message), icon=":material/warning:")
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
    accounts = (
        t.accounts.select("account_id", pl.col("name").fill_null("")).sort("name", "account_id").collect()
    )
    names = dict(zip(accounts["account_id"], accounts["account_id"] + " · " + accounts["name"], strict=True))
    with st.form("create_ent"):
        a, b, d = st.columns(3)
        account_id = pick(a, "Account", names, key="ce_account", placeholder="Choose an account")
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
        submitted = st.form_submit_button("Create entitlement", type="primary", icon=":material/add:")
    entitlement_id = form_id("ce", "ENT", submitted=submitted)
    if submitted:
        row = {
            "entitlement_id": entitlement_id,
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
        if account_id is None:
            st.error("Choose the account the entitlement is for.", icon=":material/error:")
        else:
            run(db, actor, admin.create_entitlement, row, key="ce")
    outcome("ce")


def record_case(db: Store, actor: str, labels: dict[str, str]) -> None:
    with st.form("record_case"):
        a, b, d = st.columns([3, 1, 1])
        ent = pick(a, "Entitlement", labels, key="rc_ent")
        priority = b.selectbox("Priority", ["Low", "Medium", "High", "Critical"], index=1, key="rc_priority")
        origin = d.selectbox("Origin", ["Email", "Phone", "Web", "Chat"], key="rc_origin")
        submitted = st.form_submit_button("Record case", type="primary", icon=":material/add:")
    case_id = form_id("rc", "CASE", submitted=submitted)
    if submitted:
        st.session_state.setdefault("rc_at", dt.datetime.now(dt.UTC).replace(microsecond=0))
        st.session_state.pop("rc_confirm", None)
    case = {
        "case_id": case_id,
        "entitlement_id": ent,
        "priority": priority,
        "origin": origin,
        "created_at": st.session_state.get("rc_at") or dt.datetime.now(dt.UTC),
    }
    if submitted and ent is None:
        st.error("Choose the entitlement the case is for.", icon=":material/error:")
    elif submitted:
        run(db, actor, admin.record_case, case, key="rc")
    if confirm_box("rc"):
        run(db, actor, admin.record_case, case, key="rc", confirm=True)
    outcome("rc")


def record_time_entry(
    db: Store, actor: str, labels: dict[str, str], hours_ids: list[str], as_of_date: dt.date
) -> None:
    if not hours_ids:
        common.empty("No hours entitlement: time entries consume hours banks only.")
        return
    ent = pick(st, "Hours entitlement", {i: labels.get(i, i) for i in hours_ids}, key="te_ent")
    if ent is None:
        outcome("te")
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
    entry_id = form_id("te", "TE", submitted=submitted)
    entry = {"time_entry_id": entry_id, "case_id": case_id, "entry_date": day, "minutes": minutes}
    if submitted:
        st.session_state.pop("te_confirm", None)
        run(db, actor, admin.record_time_entry, entry, key="te")
    if confirm_box("te"):
        run(db, actor, admin.record_time_entry, entry, key="te", confirm=True)
    outcome("te")


def renew(db: Store, actor: str, labels: dict[str, str]) -> None:
    with st.form("renew"):
        ent = pick(st, "Entitlement to renew", labels, key="rn_ent")
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
            if ent is None:
                st.error("Choose the entitlement to renew.", icon=":material/error:")
            else:
                run(
                    db,
                    actor,
                    admin.renew_entitlement,
                    {"entitlement_id": ent, "plan": plan, "cap": cap},
                    key="rn",
                )
    outcome("rn")


def edit(db: Store, actor: str, labels: dict[str, str]) -> None:
    with st.form("edit"):
        st.caption("Change the name, cap, plan, end date or overflow policy. The usage type is permanent.")
        ent = pick(st, "Entitlement", labels, key="ed_ent")
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
            if ent is None:
                st.error("Choose the entitlement to change.", icon=":material/error:")
            else:
                run(
                    db,
                    actor,
                    admin.update_entitlement,
                    ent,
                    {k: v for k, v in given.items() if v is not None},
                    key="ed",
                )
    outcome("ed")


#: Rows of the audit log on screen; the download holds every entry the filters match.
AUDIT_ROWS = 500


def audit_log(db: Store) -> None:
    """The audit log, filtered by who, what and when; newest first; a download of every match."""
    choices = common.guarded(db.audit_choices)
    if not choices["action"]:
        common.empty("No change has been made through the admin page yet.")
        return
    who, what, when = st.columns([2, 2, 2])
    actors = who.multiselect("Who", choices["actor"], key="audit_who", placeholder="Anyone")
    actions = what.multiselect("What", choices["action"], key="audit_what", placeholder="Any change")
    days = when.date_input("When (UTC days)", value=(), key="audit_when", format="YYYY-MM-DD")
    where: dict[str, Any] = {"actors": tuple(actors), "actions": tuple(actions)}
    if isinstance(days, tuple | list) and days:
        first, last = days[0], days[-1]
        where["since"] = dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC)
        where["until"] = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    log = common.guarded(lambda: db.audit_entries(AUDIT_ROWS + 1, **where))
    if log.is_empty():
        common.empty("No audit entry matches these filters.")
        return
    more = log.height > AUDIT_ROWS
    st.caption(
        f"Newest first; the first {AUDIT_ROWS:,} matching entries (the download holds them all)."
        if more
        else f"{log.height:,} matching entr{'y' if log.height == 1 else 'ies'}, newest first."
    )
    columns = ["occurred_at", "actor", "action", "table_name", "record_id", "before", "after"]
    common.show(
        log.head(AUDIT_ROWS),
        columns,
        key="audit_log",
        all_rows=partial(db.audit_entries, None, **where) if more else None,
        total=None,
        config={
            "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "actor": "Who",
            "action": "What",
            "table_name": "Table",
            "record_id": "Record",
            "before": st.column_config.JsonColumn("Before"),
            "after": st.column_config.JsonColumn("After"),
        },
    )
