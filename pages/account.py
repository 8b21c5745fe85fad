"""Account (support agents): find a customer, check eligibility, see its cases and consumption."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import charts, views
from ui import common
from ui import grants as grant_view
from ui.markdown import md

c = common.header("Account", "Is this customer entitled to support right now, and how much is left?")
common.require_data()

query = st.text_input(
    "Search an account, contact or asset",
    key="q",
    bind="query-params",
    icon=":material/search:",
    placeholder="Account name or ID, contact name or email, asset ID or product",
)
if not query:
    st.info(
        "Type part of a name, an email address or an asset ID to find the customer.", icon=":material/search:"
    )
    st.stop()
matches = views.search_accounts(common.tables(), query)
if matches.is_empty():
    st.warning(f"Nothing matches “{md(query)}”. Check the spelling, or search by email or asset ID.")
    st.stop()

ids = list(dict.fromkeys(matches["account_id"].to_list()))
first = {r["account_id"]: r for r in matches.iter_rows(named=True) if r["account_id"] in ids}
label = {
    i: f"{first[i]['account_name']} · {i} (matched {first[i]['matched_on']}: {first[i]['match']})"
    for i in ids
}
account_id = st.selectbox(
    f"{len(ids)} matching account{'s' if len(ids) > 1 else ''}",
    ids,
    format_func=label.get,
    key="account_pick",
)
view: views.AccountView = common.view("account", account_id=account_id)
info = first[account_id]

st.subheader(md(info["account_name"] or account_id))
st.caption(
    f"{md(account_id)} · tier {md(info['tier'] or '—')} · {md(info['region'] or '—')} · "
    f"account owner {md(info['owner'] or '—')}"
)

st.markdown(f"#### Eligibility as of {c.as_of_label}")
if view.eligible.is_empty():
    st.error(
        "No active entitlement: this customer is not entitled to support as of this moment. "
        "Check for a renewal or an expired term below.",
        icon=":material/gpp_bad:",
    )
for row in view.eligible.iter_rows(named=True):
    with st.container(border=True):
        head, remaining, sla = st.columns([3, 1, 2])
        head.markdown(
            f"**{md(row['name'] or row['entitlement_id'])}**  \n"
            f"{md(row['entitlement_id'])} · {md(row['plan'] or 'no plan')}"
            f" · {row['usage_type']} · {row['start_date']:%d %b %Y} – {row['end_date']:%d %b %Y}"
        )
        left = "Unlimited" if row["remaining"] is None else f"{row['remaining']:,.1f}".removesuffix(".0")
        remaining.metric(f"Remaining {row['unit']}", left)
        sla.markdown(f"SLA process  \n**{md(row['process_name'] or 'none (no milestones)')}**")
        common.banner(row)
        grant_view.entitlement_grants(view.grants, row["entitlement_id"])

nb = view.next_breach
if nb is not None:
    more = view.breaches.height - 1
    others = f" {more:,} more open case{'s' if more != 1 else ''} below, soonest first." if more > 0 else ""
    text = (
        f"**Next SLA breach:** case {md(nb['case_id'])}, {md(nb['milestone'])} {md(nb['breach'])} "
        f"(target {nb['target_at']:%d %b %Y %H:%M} UTC).{others}"
    )
    if nb["status"] == "at_risk" or (nb["minutes_left"] is not None and nb["minutes_left"] <= 0):
        st.warning(text, icon=":material/timer:")
    else:
        st.info(text, icon=":material/timer:")

tabs = st.tabs(
    ["Cases", "Next breaches", "Consumption", "All entitlements", "Grants", "Salesforce reconciliation"]
)
with tabs[0]:
    st.caption(f"{view.case_count:,} cases; newest first (up to 500).")
    if view.cases.is_empty():
        common.empty("No case recorded for this account yet.")
    else:
        common.show(
            view.cases,
            [
                "case_id",
                "created_at",
                "closed_at",
                "status",
                "priority",
                "origin",
                "entitlement_id",
                "is_deleted",
            ],
            key="acc_cases",
            height=360,
            config={"status": st.column_config.TextColumn("Status")},
        )
with tabs[1]:
    if view.breaches.is_empty():
        common.empty("No open milestone: nothing can breach.")
    else:
        st.caption(
            "Each open case's earliest open target; business minutes left count only open hours, and a "
            "paused clock keeps its minutes until it resumes."
        )
        common.show(
            view.breaches,
            ["case_id", "milestone", "status", "breach", "target_at", "minutes_left", "minutes_to_target",
             "running_milestones", "priority", "owner"],
            key="acc_breach",
            config={"status": common.milestone_status_config()},
        )  # fmt: skip
with tabs[2]:
    weekly = view.weekly
    units = sorted(weekly["unit"].unique().to_list()) if not weekly.is_empty() else ["cases"]
    for unit in units:
        part = weekly.filter(pl.col("unit") == unit).rename({"week_start_date": "week_start"})
        common.plotly(
            charts.consumption_chart(
                part, color_by="entitlement_id", unit=unit, title=f"{unit.capitalize()} consumed per week"
            ),
            key=f"acc_w_{unit}",
        )
with tabs[3]:
    common.show(
        view.entitlements,
        ["status", "entitlement_id", "plan", "usage_type", "start_date", "end_date", "cap", "consumed",
         "remaining", "pct_used", "renewal_of"],
        key="acc_ents",
        config={"renewal_of": st.column_config.TextColumn("Renewal of")},
    )  # fmt: skip
with tabs[4]:
    grant_view.account_grants(view.grants)
with tabs[5]:
    if view.counters == 0:
        st.caption("No Salesforce remaining-cases counter was imported for this account.")
    elif view.reconciliation.is_empty():
        common.empty(f"Salesforce's remaining-cases counter agrees on all {view.counters} entitlement(s).")
    else:
        st.caption("Entitlements where Salesforce's editable counter disagrees with the consumption rules.")
        common.show(
            view.reconciliation,
            ["entitlement_id", "cap", "consumed", "remaining", "crm_remaining_cases", "difference",
             "deleted_cases", "out_of_term_cases", "likely_cause"],
            key="acc_rec",
        )  # fmt: skip
