"""Charts of the Revenue page: overage revenue by month, commitments drawn and remaining."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from .style import STATUS_COLORS, empty_figure, layout

__all__ = [
    "GRANT_KIND_COLORS",
    "GRANT_STATE_COLORS",
    "OTHER",
    "commitment_chart",
    "monthly_overage",
    "overage_revenue_chart",
]

#: Grant states in the entitlement status colours: valid now, not yet valid, expired.
GRANT_STATE_COLORS: dict[str, str] = {
    "active": STATUS_COLORS["healthy"],
    "future": STATUS_COLORS["not_started"],
    "expired": STATUS_COLORS["expired"],
}
#: One colour per grant kind.
GRANT_KIND_COLORS: dict[str, str] = {
    "anchor": STATUS_COLORS["unlimited"],
    "pack": "#7A5AF8",
    "rollover": "#0BA5EC",
    "commitment": STATUS_COLORS["healthy"],
}
#: The group that collects everything beyond the largest ``top`` groups.
OTHER = "Other"
_PALETTE = ["#3B6FD8", "#2F9E6E", "#F2A900", "#7A5AF8", "#E8590C", "#0BA5EC", "#B42318", "#98A2B3"]


def monthly_overage(revenue: pl.DataFrame, *, by: str = "owner", top: int = 7) -> pl.DataFrame:
    """Overage amount per month and ``by`` value; groups beyond the ``top`` largest become ``Other``.

    ``revenue`` has one row per (account, month) with ``account_id``,
    ``month``, ``overage_units``, ``overage_amount`` and the ``by`` column. Grain of the
    result: one row per (month, group): month, group, overage_amount,
    overage_units, accounts; groups ordered by total amount (largest first,
    ``Other`` last) in ``group_rank``.
    """
    named = revenue.with_columns(pl.col(by).cast(pl.String).fill_null("(none)").alias("group"))
    ranked = (
        named.group_by("group")
        .agg(pl.col("overage_amount").fill_null(0.0).sum().alias("_total"))
        .sort(["_total", "group"], descending=[True, False])
        .with_row_index("_rank")
    )
    kept = ranked.filter(pl.col("_rank") < top).select("group", "_rank")
    return (
        named.join(kept, on="group", how="left")
        .with_columns(
            pl.when(pl.col("_rank").is_null()).then(pl.lit(OTHER)).otherwise(pl.col("group")).alias("group"),
            pl.col("_rank").fill_null(top).cast(pl.Int64).alias("group_rank"),
        )
        .group_by("month", "group", "group_rank")
        .agg(
            pl.col("overage_amount").fill_null(0.0).sum(),
            pl.col("overage_units").sum(),
            pl.col("account_id").n_unique().cast(pl.Int64).alias("accounts"),
        )
        .sort("month", "group_rank")
    )


def overage_revenue_chart(
    revenue: pl.DataFrame,
    *,
    by: str = "owner",
    top: int = 7,
    title: str = "Overage revenue by month",
    label: str = "Account owner",
) -> go.Figure:
    """Bars of overage revenue per month, stacked by ``by`` (the largest ``top`` groups, then Other)."""
    fig = go.Figure()
    months = monthly_overage(revenue, by=by, top=top).filter(pl.col("overage_amount") > 0)
    layout(fig, title=title, x="Month", y="Overage revenue")
    if months.is_empty():
        return empty_figure(fig, "No priced overage as of this date")
    groups = months.select("group", "group_rank").unique().sort("group_rank")
    for i, (group, _) in enumerate(groups.iter_rows()):
        part = months.filter(pl.col("group") == group)
        fig.add_bar(
            name=group,
            x=part["month"].to_list(),
            y=part["overage_amount"].to_list(),
            marker_color="#98A2B3" if group == OTHER else _PALETTE[i % len(_PALETTE)],
            customdata=part.select("overage_units", "accounts").rows(),
            hovertemplate=f"{label} %{{fullData.name}}<br>%{{x|%b %Y}}: %{{y:,.0f}}"
            "<br>%{customdata[0]:,.1f} units over, %{customdata[1]} account(s)<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(tickformat=",.0f")
    return fig


def commitment_chart(
    commitments: pl.DataFrame, *, top: int = 15, title: str = "Monetary commitments: drawn and remaining"
) -> go.Figure:
    """Horizontal bars per commitment: amount drawn and remaining (the largest ``top`` commitments).

    ``commitments`` has ``grant_id``, ``committed_amount``, ``drawn_amount``,
    ``remaining_amount`` and optionally ``account_name``.
    """
    fig = go.Figure()
    head = commitments.sort(["committed_amount", "grant_id"], descending=[True, False]).head(top)
    height = max(280, 30 * head.height + 110)
    layout(fig, title=title, x="Amount", y="", height=height)
    if head.is_empty():
        return empty_figure(fig, "No monetary commitment")
    name = pl.col("account_name") if "account_name" in head.columns else pl.col("entitlement_id")
    label = pl.concat_str(name.fill_null(pl.col("entitlement_id")), pl.lit(" · "), pl.col("grant_id"))
    head = head.with_columns(label.alias("_label")).reverse()
    for column, text, color in (
        ("drawn_amount", "Drawn", STATUS_COLORS["unlimited"]),
        ("remaining_amount", "Remaining", "#B7E4CC"),
    ):
        fig.add_bar(
            name=text,
            orientation="h",
            y=head["_label"].to_list(),
            x=head[column].to_list(),
            marker_color=color,
            customdata=head.select("committed_amount").rows(),
            hovertemplate="%{y}<br>" + text + " %{x:,.0f} of %{customdata[0]:,.0f}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(gridcolor="rgba(0,0,0,0)")
    fig.update_xaxes(tickformat=",.0f")
    return fig
