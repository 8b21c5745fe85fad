"""House-formatted tables: column labels and formats, coloured status pills, ratios as percentages."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from entitlement_core.charts import (
    GRANT_STATE_COLORS,
    MILESTONE_COLORS,
    MILESTONE_LABELS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_ORDER,
)

__all__ = ["grant_state_config", "milestone_status_config", "show", "status_config", "with_status_pill"]


def status_config(label: str = "Status") -> Any:
    """A coloured pill per status (the same colours as the charts)."""
    return st.column_config.MultiselectColumn(
        label,
        options=list(STATUS_ORDER),
        color=[STATUS_COLORS[s] for s in STATUS_ORDER],
        format_func=lambda s: STATUS_LABELS.get(s, s),
        width="small",
    )


def milestone_status_config(label: str = "Status") -> Any:
    """A coloured pill per milestone status (met, at risk, violated, open)."""
    order = list(MILESTONE_COLORS)
    return st.column_config.MultiselectColumn(
        label,
        options=order,
        color=[MILESTONE_COLORS[s] for s in order],
        format_func=lambda s: MILESTONE_LABELS.get(s, s),
        width="small",
    )


def grant_state_config(label: str = "State") -> Any:
    """A coloured pill per grant state (active, future, expired)."""
    order = list(GRANT_STATE_COLORS)
    return st.column_config.MultiselectColumn(
        label,
        options=order,
        color=[GRANT_STATE_COLORS[s] for s in order],
        format_func=str.capitalize,
        width="small",
    )


def with_status_pill(frame: pl.DataFrame, column: str = "status") -> pl.DataFrame:
    """``status`` as a one-item list, which :func:`status_config` renders as a coloured pill."""
    return frame.with_columns(pl.concat_list(pl.col(column)).alias(column))


#: Ratio columns (0-1 fractions) are shown as whole percentages on a 0-100 bar.
_PCT = {"format": "%.0f%%", "min_value": 0, "max_value": 100}
_RATIOS = (
    "pct_used", "compliance", "previous_pct_used", "share", "pct_drawn", "paused_share", "prob_run_out",
)


def _column_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        "entitlement_id": cc.TextColumn("Entitlement"),
        "name": cc.TextColumn("Name"),
        "account_id": cc.TextColumn("Account ID"),
        "account_name": cc.TextColumn("Account"),
        "case_id": cc.TextColumn("Case"),
        "tier": cc.TextColumn("Tier"),
        "region": cc.TextColumn("Region"),
        "owner": cc.TextColumn("Owner"),
        "plan": cc.TextColumn("Plan"),
        "usage_type": cc.TextColumn("Usage"),
        "unit": cc.TextColumn("Unit"),
        "cap": cc.NumberColumn("Cap", format="%.0f"),
        "consumed": cc.NumberColumn("Used", format="%.1f"),
        "remaining": cc.NumberColumn("Remaining", format="%.1f"),
        "pct_used": cc.ProgressColumn("Used %", **_PCT),
        "status": status_config(),
        "start_date": cc.DateColumn("Start", format="YYYY-MM-DD"),
        "end_date": cc.DateColumn("End", format="YYYY-MM-DD"),
        "days_left": cc.NumberColumn("Days left", format="%d"),
        "burn_rate_per_day": cc.NumberColumn("Burn / day", format="%.2f"),
        "projected_at_end": cc.NumberColumn("Straight line at end", format="%.1f"),
        "projected_exhaustion_date": cc.DateColumn("Straight line runs out", format="YYYY-MM-DD"),
        "projected_shortfall": cc.NumberColumn("Straight-line shortfall", format="%.1f"),
        "expected_at_end": cc.NumberColumn(
            "Projected at end",
            format="%.1f",
            help="The forecast's expected consumption at the end of the term",
        ),
        "projected_p10": cc.NumberColumn("Low (10%)", format="%.1f"),
        "projected_p50": cc.NumberColumn("Median", format="%.1f"),
        "projected_p90": cc.NumberColumn("High (90%)", format="%.1f"),
        "interval": cc.TextColumn(
            "Likely at end (10-90%)", help="Consumption at the end of the term: 8 outcomes in 10 fall inside"
        ),
        "prob_run_out": cc.ProgressColumn(
            "Chance to run out", **_PCT, help="Probability of reaching the allotment by the end of the term"
        ),
        "expected_shortfall": cc.NumberColumn(
            "Expected shortfall",
            format="%.1f",
            help="Units beyond the allotment at the end of the term, probability times size (row's unit)",
        ),
        "expected_run_out_date": cc.DateColumn("Likely runs out", format="YYYY-MM-DD"),
        "recommended_plan": cc.TextColumn("Recommended plan"),
        "overflow": cc.TextColumn("Overflow"),
        "banner": cc.TextColumn("Agent banner", width="large"),
        "created_at": cc.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
        "closed_at": cc.DatetimeColumn("Closed", format="YYYY-MM-DD HH:mm"),
        "started_at": cc.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm"),
        "target_at": cc.DatetimeColumn("Target", format="YYYY-MM-DD HH:mm"),
        "completed_at": cc.DatetimeColumn("Completed", format="YYYY-MM-DD HH:mm"),
        "milestone": cc.TextColumn("Milestone"),
        "priority": cc.TextColumn("Priority"),
        "origin": cc.TextColumn("Origin"),
        "target_minutes": cc.NumberColumn("Target (min)", format="%d"),
        "elapsed_minutes": cc.NumberColumn("Elapsed (min)", format="%.0f"),
        "margin_minutes": cc.NumberColumn("Margin (min)", format="%.0f"),
        "overrun_minutes": cc.NumberColumn("Late by (min)", format="%.0f"),
        "minutes_left": cc.NumberColumn("Business min left", format="%.0f"),
        "compliance": cc.ProgressColumn("Compliance", **_PCT),
        "met": cc.NumberColumn("Met", format="%d"),
        "violated": cc.NumberColumn("Violated", format="%d"),
        "at_risk": cc.NumberColumn("At risk", format="%d"),
        "open": cc.NumberColumn("Open", format="%d"),
        "paused": cc.NumberColumn("Paused", format="%d"),
        "breach": cc.TextColumn("Next breach"),
        "next_breach": cc.TextColumn("Case's next breach"),
        "minutes_to_target": cc.NumberColumn("Wall-clock min to target", format="%.0f"),
        "running_milestones": cc.NumberColumn("Open milestones", format="%d"),
        # pause audit
        "paused_minutes": cc.NumberColumn("Paused (business min)", format="%.0f"),
        "life_minutes": cc.NumberColumn("Life (business min)", format="%.0f"),
        "paused_share": cc.ProgressColumn("Paused share", **_PCT),
        "paused_cases": cc.NumberColumn("Cases paused", format="%d"),
        "cases": cc.NumberColumn("Cases", format="%d"),
        "pauses": cc.NumberColumn("Pauses", format="%d"),
        "resumes": cc.NumberColumn("Resumes", format="%d"),
        "longest_pause_minutes": cc.NumberColumn("Longest pause (business min)", format="%.0f"),
        "main_paused_status": cc.TextColumn("Paused mostly in"),
        "over_threshold": cc.NumberColumn("Paused most of their life", format="%d"),
        "is_paused_now": cc.CheckboxColumn("Paused now"),
        "likely_entitlement_id": cc.TextColumn("Likely entitlement"),
        "likely_usage_type": cc.TextColumn("Its usage"),
        "match_reason": cc.TextColumn("Matched by"),
        "candidate_count": cc.NumberColumn("Candidates", format="%d"),
        "consumed_at": cc.DatetimeColumn("Consumed at", format="YYYY-MM-DD HH:mm"),
        "position": cc.TextColumn("Position"),
        "overage_units": cc.NumberColumn("Over by", format="%.1f"),
        "overage_count": cc.NumberColumn("Overage records", format="%d"),
        "overage_rate": cc.NumberColumn("Overage rate", format="%.2f"),
        "overage_amount": cc.NumberColumn("Overage amount", format="%.2f"),
        "days_to_end": cc.NumberColumn("Days to end", format="%d"),
        "is_renewed": cc.CheckboxColumn("Renewed"),
        "renewed_by_id": cc.TextColumn("Renewed by"),
        "previous_pct_used": cc.ProgressColumn("Previous term used", **_PCT),
        "upsell_reason": cc.TextColumn("Why"),
        "rank": cc.NumberColumn("Rank", format="%d"),
        "crm_remaining_cases": cc.NumberColumn("Salesforce remaining", format="%.0f"),
        "difference": cc.NumberColumn("Difference", format="%+.0f"),
        "likely_cause": cc.TextColumn("Likely cause"),
        "deleted_cases": cc.NumberColumn("Deleted cases", format="%d"),
        "out_of_term_cases": cc.NumberColumn("Out-of-term cases", format="%d"),
        "is_deleted": cc.CheckboxColumn("Deleted"),
        # usage management: grants, commitments, overage revenue
        "grant_id": cc.TextColumn("Grant"),
        "kind": cc.TextColumn("Kind"),
        "resource": cc.TextColumn("Resource"),
        "quantity": cc.NumberColumn("Quantity", format="%.1f"),
        "units": cc.NumberColumn("Units", format="%.1f"),
        "unit_rate": cc.NumberColumn("Per unit", format="%.2f"),
        "drawn": cc.NumberColumn("Drawn", format="%.1f"),
        "balance": cc.NumberColumn("Balance", format="%.1f"),
        "breakage": cc.NumberColumn("Breakage", format="%.1f"),
        "state": grant_state_config(),
        "valid_from": cc.DatetimeColumn("Valid from", format="YYYY-MM-DD"),
        "valid_to": cc.DatetimeColumn("Valid to", format="YYYY-MM-DD"),
        "committed_amount": cc.NumberColumn("Committed", format="%.2f"),
        "drawn_amount": cc.NumberColumn("Drawn", format="%.2f"),
        "remaining_amount": cc.NumberColumn("Remaining", format="%.2f"),
        "pct_drawn": cc.ProgressColumn("Drawn %", **_PCT),
        "month": cc.DateColumn("Month", format="YYYY-MM"),
        "months": cc.NumberColumn("Months", format="%d"),
        "first_month": cc.DateColumn("First month", format="YYYY-MM"),
        "last_month": cc.DateColumn("Last month", format="YYYY-MM"),
    }


def show(
    frame: pl.DataFrame,
    columns: list[str] | None = None,
    *,
    key: str | None = None,
    height: int | str = "auto",
    config: dict[str, Any] | None = None,
) -> None:
    """A read-only table: the ``columns`` present in ``frame``, in order, with house formatting."""
    cols = [col for col in (columns or frame.columns) if col in frame.columns]
    view = frame.select(cols)
    known = _column_config()
    settings_ = {col: known[col] for col in cols if col in known}
    settings_.update(config or {})
    # A multiselect column renders a one-item list as a coloured pill (statuses, grant states).
    pills = [
        col
        for col in cols
        if view.schema[col] == pl.String
        and isinstance(settings_.get(col), dict)
        and settings_[col].get("type_config", {}).get("type") == "multiselect"
    ]
    for col in pills:
        view = with_status_pill(view, col)
    if view.height <= 10:
        height = "auto"
    elif isinstance(height, int):
        height = min(height, 35 * (view.height + 1) + 3)  # no empty rows below a short table
    view = view.with_columns(
        (pl.col(r) * 100).round(1) for r in _RATIOS if r in cols and r not in (config or {})
    )
    st.dataframe(view, hide_index=True, column_config=settings_, key=key, height=height)
