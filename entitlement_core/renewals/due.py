"""Renewal marts: terms due for renewal, and the history of each renewal chain.

Both are views of the utilization mart (:mod:`entitlement_core.usage.utilization`)
with the renewal rules of :mod:`.rules`: renewed entitlements are kept and
marked ``is_renewed``, not dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from .rules import is_due, renewal_chains, renewed_by

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["HISTORY_COLUMNS", "renewal_history", "renewals_due"]

HISTORY_COLUMNS = (
    "chain_root_id", "term_index", "chain_length", "entitlement_id", "renewal_of", "account_id", "plan",
    "usage_type", "start_date", "end_date", "cap", "consumed", "remaining", "pct_used", "status",
)  # fmt: skip


def renewals_due(basis: Basis, *, within_days: int = 90) -> pl.DataFrame:
    """Entitlements ending within ``within_days`` of their as-of day.

    Grain: one row per entitlement with ``as_of_date <= end_date <=
    as_of_date + within_days``.

    Returns
    -------
    pl.DataFrame
        The utilization columns with the forecast's
        (:func:`~entitlement_core.usage.utilization.with_forecast`:
        ``pct_used``, ``expected_at_end``, ``projected_p10`` ..
        ``projected_p90``, the forecast's ``recommended_plan`` among them) plus ``days_to_end``,
        ``is_renewed``, ``renewed_by_id``, ``chain_root_id``,
        ``term_index``, ``chain_length``, ``previous_entitlement_id``,
        ``previous_consumed`` and ``previous_pct_used`` (the term it
        renewed, if any); soonest end first.
    """
    from ..usage.utilization import utilization_forecast

    util = utilization_forecast(basis).lazy()
    ents = basis.tables.entitlements
    previous = util.select(
        pl.col("entitlement_id").alias("renewal_of"),
        pl.col("entitlement_id").alias("previous_entitlement_id"),
        pl.col("consumed").alias("previous_consumed"),
        pl.col("pct_used").alias("previous_pct_used"),
    )
    days_to_end = (pl.col("end_date") - pl.col("as_of_date")).dt.total_days()
    return (
        util.filter(is_due(within_days))
        .with_columns(days_to_end.alias("days_to_end"))
        .join(renewed_by(ents), on="entitlement_id", how="left")
        .with_columns(pl.col("renewed_by_id").is_not_null().alias("is_renewed"))
        .join(renewal_chains(ents), on="entitlement_id", how="left")
        .join(previous, on="renewal_of", how="left")
        .sort("end_date", "entitlement_id")
        .collect()
    )


def renewal_history(basis: Basis) -> pl.DataFrame:
    """Utilization of every term of every renewal chain, as of the basis's moment.

    Grain: one row per entitlement (a chain of one for an entitlement never
    renewed and not a renewal; filter ``chain_length > 1`` for real chains).
    :data:`HISTORY_COLUMNS`, by chain then term.

    Examples
    --------
    E2025 renewed by E2026 (``renewal_of = E2025``): both rows have
    ``chain_root_id = E2025``, term_index 1 and 2, each with its own term's
    consumption.
    """
    return (
        renewal_chains(basis.tables.entitlements)
        .join(basis.mart("utilization").lazy(), on="entitlement_id", how="inner")
        .select(HISTORY_COLUMNS)
        .sort("chain_root_id", "term_index", "entitlement_id")
        .collect()
    )
