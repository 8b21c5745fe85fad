"""Utilization (operations managers): every entitlement's consumption, burn-down and exceptions."""

from __future__ import annotations

import streamlit as st

from entitlement_core import charts, views
from ui import common

c = common.header(
    "Utilization", "How much of each allotment is used, how fast, and which cases fall outside."
)
common.require_data()

present = common.view("utilization").statuses
left, right = st.columns([3, 2], vertical_alignment="bottom")
chosen = left.pills(
    "Status",
    present,
    selection_mode="multi",
    key="util_status",
    format_func=charts.status_label,
    default=views.default_statuses(present),
)
query = right.text_input(
    "Search", key="util_q", placeholder="Entitlement, account or owner", icon=":material/search:"
)
view: views.UtilizationView = common.view("utilization", statuses=tuple(chosen or ()), query=query or "")

st.caption(f"{view.table.height:,} of {view.all.height:,} entitlements · click a column header to sort")
common.show(
    view.table,
    ["status", "entitlement_id", "account_name", "plan", "usage_type", "owner", "region", "pct_used",
     "consumed", "cap", "remaining", "burn_rate_per_day", "expected_at_end", "projected_p10", "projected_p90",
     "prob_run_out", "expected_run_out_date", "end_date"],
    key="util_table",
    height=420,
)  # fmt: skip

burn_col, heat_col = st.columns([3, 2])
with burn_col:
    capped = view.burnable
    if capped.is_empty():
        common.empty("No capped entitlement matches the filters: nothing to burn down.")
    else:
        ids = capped["entitlement_id"].to_list()
        names = (capped["account_name"].fill_null("") + " · " + capped["entitlement_id"]).to_list()
        labels = dict(zip(ids, names, strict=True))
        pick = st.selectbox("Burn-down of", ids, format_func=labels.get, key="util_pick")
        row = capped.row(ids.index(pick), named=True)
        days = views.entitlement_burndown(common.basis(), pick)
        title = f"Burn-down · {row['entitlement_id']} ({row['plan'] or 'no plan'})"
        common.plotly(
            charts.burndown_chart(days, as_of_date=row["as_of_date"], unit=row["unit"], title=title),
            key="burndown",
        )
        common.banner(row)
with heat_col:
    common.plotly(charts.utilization_heatmap(view.all), key="heatmap")

st.subheader("Exceptions")
specs = {
    "unmatched-cases": (
        "Unmatched cases",
        "Cases of accounts with an active entitlement that name none, with the entitlement they most "
        "likely belong to.",
        "Every case of an entitled account names its entitlement.",
        ["case_id", "account_name", "owner", "created_at", "entitlement_id", "usage_type", "match_reason",
         "candidate_count"],
    ),
    "out-of-term-cases": (
        "Out-of-term cases",
        "Cases naming an entitlement whose term does not cover them: they consume nothing.",
        "No case falls outside its entitlement's term.",
        ["case_id", "entitlement_id", "account_name", "owner", "consumed_at", "start_date", "end_date",
         "position"],
    ),
    "overage-summary": (
        "Overage",
        "Entitlements with consumption no grant covers (cap, packs, rollovers), priced at the plan's rate.",
        "No entitlement has overage.",
        ["entitlement_id", "account_name", "owner", "plan", "unit", "cap", "consumed", "overage_units",
         "overage_count", "overage_rate", "overage_amount", "overflow"],
    ),
}  # fmt: skip
tabs = st.tabs([title for title, *_ in specs.values()])
for tab, (name, (_, about, none, columns)) in zip(tabs, specs.items(), strict=True):
    with tab:
        frame = view.exceptions[name]
        st.caption(f"{about} **{frame.height:,}** in view.")
        if frame.is_empty():
            common.empty(none)
        else:
            config = (
                {"entitlement_id": st.column_config.TextColumn("Likely entitlement")}
                if name == "unmatched-cases"
                else None
            )
            common.show(frame.head(2000), columns, key=f"exc_{name}", height=320, config=config)
