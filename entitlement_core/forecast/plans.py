"""The recommended plan of a projection, for cases and for hours alike.

DOMAIN.md, "Burn rate, projection, upsell, renewal": the recommended plan
is the smallest plan whose cap covers projected usage. Here:

- candidates are the plans of the entitlement's own usage type (a case plan
  never answers an hour bank, nor the reverse);
- projected usage is yearly (plan caps are yearly allotments):
  ``projected_at_end`` scaled from the term's length to 365 days;
- an entitlement that needs more (projected at or past its allotment) is
  offered only plans with a larger cap than its allotment;
- a plan with an empty cap (unlimited) covers anything and comes after
  every capped plan; ties go to the lower ``annual_price``, then the name;
- when no plan covers it: :data:`CUSTOM_QUOTE` (also when the catalogue
  has no plan of the usage type); with no plans at all (DOMAIN.md,
  "References": ``plan`` is a name only), no recommendation (null).
"""

from __future__ import annotations

import polars as pl

__all__ = ["CUSTOM_QUOTE", "recommend_plan"]

#: What is recommended when no plan of the usage type covers the projection.
CUSTOM_QUOTE = "no larger plan: custom quote"


def recommend_plan(projections: pl.LazyFrame, plans: pl.LazyFrame) -> pl.LazyFrame:
    """``projections`` with ``projected_annual_usage`` and ``recommended_plan``.

    Grain: one row per row of ``projections`` (``entitlement_id,
    usage_type, allotment, projected_at_end, start_date, end_date``), in
    order. Rows of usage type ``none``, unlimited rows (no allotment), rows
    without a projection, and every row when the catalogue is empty, get
    no recommendation (null).
    """
    term_days = (pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1
    annual = (pl.col("projected_at_end") * 365.0 / term_days).round(6)
    rows = projections.with_row_index("_row").with_columns(annual.alias("projected_annual_usage"))
    wanted = rows.filter(
        pl.col("allotment").is_not_null()
        & pl.col("usage_type").is_in(["cases", "hours"])
        & pl.col("projected_annual_usage").is_not_null()
    ).select(
        "_row",
        "usage_type",
        "allotment",
        "projected_annual_usage",
        (pl.col("projected_at_end") >= pl.col("allotment")).alias("_more"),
    )
    catalogue = plans.select(
        pl.col("plan").alias("_plan"),
        "usage_type",
        pl.col("cap").alias("_cap"),
        pl.col("annual_price").alias("_price"),
    )
    covers = pl.col("_cap").is_null() | (pl.col("_cap") >= pl.col("projected_annual_usage"))
    larger = ~pl.col("_more") | pl.col("_cap").is_null() | (pl.col("_cap") > pl.col("allotment"))
    best = (
        wanted.join(catalogue, on="usage_type", how="inner")
        .filter(covers & larger)
        .sort("_row", "_cap", "_price", "_plan", nulls_last=True)
        .group_by("_row", maintain_order=True)
        .agg(pl.col("_plan").first().alias("_best"))
    )
    # DOMAIN.md, "References": with no plans at all, ``plan`` is a name only and nothing is recommended.
    offered = catalogue.select(pl.len().alias("_plans"))
    recommended = (
        wanted.select("_row")
        .join(best, on="_row", how="left")
        .join(offered, how="cross")
        .select(
            "_row",
            pl.when(pl.col("_plans") > 0)
            .then(pl.coalesce("_best", pl.lit(CUSTOM_QUOTE)))
            .alias("recommended_plan"),
        )
    )
    return rows.join(recommended, on="_row", how="left", maintain_order="left").drop("_row")
