"""Grant balances of every entitlement, breakage, overage revenue and commitments.

Ties :mod:`.grants` (drawdown) to the native tables: the consumption ledger
(cases and time-entry hours) plus metered ``usage_events`` are drawn from the
entitlements' grants as of a moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl

from ..staging import Tables
from .grants import drawdown, effective_grants
from .ledger import consumption_ledger
from .terms import entitlement_terms, known_zones

__all__ = ["balances", "commitments", "grant_allotments", "grant_ledger", "overage_revenue"]


def _terms(tables: Tables, as_of: dt.datetime) -> pl.LazyFrame:
    return entitlement_terms(tables, as_of=as_of, zones=known_zones(tables)).select(
        "entitlement_id", "account_id", "usage_type", "cap", "plan", "start_utc", "end_utc"
    )


def grant_ledger(tables: Tables, *, as_of: dt.datetime, terms: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Every unit drawn from grants: cases/hours from the consumption ledger, plus metered events.

    Grain: one row per unit of consumption. Columns: entitlement_id, resource,
    consumed_at, quantity. Events count inside their entitlement's term and
    not after ``as_of``.
    """
    terms = _terms(tables, as_of) if terms is None else terms
    core = consumption_ledger(tables, as_of=as_of).select(
        "entitlement_id", pl.col("usage_type").alias("resource"), "consumed_at", "quantity"
    )
    events = (
        tables.usage_events.filter(pl.col("entitlement_id").is_not_null() & (pl.col("occurred_at") <= as_of))
        .join(terms.select("entitlement_id", "start_utc", "end_utc"), on="entitlement_id", how="inner")
        .filter((pl.col("occurred_at") >= pl.col("start_utc")) & (pl.col("occurred_at") < pl.col("end_utc")))
        .select("entitlement_id", "resource", pl.col("occurred_at").alias("consumed_at"), "quantity")
    )
    return pl.concat([core, events], how="vertical_relaxed")


def balances(tables: Tables, *, as_of: dt.datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Drawdown of every entitlement's grants as of a moment.

    Returns
    -------
    (per_grant, per_entitlement)
        See :func:`~entitlement_core.usage.grants.drawdown`; ``per_entitlement``
        (grain: one row per entitlement and resource) adds account_id and plan.
    """
    terms = _terms(tables, as_of)
    grants = effective_grants(tables.grants, terms)
    per_grant, per_ent = drawdown(grants, grant_ledger(tables, as_of=as_of, terms=terms), as_of=as_of)
    info = terms.select("entitlement_id", "account_id", "plan").collect()
    return per_grant, per_ent.join(info, on="entitlement_id", how="left")


def grant_allotments(tables: Tables, *, as_of: dt.datetime) -> pl.DataFrame:
    """The allotment of every entitlement that has grants of its own resource, as of a moment.

    Grain: one row per such entitlement: entitlement_id, granted (anchor plus
    packs, rollovers and commitments drawn or valid as of ``as_of``, less
    expired unused balance). Entitlements with only a ``cap`` are not listed:
    their allotment is the cap, exactly as before grants existed. Only those
    entitlements' consumption is drawn down, so the cost follows the grants,
    not the cases.
    """
    own = (
        tables.grants.join(tables.entitlements.select("entitlement_id", "usage_type"), on="entitlement_id")
        .filter(pl.col("resource") == pl.col("usage_type"))
        .select("entitlement_id")
        .unique()
        .collect()
    )
    if own.height == 0:
        return pl.DataFrame(schema={"entitlement_id": pl.String, "granted": pl.Float64})
    ids = own.get_column("entitlement_id").implode()
    subset = replace(tables, entitlements=tables.entitlements.filter(pl.col("entitlement_id").is_in(ids)))
    _, per_ent = balances(subset, as_of=as_of)
    kinds = subset.entitlements.select("entitlement_id", pl.col("usage_type").alias("resource"))
    own_resource = per_ent.join(kinds.collect(), on=["entitlement_id", "resource"])
    return own_resource.select("entitlement_id", "granted")


def overage_revenue(tables: Tables, *, as_of: dt.datetime) -> pl.DataFrame:
    """Overage units priced by the plan's overage rate, by account, owner and month.

    The overage of an entitlement is its uncovered deficit of its own resource
    (cases or hours beyond all grants), priced at its plan's rate; it is
    attributed to its latest units of consumption. Metered resources are not
    priced here (their balances are in :func:`balances`).

    Returns
    -------
    pl.DataFrame
        Grain: one row per (account, month). account_id, account_name, owner,
        month (first day), overage_units, overage_rate, overage_amount.
    """
    terms = _terms(tables, as_of)
    _, per_ent = balances(tables, as_of=as_of)
    # The plan's overage rate prices its own resource (cases or hours), not metered extras.
    own = terms.select("entitlement_id", pl.col("usage_type").alias("resource")).collect()
    over = (
        per_ent.filter(pl.col("overage") > 0)
        .join(own, on=["entitlement_id", "resource"], how="semi")
        .select("entitlement_id", "resource", "overage")
    )
    if over.height == 0:
        return pl.DataFrame(
            schema={
                "account_id": pl.String, "account_name": pl.String, "owner": pl.String, "month": pl.Date,
                "overage_units": pl.Float64, "overage_rate": pl.Float64, "overage_amount": pl.Float64,
            }
        )  # fmt: skip
    units = (
        grant_ledger(tables, as_of=as_of, terms=terms)
        .join(over.lazy(), on=["entitlement_id", "resource"], how="inner")
        .sort("entitlement_id", "consumed_at", descending=[False, True])
        .with_columns(pl.col("quantity").cum_sum().over("entitlement_id", "resource").alias("_from_end"))
        .with_columns(
            pl.min_horizontal(
                pl.col("quantity"), (pl.col("overage") - pl.col("_from_end") + pl.col("quantity")).clip(0.0)
            ).alias("overage_units")
        )
        .filter(pl.col("overage_units") > 0)
    )
    plans = tables.plans.select("plan", pl.col("overage_rate"))
    accounts = tables.accounts.select("account_id", pl.col("name").alias("account_name"), "owner")
    return (
        units.join(terms.select("entitlement_id", "account_id", "plan"), on="entitlement_id", how="left")
        .join(plans, on="plan", how="left")
        .join(accounts, on="account_id", how="left")
        .with_columns(pl.col("consumed_at").dt.date().dt.month_start().alias("month"))
        .group_by("account_id", "account_name", "owner", "month")
        .agg(
            pl.col("overage_units").sum(),
            pl.col("overage_rate").max(),
            (pl.col("overage_units") * pl.col("overage_rate")).sum().alias("overage_amount"),
        )
        .sort("month", "account_id")
        .collect()
    )


def commitments(per_grant: pl.DataFrame) -> pl.DataFrame:
    """Monetary commitments with the amount drawn and remaining, in currency.

    Grain: one row per commitment grant.
    """
    return per_grant.filter(pl.col("kind") == "commitment").select(
        "grant_id", "entitlement_id", "state",
        pl.col("quantity").alias("committed_amount"),
        "unit_rate",
        (pl.col("drawn") * pl.col("unit_rate")).alias("drawn_amount"),
        (pl.col("balance") * pl.col("unit_rate")).alias("remaining_amount"),
    )  # fmt: skip
