"""Grant balances, commitments and breakage: the grant drawdown as people read it.

From :attr:`Basis.grants <entitlement_core.basis.Basis.grants>` (the
drawdown of entitlements with grants rows) and, for entitlements with only
a cap, their implicit anchor in closed form
(:func:`~entitlement_core.usage.positions.anchor_only_grants`): together,
every grant of every entitlement. Quantities are shown in the resource's
unit (hours, not minutes), money as plain numbers; both exact until here.

A commitment holds money: it covers ``quantity / unit_rate`` units (to the
sixth decimal); what it has drawn is shown in money as the units drawn
times the rate, and what remains as the commitment less that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..display import in_units, money
from ..kernels.ledger import QUANTITY
from .grants import base_factor
from .positions import anchor_only_grants

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["GRANT_COLUMNS", "KEY_COLUMNS", "balances", "breakage_totals", "commitments", "grant_balances"]

#: Columns of :func:`grant_balances`, in display order.
GRANT_COLUMNS: tuple[str, ...] = (
    "grant_id", "entitlement_id", "resource", "unit", "kind", "quantity", "units", "unit_rate",
    "valid_from", "valid_to", "drawn", "balance", "state", "breakage",
)  # fmt: skip

#: Columns of the per-(entitlement, resource) balances.
KEY_COLUMNS: tuple[str, ...] = (
    "entitlement_id", "resource", "granted", "consumed", "remaining", "overage", "breakage", "account_id",
    "plan",
)  # fmt: skip

_SHOWN = ("units", "drawn", "balance", "breakage")


def balances(basis: Basis) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every grant's drawdown, and every (entitlement, resource)'s, exact in base units.

    Returns ``(per_grant, per_key)`` as :func:`~entitlement_core.usage.grants.drawdown`
    does, for every entitlement (implicit anchors included).
    """
    drawn = basis.grants
    closed_grants, closed_keys = anchor_only_grants(basis.positions, drawn.per_grant)
    per_grant = pl.concat([drawn.per_grant, closed_grants], how="vertical_relaxed")
    per_key = pl.concat([drawn.per_key, closed_keys], how="vertical_relaxed")
    return per_grant, per_key


def grant_balances(basis: Basis) -> pl.DataFrame:
    """Every grant's drawdown as of the basis's moment, with the unit of its resource.

    Grain: one row per grant, implicit anchor grants (an entitlement's cap)
    included. ``units``, ``drawn``, ``balance`` and ``breakage`` are in the
    resource's unit; ``quantity`` is the grant's own figure (currency for a
    commitment, drawn at ``unit_rate`` per unit).

    Example
    -------
    Cap 10, 11 cases, then a 5-case pack: the anchor is drawn 10 (balance 0),
    the pack 1 (balance 4); after both expire unused, the pack's breakage is 4.
    """
    per_grant, _ = balances(basis)
    units = basis.tables.usage_resources.select("resource", "unit").unique("resource")
    factor = base_factor(pl.col("resource"))
    return (
        per_grant.lazy()
        .join(units, on="resource", how="left")
        .with_columns(
            pl.coalesce("unit", "resource").alias("unit"),
            *[in_units(c, factor).alias(c) for c in _SHOWN],
            money("quantity"),
            money("unit_rate"),
        )
        .select(GRANT_COLUMNS)
        .sort("entitlement_id", "valid_from", "grant_id")
        .collect(engine="in-memory")
    )


def key_balances(basis: Basis) -> pl.DataFrame:
    """Grant balances per (entitlement, resource), in the resource's unit (:data:`KEY_COLUMNS`)."""
    _, per_key = balances(basis)
    info = basis.positions.select("entitlement_id", "account_id", "plan")
    factor = base_factor(pl.col("resource"))
    return (
        per_key.join(info, on="entitlement_id", how="left")
        .with_columns(
            in_units(c, factor).alias(c) for c in ("granted", "consumed", "remaining", "overage", "breakage")
        )
        .select(KEY_COLUMNS)
        .sort("entitlement_id", "resource")
    )  # fmt: skip


def commitments(grants: pl.DataFrame) -> pl.DataFrame:
    """Monetary commitments with the amount committed, drawn and remaining, in currency.

    ``grants`` is :func:`grant_balances` output (any extra columns kept);
    grain: one row per commitment grant. ``drawn_amount`` is the units drawn
    at the rate, ``remaining_amount`` the commitment less that;
    ``pct_drawn`` their share.
    """
    money_q = lambda c: pl.col(c).cast(QUANTITY)  # noqa: E731
    drawn = money_q("drawn") * money_q("unit_rate")
    share = pl.when(pl.col("committed_amount") > 0).then(pl.col("drawn_amount") / pl.col("committed_amount"))
    return (
        grants.filter(pl.col("kind") == "commitment")
        .with_columns(
            pl.col("quantity").alias("committed_amount"),
            money(drawn).alias("drawn_amount"),
            money(money_q("quantity") - drawn).alias("remaining_amount"),
        )
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
