"""Overage: the consumption no grant covers, listed, summed and priced (one meaning everywhere).

DOMAIN.md, "Overflow" and usage management: consumption beyond the cap is
overage; with grants, the cap is the anchor among packs, rollovers and
commitments, and overage is what none of them covers (a pack bought after
running out covers the deficit first). So an entitlement's overage is
``max(consumed - allotment, 0)`` (:func:`~entitlement_core.usage.positions.positions`),
and the units that carry it are its last units in consumption order
(:data:`~entitlement_core.kernels.rows.OVERAGE_UNITS`):

- with only a cap of N cases, the (N+1)-th case onwards;
- for ``hours``, the hours beyond, on the entries that crossed it (the
  crossing entry carries only its part beyond);
- ``overage_amount = overage_quantity * overage_rate`` of the plan, exact;
  null when the plan has no rate (or there is no plan).

Unlimited and date-only entitlements have no overage. The overflow policy
(allow / warn / block) does not change the figures: it says what the
support process does with new cases, and is reported alongside.

The listing (report ``overage``), the summary per entitlement (the
Utilization and Data pages) and the revenue per account and month (the
Revenue page) are three views of the same units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from ..display import in_units, money
from ..kernels.ledger import QUANTITY

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["OVERAGE_COLUMNS", "REVENUE_SCHEMA", "overage_listing", "overage_revenue", "overage_summary"]

OVERAGE_COLUMNS = (
    "entitlement_id", "account_id", "plan", "usage_type", "unit", "cap", "overage_index", "source",
    "case_id", "time_entry_id", "consumed_at", "consumed_date", "quantity", "running_quantity",
    "overage_quantity", "overage_rate", "overage_amount", "is_deleted", "overflow",
)  # fmt: skip

REVENUE_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(), "account_name": pl.String(), "owner": pl.String(), "month": pl.Date(),
    "overage_units": pl.Float64(), "overage_rate": pl.Float64(), "overage_amount": pl.Float64(),
}  # fmt: skip


def _amount(base: str) -> pl.Expr:
    """A base quantity priced at the plan's overage rate, exact (rate per unit; an hour is 60 base units)."""
    return money(pl.col(base) * pl.col("overage_rate") / pl.col("factor"))


def _units(basis: Basis) -> pl.LazyFrame:
    """The overage units with their entitlement's facts."""
    facts = basis.positions.lazy().select(
        "_ent", "entitlement_id", "account_id", "plan", "usage_type", "unit", "factor", "cap_base",
        "overflow", "overage_rate",
    )  # fmt: skip
    return basis.overage_units.lazy().join(facts, on="_ent", how="inner", maintain_order="left")


def overage_listing(basis: Basis) -> pl.DataFrame:
    """Every unit of consumption no grant covers, as of the basis's moment.

    Grain: one row per overage unit (a case, or a time entry for ``hours``),
    by entitlement then in consumption order. :data:`OVERAGE_COLUMNS`;
    ``overage_index`` numbers the overage units of an entitlement from 1,
    ``running_quantity`` is the total consumed up to and including the row,
    ``cap`` the allotment.

    Examples
    --------
    Cap 10 and 12 cases in term: the 11th and 12th cases (by consumption
    moment, then ``case_id``) are overage, priced at the plan's rate each.
    Cap 10, 11 cases, then a 5-case pack: none (the pack covers the 11th).
    """
    return (
        _units(basis)
        .with_columns(
            pl.when(pl.col("is_case")).then(pl.lit("case")).otherwise(pl.lit("time_entry")).alias("source"),
            in_units("cap_base").alias("cap"),
            in_units("quantity").alias("quantity"),
            in_units("running_quantity").alias("running_quantity"),
            in_units("overage_quantity").alias("overage_quantity"),
            _amount("overage_quantity").alias("overage_amount"),
            money("overage_rate").alias("overage_rate"),
        )
        .select(OVERAGE_COLUMNS)
        .collect(engine="in-memory")
    )


def overage_summary(basis: Basis) -> pl.DataFrame:
    """Overage per entitlement, as of the basis's moment.

    Grain: one row per entitlement with consumption no grant covers.
    ``entitlement_id, account_id, account_name, owner, plan, usage_type,
    unit, cap`` (the allotment), ``consumed, overage_units`` (consumed -
    cap), ``overage_count`` (overage cases or time entries), ``overage_rate,
    overage_amount, overflow``; largest amount first.
    """
    counts = basis.overage_units.lazy().group_by("_ent").agg(pl.len().cast(pl.Int64).alias("overage_count"))
    accounts = basis.tables.accounts.select("account_id", pl.col("name").alias("account_name"), "owner")
    return (
        basis.positions.lazy()
        .filter(pl.col("overage_base") > 0)
        .join(counts, on="_ent", how="left")
        .join(accounts, on="account_id", how="left")
        .select(
            "entitlement_id", "account_id", "account_name", "owner", "plan", "usage_type", "unit",
            in_units("cap_base").alias("cap"),
            in_units("consumed_base").alias("consumed"),
            in_units("overage_base").alias("overage_units"),
            pl.col("overage_count").fill_null(0),
            money("overage_rate").alias("overage_rate"),
            _amount("overage_base").alias("overage_amount"),
            "overflow",
        )
        .sort(
            ["overage_amount", "overage_units", "entitlement_id"],
            descending=[True, True, False],
            nulls_last=True,
        )
        .collect(engine="in-memory")
    )  # fmt: skip


def overage_revenue(
    basis: Basis, *, plan: Sequence[str] = (), usage_type: Sequence[str] = ()
) -> pl.DataFrame:
    """Overage priced at the plan's overage rate, per account and month, as of the basis's moment.

    Grain: one row per (account, month of the units' local day): account_id,
    account_name, owner, month (first day), overage_units, overage_rate,
    overage_amount. Only entitlements of the given plans and usage types
    (empty: all). Overage of a plan without an overage rate has units and
    a zero amount.
    """
    units = _units(basis)
    if plan:
        units = units.filter(pl.col("plan").is_in(list(plan)))
    if usage_type:
        units = units.filter(pl.col("usage_type").is_in(list(usage_type)))
    accounts = basis.tables.accounts.select("account_id", pl.col("name").alias("account_name"), "owner")
    priced = units.with_columns(
        (pl.col("overage_quantity") * pl.col("overage_rate") / pl.col("factor")).alias("_amount"),
        (pl.col("overage_quantity") / pl.col("factor")).alias("_units"),
    )
    return (
        priced.join(accounts, on="account_id", how="left")
        .with_columns(pl.col("consumed_date").dt.month_start().alias("month"))
        .group_by("account_id", "account_name", "owner", "month")
        .agg(
            pl.col("_units").sum().alias("overage_units"),
            pl.col("overage_rate").max(),
            pl.col("_amount").sum().alias("overage_amount"),
        )
        .with_columns(
            pl.col("overage_units").cast(QUANTITY).pipe(money),
            money("overage_rate"),
            money("overage_amount"),
        )
        .sort("month", "account_id")
        .select([pl.col(c).cast(t) for c, t in REVENUE_SCHEMA.items()])
        .collect(engine="in-memory")
    )
