"""Charts of the usage pages: utilization, burn-down, consumption, upsell and renewals."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from .style import STATUS_COLORS, STATUS_ORDER, UTIL_SCALE, empty_figure, layout, status_label

__all__ = [
    "UTIL_BUCKETS",
    "burndown_chart",
    "consumption_chart",
    "renewal_history_chart",
    "shortfall_chart",
    "utilization_buckets",
    "utilization_heatmap",
    "utilization_histogram",
]

# -- utilization -----------------------------------------------------------------

#: Buckets of ``pct_used`` for the distribution: (label, lower bound inclusive).
UTIL_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0–20%", 0.0),
    ("20–40%", 0.2),
    ("40–60%", 0.4),
    ("60–80%", 0.6),
    ("80–100%", 0.8),
    ("100%", 1.0),
    ("> 100%", 1.000001),
)


def utilization_buckets(util: pl.DataFrame) -> pl.DataFrame:
    """Capped entitlements in their term counted by ``pct_used`` bucket and status.

    Grain: one row per (bucket, status) with entitlements. Columns ``bucket``,
    ``bucket_order``, ``status``, ``entitlements``.
    """
    labels = [b[0] for b in UTIL_BUCKETS]
    bounds = [b[1] for b in UTIL_BUCKETS]
    order = pl.lit(0, dtype=pl.Int32)
    for i, lower in enumerate(bounds[1:], start=1):
        order = pl.when(pl.col("pct_used") >= lower).then(pl.lit(i, dtype=pl.Int32)).otherwise(order)
    return (
        util.filter(
            pl.col("pct_used").is_not_null()
            & pl.col("status").is_in(["over_cap", "exhausted", "near_limit", "healthy"])
        )
        .with_columns(order.alias("bucket_order"))
        .group_by("bucket_order", "status")
        .agg(pl.len().cast(pl.Int64).alias("entitlements"))
        .with_columns(
            pl.col("bucket_order")
            .replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
            .alias("bucket")
        )
        .sort("bucket_order", "status")
        .select("bucket", "bucket_order", "status", "entitlements")
    )


def utilization_histogram(
    util: pl.DataFrame, *, title: str = "Utilization of active capped entitlements"
) -> go.Figure:
    """Stacked bars: how many active capped entitlements sit in each band of ``pct_used``.

    ``util`` is the utilization mart (one row per entitlement); only rows with
    a ``pct_used`` in an active status are drawn.
    """
    fig = go.Figure()
    counts = utilization_buckets(util)
    labels = [b[0] for b in UTIL_BUCKETS]
    for status in STATUS_ORDER:
        part = counts.filter(pl.col("status") == status)
        if part.is_empty():
            continue
        fig.add_bar(
            name=status_label(status),
            x=part["bucket"].to_list(),
            y=part["entitlements"].to_list(),
            marker_color=STATUS_COLORS[status],
            hovertemplate="%{x} used<br>%{y:,} entitlements<extra>" + status_label(status) + "</extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(categoryorder="array", categoryarray=labels)
    layout(fig, title=title, x="Share of allotment used", y="Entitlements")
    return empty_figure(fig, "No active capped entitlements") if counts.is_empty() else fig


def utilization_heatmap(
    util: pl.DataFrame, *, title: str = "Average utilization by tier and region"
) -> go.Figure:
    """Heatmap of mean ``pct_used`` of active capped entitlements, tier (rows) x region (columns)."""
    active = util.filter(
        pl.col("pct_used").is_not_null() & ~pl.col("status").is_in(["not_started", "expired"])
    )
    cells = (
        active.with_columns(pl.col("tier").fill_null("(none)"), pl.col("region").fill_null("(none)"))
        .group_by("tier", "region")
        .agg(pl.col("pct_used").mean().alias("pct"), pl.len().alias("n"))
    )
    fig = go.Figure()
    if cells.is_empty():
        return empty_figure(layout(fig, title=title, x="Region", y="Tier"), "No active capped entitlements")
    tiers = sorted(cells["tier"].unique().to_list())
    regions = sorted(cells["region"].unique().to_list())
    grid = {(r["tier"], r["region"]): (r["pct"], r["n"]) for r in cells.iter_rows(named=True)}
    z = [[grid.get((t, g), (None, 0))[0] for g in regions] for t in tiers]
    n = [[grid.get((t, g), (None, 0))[1] for g in regions] for t in tiers]
    text = [[("" if v is None else f"{v:.0%}") for v in row] for row in z]
    fig.add_heatmap(
        x=regions,
        y=tiers,
        z=z,
        text=text,
        texttemplate="%{text}",
        customdata=n,
        colorscale=UTIL_SCALE,
        zmin=0,
        zmax=1.2,
        xgap=3,
        ygap=3,
        colorbar={"title": {"text": "Used"}, "tickformat": ".0%", "thickness": 12},
        hovertemplate="Tier %{y}, %{x}<br>Average used %{z:.1%}"
        "<br>%{customdata:,} entitlements<extra></extra>",
    )
    layout(fig, title=title, x="Region", y="Tier", height=320)
    fig.update_yaxes(gridcolor="rgba(0,0,0,0)", autorange="reversed")
    return fig


def burndown_chart(
    days: pl.DataFrame,
    *,
    as_of_date: dt.date,
    unit: str = "cases",
    title: str = "Consumption against the allotment",
) -> go.Figure:
    """Cumulative consumption by day, the cap, and the forecast to the end of the term with its band.

    ``days`` is the burn-down of one entitlement (one row per day of the
    term, :func:`entitlement_core.usage.trends.burndown`): ``date``,
    ``consumed`` (cumulative, null after the as-of day), ``cap`` (null when
    unlimited), from the as-of day on ``expected_consumed`` with its 10-90
    band ``band_p10 .. band_p90`` (the forecast), and ``projected_consumed``
    (the straight line at the trailing burn rate, DOMAIN.md "Burn rate,
    projection"). Frames without the forecast's columns draw the straight
    line alone.
    """
    fig = go.Figure()
    if days.is_empty():
        return empty_figure(layout(fig, title=title, x="Date", y=unit.capitalize()), "No term to show")
    actual = days.filter(pl.col("consumed").is_not_null())
    projected = days.filter(pl.col("projected_consumed").is_not_null())
    has_band = {"band_p10", "band_p90", "expected_consumed"} <= set(days.columns)
    band = days.filter(pl.col("band_p10").is_not_null()) if has_band else days.clear()
    if not band.is_empty():
        dates = band["date"].to_list()
        # The band: the 90th percentile line, then the 10th filled up to it.
        fig.add_scatter(
            x=dates,
            y=band["band_p90"].to_list(),
            name="90th percentile",
            mode="lines",
            line={"width": 0, "color": STATUS_COLORS["near_limit"]},
            showlegend=False,
            hovertemplate="90th percentile %{y:,.1f} " + unit + "<extra></extra>",
        )
        fig.add_scatter(
            x=dates,
            y=band["band_p10"].to_list(),
            name="Likely range (10-90%)",
            mode="lines",
            fill="tonexty",
            fillcolor="rgba(242, 169, 0, 0.18)",
            line={"width": 0, "color": STATUS_COLORS["near_limit"]},
            hovertemplate="10th percentile %{y:,.1f} " + unit + "<extra></extra>",
        )
    fig.add_scatter(
        x=actual["date"].to_list(),
        y=actual["consumed"].to_list(),
        name="Consumed",
        mode="lines",
        line={"color": STATUS_COLORS["unlimited"], "width": 2.5, "shape": "hv"},
        hovertemplate="%{y:,.1f} " + unit + " used<extra></extra>",
    )
    if not band.is_empty():
        fig.add_scatter(
            x=band["date"].to_list(),
            y=band["expected_consumed"].to_list(),
            name="Forecast (expected)",
            mode="lines",
            line={"color": STATUS_COLORS["near_limit"], "width": 2, "dash": "dash"},
            hovertemplate="expected %{y:,.1f} " + unit + "<extra></extra>",
        )
    if not projected.is_empty():
        fig.add_scatter(
            x=projected["date"].to_list(),
            y=projected["projected_consumed"].to_list(),
            name="Straight line (burn rate)" if not band.is_empty() else "Projection",
            mode="lines",
            line={"color": "#98A2B3" if not band.is_empty() else STATUS_COLORS["near_limit"], "width": 1.5,
                  "dash": "dot" if not band.is_empty() else "dash"},
            hovertemplate="straight line %{y:,.1f} " + unit + "<extra></extra>",
        )  # fmt: skip
    cap = days["cap"].drop_nulls()
    if not cap.is_empty():
        fig.add_scatter(
            x=[days["date"].min(), days["date"].max()],
            y=[cap[0], cap[0]],
            name="Cap",
            mode="lines",
            line={"color": STATUS_COLORS["over_cap"], "width": 1.5, "dash": "dot"},
            hovertemplate="cap %{y:,.0f} " + unit + "<extra></extra>",
        )
    last_day = min(as_of_date, days["date"].max())
    if last_day >= days["date"].min():
        fig.add_vline(
            x=dt.datetime.combine(last_day, dt.time()).timestamp() * 1000,
            line_width=1,
            line_color="#98A2B3",
            annotation_text="as of",
            annotation_position="top left",
        )
    layout(fig, title=title, x="Date", y=f"{unit.capitalize()} used (cumulative)")
    fig.update_xaxes(range=[days["date"].min(), days["date"].max()])
    fig.update_layout(hovermode="x unified")
    return fig


def consumption_chart(
    weekly: pl.DataFrame,
    *,
    color_by: str | None = None,
    unit: str = "units",
    title: str = "Consumption per week",
) -> go.Figure:
    """Bars of consumption per week (``week_start``, ``consumed``), stacked by ``color_by``."""
    fig = go.Figure()
    if weekly.is_empty():
        return empty_figure(
            layout(fig, title=title, x="Week", y=unit.capitalize()), "No consumption in this period"
        )
    groups = [None] if color_by is None else sorted(weekly[color_by].unique().drop_nulls().to_list())
    palette = ["#3B6FD8", "#2F9E6E", "#F2A900", "#7A5AF8", "#E8590C", "#0BA5EC", "#667085", "#B42318"]
    for i, group in enumerate(groups):
        part = weekly if group is None else weekly.filter(pl.col(color_by) == group)
        fig.add_bar(
            name=str(group) if group is not None else "Consumed",
            x=part["week_start"].to_list(),
            y=part["consumed"].to_list(),
            marker_color=palette[i % len(palette)],
            hovertemplate="Week of %{x|%Y-%m-%d}<br>%{y:,.1f} " + unit + "<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(barmode="stack", showlegend=color_by is not None)
    return layout(fig, title=title, x="Week", y=unit.capitalize())


# -- upsell and renewals ---------------------------------------------------------


def shortfall_chart(
    candidates: pl.DataFrame, *, unit: str = "cases", top: int = 15, title: str | None = None
) -> go.Figure:
    """Horizontal bars of the top candidates of one ``unit`` by ``expected_shortfall``, coloured by status.

    Each bar carries the 10-90 interval of consumption at the end and the
    probability of running out in its hover text. Cases and hours never share
    an axis: the page draws one chart per unit.
    """
    title = title or f"Largest expected shortfalls ({unit})"
    fig = go.Figure()
    head = (
        candidates.filter(pl.col("unit") == unit)
        .sort("expected_shortfall", descending=True, nulls_last=True)
        .head(top)
    )
    axis = f"Expected shortfall at end of term ({unit})"
    if head.is_empty():
        return empty_figure(layout(fig, title=title, x=axis, y=""), "No upsell candidates")
    label = pl.concat_str(
        pl.col("account_name").fill_null(pl.col("account_id")), pl.lit(" · "), pl.col("entitlement_id")
    )
    head = head.with_columns(label.alias("_label")).reverse()
    for status in STATUS_ORDER:
        part = head.filter(pl.col("status") == status)
        if part.is_empty():
            continue
        fig.add_bar(
            name=status_label(status),
            orientation="h",
            y=part["_label"].to_list(),
            x=part["expected_shortfall"].to_list(),
            marker_color=STATUS_COLORS[status],
            customdata=part.select(
                pl.col("recommended_plan").fill_null("—"),
                pl.col("owner").fill_null("—"),
                pl.col("projected_p10"),
                pl.col("projected_p90"),
                (pl.col("prob_run_out") * 100),
            ).rows(),
            hovertemplate="%{y}<br>Expected shortfall %{x:,.1f} "
            + unit
            + "<br>At end: %{customdata[2]:,.0f} - %{customdata[3]:,.0f} "
            + unit
            + " (10-90%)"
            "<br>Chance to run out %{customdata[4]:.0f}%"
            "<br>Recommended %{customdata[0]}<br>Owner %{customdata[1]}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(categoryorder="array", categoryarray=head["_label"].to_list(), gridcolor="rgba(0,0,0,0)")
    return layout(fig, title=title, x=axis, y="", height=max(320, 28 * head.height + 90))


def renewal_history_chart(history: pl.DataFrame, *, title: str = "Utilization across terms") -> go.Figure:
    """Bars of ``pct_used`` per term (``term_label``), coloured by the term's status."""
    fig = go.Figure()
    if history.is_empty():
        return empty_figure(layout(fig, title=title, x="Term", y="Share used"), "No earlier terms")
    for status in STATUS_ORDER:
        part = history.filter(pl.col("status") == status)
        if part.is_empty():
            continue
        fig.add_bar(
            name=status_label(status),
            x=part["term_label"].to_list(),
            y=part["pct_used"].to_list(),
            marker_color=STATUS_COLORS[status],
            texttemplate="%{y:.0%}",
            textposition="outside",
            cliponaxis=False,
            customdata=part.select(pl.col("consumed").fill_null(0), pl.col("cap")).rows(),
            hovertemplate="%{x}<br>%{y:.0%} used"
            " (%{customdata[0]:,.1f} of %{customdata[1]:,.0f})<extra></extra>",
        )
    fig.add_hline(y=1, line_dash="dot", line_color=STATUS_COLORS["over_cap"], line_width=1)
    fig.update_xaxes(categoryorder="array", categoryarray=history["term_label"].to_list())
    layout(fig, title=title, x="Term", y="Share of allotment used")
    fig.update_yaxes(tickformat=".0%")
    return fig
