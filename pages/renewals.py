"""Renewals (renewal planners): terms ending soon, how they were used, and the plan to renew onto."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import charts, export
from ui import common
from ui.markdown import md

c = common.header("Renewals", "Entitlements whose term ends soon, with usage history and a recommended plan.")
common.require_data()

within = st.slider(
    "Due within (days)",
    min_value=7,
    max_value=365,
    value=90,
    step=1,
    key="within",
    bind="query-params",
    help="Terms ending between the as-of day and this many days later.",
)
due = common.mart("renewals", within_days=within)
if due is None:
    common.unavailable("The renewals report")
    st.stop()
due = c.filters.apply(due)

open_ = due.filter(~pl.col("is_renewed"))
upgrade = due.filter(
    pl.col("recommended_plan").is_not_null() & (pl.col("recommended_plan") != pl.col("plan"))
)
cols = st.columns(4)
cols[0].metric("Due", f"{due.height:,}", border=True)
cols[1].metric("Not yet renewed", f"{open_.height:,}", border=True)
cols[2].metric(
    "Recommend a different plan",
    f"{upgrade.height:,}",
    border=True,
    help="The smallest plan covering projected annual usage differs from the current plan.",
)
cols[3].metric("Ending in 30 days", f"{due.filter(pl.col('days_to_end') <= 30).height:,}", border=True)

if due.is_empty():
    common.empty(f"No entitlement ends in the next {within} days.")
    st.stop()

#: The export carries exactly the rows shown, in this order.
columns = [
    "entitlement_id",
    "account_id",
    "account_name",
    "owner",
    "tier",
    "region",
    "plan",
    "usage_type",
    "end_date",
    "days_to_end",
    "status",
    "cap",
    "consumed",
    "pct_used",
    "projected_at_end",
    "previous_pct_used",
    "recommended_plan",
    "is_renewed",
    "renewed_by_id",
]
rows = due.sort(["days_to_end", "entitlement_id"]).select([col for col in columns if col in due.columns])
common.show(
    rows,
    [
        "status",
        "account_name",
        "entitlement_id",
        "owner",
        "plan",
        "end_date",
        "days_to_end",
        "pct_used",
        "projected_at_end",
        "recommended_plan",
        "is_renewed",
    ],
    key="renewals_table",
    height=420,
)
st.download_button(
    "Download CSV",
    export.to_bytes(rows, "csv"),
    file_name=f"renewals-{c.as_of_date}-{within}d.csv",
    mime="text/csv",
    icon=":material/download:",
    key="renewals_csv",
    type="primary",
)

st.subheader("Usage across terms")
history = common.mart("renewal_history")
ids = rows["entitlement_id"].to_list()
labels = dict(
    zip(ids, (rows["account_name"].fill_null("") + " · " + rows["entitlement_id"]).to_list(), strict=True)
)
pick = st.selectbox("Entitlement", ids, format_func=labels.get, key="renewal_pick")
if history is not None and pick:
    root = history.filter(pl.col("entitlement_id") == pick)["chain_root_id"]
    chain = history.filter(pl.col("chain_root_id") == root[0]) if root.len() else history.clear()
    chain = chain.sort("term_index").with_columns(
        pl.format("{}<br>{}", pl.col("start_date").dt.strftime("%b %Y"), pl.col("entitlement_id")).alias(
            "term_label"
        )
    )
    left, right = st.columns([3, 2])
    with left:
        common.plotly(charts.renewal_history_chart(chain), key="renewal_history")
    with right:
        row = rows.row(ids.index(pick), named=True)
        st.markdown(
            f"**{md(row['account_name'])}** · {md(row['plan'] or 'no plan')} · "
            f"ends {row['end_date']:%d %b %Y}"
        )
        recommended = row["recommended_plan"]
        if recommended and recommended != row["plan"]:
            st.warning(
                f"Recommend renewing onto **{md(recommended)}** (projected usage exceeds {md(row['plan'])}).",
                icon=":material/trending_up:",
            )
        elif recommended:
            st.success(f"**{md(recommended)}** still covers projected usage.", icon=":material/check_circle:")
        if row["is_renewed"]:
            st.info(f"Already renewed by {md(row['renewed_by_id'])}.", icon=":material/autorenew:")
        common.show(
            chain,
            ["term_index", "start_date", "plan", "cap", "pct_used"],
            key="renewal_chain",
            config={"term_index": st.column_config.NumberColumn("Term", format="%d")},
        )
