"""Upsell candidates: entitlements that have run out or will before their end.

DOMAIN.md, "Burn rate, projection, upsell, renewal": an upsell candidate is
an entitlement that is exhausted, over cap, or projected to run out before
its end date (``projected_at_end > cap``), ranked by projected shortfall
(``projected_at_end - cap``). Only entitlements inside their term qualify:
an expired one is a renewal conversation (:mod:`.renewals`), one not yet
started has no usage to project. The recommended plan is described in
:mod:`.plans`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from .plans import projected_over_cap

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["rank_upsell", "upsell_candidates"]


def rank_upsell(util: pl.LazyFrame, projected_over: pl.LazyFrame) -> pl.LazyFrame:
    """Upsell candidates of a utilization frame, ranked.

    Grain: one row per candidate entitlement. ``projected_over`` says, per
    ``entitlement_id``, whether ``projected_at_end > cap`` (``is_projected_over``,
    decided exactly). Adds ``rank`` (1 = largest projected shortfall; ties:
    higher ``pct_used``, then ``entitlement_id``) and ``upsell_reason``.
    """
    running = pl.col("status").is_in(["near_limit", "healthy"]) & pl.col("is_projected_over").fill_null(False)
    reason = (
        pl.when(pl.col("status") == "over_cap")
        .then(pl.lit("over cap"))
        .when(pl.col("status") == "exhausted")
        .then(pl.lit("exhausted"))
        .when(pl.col("projected_exhaustion_date").is_not_null())
        .then(
            pl.concat_str(
                pl.lit("projected to run out on "),
                pl.col("projected_exhaustion_date").dt.to_string("%Y-%m-%d"),
            )
        )
        .otherwise(pl.lit("projected to run out before the end date"))
    )
    return (
        util.join(projected_over, on="entitlement_id", how="left")
        .filter(pl.col("status").is_in(["over_cap", "exhausted"]) | running)
        .drop("is_projected_over")
        .sort(
            ["projected_shortfall", "pct_used", "entitlement_id"],
            descending=[True, True, False],
            nulls_last=True,
        )
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
            reason.alias("upsell_reason"),
        )
    )


def upsell_candidates(basis: Basis) -> pl.DataFrame:
    """Upsell candidates as of the basis's moment, ranked by projected shortfall.

    Grain: one row per candidate entitlement: the utilization columns
    (``projected_shortfall``, ``recommended_plan``, ``owner`` among them),
    ``rank`` and ``upsell_reason``.

    Examples
    --------
    Cap 10, 6 cases in the first 73 days of a 365-day term: burn rate
    6/73 per day, projected_at_end 30, shortfall 20; the recommended plan is
    the smallest cases plan with a cap of at least 30 a year.
    """
    over = basis.positions.lazy().select(
        "entitlement_id", projected_over_cap().fill_null(False).alias("is_projected_over")
    )
    return rank_upsell(basis.mart("utilization").lazy(), over).collect()
