"""The renewal rules, each written once (DOMAIN.md "Burn rate, projection, upsell, renewal").

A renewal is a **new entitlement record** for the next term, linked to the
old one by ``renewal_of``; the old record stays. So:

- **due for renewal** (:func:`is_due`): the term ends within ``N`` days of
  the as-of day, ``as_of_date <= end_date <= as_of_date + N`` (each
  entitlement's own as-of day);
- **already renewed** (:func:`renewed_by`): another entitlement names it in
  ``renewal_of`` (whatever that one's dates: there is no creation time to
  compare with the as-of moment);
- **has a rollover policy** (:func:`has_rollover_policy`): its plan sets
  ``rollover_pct`` or ``rollover_max`` (either alone works);
- **the next term** (:func:`next_term`): starts the day after the old one
  ends and lasts as long; a term of whole calendar months (a year, a
  quarter) stays whole months, across leap days;
- **the renewal's id** (:func:`renewal_id`): ``<root>-R<YYYYMMDD>``, the
  new start day;
- a **renewal chain** (:func:`renewal_chains`) follows ``renewal_of`` links
  back to the first term (the chain root). A link to an unknown
  entitlement, or a cycle (bad input, reported by the validator), ends the
  chain at the entitlement itself.
"""

from __future__ import annotations

import polars as pl

from ..usage.grants import rollover_quantity

__all__ = [
    "has_rollover_policy",
    "is_due",
    "next_term",
    "renewal_chains",
    "renewal_id",
    "renewed_by",
    "rollover_quantity",
]

_MAX_STEPS = 64


def is_due(within_days: int) -> pl.Expr:
    """The term ends within ``within_days`` of the as-of day (from that day on)."""
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    return (pl.col("end_date") >= pl.col("as_of_date")) & (
        pl.col("end_date") <= pl.col("as_of_date") + pl.duration(days=within_days)
    )


def renewed_by(entitlements: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Entitlements already renewed, with the (first) entitlement renewing each.

    Grain: one row per renewed entitlement: ``entitlement_id, renewed_by_id``.
    """
    return (
        entitlements.lazy()
        .filter(pl.col("renewal_of").is_not_null())
        .group_by("renewal_of")
        .agg(pl.col("entitlement_id").min().alias("renewed_by_id"))
        .rename({"renewal_of": "entitlement_id"})
    )


def has_rollover_policy() -> pl.Expr:
    """The plan rolls unused balance over (``rollover_pct`` or ``rollover_max`` set)."""
    return pl.col("rollover_pct").is_not_null() | pl.col("rollover_max").is_not_null()


def next_term(start: pl.Expr, end: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The next term: starts the day after ``end``; a term of whole calendar months
    (a year, a quarter) stays whole months, across leap days; any other term keeps
    its number of days."""
    one = pl.duration(days=1)
    new_start = end + one
    months = (new_start.dt.year() * 12 + new_start.dt.month()) - (start.dt.year() * 12 + start.dt.month())
    by = pl.format("{}mo", months)
    whole = (months > 0) & (start.dt.offset_by(by) == new_start)
    new_end = pl.when(whole).then(new_start.dt.offset_by(by) - one).otherwise(new_start + (end - start))
    return new_start, new_end


def renewal_id(old: pl.Expr, start: pl.Expr) -> pl.Expr:
    """``<root>-R<YYYYMMDD>``: the renewed id without its own renewal suffix, and the new start day."""
    root = old.str.replace(r"-R\d{8}$", "")
    return pl.format("{}-R{}", root, start.dt.strftime("%Y%m%d"))


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
