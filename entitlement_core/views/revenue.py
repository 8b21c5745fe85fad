"""The Revenue page's view model: overage revenue, monetary commitments, grant balances and breakage.

Overage is the one overage of :mod:`entitlement_core.usage.overage` (what
no grant covers), priced at the plan's rate. The core prices it per account
and month, so the sidebar's entitlement-level filters (plan, usage type) go
in before pricing (as the mart's parameters) and the account-level ones
(tier, region, owner) after (:meth:`~entitlement_core.filters.Filters.split`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..filters import NO_FILTERS, Filters
from ..usage.balances import breakage_totals, commitments
from .common import filtered

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["RevenueView", "commitment_balances", "overage_totals", "revenue_view"]


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
    """Monetary commitments: the amount committed, drawn and remaining (currency), largest remaining first.

    ``grants`` is the grant-balances mart (with any dimension columns);
    grain: one row per commitment grant.
    """
    return commitments(grants)


@dataclass(frozen=True)
class RevenueView:
    """What the Revenue page draws."""

    revenue: pl.DataFrame
    grants: pl.DataFrame
    commitments: pl.DataFrame
    breakage: pl.DataFrame
    per_account: pl.DataFrame
    per_owner: pl.DataFrame

    @property
    def total(self) -> float:
        return float(self.revenue["overage_amount"].fill_null(0).sum())

    @property
    def priced_accounts(self) -> int:
        return self.revenue.filter(pl.col("overage_amount") > 0)["account_id"].n_unique()

    @property
    def unpriced(self) -> int:
        return self.revenue.filter(pl.col("overage_rate").is_null()).height

    @property
    def active_topups(self) -> pl.DataFrame:
        return self.grants.filter(pl.col("kind").is_in(["pack", "rollover"]) & (pl.col("state") == "active"))

    @property
    def topup_balances(self) -> str:
        """What is left on the active packs and rollovers, per resource (never added across units)."""
        per = self.active_topups.group_by("resource").agg(pl.col("balance").sum()).sort("resource")
        return ", ".join(f"{balance:,.1f} {resource}" for resource, balance in per.iter_rows()) or "nothing"


def revenue_view(basis: Basis, *, filters: Filters = NO_FILTERS) -> RevenueView:
    """Overage revenue, commitments, grants and breakage of the entitlements the filters select."""
    account_filters, entitlement_params = filters.split()
    revenue = filtered(basis, "overage-revenue", account_filters, **entitlement_params)
    revenue = revenue.drop([c for c in ("plan", "usage_type") if c in revenue.columns])
    grants = filtered(basis, "grant-balances", filters)
    return RevenueView(
        revenue=revenue,
        grants=grants,
        commitments=commitment_balances(grants),
        breakage=breakage_totals(grants),
        per_account=overage_totals(revenue, ["account_id", "account_name", "owner", "tier", "region"]),
        per_owner=overage_totals(revenue, ["owner"]),
    )
