"""Upsell candidates: entitlements that have run out or are likely to before their end.

DOMAIN.md, "Burn rate, projection, upsell, renewal": an upsell candidate is
an entitlement that is exhausted, over cap, or projected to run out before
its end date, ranked by projected shortfall. The projection is the
forecast's (:mod:`entitlement_core.forecast`, joined to the utilization
mart by :func:`~.utilization.with_forecast`), so that a term two days old is judged by its history, not by a
straight line through its first cases:

- *projected to run out*: ``prob_run_out`` (the probability that
  consumption reaches the allotment by the end of the term) is at least
  :data:`RUN_OUT_PROBABILITY` (more likely than not);
- *founded*: only entitlements whose projection rests on something
  (``is_founded``: a prior from the renewal chain, the account or the plan's
  cohort, or at least three weeks of its own history) are candidates; an
  entitlement over its cap without one is still in the near-limit and
  overage reports, just not ranked here;
- *ranked by expected shortfall* (``expected_shortfall``: the units beyond
  the allotment at the end of the term, averaged over every outcome, so a
  likely small shortfall and an unlikely large one compare fairly), then
  ``prob_run_out``, then ``entitlement_id``. Shortfalls are in each
  entitlement's unit (cases or hours); the rank compares them as numbers, the
  totals never add them up.

Only entitlements inside their term qualify: an expired one is a renewal
conversation (:mod:`entitlement_core.renewals`), one not yet started has no
usage to project. The recommended plan is the forecast's
(:func:`entitlement_core.forecast.recommend_plan`): the smallest plan of the
same usage type covering the projection, or "no larger plan: custom quote".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..forecast.options import DEFAULT_OPTIONS

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["RUN_OUT_PROBABILITY", "is_candidate", "rank_upsell", "upsell_candidates"]

#: The probability of running out from which an entitlement is projected to run out (the forecast's,
#: also the backtest's threshold for precision and recall).
RUN_OUT_PROBABILITY = DEFAULT_OPTIONS.run_out_probability


def is_candidate(threshold: float = RUN_OUT_PROBABILITY) -> pl.Expr:
    """Inside its term, founded, and run out already or likely to (a utilization row)."""
    ran_out = pl.col("status").is_in(["over_cap", "exhausted"])
    likely = pl.col("status").is_in(["near_limit", "healthy"]) & (
        pl.col("prob_run_out").fill_null(0.0) >= threshold
    )
    return (ran_out | likely) & pl.col("is_founded").fill_null(False)


def _reason() -> pl.Expr:
    chance = pl.concat_str(pl.lit(" ("), (pl.col("prob_run_out") * 100).round(0).cast(pl.Int64), pl.lit("%)"))
    return (
        pl.when(pl.col("status") == "over_cap")
        .then(pl.lit("over cap"))
        .when(pl.col("status") == "exhausted")
        .then(pl.lit("exhausted"))
        .when(pl.col("expected_run_out_date").is_not_null())
        .then(
            pl.concat_str(
                pl.lit("likely to run out by "),
                pl.col("expected_run_out_date").dt.to_string("%Y-%m-%d"),
                chance,
            )
        )
        .otherwise(pl.concat_str(pl.lit("likely to run out before the end date"), chance))
    )


def rank_upsell(util: pl.LazyFrame, threshold: float = RUN_OUT_PROBABILITY) -> pl.LazyFrame:
    """Upsell candidates of a utilization frame, ranked.

    Grain: one row per candidate entitlement (:func:`is_candidate`). Adds
    ``rank`` (1 = largest expected shortfall; ties: higher ``prob_run_out``,
    then ``entitlement_id``) and ``upsell_reason``.
    """
    return (
        util.filter(is_candidate(threshold))
        .sort(
            ["expected_shortfall", "prob_run_out", "entitlement_id"],
            descending=[True, True, False],
            nulls_last=True,
        )
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
            _reason().alias("upsell_reason"),
        )
    )


def upsell_candidates(basis: Basis) -> pl.DataFrame:
    """Upsell candidates as of the basis's moment, ranked by expected shortfall.

    Grain: one row per candidate entitlement: the utilization columns
    (``expected_shortfall``, ``projected_p10`` .. ``projected_p90``,
    ``prob_run_out``, ``recommended_plan``, ``owner`` among them), ``rank``
    and ``upsell_reason``.

    Examples
    --------
    A Standard term (cap 10) renewed three days ago has used 2 cases; its
    previous term used 5 in its year. The straight line through its three
    days says about 200 cases by the end; the forecast about 7 (its
    predecessor's pace, ``prior_source = "chain"``), ``prob_run_out`` below
    one half: not a candidate.
    """
    from .utilization import utilization_forecast

    return rank_upsell(utilization_forecast(basis).lazy()).collect()
