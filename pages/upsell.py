"""Upsell (account managers): entitlements that ran out or likely will, ranked by expected shortfall."""

from __future__ import annotations

import streamlit as st

from entitlement_core import charts, export, views
from ui import common

c = common.header("Upsell", "Accounts that have used up their allotment or will before the term ends.")
common.require_data()

owners = common.view("upsell").owners
mine = st.columns([1, 2])[0].selectbox(
    "My accounts",
    [None, *owners],
    format_func=lambda o: o or "All account owners",
    key="upsell_owner",
    help="Show the candidates of one account owner.",
)
view: views.UpsellView = common.view("upsell", owner=mine)
candidates = view.candidates

cols = st.columns(4)
cols[0].metric("Candidates", f"{candidates.height:,}", border=True)
cols[1].metric("Already exhausted or over", f"{view.exhausted:,}", border=True)
cols[2].metric(
    "Expected shortfall at stake",
    " · ".join(f"{view.at_stake[unit]:,.0f} {unit}" for unit in views.UNITS),
    border=True,
    help="Units beyond the allotment by the end of each term, averaged over the forecast's outcomes "
    "(probability times size), summed per unit: cases and hours are never added together.",
)
cols[3].metric(
    "Overage at stake (money)",
    f"{view.overage_at_stake:,.0f}",
    border=True,
    help="The expected shortfall priced at each plan's overage rate (plans without a rate count 0).",
)

if candidates.is_empty():
    common.empty("No entitlement is likely to run out before the end of its term.")
    st.stop()

units = [unit for unit in views.UNITS if unit in set(candidates["unit"].to_list())]
for tab, unit in zip(
    st.tabs([f"Largest expected shortfalls ({unit})" for unit in units]), units, strict=True
):
    with tab:
        common.plotly(charts.shortfall_chart(candidates, unit=unit), key=f"shortfall_{unit}")

left, right = st.columns([1, 3])
with left:
    st.subheader("By owner")
    common.show(
        view.by_owner,
        key="upsell_owners",
        height=460,
        config={
            "candidates": st.column_config.NumberColumn("Candidates", format="%d"),
            "expected_shortfall": st.column_config.NumberColumn("Expected shortfall", format="%.1f"),
        },
    )
with right:
    st.subheader("Ranked candidates")
    st.caption(
        "Ranked by expected shortfall at the end of the term (probability times size, in the row's unit); "
        "the interval holds 80% of the forecast's outcomes for consumption at the end."
    )
    common.show(candidates, list(views.UPSELL_SHOWN), key="upsell_table", height=460)
    st.download_button(
        "Download CSV",
        export.to_bytes(candidates.select(views.UPSELL_EXPORT_COLUMNS), "csv"),
        file_name=f"upsell-{c.as_of_date}{'-' + mine.replace(' ', '_') if mine else ''}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="upsell_csv",
    )
