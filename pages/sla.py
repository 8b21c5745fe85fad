"""SLA: milestone compliance, trend, violations, the at-risk list and margins."""

from __future__ import annotations

from functools import partial

import streamlit as st

from entitlement_core import charts, views
from ui import common

c = common.header("SLA", "Are we meeting our milestone targets, and which cases need attention now?")
common.require_data()

dims = ["milestone", "priority", "origin", "tier"]
group_by = st.segmented_control(
    "Compliance by", dims, selection_mode="multi", default=dims, key="sla_by", format_func=str.capitalize,
    bind="query-params"
)
view: views.SlaView = common.view("sla", by=tuple(group_by or ["milestone"]))
t = view.totals

cols = st.columns(5)
cols[0].metric(
    "Compliance",
    "—" if view.compliance_all is None else f"{view.compliance_all:.1%}",
    border=True,
    help="Met / (met + violated) of every milestone measured as of the as-of moment; open, at-risk and "
    "paused ones do not count.",
)
cols[1].metric("Met", f"{t['met']:,}", border=True)
cols[2].metric("Violated", f"{t['violated']:,}", border=True)
cols[3].metric(
    "At risk now" if c.is_now else "At risk",
    f"{t['at_risk']:,}",
    border=True,
    help=f"Open milestones inside their warning window (default: the last 25% of the target), as of "
    f"{c.as_of_label}.",
)
cols[4].metric(
    "Open", f"{t['open']:,}", border=True, help=f"Open, not at risk; {t['paused']:,} more are paused."
)

if view.is_empty:
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
    common.plotly(charts.compliance_heatmap(view.heatmap), key="sla_heat")

st.subheader("Compliance breakdown")
st.caption("Groups with the most violations first.")
common.show(
    view.compliance.sort(["violated", "compliance"], descending=[True, False], nulls_last=True),
    [*(group_by or ["milestone"]), "compliance", "met", "violated", "at_risk", "open"],
    key="sla_table",
    height=320,
)

tabs = st.tabs(
    [f"At risk ({view.at_risk_count:,})", f"Violations ({view.violation_count:,})", "Margins"],
    key="sla_tab",
    bind="query-params",
)
with tabs[0]:
    if view.at_risk.is_empty():
        common.empty("No open milestone is inside its warning window.")
    else:
        st.caption(
            "Open milestones closest to their target first. Business minutes left count only open hours."
        )
        common.show(
            view.at_risk,
            ["case_id", "milestone", "priority", "origin", "account_id", "owner", "tier", "target_at",
             "minutes_left", "minutes_to_target"],
            key="sla_risk",
            all_rows=partial(views.sla_worklist, common.basis(), filters=c.filters, which="at_risk"),
            total=view.at_risk_count,
            config={
                "minutes_to_target": st.column_config.NumberColumn("Wall-clock min to target", format="%.0f")
            },
        )  # fmt: skip
with tabs[1]:
    if view.violations.is_empty():
        common.empty("No milestone was violated.")
    else:
        shown = min(view.violation_count, view.violations.height)
        st.caption(
            f"Worst first (late by the most business minutes); showing {shown:,} of {view.violation_count:,} "
            "(the download holds them all)."
        )
        common.show(
            view.violations,
            ["case_id", "milestone", "priority", "origin", "account_id", "owner", "tier", "started_at",
             "target_at", "completed_at", "overrun_minutes", "is_open"],
            key="sla_viol",
            all_rows=partial(views.sla_worklist, common.basis(), filters=c.filters),
            total=view.violation_count,
            config={"is_open": st.column_config.CheckboxColumn("Still open")},
        )  # fmt: skip
with tabs[2]:
    common.plotly(charts.margin_chart(view.margin_bins), key="sla_margin")
    st.caption(
        "Margin = target minus elapsed business time of completed milestones; bins of one hour, "
        "clipped at ±48 hours. Right of zero: beaten by that much."
    )

st.subheader("Targets of record")
if view.targets.is_empty():
    common.empty("Every imported target of record agrees with the computed target (or none was imported).")
else:
    st.caption(
        f"{view.targets.height:,} imported milestones whose recorded target (Salesforce's TargetDate) is "
        "more than a minute from the one computed from the imported business hours. Status and margin "
        "follow the recorded target; the likely cause says why they differ."
    )
    common.show(view.targets, list(views.TARGET_COLUMNS), key="sla_targets")
