"""Overview: the headline figures, with their change over the last 30 days."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import app_data, charts
from ui import common

c = common.header("Overview", "Entitlement health, SLA performance and renewals at a glance.")
common.require_data()


def figures(previous: bool) -> dict[str, float | None]:
    as_of = c.previous_as_of if previous else c.as_of
    # The SLA figure counts the month's milestones only: 30 days earlier, only those are measured.
    # (Now, the whole mart is needed by the trend chart below anyway.)
    since = {"started_from": app_data.month_start(as_of)} if previous else {}
    return app_data.kpi_values(
        util=common.mart("utilization", previous=previous),
        unmatched=common.mart("unmatched", previous=previous),
        milestones=common.mart("milestones", previous=previous, **since),
        renewals=common.mart("renewals", previous=previous, within_days=90),
        as_of=as_of,
        filters=c.filters,
    )


tiles = app_data.kpi_tiles(figures(False), figures(True))
for row in (tiles[:3], tiles[3:]):
    cols = st.columns(len(row))
    for col, kpi in zip(cols, row, strict=True):
        col.metric(
            kpi.label,
            kpi.display,
            kpi.delta,
            delta_color=kpi.delta_color,
            help=kpi.help,
            border=True,
            delta_description="vs 30 days earlier" if kpi.delta else None,
        )

util = c.filters.apply(common.mart("utilization"))
left, right = st.columns(2)
with left:
    common.plotly(charts.utilization_histogram(util), key="util_hist")
with right:
    milestones = common.mart("milestones")
    if milestones is None:
        common.unavailable("SLA compliance")
    else:
        trend = app_data.weekly_compliance(milestones, as_of=c.as_of, filters=c.filters, weeks=26)
        common.plotly(
            charts.compliance_trend_chart(trend, title="SLA compliance per week (26 weeks)"), key="sla_trend"
        )

st.subheader("Needs attention")
attention = (
    util.filter(pl.col("status").is_in(["over_cap", "exhausted", "near_limit"]))
    .sort(["pct_used", "remaining"], descending=[True, False], nulls_last=True)
    .head(10)
)
if attention.is_empty():
    common.empty("No active entitlement is near its limit.")
else:
    common.show(
        attention,
        [
            "status",
            "account_name",
            "entitlement_id",
            "plan",
            "owner",
            "pct_used",
            "remaining",
            "projected_exhaustion_date",
            "banner",
        ],
        key="attention",
    )
    st.page_link("pages/utilization.py", label="See every entitlement", icon=":material/arrow_forward:")
