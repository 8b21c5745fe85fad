"""Overview: the headline figures, with their change over the last 30 days."""

from __future__ import annotations

import streamlit as st

from entitlement_core import charts, views
from ui import common

c = common.header("Overview", "Entitlement health, SLA performance and renewals at a glance.")
common.require_data()

view: views.OverviewView = common.view("overview")

for row in (view.tiles[:3], view.tiles[3:]):
    cols = st.columns(len(row))
    for col, kpi in zip(cols, row, strict=True):
        col.metric(
            kpi.label,
            kpi.display,
            kpi.delta,
            delta_color="off" if kpi.is_unchanged else kpi.delta_color,
            delta_arrow="off" if kpi.is_unchanged else "auto",
            help=kpi.help,
            border=True,
            delta_description="vs 30 days earlier" if kpi.delta else None,
        )

left, right = st.columns(2)
with left:
    common.plotly(charts.utilization_histogram(view.utilization), key="util_hist")
with right:
    common.plotly(
        charts.compliance_trend_chart(view.trend, title="SLA compliance per week (26 weeks)"), key="sla_trend"
    )

st.subheader("Needs attention")
if view.attention.is_empty():
    common.empty("No active entitlement is near its limit.")
else:
    counts = view.attention_counts
    st.caption(
        "Worst first: over cap, exhausted, then near limit; the most over first. "
        + " · ".join(
            f"{counts.get(s, 0):,} {charts.status_label(s).lower()}" for s in views.overview.ATTENTION
        )
    )
    common.show(view.attention, list(views.ATTENTION_COLUMNS), key="attention")
    st.page_link("pages/utilization.py", label="See every entitlement", icon=":material/arrow_forward:")
