"""The agent banner: one sentence an agent sees on a case's entitlement.

Pure expressions over a utilization frame (columns ``status``,
``remaining``, ``consumed``, ``cap``, ``unit``, ``start_date``,
``end_date``, ``overflow`` and optionally ``recommended_plan``), so the app,
the CLI and tests build the same words.

Examples
--------
=========== ============================================================
status      banner
=========== ============================================================
healthy     Customer has 3 cases remaining
near_limit  Customer has 1 case remaining / Customer has 12.5 hours remaining
exhausted   Entitlement exhausted: 0 cases remaining. Offer an upgrade (recommended: Pro)
over_cap    Entitlement over cap: 2 cases over the limit. Offer an upgrade (recommended: Pro)
over_cap    Entitlement over cap: 12 hours over the limit. No larger plan: offer a custom quote
unlimited   Unlimited entitlement: 40 cases used this term
not_started Entitlement not started: the term begins 2026-09-01
expired     Entitlement expired on 2025-12-31
=========== ============================================================

Without a plan catalogue (no plans imported) the offer is "Offer a larger allotment".
With ``overflow = block`` an exhausted or over-cap banner also says that new
cases are blocked (DOMAIN.md, "Overflow").
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

__all__ = ["add_banner", "banner_expr", "format_quantity"]

F = TypeVar("F", pl.DataFrame, pl.LazyFrame)


def format_quantity(value: pl.Expr) -> pl.Expr:
    """A number as an agent reads it: ``3``, ``12.5``, ``0.25`` (at most 2 decimals)."""
    rounded = value.round(2)
    return (
        pl.when(rounded == rounded.round(0))
        .then(rounded.cast(pl.Int64).cast(pl.String))
        .otherwise(rounded.cast(pl.String))
    )


def _units(amount: pl.Expr, unit: pl.Expr) -> pl.Expr:
    """``1 case``, ``3 cases``, ``1 hour``, ``12.5 hours``."""
    singular = unit.str.strip_suffix("s")
    return pl.concat_str(
        format_quantity(amount),
        pl.lit(" "),
        pl.when(amount.round(2) == 1).then(singular).otherwise(unit),
    )


def banner_expr(recommended: pl.Expr | None = None) -> pl.Expr:
    """The banner sentence for each row of a utilization frame (aliased ``banner``)."""
    if recommended is None:
        recommended = pl.col("recommended_plan")
    from ..forecast.plans import CUSTOM_QUOTE

    unit = pl.col("unit").fill_null("cases")
    # An offer always names what to offer: a plan, a custom quote, or (no plan catalogue) a larger allotment.
    offer = (
        pl.when(recommended == CUSTOM_QUOTE)
        .then(pl.lit(". No larger plan: offer a custom quote"))
        .when(recommended.is_not_null())
        .then(pl.concat_str(pl.lit(". Offer an upgrade (recommended: "), recommended, pl.lit(")")))
        .otherwise(pl.lit(". Offer a larger allotment"))
    )
    blocked = (
        pl.when(pl.col("overflow") == "block").then(pl.lit(". New cases are blocked")).otherwise(pl.lit(""))
    )
    status = pl.col("status")
    # The one number a banner quotes, formatted once (every branch of a when/then is computed).
    amount = (
        pl.when(status == "unlimited")
        .then(pl.col("consumed").fill_null(0.0))
        .when(status == "over_cap")
        .then(-pl.col("remaining"))
        .otherwise(pl.col("remaining"))
    )
    quoted = _units(amount, unit)
    return (
        pl.when(status == "not_started")
        .then(pl.concat_str(pl.lit("Entitlement not started: the term begins "), _iso(pl.col("start_date"))))
        .when(status == "expired")
        .then(pl.concat_str(pl.lit("Entitlement expired on "), _iso(pl.col("end_date"))))
        .when(status == "unlimited")
        .then(pl.concat_str(pl.lit("Unlimited entitlement: "), quoted, pl.lit(" used this term")))
        .when(status == "exhausted")
        .then(pl.concat_str(pl.lit("Entitlement exhausted: 0 "), unit, pl.lit(" remaining"), blocked, offer))
        .when(status == "over_cap")
        .then(
            pl.concat_str(pl.lit("Entitlement over cap: "), quoted, pl.lit(" over the limit"), blocked, offer)
        )
        .otherwise(pl.concat_str(pl.lit("Customer has "), quoted, pl.lit(" remaining")))
        .alias("banner")
    )


def _iso(day: pl.Expr) -> pl.Expr:
    """A date as ``YYYY-MM-DD`` (a Date cast to text is ISO 8601)."""
    return day.cast(pl.String)


def add_banner(frame: F) -> F:
    """``frame`` with a ``banner`` column (see :func:`banner_expr`)."""
    names = frame.collect_schema().names()
    recommended = pl.col("recommended_plan") if "recommended_plan" in names else pl.lit(None, pl.String)
    return frame.with_columns(banner_expr(recommended))
