"""Revenue (account managers, finance): overage billed, money committed and drawn, grants and breakage."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import charts, export, views
from ui import common

ACCOUNT_COLUMNS = ["account_name", "account_id", "owner", "tier", "region", "months", "first_month",
                   "last_month", "overage_units", "overage_amount"]  # fmt: skip
MONTH_COLUMNS = ["month", "account_name", "account_id", "owner", "overage_units", "overage_rate",
                 "overage_amount"]  # fmt: skip
COMMITMENT_COLUMNS = ["account_name", "owner", "grant_id", "state", "unit_rate", "committed_amount",
                      "drawn_amount", "remaining_amount", "pct_drawn", "valid_to"]  # fmt: skip
GRANT_COLUMNS = ["account_name", "entitlement_id", "grant_id", "kind", "resource", "units", "drawn",
                 "balance", "state", "breakage", "valid_from", "valid_to"]  # fmt: skip

c = common.header(
    "Revenue",
    "Overage beyond every grant priced at the plan's rate, monetary commitments, and grant balances.",
)
common.require_data()

view: views.RevenueView = common.view("revenue")
revenue, grants, commitments = view.revenue, view.grants, view.commitments

cols = st.columns(4)
cols[0].metric(
    "Overage revenue",
    f"{view.total:,.0f}",
    help="Consumption beyond every grant (anchor, packs, rollovers, commitments) times the plan's "
    "overage rate, all terms up to the as-of date.",
    border=True,
)
cols[1].metric("Accounts with priced overage", f"{view.priced_accounts:,}", border=True)
cols[2].metric(
    "Commitments remaining",
    f"{commitments['remaining_amount'].sum():,.0f}",
    help=f"{commitments.height} commitment(s); {commitments['drawn_amount'].sum():,.0f} drawn so far.",
    border=True,
)
topups = view.active_topups
cols[3].metric(
    "Active packs and rollovers",
    f"{topups.height:,}",
    help=f"{view.topup_balances} left on them.",
    border=True,
)

st.subheader("Overage revenue")
groups = {"Account owner": "owner", "Account": "account_name", "Tier": "tier"}
by = st.segmented_control("Stack by", list(groups), default="Account owner", key="rev_by") or "Account owner"
common.plotly(charts.overage_revenue_chart(revenue, by=groups[by], label=by), key="rev_chart")
if view.unpriced:
    st.caption(
        f":material/info: {view.unpriced} account-month(s) have overage on a plan without an overage "
        "rate (e.g. metered API calls on Enterprise): listed with their units and no amount."
    )
if revenue.is_empty():
    common.empty("No overage among the selected accounts: every unit consumed is covered by a grant.")
else:
    per_account, per_owner, per_month = st.tabs(["Per account", "Per owner", "Per account and month"])
    with per_account:
        common.show(
            view.per_account,
            ACCOUNT_COLUMNS,
            key="rev_accounts",
            height=360,
        )
    with per_owner:
        common.show(view.per_owner, key="rev_owners", height=360)
    with per_month:
        rows = revenue.sort(["month", "overage_amount"], descending=[True, True])
        common.show(
            rows,
            MONTH_COLUMNS,
            key="rev_months",
            height=360,
        )
        st.download_button(
            "Download CSV",
            export.to_bytes(rows, "csv"),
            file_name=f"overage-revenue-{c.as_of_date}.csv",
            mime="text/csv",
            icon=":material/download:",
            key="rev_csv",
        )

st.subheader("Monetary commitments")
if commitments.is_empty():
    common.empty("No monetary commitment among the selected accounts.")
else:
    common.plotly(charts.commitment_chart(commitments), key="rev_commitments")
    common.show(
        commitments,
        COMMITMENT_COLUMNS,
        key="rev_commit_table",
        height=300,
        config={"valid_to": st.column_config.DatetimeColumn("Until", format="YYYY-MM-DD")},
    )

st.subheader("Grant balances and breakage")
breakage = view.breakage
if breakage.is_empty():
    common.empty("No grant among the selected entitlements.")
    st.stop()
tiles = st.columns(max(len(breakage), 3))
for tile, row in zip(tiles, breakage.iter_rows(named=True), strict=False):
    amount = f" ({row['breakage_amount']:,.0f} in committed money)" if row["breakage_amount"] else ""
    tile.metric(
        f"Breakage · {row['resource'].replace('_', ' ')}",
        f"{row['breakage']:,.1f}".removesuffix(".0"),
        help=f"Unused balance (unit: {row['unit']}) of {row['grants_with_breakage']:,} expired grant(s)"
        f"{amount}, all terms up to the as-of date.",
        border=True,
    )
a, b = st.columns(2)
kinds = a.pills(
    "Kind",
    ["anchor", "pack", "rollover", "commitment"],
    selection_mode="multi",
    default=["pack", "rollover", "commitment"],
    key="rev_kinds",
    help="An anchor grant is the entitlement's own cap; packs and rollovers top it up.",
)
states = b.pills(
    "State", ["active", "future", "expired"], selection_mode="multi", default=["active"], key="rev_states"
)
shown = grants.filter(pl.col("kind").is_in(kinds or []) & pl.col("state").is_in(states or []))
st.caption(f"{shown.height:,} of {grants.height:,} grants; largest balance first (up to 1,000).")
common.show(
    shown.sort(["balance", "grant_id"], descending=[True, False]).head(1000),
    GRANT_COLUMNS,
    key="rev_grants",
    height=420,
    config={"units": st.column_config.NumberColumn("Quantity", format="%.1f")},
)
