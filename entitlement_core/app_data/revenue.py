"""The Revenue page's figures: overage revenue, monetary commitments, grant balances and breakage.

All computed as of a moment from :mod:`entitlement_core.usage.balances`
(the grant drawdown of DOMAIN.md "Grant"): overage is consumption beyond all
grants priced by the plan's overage rate; a commitment is a currency amount
drawn at a per-unit rate; breakage is the unused balance of grants that have
expired.

The core prices overage per account and month, so the sidebar's
entitlement-level filters (plan, usage type) are applied *before* pricing
(:func:`overage_revenue_mart` takes them) and the account-level ones (tier,
region, owner) after (:func:`split_filters`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from ..staging import Tables
from .marts import Filters

__all__ = [
    "ACCOUNT_DIMENSIONS",
    "GRANT_COLUMNS",
    "breakage_totals",
    "commitment_balances",
    "entitlement_slice",
    "grant_balances",
    "overage_revenue_mart",
    "overage_totals",
    "split_filters",
]

#: Filter dimensions that belong to the account (the rest belong to the entitlement).
ACCOUNT_DIMENSIONS: tuple[str, ...] = ("tier", "region", "owner")

#: Columns of :func:`grant_balances`, in display order.
GRANT_COLUMNS: tuple[str, ...] = (
    "grant_id", "entitlement_id", "resource", "unit", "kind", "quantity", "units", "unit_rate",
    "valid_from", "valid_to", "drawn", "balance", "state", "breakage",
)  # fmt: skip


def grant_balances(tables: Tables, *, as_of: dt.datetime) -> pl.DataFrame:
    """Every grant's drawdown as of a moment, with the unit of its resource.

    Grain: one row per grant, implicit anchor grants (an entitlement's cap)
    included. ``units``, ``drawn``, ``balance`` and ``breakage`` are in the
    resource's unit; ``quantity`` is the grant's own figure (currency for a
    commitment, drawn at ``unit_rate`` per unit).

    Example
    -------
    Cap 10, 11 cases, then a 5-case pack: the anchor is drawn 10 (balance 0),
    the pack 1 (balance 4); after both expire unused, the pack's breakage is 4.
    """
    from ..usage.balances import balances

    per_grant, _ = balances(tables, as_of=as_of)
    units = tables.usage_resources.select("resource", "unit").unique("resource").collect()
    return (
        per_grant.join(units, on="resource", how="left")
        .with_columns(pl.coalesce("unit", "resource").alias("unit"))
        .select(GRANT_COLUMNS)
        .sort("entitlement_id", "valid_from", "grant_id")
    )


def entitlement_slice(tables: Tables, *, plan: Sequence[str] = (), usage_type: Sequence[str] = ()) -> Tables:
    """The tables restricted to entitlements of the given plans and usage types (empty: all).

    Grants and metered events follow their entitlements; cases stay whole
    (cases of other entitlements consume nothing of these).
    """
    if not plan and not usage_type:
        return tables
    keep = pl.lit(True)
    if plan:
        keep = keep & pl.col("plan").is_in(list(plan))
    if usage_type:
        keep = keep & pl.col("usage_type").is_in(list(usage_type))
    ents = tables.entitlements.filter(keep)
    ids = ents.select("entitlement_id")
    return replace(
        tables,
        entitlements=ents,
        grants=tables.grants.join(ids, on="entitlement_id", how="semi"),
        usage_events=tables.usage_events.join(ids, on="entitlement_id", how="semi"),
    )


def overage_revenue_mart(
    tables: Tables, *, as_of: dt.datetime, plan: Sequence[str] = (), usage_type: Sequence[str] = ()
) -> pl.DataFrame:
    """Overage revenue of the entitlements of the given plans and usage types, as of a moment.

    Grain: one row per (account, month): account_id, account_name, owner,
    month, overage_units, overage_rate, overage_amount (see
    :func:`~entitlement_core.usage.balances.overage_revenue`). Overage of a
    plan without an overage rate has units and a zero amount.
    """
    from ..usage.balances import overage_revenue

    sliced = entitlement_slice(tables, plan=plan, usage_type=usage_type)
    return overage_revenue(sliced, as_of=as_of)


def split_filters(filters: Filters) -> tuple[Filters, dict[str, tuple[str, ...]]]:
    """The account-level part of ``filters`` and the entitlement-level part as mart parameters."""
    account = Filters(**{d: getattr(filters, d) for d in ACCOUNT_DIMENSIONS})
    return account, {"plan": filters.plan, "usage_type": filters.usage_type}


def overage_totals(revenue: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Overage revenue summed over months for each value of ``by``, largest amount first.

    Grain: one row per distinct ``by``. Columns: ``by``, months (with
    overage), first_month, last_month, overage_units, overage_amount.
    """
    return (
        revenue.group_by(list(by))
        .agg(
            pl.col("month").n_unique().cast(pl.Int64).alias("months"),
            pl.col("month").min().alias("first_month"),
            pl.col("month").max().alias("last_month"),
            pl.col("overage_units").sum(),
            pl.col("overage_amount").fill_null(0.0).sum(),
        )
        .sort(["overage_amount", "overage_units", *by], descending=[True, True, *[False] * len(by)])
    )


def commitment_balances(grants: pl.DataFrame) -> pl.DataFrame:
    """Monetary commitments with the amount committed, drawn and remaining (currency).

    ``grants`` is :func:`grant_balances` (with any dimension columns attached);
    grain: one row per commitment grant, the largest remaining amount first.
    """
    from ..usage.balances import commitments

    dims = [c for c in grants.columns if c not in GRANT_COLUMNS]
    extra = ["resource", "unit", "valid_from", "valid_to", *dims]
    money = commitments(grants.select(GRANT_COLUMNS))
    share = pl.when(pl.col("committed_amount") > 0).then(pl.col("drawn_amount") / pl.col("committed_amount"))
    return (
        money.join(grants.select("grant_id", *extra), on="grant_id", how="left")
        .with_columns(share.alias("pct_drawn"))
        .sort("remaining_amount", "grant_id", descending=[True, False])
    )


def breakage_totals(grants: pl.DataFrame) -> pl.DataFrame:
    """Breakage (expired unused balance) per resource, with the grants it comes from.

    Grain: one row per resource with any grant: resource, unit, breakage,
    expired_grants, grants_with_breakage. Commitment breakage also in currency
    (``breakage_amount``: unused units times the unit rate; null otherwise).
    """
    return (
        grants.group_by("resource", "unit")
        .agg(
            pl.col("breakage").sum(),
            (pl.col("state") == "expired").sum().cast(pl.Int64).alias("expired_grants"),
            (pl.col("breakage") > 0).sum().cast(pl.Int64).alias("grants_with_breakage"),
            (pl.col("breakage") * pl.col("unit_rate")).sum().alias("breakage_amount"),
        )
        .with_columns(pl.when(pl.col("breakage_amount") > 0).then(pl.col("breakage_amount")))
        .sort("resource")
    )
