"""Cases that do not line up with an entitlement term.

DOMAIN.md, "Overflow": cases of an account that has an active entitlement
but that name none ("silently stopped matching") are a first-class report,
with the entitlement they most likely belong to.

- A case is unmatched when its ``entitlement_id`` is empty, it was created
  at or before the as-of moment, and some entitlement was active at its
  ``created_at``: the entitlement's term, in the entitlement's own time zone
  (``start_utc <= created_at < end_utc``), contains it.
- Candidates share the case's account, or its asset, contact or service
  contract (when the case names them and the entitlement is scoped to it).
- The most likely entitlement: same asset, then same contact, then same
  service contract, then same account (``match_reason``); then a ``cases``
  entitlement before ``hours`` before ``none``; then the latest start; then
  the smallest ``entitlement_id`` (for a stable answer).

Out-of-term cases name an entitlement but their consumption moment (created
or closed, per ``consume_on``) is outside its term: before the start or
after the end. An unclosed case of a ``consume_on = closed`` entitlement has
no moment yet and is not listed; neither is a moment after the as-of moment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..kernels.ledger import consumption_moment
from .terms import with_local_date

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["MATCH_REASONS", "out_of_term_cases", "unmatched_cases"]

#: Match reasons, most specific first.
MATCH_REASONS = ("same asset", "same contact", "same service contract", "same account")

_CASE_KEYS = {"asset_id": 0, "contact_id": 1, "service_contract_id": 2, "account_id": 3}


def unmatched_cases(basis: Basis) -> pl.DataFrame:
    """Cases naming no entitlement while one was active for them, with the likely one.

    Grain: one row per unmatched case.

    A case created after the as-of moment does not exist yet (the moment of
    the entitlement it would match: for an as-of date, the end of that day
    in the entitlement's zone).

    Returns
    -------
    pl.DataFrame
        ``case_id, account_id, contact_id, asset_id, service_contract_id,
        created_at, is_deleted, likely_entitlement_id, match_reason,
        candidate_count`` (active entitlements that could match),
        ``likely_usage_type, likely_start_date, likely_end_date``.

    Examples
    --------
    An account with a Standard (cases) and a warranty (``none``) entitlement,
    both active: its case with no entitlement gets the Standard one, reason
    "same account"; a case on an asset covered by the warranty gets the
    warranty, reason "same asset".
    """
    ents = basis.terms.lazy().select(
        "entitlement_id",
        "usage_type",
        "start_date",
        "end_date",
        "start_utc",
        "end_utc",
        "as_of_at",
        *[pl.col(k).alias(f"_e_{k}") for k in _CASE_KEYS],
    )
    orphans = basis.tables.cases.filter(
        pl.col("entitlement_id").is_null() & (pl.col("created_at") <= basis.as_of.latest)
    ).select("case_id", *_CASE_KEYS, "created_at", "is_deleted")
    candidates = pl.concat(
        [
            orphans.filter(pl.col(k).is_not_null()).join(
                ents, left_on=k, right_on=f"_e_{k}", how="inner", coalesce=False
            )
            for k in _CASE_KEYS
        ],
        how="vertical",
    ).filter(
        (pl.col("created_at") >= pl.col("start_utc"))
        & (pl.col("created_at") < pl.col("end_utc"))
        & (pl.col("created_at") <= pl.col("as_of_at"))
    )
    rank = pl.min_horizontal(
        [pl.when(pl.col(k) == pl.col(f"_e_{k}")).then(pl.lit(i)) for k, i in _CASE_KEYS.items()]
    )
    usage_rank = pl.col("usage_type").replace_strict(
        {"cases": 0, "hours": 1, "none": 2}, default=3, return_dtype=pl.Int32
    )
    ranked = (
        candidates.unique(["case_id", "entitlement_id"])
        .with_columns(rank.alias("_match_rank"), usage_rank.alias("_usage_rank"))
        .sort(
            ["case_id", "_match_rank", "_usage_rank", "start_date", "entitlement_id"],
            descending=[False, False, False, True, False],
        )
    )
    return (
        ranked.group_by("case_id", maintain_order=True)
        .agg(
            pl.col(*_CASE_KEYS, "created_at", "is_deleted").first(),
            pl.col("entitlement_id").first().alias("likely_entitlement_id"),
            pl.col("_match_rank").first(),
            pl.len().alias("candidate_count"),
            pl.col("usage_type").first().alias("likely_usage_type"),
            pl.col("start_date").first().alias("likely_start_date"),
            pl.col("end_date").first().alias("likely_end_date"),
        )
        .with_columns(
            pl.col("_match_rank")
            .replace_strict(dict(enumerate(MATCH_REASONS)), return_dtype=pl.String)
            .alias("match_reason")
        )
        .select(
            "case_id",
            "account_id",
            "contact_id",
            "asset_id",
            "service_contract_id",
            "created_at",
            "is_deleted",
            "likely_entitlement_id",
            "match_reason",
            "candidate_count",
            "likely_usage_type",
            "likely_start_date",
            "likely_end_date",
        )
        .sort("created_at", "case_id")
        .collect()
    )


def out_of_term_cases(basis: Basis) -> pl.DataFrame:
    """Cases naming an entitlement whose term does not contain their consumption moment.

    Grain: one row per such case.

    Returns
    -------
    pl.DataFrame
        ``case_id, entitlement_id, account_id, usage_type, consume_on,
        consumed_at`` (the moment), ``consumed_date`` (its local day),
        ``start_date, end_date, timezone, position`` (``before_term`` or
        ``after_term``), ``is_deleted``.

    Examples
    --------
    ``consume_on = closed``, term 2026, a case created 2026-12-30 and closed
    2027-01-02: as of 2027-01-05 it is ``after_term`` (EXAMPLES.md 4).
    """
    terms = basis.terms.lazy().select(
        "entitlement_id",
        "usage_type",
        "consume_on",
        "on_closed",
        "start_date",
        "end_date",
        "timezone",
        "start_utc",
        "end_utc",
        "as_of_at",
    )
    outside = (
        basis.tables.cases.select(
            "case_id",
            "entitlement_id",
            "account_id",
            "created_at",
            "closed_at",
            pl.col("is_deleted").fill_null(False),
        )
        .filter(pl.col("entitlement_id").is_not_null())
        .join(terms, on="entitlement_id", how="inner")
        .with_columns(consumption_moment(pl.col("on_closed")).alias("consumed_at"))
        .filter(
            pl.col("consumed_at").is_not_null()
            & (pl.col("consumed_at") <= pl.col("as_of_at"))
            & ((pl.col("consumed_at") < pl.col("start_utc")) | (pl.col("consumed_at") >= pl.col("end_utc")))
        )
        .with_columns(
            pl.when(pl.col("consumed_at") < pl.col("start_utc"))
            .then(pl.lit("before_term"))
            .otherwise(pl.lit("after_term"))
            .alias("position")
        )
    )
    return (
        with_local_date(
            outside, "consumed_at", "consumed_date", basis.zones, anchor=("start_date", "start_utc")
        )
        .select(
            "case_id",
            "entitlement_id",
            "account_id",
            "usage_type",
            "consume_on",
            "consumed_at",
            "consumed_date",
            "start_date",
            "end_date",
            "timezone",
            "position",
            "is_deleted",
        )
        .sort("entitlement_id", "consumed_at", "case_id")
        .collect()
    )
