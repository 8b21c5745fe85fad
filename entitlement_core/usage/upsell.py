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

import datetime as dt

import polars as pl

from ..settings import Thresholds
from ..staging import Tables
from .utilization import utilization

__all__ = ["rank_upsell", "upsell_candidates"]


def rank_upsell(util: pl.LazyFrame) -> pl.LazyFrame:
    """Upsell candidates of a utilization frame, ranked.

    Grain: one row per candidate entitlement. Adds ``rank`` (1 = largest
    projected shortfall; ties: higher ``pct_used``, then ``entitlement_id``)
    and ``upsell_reason``.
    """
    running = pl.col("status").is_in(["near_limit", "healthy"]) & (pl.col("projected_at_end") > pl.col("cap"))
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
        util.filter(pl.col("status").is_in(["over_cap", "exhausted"]) | running)
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


def upsell_candidates(
    tables: Tables, *, as_of: dt.datetime, thresholds: Thresholds, burn_window_days: int = 90
) -> pl.LazyFrame:
    """Upsell candidates as of a moment, ranked by projected shortfall.

    Grain: one row per candidate entitlement.

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of moment (timezone-aware).
    thresholds
        Near-limit thresholds (they set the status shown, not candidacy).
    burn_window_days
        Trailing window of the burn rate, in days.

    Returns
    -------
    pl.LazyFrame
        ``rank``, the utilization columns (``projected_shortfall``,
        ``recommended_plan``, ``owner`` among them) and ``upsell_reason``.

    Examples
    --------
    Cap 10, 6 cases in the first 73 days of a 365-day term: burn rate
    6/73 per day, projected_at_end 30, shortfall 20; the recommended plan is
    the smallest cases plan with a cap of at least 30 a year.
    """
    util = utilization(tables, as_of=as_of, thresholds=thresholds, burn_window_days=burn_window_days)
    ranked = rank_upsell(util)
    names = ranked.collect_schema().names()
    return ranked.select("rank", *[c for c in names if c not in ("rank",)])
