"""Utilization (operations managers): every entitlement's consumption, burn-down and exceptions."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import app_data, charts
from entitlement_core.usage import burndown
from ui import common

c = common.header(
    "Utilization", "How much of each allotment is used, how fast, and which cases fall outside."
)
common.require_data()

util = c.filters.apply(common.mart("utilization"))
statuses = [s for s in charts.STATUS_ORDER if s in set(util["status"].to_list())]

left, right = st.columns([3, 2], vertical_alignment="bottom")
chosen = left.pills(
    "Status",
    statuses,
    selection_mode="multi",
    key="util_status",
    format_func=charts.status_label,
    default=[s for s in statuses if s not in ("expired", "not_started")],
)
query = right.text_input(
    "Search", key="util_q", placeholder="Entitlement, account or owner", icon=":material/search:"
)
table = util.filter(pl.col("status").is_in(chosen or statuses))
if query:
    needle = query.strip().lower()
    table = table.filter(
        pl.any_horizontal(
            pl.col(col).fill_null("").str.to_lowercase().str.contains(needle, literal=True)
            for col in ("entitlement_id", "name", "account_name", "account_id", "owner")
        )
    )
table = table.sort(["pct_used", "entitlement_id"], descending=[True, False], nulls_last=True)

st.caption(f"{table.height:,} of {util.height:,} entitlements · click a column header to sort")
common.show(
    table,
    [
        "status",
        "entitlement_id",
        "account_name",
        "plan",
        "usage_type",
        "owner",
        "region",
        "pct_used",
        "consumed",
        "cap",
        "remaining",
        "burn_rate_per_day",
        "projected_at_end",
        "projected_exhaustion_date",
        "end_date",
    ],
    key="util_table",
    height=420,
)

burn_col, heat_col = st.columns([3, 2])
with burn_col:
    capped = table.filter(pl.col("cap").is_not_null() & ~pl.col("status").is_in(["not_started"]))
    if capped.is_empty():
        common.empty("No capped entitlement matches the filters: nothing to burn down.")
    else:
        ids = capped["entitlement_id"].to_list()
        labels = dict(
            zip(
                ids,
                (capped["account_name"].fill_null("") + " · " + capped["entitlement_id"]).to_list(),
                strict=True,
            )
        )
        pick = st.selectbox("Burn-down of", ids, format_func=labels.get, key="util_pick")
        row = capped.row(ids.index(pick), named=True)
        sub = app_data.account_tables(common.tables(), row["account_id"])
        days = burndown(
            sub, pick, as_of=c.as_of, burn_window_days=common.settings().burn_window_days
        ).collect()
        title = f"Burn-down · {row['entitlement_id']} ({row['plan'] or 'no plan'})"
        common.plotly(
            charts.burndown_chart(days, as_of_date=row["as_of_date"], unit=row["unit"], title=title),
            key="burndown",
        )
        common.banner(row)
with heat_col:
    common.plotly(charts.utilization_heatmap(util), key="heatmap")

st.subheader("Exceptions")
titles = ["Unmatched cases", "Out-of-term cases", "Overage"]
specs = (
    (
        "unmatched",
        "Cases of accounts with an active entitlement that name none, with the entitlement they most "
        "likely belong to.",
        "Every case of an entitled account names its entitlement.",
        [
            "case_id",
            "account_name",
            "owner",
            "created_at",
            "likely_entitlement_id",
            "likely_usage_type",
            "match_reason",
            "candidate_count",
        ],
    ),
    (
        "out_of_term",
        "Cases naming an entitlement whose term does not cover them: they consume nothing.",
        "No case falls outside its entitlement's term.",
        [
            "case_id",
            "entitlement_id",
            "account_name",
            "owner",
            "consumed_at",
            "start_date",
            "end_date",
            "position",
        ],
    ),
    (
        "overage_summary",
        "Entitlements with consumption beyond the cap, priced at the plan's overage rate.",
        "No entitlement is over its cap.",
        [
            "entitlement_id",
            "account_name",
            "owner",
            "plan",
            "unit",
            "cap",
            "consumed",
            "overage_units",
            "overage_count",
            "overage_rate",
            "overage_amount",
            "overflow",
        ],
    ),
)
for tab, title, (name, about, none, columns) in zip(st.tabs(titles), titles, specs, strict=True):
    with tab:
        frame = common.mart(name)
        if frame is None:
            common.unavailable(f"The {title.lower()} report")
            continue
        frame = c.filters.apply(frame)
        st.caption(f"{about} **{frame.height:,}** in view.")
        if frame.is_empty():
            common.empty(none)
        else:
            common.show(frame.head(2000), columns, key=f"exc_{name}", height=320)
