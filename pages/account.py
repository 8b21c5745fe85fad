"""Account (support agents): find a customer, check eligibility, see its cases and consumption."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import app_data, charts
from entitlement_core.usage import reconciliation, utilization, weekly_consumption
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
matches = app_data.search_accounts(common.tables(), query or "")
if not query:
    st.info(
        "Type part of a name, an email address or an asset ID to find the customer.", icon=":material/search:"
    )
    st.stop()
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
info = first[account_id]
sub = app_data.account_tables(common.tables(), account_id)
settings = common.settings()
util = utilization(
    sub, as_of=c.as_of, thresholds=settings.thresholds, burn_window_days=settings.burn_window_days
).collect()
grants = app_data.grant_balances(sub, as_of=c.as_of)

st.subheader(md(info["account_name"] or account_id))
st.caption(
    f"{md(account_id)} · tier {md(info['tier'] or '—')} · {md(info['region'] or '—')} · "
    f"account owner {md(info['owner'] or '—')}"
)

processes = sub.entitlement_processes.select("process_id", pl.col("name").alias("process_name")).collect()
active = (
    util.filter(~pl.col("status").is_in(["not_started", "expired"]))
    .join(sub.entitlements.select("entitlement_id", "process_id").collect(), on="entitlement_id", how="left")
    .join(processes, on="process_id", how="left")
)
st.markdown(f"#### Eligibility on {c.as_of_date:%d %b %Y}")
if active.is_empty():
    st.error(
        "No active entitlement: this customer is not entitled to support today. "
        "Check for a renewal or an expired term below.",
        icon=":material/gpp_bad:",
    )
for row in active.iter_rows(named=True):
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
        grant_view.entitlement_grants(grants, row["entitlement_id"])

tabs = st.tabs(["Cases", "Consumption", "All entitlements", "Grants", "Salesforce reconciliation"])
with tabs[0]:
    cases = sub.cases.sort("created_at", descending=True).head(500).collect()
    st.caption(f"{sub.cases.select(pl.len()).collect().item():,} cases; newest first (up to 500).")
    if cases.is_empty():
        common.empty("No case recorded for this account yet.")
    else:
        common.show(
            cases,
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
    weekly = weekly_consumption(sub, as_of=c.as_of, by="entitlement").collect()
    units = sorted(weekly["unit"].unique().to_list()) if not weekly.is_empty() else ["cases"]
    for unit in units:
        part = weekly.filter(pl.col("unit") == unit).rename({"week_start_date": "week_start"})
        common.plotly(
            charts.consumption_chart(
                part, color_by="entitlement_id", unit=unit, title=f"{unit.capitalize()} consumed per week"
            ),
            key=f"acc_w_{unit}",
        )
with tabs[2]:
    common.show(
        util.sort("end_date", descending=True),
        [
            "status",
            "entitlement_id",
            "plan",
            "usage_type",
            "start_date",
            "end_date",
            "cap",
            "consumed",
            "remaining",
            "pct_used",
            "renewal_of",
        ],
        key="acc_ents",
        config={"renewal_of": st.column_config.TextColumn("Renewal of")},
    )
with tabs[3]:
    grant_view.account_grants(grants)
with tabs[4]:
    rec = reconciliation(sub, as_of=c.as_of, thresholds=settings.thresholds).collect()
    counters = util.filter(pl.col("crm_remaining_cases").is_not_null()).height
    if counters == 0:
        st.caption("No Salesforce remaining-cases counter was imported for this account.")
    elif rec.is_empty():
        common.empty(f"Salesforce's remaining-cases counter agrees on all {counters} entitlement(s).")
    else:
        st.caption("Entitlements where Salesforce's editable counter disagrees with the consumption rules.")
        common.show(
            rec,
            [
                "entitlement_id",
                "cap",
                "consumed",
                "remaining",
                "crm_remaining_cases",
                "difference",
                "deleted_cases",
                "out_of_term_cases",
                "likely_cause",
            ],
            key="acc_rec",
        )
