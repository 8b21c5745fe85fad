"""Upsell (account managers): entitlements that ran out or will, ranked by projected shortfall."""

from __future__ import annotations

import streamlit as st

from entitlement_core import charts, views
from ui import common
from ui.markdown import md

# The owner chosen below (or in the link): the header says whose candidates these are.
chosen_owner = st.session_state.get("upsell_owner", st.query_params.get("upsell_owner"))
c = common.header(
    "Upsell",
    "Accounts that have used up their allotment or will before the term ends.",
    scope=f"account owner: {md(chosen_owner)}" if chosen_owner else None,
)
common.require_data()

owners = common.view("upsell").owners
mine = st.columns([1, 2])[0].selectbox(
    "My accounts",
    [None, *owners],
    format_func=lambda o: o or "All account owners",
    key="upsell_owner",
    bind="query-params",
    help="Show the candidates of one account owner.",
)
view: views.UpsellView = common.view("upsell", owner=mine)
candidates = view.candidates

cols = st.columns(4)
cols[0].metric("Candidates", f"{candidates.height:,}", border=True)
cols[1].metric("Already exhausted or over", f"{view.exhausted:,}", border=True)
cols[2].metric("Accounts", f"{view.accounts:,}", border=True)
cols[3].metric(
    "Overage at stake",
    f"{view.overage_at_stake:,.0f}",
    border=True,
    help="Projected shortfall priced at each plan's overage rate (plans without a rate count 0).",
)

if candidates.is_empty():
    common.empty("No entitlement is projected to run out before the end of its term.")
    st.stop()

common.plotly(charts.shortfall_chart(candidates), key="shortfall")

left, right = st.columns([1, 3])
with left:
    st.subheader("By owner")
    common.show(
        view.by_owner,
        key="upsell_owners",
        height=460,
        config={
            "candidates": st.column_config.NumberColumn("Candidates", format="%d"),
            "projected_shortfall": st.column_config.NumberColumn("Shortfall", format="%.0f"),
        },
    )
with right:
    st.subheader("Ranked candidates")
    shown = ["rank", "status", "account_name", "entitlement_id", "owner", "plan", "pct_used",
             "projected_shortfall", "recommended_plan", "projected_exhaustion_date",
             "upsell_reason"]  # fmt: skip
    common.show(
        candidates, shown, key="upsell_table", height=460, export_columns=list(views.UPSELL_EXPORT_COLUMNS),
        file_name=f"upsell-{c.as_of_date}{'-' + mine.replace(' ', '_') if mine else ''}",
    )  # fmt: skip
