"""Renewals: terms ending soon, and the history of each renewal chain.

DOMAIN.md, "Burn rate, projection, upsell, renewal": a renewal is a new
entitlement record for the next term, linked to the old one by
``renewal_of``; the old record stays. So:

- an entitlement is *renewed* when another entitlement has ``renewal_of``
  equal to it (whatever that one's dates; there is no creation time to
  compare with the as-of moment);
- a *renewal chain* follows ``renewal_of`` links back to the first term
  (the chain root). A link to an unknown entitlement, or a cycle (bad input,
  reported by the validator), ends the chain at the entitlement itself.

Renewals due are entitlements whose ``end_date`` falls within
``[as_of_date, as_of_date + within_days]`` (local as-of day): renewed ones
are kept and marked ``is_renewed``, not dropped.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..settings import Thresholds
from ..staging import Tables
from .utilization import utilization

__all__ = ["renewal_chains", "renewal_history", "renewals_due"]

_MAX_STEPS = 64


def renewal_chains(entitlements: pl.LazyFrame) -> pl.LazyFrame:
    """The chain root and position of every entitlement.

    Grain: one row per entitlement: ``entitlement_id, chain_root_id,
    term_index`` (1 for the root), ``chain_length``.

    Pointer doubling over the (small) entitlements table: each step replaces
    a known ancestor by that ancestor's known ancestor, so a chain of length
    L resolves in about log2(L) steps.
    """
    links = entitlements.select("entitlement_id", "renewal_of").collect()
    known = links.get_column("entitlement_id")
    state = links.select(
        "entitlement_id",
        pl.when(
            pl.col("renewal_of").is_in(known.implode()) & (pl.col("renewal_of") != pl.col("entitlement_id"))
        )
        .then(pl.col("renewal_of"))
        .otherwise(pl.col("entitlement_id"))
        .alias("anc"),
    ).with_columns((pl.col("anc") != pl.col("entitlement_id")).cast(pl.Int64).alias("hops"))
    # Roots: entitlements that renew nothing (known). Anything else that ends up
    # anchored on itself is in a cycle.
    roots = state.filter(pl.col("hops") == 0).get_column("entitlement_id").implode()
    for _ in range(_MAX_STEPS):
        parent = state.select(
            pl.col("entitlement_id").alias("anc"), pl.col("anc").alias("_anc2"), pl.col("hops").alias("_h2")
        )
        step = state.join(parent, on="anc", how="left", maintain_order="left").select(
            "entitlement_id", pl.col("_anc2").alias("anc"), (pl.col("hops") + pl.col("_h2")).alias("hops")
        )
        changed = not step.get_column("anc").equals(state.get_column("anc"))
        state = step
        if not changed:
            break
    in_chain = pl.col("anc").is_in(roots)
    resolved = state.with_columns(
        pl.when(in_chain).then(pl.col("anc")).otherwise(pl.col("entitlement_id")).alias("chain_root_id"),
        pl.when(in_chain).then(pl.col("hops") + 1).otherwise(pl.lit(1, pl.Int64)).alias("term_index"),
    )
    return (
        resolved.with_columns(pl.len().over("chain_root_id").cast(pl.Int64).alias("chain_length"))
        .select("entitlement_id", "chain_root_id", "term_index", "chain_length")
        .lazy()
    )


def renewal_history(
    tables: Tables,
    *,
    as_of: dt.datetime,
    thresholds: Thresholds | None = None,
    burn_window_days: int = 90,
) -> pl.LazyFrame:
    """Utilization of every term of every renewal chain, as of a moment.

    Grain: one row per entitlement (a chain of one for an entitlement never
    renewed and not a renewal; filter ``chain_length > 1`` for real chains).

    Returns
    -------
    pl.LazyFrame
        ``chain_root_id, term_index, chain_length, entitlement_id,
        renewal_of, account_id, plan, usage_type, start_date, end_date, cap,
        consumed, remaining, pct_used, status``, by chain then term.

    Examples
    --------
    E2025 renewed by E2026 (``renewal_of = E2025``): both rows have
    ``chain_root_id = E2025``, term_index 1 and 2, each with its own term's
    consumption.
    """
    util = utilization(
        tables, as_of=as_of, thresholds=thresholds or Thresholds(), burn_window_days=burn_window_days
    )
    return (
        renewal_chains(tables.entitlements)
        .join(util, on="entitlement_id", how="inner")
        .select(
            "chain_root_id",
            "term_index",
            "chain_length",
            "entitlement_id",
            "renewal_of",
            "account_id",
            "plan",
            "usage_type",
            "start_date",
            "end_date",
            "cap",
            "consumed",
            "remaining",
            "pct_used",
            "status",
        )
        .sort("chain_root_id", "term_index", "entitlement_id")
    )


def renewals_due(
    tables: Tables,
    *,
    as_of: dt.datetime,
    within_days: int = 90,
    thresholds: Thresholds,
    burn_window_days: int = 90,
) -> pl.LazyFrame:
    """Entitlements ending within ``within_days`` of the as-of day.

    Grain: one row per entitlement with ``as_of_date <= end_date <=
    as_of_date + within_days``.

    Returns
    -------
    pl.LazyFrame
        The utilization columns (``pct_used``, ``projected_at_end``,
        ``recommended_plan`` among them) plus ``days_to_end``,
        ``is_renewed``, ``renewed_by_id``, ``chain_root_id``,
        ``term_index``, ``previous_entitlement_id``,
        ``previous_consumed`` and ``previous_pct_used`` (the term it
        renewed, if any); soonest end first.
    """
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    util = utilization(tables, as_of=as_of, thresholds=thresholds, burn_window_days=burn_window_days)
    renewed_by = (
        tables.entitlements.filter(pl.col("renewal_of").is_not_null())
        .group_by("renewal_of")
        .agg(pl.col("entitlement_id").min().alias("renewed_by_id"))
        .rename({"renewal_of": "entitlement_id"})
    )
    previous = util.select(
        pl.col("entitlement_id").alias("renewal_of"),
        pl.col("entitlement_id").alias("previous_entitlement_id"),
        pl.col("consumed").alias("previous_consumed"),
        pl.col("pct_used").alias("previous_pct_used"),
    )
    days_to_end = (pl.col("end_date") - pl.col("as_of_date")).dt.total_days()
    return (
        util.with_columns(days_to_end.alias("days_to_end"))
        .filter((pl.col("days_to_end") >= 0) & (pl.col("days_to_end") <= within_days))
        .join(renewed_by, on="entitlement_id", how="left")
        .with_columns(pl.col("renewed_by_id").is_not_null().alias("is_renewed"))
        .join(renewal_chains(tables.entitlements), on="entitlement_id", how="left")
        .join(previous, on="renewal_of", how="left")
        .sort("end_date", "entitlement_id")
    )
