"""The charts' house style: one colour per status, labels, layout and empty figures."""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = [
    "COMPLIANCE_SCALE",
    "MILESTONE_COLORS",
    "MILESTONE_LABELS",
    "PRIORITY_ORDER",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "STATUS_ORDER",
    "UTIL_SCALE",
    "empty_figure",
    "layout",
    "ordered",
    "status_label",
]

#: Entitlement statuses, worst first (DOMAIN.md "Status").
STATUS_ORDER = ("over_cap", "exhausted", "near_limit", "healthy", "unlimited", "not_started", "expired")

#: One colour per entitlement status, used by every page and chart.
STATUS_COLORS: dict[str, str] = {
    "over_cap": "#B42318",
    "exhausted": "#E8590C",
    "near_limit": "#F2A900",
    "healthy": "#2F9E6E",
    "unlimited": "#3B6FD8",
    "not_started": "#98A2B3",
    "expired": "#667085",
}

STATUS_LABELS: dict[str, str] = {
    "over_cap": "Over cap",
    "exhausted": "Exhausted",
    "near_limit": "Near limit",
    "healthy": "Healthy",
    "unlimited": "Unlimited",
    "not_started": "Not started",
    "expired": "Expired",
}

#: One colour per milestone status (met / at risk / violated share the
#: healthy / near-limit / over-cap hues so red always means trouble).
MILESTONE_COLORS: dict[str, str] = {
    "met": STATUS_COLORS["healthy"],
    "at_risk": STATUS_COLORS["near_limit"],
    "violated": STATUS_COLORS["over_cap"],
    "open": STATUS_COLORS["unlimited"],
    "paused": STATUS_COLORS["not_started"],
}

MILESTONE_LABELS: dict[str, str] = {
    "met": "Met",
    "at_risk": "At risk",
    "violated": "Violated",
    "open": "Open",
    "paused": "Paused",
}

#: Priorities in the order people read them; other values follow alphabetically.
PRIORITY_ORDER = ("Critical", "Urgent", "High", "Medium", "Normal", "Low")

FONT = "Inter, Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif"
GRID = "#EAECF0"
TEXT = "#344054"
#: Utilization colour scale: green (room left) -> amber (near limit) -> red (over).
UTIL_SCALE = [
    [0.0, "#E7F5EE"],
    [0.5, "#7CC6A0"],
    [0.7, STATUS_COLORS["healthy"]],
    [0.8, STATUS_COLORS["near_limit"]],
    [0.9, STATUS_COLORS["exhausted"]],
    [1.0, STATUS_COLORS["over_cap"]],
]
COMPLIANCE_SCALE = [
    [0.0, STATUS_COLORS["over_cap"]],
    [0.6, STATUS_COLORS["exhausted"]],
    [0.8, STATUS_COLORS["near_limit"]],
    [0.9, "#7CC6A0"],
    [1.0, STATUS_COLORS["healthy"]],
]


def status_label(status: str | None) -> str:
    """``near_limit`` -> ``Near limit`` (unknown values pass through)."""
    if status is None:
        return ""
    return STATUS_LABELS.get(status, MILESTONE_LABELS.get(status, status.replace("_", " ").capitalize()))


def layout(fig: go.Figure, *, title: str, x: str, y: str, height: int = 360) -> go.Figure:
    """The house style: white background, light grid, title top left, legend on top."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16, "color": "#101828"}},
        font={"family": FONT, "size": 12, "color": TEXT},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        height=height,
        margin={"l": 8, "r": 8, "t": 64, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1, "title": None},
        hoverlabel={"font": {"family": FONT}},
        bargap=0.15,
    )
    fig.update_xaxes(title_text=x, showgrid=False, linecolor=GRID, automargin=True)
    fig.update_yaxes(title_text=y, gridcolor=GRID, zeroline=False, automargin=True)
    return fig


def empty_figure(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(
        text=message,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 13, "color": "#667085"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def ordered(values: list[str], column: str) -> list[str]:
    """Values sorted for display: priorities by urgency, anything else alphabetically."""
    if column != "priority":
        return sorted(values)
    rank = {p.lower(): i for i, p in enumerate(PRIORITY_ORDER)}
    return sorted(values, key=lambda v: (rank.get(str(v).lower(), len(rank)), str(v)))
