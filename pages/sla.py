"""SLA: milestone compliance, trend, violations, the at-risk list and margins."""

from __future__ import annotations

import streamlit as st

from entitlement_core import charts, views
from ui import common
from ui.markdown import md

c = common.header("SLA", "Are we meeting our milestone targets, and which cases need attention now?")
common.require_data()

dims = ["milestone", "priority", "origin", "tier"]
group_by = st.segmented_control(
    "Compliance by", dims, selection_mode="multi", default=dims, key="sla_by", format_func=str.capitalize
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
p = view.paused
if p["sla_minutes"] > 0:
    share = "" if p["paused_share"] is None else f" ({p['paused_share']:.1%} of the measured SLA time)"
    st.caption(
        f"Paused time excluded from compliance: **{p['paused_minutes'] / 60:,.1f} business hours**{share}, "
        f"while cases waited in a status their process pauses on; {p['paused_now']:,} milestone"
        f"{'s are' if p['paused_now'] != 1 else ' is'} paused now."
    )
nb = view.next_breach
if nb is not None:
    text = (
        f"**Next breach:** case {md(nb['case_id'])} ({md(nb['account_id'] or '—')}), {md(nb['milestone'])} "
        f"{md(nb['breach'])} (target {nb['target_at']:%d %b %Y %H:%M} UTC)."
    )
    if nb["status"] == "at_risk":
        st.warning(text, icon=":material/timer:")
    else:
        st.info(text, icon=":material/timer:")

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
    [*(group_by or ["milestone"]), "compliance", "met", "violated", "at_risk", "open", "paused"],
    key="sla_table",
    height=320,
)

tabs = st.tabs(
    [f"Next breaches ({view.breach_count:,})", f"At risk ({view.at_risk_count:,})",
     f"Violations ({view.violation_count:,})", "Margins"]
)  # fmt: skip
with tabs[0]:
    if view.breaches.is_empty():
        common.empty("No open milestone: nothing can breach.")
    else:
        st.caption(
            "Every open case by its earliest open target, soonest breach first. Business minutes left count "
            "only open hours; a paused clock keeps its minutes until the case leaves the paused status."
        )
        common.show(
            view.breaches,
            ["case_id", "milestone", "status", "breach", "target_at", "minutes_left", "minutes_to_target",
             "running_milestones", "priority", "account_id", "owner", "tier"],
            key="sla_breach",
            config={"status": common.milestone_status_config()},
        )  # fmt: skip
with tabs[1]:
    if view.at_risk.is_empty():
        common.empty("No open milestone is inside its warning window.")
    else:
        st.caption(
            "Open milestones inside their warning window, ordered by their case's next breach. Business "
            "minutes left count only open hours."
        )
        common.show(
            view.at_risk,
            ["case_id", "milestone", "next_breach", "priority", "origin", "account_id", "owner", "tier",
             "target_at", "minutes_left", "minutes_to_target"],
            key="sla_risk",
        )  # fmt: skip
with tabs[2]:
    if view.violations.is_empty():
        common.empty("No milestone was violated.")
    else:
        shown = min(view.violation_count, view.violations.height)
        st.caption(
            f"Worst first (late by the most business minutes); showing {shown:,} of {view.violation_count:,}."
        )
        common.show(
            view.violations,
            ["case_id", "milestone", "priority", "origin", "account_id", "owner", "tier", "started_at",
             "target_at", "completed_at", "overrun_minutes", "is_open"],
            key="sla_viol",
            config={"is_open": st.column_config.CheckboxColumn("Still open")},
        )  # fmt: skip
with tabs[3]:
    common.plotly(charts.margin_chart(view.margin_bins), key="sla_margin")
    st.caption(
        "Margin = target minus elapsed business time of completed milestones; bins of one hour, "
        "clipped at ±48 hours. Right of zero: beaten by that much."
    )

st.subheader("Pause audit")
audit = view.pauses
if audit.paused_cases == 0:
    common.empty(
        "No case's SLA clock was paused: no status history was imported, or no process names paused statuses."
    )
else:
    a = st.columns(4)
    a[0].metric(
        "SLA time paused",
        "—" if audit.paused_share is None else f"{audit.paused_share:.1%}",
        border=True,
        help="Business minutes cases spent in a status their process pauses on, over the business minutes "
        "of their lives (creation to close, or the as-of moment).",
    )
    a[1].metric("Cases paused", f"{audit.paused_cases:,}", border=True, help=f"Of {audit.cases:,} cases.")
    a[2].metric(
        "Paused most of their life",
        f"{audit.over_threshold:,}",
        border=True,
        help=f"Cases paused more than {audit.threshold:.0%} of their business time (setting "
        "pause_share_threshold): parked to protect the SLA?",
    )
    a[3].metric("Pauses", f"{int(audit.by_owner['pauses'].sum()):,}", border=True)
    left, right = st.columns([3, 2])
    with left:
        common.plotly(charts.pause_trend_chart(audit.by_week), key="sla_pause_trend")
    with right:
        common.plotly(charts.pause_status_chart(audit.by_status), key="sla_pause_status")
    ptabs = st.tabs([f"Paused most of their life ({audit.over_threshold:,})", "By owner", "By account"])
    with ptabs[0]:
        if audit.parked.is_empty():
            common.empty(f"No case was paused more than {audit.threshold:.0%} of its business time.")
        else:
            common.show(
                audit.parked,
                ["case_id", "account_name", "owner", "paused_share", "paused_minutes", "life_minutes",
                 "pauses", "resumes", "longest_pause_minutes", "main_paused_status", "is_paused_now",
                 "created_at", "closed_at"],
                key="sla_parked",
            )  # fmt: skip
    group_columns = ["cases", "paused_cases", "paused_share", "paused_minutes", "life_minutes", "pauses",
                     "over_threshold"]  # fmt: skip
    with ptabs[1]:
        common.show(audit.by_owner, ["owner", *group_columns], key="sla_pause_owner")
    with ptabs[2]:
        common.show(audit.by_account, ["account_name", "account_id", *group_columns], key="sla_pause_account")

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
