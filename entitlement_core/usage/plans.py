"""Projections and the recommended plan, decided on exact figures.

DOMAIN.md, "Burn rate, projection, upsell, renewal": the recommended plan is
the smallest plan whose cap covers projected usage. Here:

- projections are exact fractions of base quantities (cases, or minutes):
  the burn rate is ``window_base / window_days``; ``projected_at_end`` is
  ``consumed`` once no day is left, else ``consumed + burn_rate *
  days_left``; ``projected_annual_usage`` is the larger of ``burn_rate *
  365`` and ``projected_at_end`` scaled from the term to 365 days (the
  second keeps a quiet recent window from sizing a term below what it used);
- a plan covers projected usage when its cap is **at least** that usage
  (equal covers), compared exactly, not on rounded floats;
- candidates are the plans of the entitlement's usage type (``cases`` or
  ``hours``); an entitlement that needs more (exhausted, over cap, or
  projected past its cap by the end of the term) is offered an upgrade:
  only plans with a larger cap than its own qualify;
- the smallest covering cap wins, ties broken by the lower ``annual_price``,
  then the name; when no capped plan covers it, the unlimited plan of that
  usage type (empty cap; the cheapest if several), else none.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from ..display import projected, projection, ratio
from ..kernels.ledger import QUANTITY

__all__ = [
    "annual",
    "needs_more",
    "projected_annual_usage",
    "projected_at_end",
    "projected_shortfall",
    "recommend_plans",
]


def _q(e: pl.Expr | str) -> pl.Expr:
    return (pl.col(e) if isinstance(e, str) else e).cast(QUANTITY)


def _at_end() -> tuple[pl.Expr, pl.Expr]:
    """Projected consumption at the end of the term as an exact fraction (numerator, denominator)."""
    done = pl.col("days_left") == 0
    num = _q("consumed_base") * _q("window_days") + _q("window_base") * _q("days_left")
    numerator = pl.when(done).then(_q("consumed_base")).when(pl.col("window_days").is_not_null()).then(num)
    denominator = pl.when(done).then(pl.lit(1)).otherwise(pl.col("window_days")).cast(QUANTITY)
    return numerator, denominator


def annual() -> tuple[tuple[pl.Expr, pl.Expr], tuple[pl.Expr, pl.Expr]]:
    """The two annual projections as exact fractions: burn rate x 365, and at-end scaled to 365 days."""
    num, den = _at_end()
    # The burn rate is unknown (null) when the window is empty.
    burn = (pl.when(pl.col("window_days").is_not_null()).then(_q("window_base") * 365), _q("window_days"))
    scaled = (num * 365, den * _q("term_days"))
    return burn, scaled


def projected_at_end() -> pl.Expr:
    """``projected_at_end`` in the entitlement's unit (shown to 6 decimals)."""
    num, den = _at_end()
    return projection(num, den * pl.col("factor"))


def projected_shortfall() -> pl.Expr:
    """``projected_at_end - cap`` in the entitlement's unit (shown to 6 decimals)."""
    num, den = _at_end()
    return projection(num - pl.col("cap_base") * den, den * pl.col("factor"))


def projected_annual_usage() -> pl.Expr:
    """The larger of the two annual projections (null when neither is known), in the entitlement's unit."""
    (bn, bd), (sn, sd) = annual()
    f = pl.col("factor")
    return projected(pl.max_horizontal(ratio(bn, bd * f), ratio(sn, sd * f)))


def projected_over_cap() -> pl.Expr:
    """Projected past the allotment by the end of the term: ``projected_at_end > cap`` (exact)."""
    num, den = _at_end()
    return num > pl.col("cap_base") * den


def needs_more() -> pl.Expr:
    """Exhausted, over cap, or projected past the cap by the end of the term (exact)."""
    return (pl.col("consumed_base") >= pl.col("cap_base")) | projected_over_cap()


_MICRO = pl.lit(Decimal("0.000001")).cast(QUANTITY)


def _ceil6(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """``num / den`` rounded up to 6 decimals, exactly (``num >= 0``, ``den > 0``).

    A plan's cap in base units has at most 6 decimals, so it covers
    ``num / den`` exactly when it is at least this value.
    """
    q = num / den  # rounded to 6 decimals: within half a millionth of the exact ratio
    return pl.when(q * den < num).then(q + _MICRO).otherwise(q)


def required_base() -> pl.Expr:
    """The smallest cap (base units, 6 decimals) covering both annual projections; null when unknown."""
    (bn, bd), (sn, sd) = annual()
    return pl.max_horizontal(_ceil6(bn, bd), _ceil6(sn, sd))


def recommend_plans(frame: pl.LazyFrame, plans: pl.LazyFrame) -> pl.LazyFrame:
    """The recommended plan of each entitlement.

    Grain: one row per capped ``cases`` or ``hours`` row of ``frame``
    (positions: ``entitlement_id, usage_type, factor, cap_base,
    consumed_base, window_base, window_days, days_left, term_days``);
    returns ``entitlement_id, recommended_plan``.
    """
    catalogue = plans.select(
        pl.col("plan").alias("recommended_plan"),
        "usage_type",
        pl.col("cap").alias("_plan_cap"),
        pl.col("annual_price").alias("_plan_price"),
    ).filter(pl.col("usage_type").is_in(["cases", "hours"]))
    # What covers projected usage is decided once per entitlement, then compared with each plan's cap.
    wanted = frame.filter(
        pl.col("cap_base").is_not_null() & pl.col("usage_type").is_in(["cases", "hours"])
    ).select(
        "entitlement_id", "usage_type", "cap_base",
        needs_more().fill_null(False).alias("_more"),
        required_base().alias("_required"),
    )  # fmt: skip
    factor = pl.when(pl.col("usage_type") == "hours").then(60).otherwise(1).cast(QUANTITY)
    capped = catalogue.filter(pl.col("_plan_cap").is_not_null()).with_columns(
        (_q("_plan_cap") * factor).alias("_plan_base")
    )
    plan_base = pl.col("_plan_base")
    covering = (
        wanted.join(capped, on="usage_type", how="inner")
        .filter((plan_base >= pl.col("_required")) & (~pl.col("_more") | (plan_base > pl.col("cap_base"))))
        .group_by("entitlement_id")
        .agg(
            pl.col("recommended_plan")
            .sort_by("_plan_cap", "_plan_price", "recommended_plan", nulls_last=True)
            .first()
            .alias("_covering")
        )
    )
    unlimited = (
        catalogue.filter(pl.col("_plan_cap").is_null())
        .sort("usage_type", "_plan_price", "recommended_plan", nulls_last=True)
        .group_by("usage_type", maintain_order=True)
        .agg(pl.col("recommended_plan").first().alias("_unlimited"))
    )
    known = pl.col("_required").is_not_null()
    return (
        wanted.with_columns(known.alias("_known"))
        .select("entitlement_id", "usage_type", "_known")
        .join(covering, on="entitlement_id", how="left")
        .join(unlimited, on="usage_type", how="left")
        .select(
            "entitlement_id",
            pl.when(pl.col("_known")).then(pl.coalesce("_covering", "_unlimited")).alias("recommended_plan"),
        )
    )
