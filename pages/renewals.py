"""Renewals (renewal planners): terms ending soon, how they were used, and the plan to renew onto."""

from __future__ import annotations

import streamlit as st

from entitlement_core import charts, export, views
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
view: views.RenewalsView = common.view("renewals", within_days=within)
rows = view.rows

cols = st.columns(4)
cols[0].metric("Due", f"{view.due:,}", border=True)
cols[1].metric("Not yet renewed", f"{view.not_renewed:,}", border=True)
cols[2].metric(
    "Recommend a different plan",
    f"{view.different_plan:,}",
    border=True,
    help="The smallest plan covering projected annual usage differs from the current plan.",
)
cols[3].metric("Ending in 30 days", f"{view.within_30_days:,}", border=True)

if rows.is_empty():
    common.empty(f"No entitlement ends in the next {within} days.")
    st.stop()

common.show(
    rows,
    ["status", "account_name", "entitlement_id", "owner", "plan", "end_date", "days_to_end", "pct_used",
     "expected_at_end", "projected_p10", "projected_p90", "recommended_plan", "is_renewed"],
    key="renewals_table",
    height=420,
)  # fmt: skip
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
ids = rows["entitlement_id"].to_list()
labels = dict(
    zip(ids, (rows["account_name"].fill_null("") + " · " + rows["entitlement_id"]).to_list(), strict=True)
)
pick = st.selectbox("Entitlement", ids, format_func=labels.get, key="renewal_pick")
if pick:
    chain = views.renewal_chain(common.basis(), pick)
    left, right = st.columns([3, 2])
    with left:
        common.plotly(charts.renewal_history_chart(chain), key="renewal_history")
    with right:
        row = rows.row(ids.index(pick), named=True)
        st.markdown(
            f"**{md(row['account_name'])}** · {md(row['plan'] or 'no plan')} · "
            f"ends {row['end_date']:%d %b %Y}"
        )
        advice = views.renewal_advice(row, escape=md)
        if advice is not None:
            kind, text = advice
            if kind == "upgrade":
                st.warning(text, icon=":material/trending_up:")
            else:
                st.success(text, icon=":material/check_circle:")
        if row["is_renewed"]:
            st.info(f"Already renewed by {md(row['renewed_by_id'])}.", icon=":material/autorenew:")
        common.show(
            chain,
            ["term_index", "start_date", "plan", "cap", "pct_used"],
            key="renewal_chain",
            config={"term_index": st.column_config.NumberColumn("Term", format="%d")},
        )
