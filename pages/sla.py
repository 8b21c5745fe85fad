"""SLA: milestone compliance, trend, violations, the at-risk list and margins."""

from __future__ import annotations

import streamlit as st

from entitlement_core import app_data, charts
from entitlement_core.sla.reconciliation import RECONCILIATION_COLUMNS
from ui import common

c = common.header("SLA", "Are we meeting our milestone targets, and which cases need attention now?")
common.require_data()

instances = common.mart("milestones")
if instances is None:
    common.unavailable("SLA measurement")
    st.stop()

dims = ["milestone", "priority", "origin", "tier"]
group_by = st.segmented_control(
    "Compliance by",
    dims,
    selection_mode="multi",
    default=dims,
    key="sla_by",
    format_func=lambda d: d.capitalize(),
)
view = app_data.sla_view(instances, as_of=c.as_of, filters=c.filters, by=group_by or ["milestone"])
t = view.totals
decided = t["met"] + t["violated"]

cols = st.columns(5)
cols[0].metric(
    "Compliance",
    f"{t['met'] / decided:.1%}" if decided else "—",
    border=True,
    help="Met / (met + violated), all milestones measured as of the as-of moment.",
)
cols[1].metric("Met", f"{t['met']:,}", border=True)
cols[2].metric("Violated", f"{t['violated']:,}", border=True)
cols[3].metric(
    "At risk now",
    f"{t['at_risk']:,}",
    border=True,
    help="Open milestones inside their warning window (default: the last 25% of the target).",
)
cols[4].metric("Open", f"{t['open']:,}", border=True)

if not (t["met"] or t["violated"] or t["at_risk"] or t["open"]):
    st.info(
        "No milestones in view: cases get milestones when they name an entitlement with an SLA process.",
        icon=":material/info:",
    )
    st.stop()

left, right = st.columns([3, 2])
with left:
    common.plotly(
        charts.compliance_trend_chart(view.trend, title="Compliance per week (last 26 weeks)"),
        key="sla_trend",
    )
with right:
    common.plotly(
        charts.compliance_heatmap(
            view.compliance
            if {"milestone", "priority"} <= set(group_by or [])
            else app_data.sla_view(
                instances, as_of=c.as_of, filters=c.filters, by=["milestone", "priority"]
            ).compliance
        ),
        key="sla_heat",
    )

st.subheader("Compliance breakdown")
st.caption("Groups with the most violations first.")
common.show(
    view.compliance.sort(["violated", "compliance"], descending=[True, False], nulls_last=True),
    [*(group_by or ["milestone"]), "compliance", "met", "violated", "at_risk", "open"],
    key="sla_table",
    height=320,
)

tabs = st.tabs([f"At risk ({view.at_risk_count:,})", f"Violations ({view.violation_count:,})", "Margins"])
milestone_pill = {"status": common.milestone_status_config()}
with tabs[0]:
    if view.at_risk.is_empty():
        common.empty("No open milestone is inside its warning window.")
    else:
        st.caption(
            "Open milestones closest to their target first. Business minutes left count only open hours."
        )
        common.show(
            view.at_risk,
            [
                "case_id",
                "milestone",
                "priority",
                "origin",
                "account_id",
                "owner",
                "tier",
                "target_at",
                "minutes_left",
                "minutes_to_target",
            ],
            key="sla_risk",
            config={
                "minutes_to_target": st.column_config.NumberColumn("Wall-clock min to target", format="%.0f")
            },
        )
with tabs[1]:
    if view.violations.is_empty():
        common.empty("No milestone was violated.")
    else:
        shown = min(view.violation_count, view.violations.height)
        st.caption(
            f"Worst first (latest by the most business minutes); showing {shown:,} of "
            f"{view.violation_count:,}."
        )
        common.show(
            view.violations,
            [
                "case_id",
                "milestone",
                "priority",
                "origin",
                "account_id",
                "owner",
                "tier",
                "started_at",
                "target_at",
                "completed_at",
                "overrun_minutes",
                "is_open",
            ],
            key="sla_viol",
            config={"is_open": st.column_config.CheckboxColumn("Still open")},
        )
with tabs[2]:
    common.plotly(charts.margin_chart(view.margin_bins), key="sla_margin")
    st.caption(
        "Margin = target minus elapsed business time of completed milestones; bins of one hour, "
        "clipped at ±48 hours. Right of zero: beaten by that much."
    )

st.subheader("Targets of record")
targets = common.mart("milestone_reconciliation")
if targets is None or targets.is_empty():
    common.empty("Every imported target of record agrees with the computed target (or none was imported).")
else:
    st.caption(
        f"{targets.height:,} imported milestones whose recorded target (Salesforce's TargetDate) is more "
        "than a minute from the one computed from the imported business hours. Status and margin follow "
        "the recorded target; the likely cause says why they differ."
    )
    common.show(targets, list(RECONCILIATION_COLUMNS[:9]), key="sla_targets")
