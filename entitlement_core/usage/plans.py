"""Plan catalogue helpers: effective thresholds and the recommended plan.

DOMAIN.md, "Burn rate, projection, upsell, renewal": the recommended plan is
the smallest plan whose cap covers projected usage. Here:

- candidates are the plans of the entitlement's usage type (``cases`` or
  ``hours``);
- projected usage is *annual*: ``projected_annual_usage`` (see
  :func:`projected_annual_usage`), because plan caps are yearly allotments;
- an entitlement that needs more (exhausted, over cap, or projected past its
  cap by the end of the term) is offered an upgrade: only plans with a
  larger cap than its own qualify;
- the smallest covering cap wins (ties: lower ``annual_price``, then name);
- when no capped plan covers it, the unlimited plan of that usage type
  (empty cap; the cheapest if several), else none.
"""

from __future__ import annotations

import polars as pl

from ..settings import Thresholds

__all__ = ["effective_thresholds", "projected_annual_usage", "recommend_plans"]


def effective_thresholds(thresholds: Thresholds) -> list[pl.Expr]:
    """``near_limit_pct`` / ``near_limit_remaining``: the plan's values where set, else the settings'.

    Expects the plan's columns joined as ``plan_near_limit_pct`` and
    ``plan_near_limit_remaining``.
    """
    return [
        pl.col("plan_near_limit_pct").fill_null(thresholds.near_limit_pct).alias("near_limit_pct"),
        pl.col("plan_near_limit_remaining")
        .fill_null(thresholds.near_limit_remaining)
        .alias("near_limit_remaining"),
    ]


def projected_annual_usage() -> pl.Expr:
    """Projected usage over a year: the larger of ``burn_rate_per_day * 365`` and
    ``projected_at_end`` scaled from the term's length to 365 days.

    The second keeps a term whose recent window was quiet (burn rate low) from
    being sized below what it has already used. Null before the term starts.
    """
    scaled = pl.col("projected_at_end") * 365.0 / pl.col("term_days")
    return pl.max_horizontal(pl.col("burn_rate_per_day") * 365.0, scaled).round(6)


def recommend_plans(frame: pl.LazyFrame, plans: pl.LazyFrame) -> pl.LazyFrame:
    """The recommended plan of each entitlement.

    Grain: one row per row of ``frame`` (``entitlement_id, usage_type,
    cap, consumed, projected_at_end, projected_annual_usage``); returns
    ``entitlement_id, recommended_plan``. Unlimited entitlements get none.
    """
    needs_more = (pl.col("consumed") >= pl.col("cap")) | (pl.col("projected_at_end") > pl.col("cap"))
    catalogue = plans.select(
        pl.col("plan").alias("recommended_plan"),
        "usage_type",
        pl.col("cap").alias("_plan_cap"),
        pl.col("annual_price").alias("_plan_price"),
    ).filter(pl.col("usage_type").is_in(["cases", "hours"]))
    wanted = frame.filter(pl.col("cap").is_not_null() & pl.col("usage_type").is_in(["cases", "hours"]))
    covering = (
        wanted.select(
            "entitlement_id", "usage_type", "projected_annual_usage", "cap", needs_more.alias("_more")
        )
        .join(catalogue.filter(pl.col("_plan_cap").is_not_null()), on="usage_type", how="inner")
        .filter(
            (pl.col("_plan_cap") >= pl.col("projected_annual_usage"))
            & (~pl.col("_more").fill_null(False) | (pl.col("_plan_cap") > pl.col("cap")))
        )
        .sort("entitlement_id", "_plan_cap", "_plan_price", "recommended_plan", nulls_last=True)
        .group_by("entitlement_id", maintain_order=True)
        .agg(pl.col("recommended_plan").first().alias("_covering"))
    )
    unlimited = (
        catalogue.filter(pl.col("_plan_cap").is_null())
        .sort("usage_type", "_plan_price", "recommended_plan", nulls_last=True)
        .group_by("usage_type", maintain_order=True)
        .agg(pl.col("recommended_plan").first().alias("_unlimited"))
    )
    return (
        wanted.select("entitlement_id", "usage_type", "projected_annual_usage")
        .join(covering, on="entitlement_id", how="left")
        .join(unlimited, on="usage_type", how="left")
        .select(
            "entitlement_id",
            pl.when(pl.col("projected_annual_usage").is_not_null())
            .then(pl.coalesce("_covering", "_unlimited"))
            .alias("recommended_plan"),
        )
    )
