"""Charts of the SLA pages: compliance trend and heatmap, margin distribution."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from .style import COMPLIANCE_SCALE, MILESTONE_COLORS, empty_figure, layout, ordered, status_label

__all__ = [
    "compliance_heatmap",
    "compliance_trend_chart",
    "margin_chart",
    "pause_status_chart",
    "pause_trend_chart",
]

# -- SLA ---------------------------------------------------------------------------


def compliance_trend_chart(
    trend: pl.DataFrame, *, by: str | None = "milestone", title: str = "SLA compliance per week"
) -> go.Figure:
    """Lines of ``compliance`` per ``period_start`` (one line per ``by`` group)."""
    fig = go.Figure()
    if trend.is_empty() or trend["compliance"].drop_nulls().is_empty():
        return empty_figure(layout(fig, title=title, x="Week", y="Compliance"), "No completed milestones yet")
    groups = [None] if by is None else sorted(trend[by].drop_nulls().unique().to_list())
    palette = ["#3B6FD8", "#7A5AF8", "#0BA5EC", "#2F9E6E", "#667085"]
    for i, group in enumerate(groups):
        part = (trend if group is None else trend.filter(pl.col(by) == group)).sort("period_start")
        fig.add_scatter(
            name=str(group) if group is not None else "All milestones",
            x=part["period_start"].to_list(),
            y=part["compliance"].to_list(),
            mode="lines+markers",
            line={"width": 2, "color": palette[i % len(palette)]},
            marker={"size": 5},
            customdata=part.select("met", "violated").rows(),
            hovertemplate="Week of %{x|%Y-%m-%d}<br>%{y:.1%} compliant"
            "<br>%{customdata[0]:,} met, %{customdata[1]:,} violated<extra>%{fullData.name}</extra>",
        )
    layout(fig, title=title, x="Week (cases started)", y="Compliance")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def compliance_heatmap(
    table: pl.DataFrame,
    *,
    rows: str = "milestone",
    cols: str = "priority",
    title: str = "Compliance by milestone and priority",
) -> go.Figure:
    """Heatmap of compliance over two dimensions.

    ``table`` has one row per (``rows``, ``cols``) with ``met``, ``violated``
    and ``compliance`` already computed
    (:func:`~entitlement_core.sla.compliance.from_counts` with ``by=(rows, cols)``):
    the chart draws, it does not count.
    """
    fig = go.Figure()
    cells = table.with_columns(pl.col(rows).fill_null("(any)"), pl.col(cols).fill_null("(none)"))
    if cells.is_empty():
        return empty_figure(
            layout(fig, title=title, x=cols.capitalize(), y=rows.capitalize()), "No milestones"
        )
    ys = ordered(cells[rows].unique().to_list(), rows)
    xs = ordered(cells[cols].unique().to_list(), cols)
    grid = {(r[rows], r[cols]): r for r in cells.iter_rows(named=True)}
    z = [[(grid[(y, x)]["compliance"] if (y, x) in grid else None) for x in xs] for y in ys]
    decided = [
        [(grid[(y, x)]["met"] + grid[(y, x)]["violated"] if (y, x) in grid else 0) for x in xs] for y in ys
    ]
    text = [[("" if v is None else f"{v:.0%}") for v in row] for row in z]
    fig.add_heatmap(
        x=xs,
        y=ys,
        z=z,
        text=text,
        texttemplate="%{text}",
        customdata=decided,
        colorscale=COMPLIANCE_SCALE,
        zmin=0,
        zmax=1,
        xgap=3,
        ygap=3,
        colorbar={"title": {"text": "Met"}, "tickformat": ".0%", "thickness": 12},
        hovertemplate="%{y} · %{x}<br>%{z:.1%} compliant<br>%{customdata:,} decided<extra></extra>",
    )
    layout(
        fig,
        title=title,
        x=cols.replace("_", " ").capitalize(),
        y=rows.replace("_", " ").capitalize(),
        height=300,
    )
    fig.update_yaxes(gridcolor="rgba(0,0,0,0)", autorange="reversed")
    return fig


def margin_chart(
    bins: pl.DataFrame, *, title: str = "How far completed milestones beat their target"
) -> go.Figure:
    """Bars of completed milestones per margin bin (hours), met in green and violated in red.

    ``bins`` has ``margin_hours`` (bin start), ``status`` (met / violated)
    and ``instances``.
    """
    fig = go.Figure()
    if bins.is_empty():
        return empty_figure(
            layout(fig, title=title, x="Margin (business hours)", y="Milestones"),
            "No completed milestones yet",
        )
    for status in ("met", "violated"):
        part = bins.filter(pl.col("status") == status).sort("margin_hours")
        if part.is_empty():
            continue
        fig.add_bar(
            name=status_label(status),
            x=part["margin_hours"].to_list(),
            y=part["instances"].to_list(),
            marker_color=MILESTONE_COLORS[status],
            hovertemplate="Margin %{x:+,.0f} h<br>%{y:,} milestones<extra>"
            + status_label(status)
            + "</extra>",
        )
    fig.add_vline(x=0, line_width=1, line_color="#475467")
    fig.update_layout(barmode="stack", bargap=0.05)
    return layout(fig, title=title, x="Margin: target minus elapsed (business hours)", y="Milestones")


# -- pause audit -------------------------------------------------------------------


def pause_trend_chart(weeks: pl.DataFrame, *, title: str = "SLA time paused per week") -> go.Figure:
    """Share of SLA time paused per week of creation (``week_start``, ``paused_share``), with the
    cases paused that week on hover (the pause audit by week)."""
    fig = go.Figure()
    if weeks.is_empty() or weeks["paused_share"].drop_nulls().is_empty():
        return empty_figure(layout(fig, title=title, x="Week", y="Paused share"), "No SLA time measured yet")
    part = weeks.sort("week_start")
    fig.add_scatter(
        name="Paused share",
        x=part["week_start"].to_list(),
        y=part["paused_share"].to_list(),
        mode="lines+markers",
        line={"width": 2, "color": MILESTONE_COLORS["paused"]},
        marker={"size": 5},
        customdata=part.select("paused_cases", "cases", "over_threshold").rows(),
        hovertemplate="Week of %{x|%Y-%m-%d}<br>%{y:.1%} of SLA time paused"
        "<br>%{customdata[0]:,} of %{customdata[1]:,} cases paused, %{customdata[2]:,} above the threshold"
        "<extra></extra>",
    )
    layout(fig, title=title, x="Week (cases created)", y="Share of SLA time paused")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def pause_status_chart(by_status: pl.DataFrame, *, title: str = "SLA time paused by status") -> go.Figure:
    """Bars of the share of all SLA time each paused status held (``status``, ``paused_share``)."""
    fig = go.Figure()
    if by_status.is_empty():
        return empty_figure(
            layout(fig, title=title, x="Share of SLA time", y="Status"), "No clock was paused"
        )
    part = by_status.sort("paused_share", nulls_last=False)
    fig.add_bar(
        x=part["paused_share"].to_list(),
        y=part["status"].to_list(),
        orientation="h",
        marker={"color": MILESTONE_COLORS["paused"]},
        customdata=part.select("cases", "paused_minutes").rows(),
        hovertemplate="%{y}<br>%{x:.1%} of SLA time<br>%{customdata[0]:,} cases, "
        "%{customdata[1]:,.0f} business minutes<extra></extra>",
    )
    layout(fig, title=title, x="Share of SLA time", y="Status", height=280)
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    return fig
