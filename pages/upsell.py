"""Upsell (account managers): entitlements that ran out or will, ranked by projected shortfall."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import charts, export
from ui import common

c = common.header("Upsell", "Accounts that have used up their allotment or will before the term ends.")
common.require_data()

candidates = common.mart("upsell")
if candidates is None:
    common.unavailable("Upsell ranking")
    st.stop()
candidates = c.filters.apply(candidates)

owners = sorted(candidates["owner"].drop_nulls().unique().to_list())
mine = st.columns([1, 2])[0].selectbox(
    "My accounts",
    [None, *owners],
    format_func=lambda o: o or "All account owners",
    key="upsell_owner",
    help="Show the candidates of one account owner.",
)
if mine:
    candidates = candidates.filter(pl.col("owner") == mine)
candidates = candidates.sort("rank")

value = (pl.col("projected_shortfall").clip(lower_bound=0) * pl.col("overage_rate")).sum()
cols = st.columns(4)
cols[0].metric("Candidates", f"{candidates.height:,}", border=True)
cols[1].metric(
    "Already exhausted or over",
    f"{candidates['status'].is_in(['exhausted', 'over_cap']).sum():,}",
    border=True,
)
cols[2].metric("Accounts", f"{candidates['account_id'].n_unique():,}", border=True)
cols[3].metric(
    "Overage at stake",
    f"{candidates.select(value).item() or 0:,.0f}",
    border=True,
    help="Projected shortfall priced at each plan's overage rate (plans without a rate count 0).",
)

if candidates.is_empty():
    common.empty("No entitlement is projected to run out before the end of its term.")
    st.stop()

common.plotly(charts.shortfall_chart(candidates), key="shortfall")

by_owner = (
    candidates.group_by("owner")
    .agg(pl.len().alias("candidates"), pl.col("projected_shortfall").sum().alias("projected_shortfall"))
    .sort("projected_shortfall", descending=True)
)
left, right = st.columns([1, 3])
with left:
    st.subheader("By owner")
    common.show(
        by_owner,
        key="upsell_owners",
        height=460,
        config={
            "candidates": st.column_config.NumberColumn("Candidates", format="%d"),
            "projected_shortfall": st.column_config.NumberColumn("Shortfall", format="%.0f"),
        },
    )
with right:
    st.subheader("Ranked candidates")
    columns = [
        "rank",
        "status",
        "account_name",
        "entitlement_id",
        "owner",
        "plan",
        "pct_used",
        "cap",
        "projected_at_end",
        "projected_shortfall",
        "projected_exhaustion_date",
        "recommended_plan",
        "upsell_reason",
    ]
    shown = [
        "rank",
        "status",
        "account_name",
        "entitlement_id",
        "owner",
        "plan",
        "pct_used",
        "projected_shortfall",
        "recommended_plan",
        "projected_exhaustion_date",
        "upsell_reason",
    ]
    common.show(candidates, shown, key="upsell_table", height=460)
    st.download_button(
        "Download CSV",
        export.to_bytes(candidates.select(columns), "csv"),
        file_name=f"upsell-{c.as_of_date}{'-' + mine.replace(' ', '_') if mine else ''}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="upsell_csv",
    )
