"""Alerts (everyone; acknowledging: signed-in admins): what the alert job found, newest first."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import alerts
from ui import common, signin
from ui.markdown import md

c = common.header(
    "Alerts",
    "What the alert job (`alerts run`) found, newest first: each rule fires once per crossing and "
    "re-arms when its condition clears. The sidebar's owner and tier filters apply; the as-of date does not.",
)
common.require_data()
db = common.store()

left, mid, right = st.columns([3, 1, 1])
rules = left.multiselect(
    "Rule",
    list(alerts.RULE_IDS),
    key="rule",
    bind="query-params",
    placeholder="All rules",
    help="Rule ids as in the rules file (`alerts rules`); a link may name them: `?rule=exhausted`.",
)
show_cleared = mid.toggle(
    "Show cleared",
    value=True,
    key="alerts_cleared",
    bind="query-params",
    help="Conditions that no longer hold.",
)
show_acked = right.toggle("Show acknowledged", value=True, key="alerts_acked", bind="query-params")

shown = common.guarded(
    lambda: alerts.feed(
        db,
        rules=rules,
        owners=c.filters.owner,
        tiers=c.filters.tier,
        acknowledged=show_acked,
        cleared=show_cleared,
    )
)
cols = st.columns(4)
cols[0].metric("Shown", f"{shown.height:,}", border=True)
cols[1].metric("Active", f"{(shown['state'] == 'active').sum():,}", border=True)
cols[2].metric("Not acknowledged", f"{shown['acknowledged_at'].is_null().sum():,}", border=True)
cols[3].metric(
    "Failed deliveries",
    f"{shown['failed'].sum():,}",
    border=True,
    help="Messages a receiver refused or could not be reached for; the next `alerts run` retries them.",
)
if shown.is_empty():
    st.info(
        "No alert matches. Alerts appear here once `python -m entitlement_core alerts run` has run "
        "(by hand or from a scheduler; see the README, *Alerts*).",
        icon=":material/notifications_off:",
    )
    st.stop()

config = {
    "fired_at": st.column_config.DatetimeColumn("Fired", format="YYYY-MM-DD HH:mm"),
    "rule": st.column_config.TextColumn("Rule"),
    "severity": st.column_config.TextColumn("Severity", width="small"),
    "record_kind": st.column_config.TextColumn("Record"),
    "record_id": st.column_config.TextColumn("ID"),
    "summary": st.column_config.TextColumn("What", width="large"),
    "state": st.column_config.TextColumn("State", width="small"),
    "acknowledged_by": st.column_config.TextColumn("Acknowledged by"),
    "delivery": st.column_config.TextColumn("Delivery"),
    "link": st.column_config.LinkColumn("Open", display_text="Open"),
}
columns = ["fired_at", "rule", "severity", "account_name", "owner", "record_kind", "record_id", "summary",
           "banner", "state", "acknowledged_by", "delivery", "link"]  # fmt: skip
common.show(shown, columns, key="alerts_table", height=520, config=config)

st.subheader("Acknowledge")
actor = signin.admin_actor("acknowledge alerts")
if actor is not None:
    open_ = shown.filter(pl.col("acknowledged_at").is_null())
    labels = {
        row[
            "alert_key"
        ]: f"{row['rule']} · {row['account_name'] or row['account_id'] or '—'} · {row['record_id']}"
        for row in open_.head(500).iter_rows(named=True)
    }
    picked = st.multiselect(
        "Alerts to acknowledge",
        list(labels),
        format_func=labels.get,
        key="alerts_ack",
        placeholder="Choose alerts",
    )
    if st.button("Acknowledge", disabled=not picked, icon=":material/done_all:", key="alerts_ack_go"):
        count = common.guarded(lambda: alerts.acknowledge(db, picked, actor=actor))
        st.success(f"Acknowledged {count} alert(s) as {md(actor)}.", icon=":material/check:")
