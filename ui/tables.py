"""House-formatted tables: column labels and formats, coloured status pills, ratios as percentages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from entitlement_core import export
from entitlement_core.charts import (
    GRANT_STATE_COLORS,
    MILESTONE_COLORS,
    MILESTONE_LABELS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_ORDER,
)
from entitlement_core.display import duration_text
from entitlement_core.settings import Settings

__all__ = [
    "csv_of",
    "download",
    "grant_state_config",
    "milestone_status_config",
    "show",
    "status_config",
    "with_status_pill",
]


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


#: Minutes shown in days, hours and minutes (``16 d 16 h``); downloads keep the minutes.
_DURATIONS = (
    "target_minutes", "elapsed_minutes", "margin_minutes", "overrun_minutes", "minutes_left",
    "paused_minutes", "life_minutes", "longest_pause_minutes",
)  # fmt: skip
#: Quantities shown to one decimal at most (a whole number of cases shows no decimals).
_QUANTITIES = (
    "cap", "consumed", "remaining", "projected_at_end", "projected_shortfall", "overage_units", "quantity",
    "units", "drawn", "balance", "breakage", "crm_remaining_cases", "burn_rate_per_day",
)  # fmt: skip
#: What an empty cell shows (never the word "None").
EMPTY = "—"
#: Ratio columns (0-1 fractions) are shown as whole percentages on a 0-100 bar.
_PCT = {"format": "%.0f%%", "min_value": 0, "max_value": 100}
_RATIOS = (
    "pct_used", "compliance", "previous_pct_used", "share", "pct_drawn", "paused_share", "prob_run_out",
)


def _column_config(currency: str, zone: str) -> dict[str, Any]:
    cc = st.column_config
    money = f"%,.2f {currency}"
    return {
        "entitlement_id": cc.TextColumn("Entitlement", pinned=True),
        "name": cc.TextColumn("Name"),
        "account_id": cc.TextColumn("Account ID"),
        "account_name": cc.TextColumn("Account", pinned=True),
        "case_id": cc.TextColumn("Case", pinned=True),
        "tier": cc.TextColumn("Tier"),
        "region": cc.TextColumn("Region"),
        "owner": cc.TextColumn("Owner"),
        "plan": cc.TextColumn("Plan"),
        "usage_type": cc.TextColumn("Usage"),
        "unit": cc.TextColumn("Unit"),
        "cap": cc.NumberColumn("Cap", format="localized"),
        "consumed": cc.NumberColumn("Used", format="localized"),
        "remaining": cc.NumberColumn("Remaining", format="localized"),
        "pct_used": cc.ProgressColumn("Used %", **_PCT),
        "status": status_config(),
        "start_date": cc.DateColumn("Start", format="YYYY-MM-DD"),
        "end_date": cc.DateColumn("End", format="YYYY-MM-DD"),
        "days_left": cc.NumberColumn("Days left", format="%,d"),
        "burn_rate_per_day": cc.NumberColumn("Burn / day", format="localized"),
        "projected_at_end": cc.NumberColumn("Straight line at end", format="localized"),
        "projected_exhaustion_date": cc.DateColumn("Straight line runs out", format="YYYY-MM-DD"),
        "projected_shortfall": cc.NumberColumn("Straight-line shortfall", format="localized"),
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
        "created_at": cc.DatetimeColumn(f"Created ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        "closed_at": cc.DatetimeColumn(f"Closed ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        "started_at": cc.DatetimeColumn(f"Started ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        "target_at": cc.DatetimeColumn(f"Target ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        "completed_at": cc.DatetimeColumn(f"Completed ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        "milestone": cc.TextColumn("Milestone"),
        "priority": cc.TextColumn("Priority"),
        "origin": cc.TextColumn("Origin"),
        "target_minutes": cc.TextColumn("Target"),
        "elapsed_minutes": cc.TextColumn("Elapsed"),
        "margin_minutes": cc.TextColumn("Margin"),
        "overrun_minutes": cc.TextColumn("Late by (business time)"),
        "minutes_left": cc.TextColumn("Business time left"),
        "compliance": cc.ProgressColumn("Compliance", **_PCT),
        "met": cc.NumberColumn("Met", format="%,d"),
        "violated": cc.NumberColumn("Violated", format="%,d"),
        "at_risk": cc.NumberColumn("At risk", format="%,d"),
        "open": cc.NumberColumn("Open", format="%,d"),
        "paused": cc.NumberColumn("Paused", format="%,d"),
        "breach": cc.TextColumn("Next breach"),
        "next_breach": cc.TextColumn("Case's next breach"),
        "minutes_to_target": cc.NumberColumn("Wall-clock min to target", format="%.0f"),
        "running_milestones": cc.NumberColumn("Open milestones", format="%,d"),
        # pause audit
        "paused_minutes": cc.TextColumn("Paused (business time)"),
        "life_minutes": cc.TextColumn("Life (business time)"),
        "paused_share": cc.ProgressColumn("Paused share", **_PCT),
        "paused_cases": cc.NumberColumn("Cases paused", format="%,d"),
        "cases": cc.NumberColumn("Cases", format="%,d"),
        "pauses": cc.NumberColumn("Pauses", format="%,d"),
        "resumes": cc.NumberColumn("Resumes", format="%,d"),
        "longest_pause_minutes": cc.TextColumn("Longest pause (business time)"),
        "main_paused_status": cc.TextColumn("Paused mostly in"),
        "over_threshold": cc.NumberColumn("Paused most of their life", format="%,d"),
        "is_paused_now": cc.CheckboxColumn("Paused now"),
        "likely_entitlement_id": cc.TextColumn("Likely entitlement"),
        "likely_usage_type": cc.TextColumn("Its usage"),
        "match_reason": cc.TextColumn("Matched by"),
        "candidate_count": cc.NumberColumn("Candidates", format="%,d"),
        "consumed_at": cc.DatetimeColumn(f"Consumed at ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        "position": cc.TextColumn("Position"),
        "overage_units": cc.NumberColumn("Over by", format="localized"),
        "overage_count": cc.NumberColumn("Overage records", format="%,d"),
        "overage_rate": cc.NumberColumn("Overage rate", format=money),
        "overage_amount": cc.NumberColumn("Overage amount", format=money),
        "days_to_end": cc.NumberColumn("Days to end", format="%,d"),
        "is_renewed": cc.CheckboxColumn("Renewed"),
        "renewed_by_id": cc.TextColumn("Renewed by"),
        "previous_pct_used": cc.ProgressColumn("Previous term used", **_PCT),
        "upsell_reason": cc.TextColumn("Why"),
        "rank": cc.NumberColumn("Rank", format="%,d"),
        "crm_remaining_cases": cc.NumberColumn("Salesforce remaining", format="localized"),
        "difference": cc.NumberColumn("Difference", format="%+,d"),
        "likely_cause": cc.TextColumn("Likely cause"),
        "deleted_cases": cc.NumberColumn("Deleted cases", format="%,d"),
        "out_of_term_cases": cc.NumberColumn("Out-of-term cases", format="%,d"),
        "is_deleted": cc.CheckboxColumn("Deleted"),
        # usage management: grants, commitments, overage revenue
        "grant_id": cc.TextColumn("Grant"),
        "kind": cc.TextColumn("Kind"),
        "resource": cc.TextColumn("Resource"),
        "quantity": cc.NumberColumn("Quantity", format="localized"),
        "units": cc.NumberColumn("Units", format="localized"),
        "unit_rate": cc.NumberColumn("Per unit", format=money),
        "drawn": cc.NumberColumn("Drawn", format="localized"),
        "balance": cc.NumberColumn("Balance", format="localized"),
        "breakage": cc.NumberColumn("Breakage", format="localized"),
        "state": grant_state_config(),
        "valid_from": cc.DatetimeColumn("Valid from", format="YYYY-MM-DD"),
        "valid_to": cc.DatetimeColumn("Valid to", format="YYYY-MM-DD"),
        "committed_amount": cc.NumberColumn("Committed", format=money),
        "drawn_amount": cc.NumberColumn("Drawn", format=money),
        "remaining_amount": cc.NumberColumn("Remaining", format=money),
        "pct_drawn": cc.ProgressColumn("Drawn %", **_PCT),
        "month": cc.DateColumn("Month", format="YYYY-MM"),
        "months": cc.NumberColumn("Months", format="%,d"),
        "first_month": cc.DateColumn("First month", format="YYYY-MM"),
        "last_month": cc.DateColumn("Last month", format="YYYY-MM"),
    }


def csv_of(frame: pl.DataFrame, columns: list[str] | None = None) -> bytes:
    """The CSV a table's download holds: its ``columns`` (those present), every row of ``frame``,
    through the export module (Excel-safe cells, ISO UTC timestamps, a byte-order mark)."""
    cols = [col for col in (columns or frame.columns) if col in frame.columns]
    return export.to_bytes(frame.select(cols), "csv")


def download(
    rows: pl.DataFrame | Callable[[], pl.DataFrame],
    columns: list[str] | None = None,
    *,
    key: str,
    count: int | None = None,
    file_name: str | None = None,
) -> None:
    """A "Download CSV" button for ``rows`` (a frame, or a function making it when clicked: a long
    list shown in part is made whole only for the download)."""
    n = rows.height if isinstance(rows, pl.DataFrame) else count
    label = "Download CSV" + (f" ({n:,} row{'s' if n != 1 else ''})" if n is not None else "")
    name = file_name or re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "table"
    data = (lambda: csv_of(rows(), columns)) if callable(rows) else (lambda: csv_of(rows, columns))
    st.download_button(
        label,
        data,
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"dl_{key}",
        icon=":material/download:",
        type="tertiary",
        on_click="ignore",
    )


def show(
    frame: pl.DataFrame,
    columns: list[str] | None = None,
    *,
    key: str | None = None,
    height: int | str = "auto",
    config: dict[str, Any] | None = None,
    all_rows: Callable[[], pl.DataFrame] | pl.DataFrame | None = None,
    total: int | None = None,
    file_name: str | None = None,
    export_columns: list[str] | None = None,
) -> None:
    """A read-only table: the ``columns`` present in ``frame``, in order, with house formatting,
    and (with a ``key``) a CSV download of exactly those rows and columns.

    When the table shows the first rows of a longer list, ``all_rows`` is the whole list (or a
    function making it, run only when the download is clicked) and ``total`` its length: the
    download then holds every row of it. ``export_columns`` gives the download more columns than
    the table shows (a report's full set); by default it holds the shown ones.
    """
    cols = [col for col in (columns or frame.columns) if col in frame.columns]
    view = frame.select(cols)
    settings = Settings()
    known = _column_config(settings.currency, settings.display_timezone)
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
    numeric = {col for col, dtype in view.schema.items() if dtype.is_numeric()}
    view = view.with_columns(
        *((pl.col(r) * 100).round(1) for r in _RATIOS if r in cols and r not in (config or {})),
        *(duration_text(d).alias(d) for d in _DURATIONS if d in numeric and d not in (config or {})),
        *(pl.col(q).cast(pl.Float64).round(1) for q in _QUANTITIES if q in numeric),
    )
    st.dataframe(
        view, hide_index=True, column_config=settings_, key=key, height=height, placeholder=EMPTY
    )
    if key is not None:
        out = export_columns or cols
        if all_rows is None:
            download(frame, out, key=key, file_name=file_name)
        else:
            count = all_rows.height if isinstance(all_rows, pl.DataFrame) else total
            download(all_rows, out, key=key, count=count, file_name=file_name)
