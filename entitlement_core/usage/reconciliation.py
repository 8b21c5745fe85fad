"""Reconciliation with Salesforce's own remaining-cases counter.

Salesforce keeps an editable ``RemainingCases`` on each entitlement
(imported as ``crm_remaining_cases``). It drifts from the rules of
DOMAIN.md in known ways, so where it disagrees with ``remaining = cap -
consumed`` the report names the likely cause:

- ``deleted cases``: Salesforce stops counting a deleted case, the rules
  still count it (rule 3), so Salesforce shows more remaining: the
  difference ``crm_remaining_cases - remaining`` equals the number of
  deleted consuming cases;
- ``cases outside term``: Salesforce counts every case linked to the
  entitlement, the rules only those inside the term, so Salesforce shows
  less remaining: the difference equals minus the number of out-of-term
  cases naming it;
- ``deleted cases and cases outside term``: both at once;
- ``manual edit``: anything else (the field is editable);
- ``no cap``: Salesforce has a counter but the entitlement here has no cap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["LIKELY_CAUSES", "reconcile", "reconciliation"]

LIKELY_CAUSES = (
    "deleted cases",
    "cases outside term",
    "deleted cases and cases outside term",
    "manual edit",
    "no cap",
)

_TOLERANCE = 1e-6


def reconciliation(basis: Basis) -> pl.DataFrame:
    """Entitlements whose Salesforce remaining-cases counter disagrees with the rules.

    Grain: one row per entitlement with ``crm_remaining_cases`` set and
    different from ``remaining`` (or with no cap here).

    Returns
    -------
    pl.DataFrame
        The utilization columns of those entitlements plus
        ``crm_remaining_cases, difference`` (``crm_remaining_cases -
        remaining``), ``deleted_cases, out_of_term_cases, likely_cause``;
        largest absolute difference first.

    Examples
    --------
    Cap 10, 9 cases of which 2 deleted: remaining 1; Salesforce says 3:
    difference 2 = deleted cases, cause ``deleted cases``.
    """
    rows = reconcile(basis.mart("utilization").lazy(), basis.mart("out-of-term-cases").lazy())
    return rows.collect()


def reconcile(util: pl.LazyFrame, out_of_term: pl.LazyFrame) -> pl.LazyFrame:
    """The reconciliation rows of a utilization frame (all its columns kept).

    Grain: one row per disagreeing entitlement; ``out_of_term`` is
    :func:`~entitlement_core.usage.unmatched.out_of_term_cases`.
    """
    outside = out_of_term.group_by("entitlement_id").agg(pl.len().cast(pl.Int64).alias("out_of_term_cases"))
    diff = pl.col("difference")
    near = lambda e: (diff - e).abs() <= _TOLERANCE  # noqa: E731
    deleted, oot = pl.col("deleted_cases"), pl.col("out_of_term_cases")
    cause = (
        pl.when(pl.col("cap").is_null())
        .then(pl.lit("no cap"))
        .when((deleted > 0) & near(deleted))
        .then(pl.lit("deleted cases"))
        .when((oot > 0) & near(-oot))
        .then(pl.lit("cases outside term"))
        .when((deleted > 0) & (oot > 0) & near(deleted - oot))
        .then(pl.lit("deleted cases and cases outside term"))
        .otherwise(pl.lit("manual edit"))
    )
    return (
        util.filter(pl.col("crm_remaining_cases").is_not_null())
        .join(outside, on="entitlement_id", how="left")
        .with_columns(
            pl.col("out_of_term_cases").fill_null(0),
            (pl.col("crm_remaining_cases") - pl.col("remaining")).alias("difference"),
        )
        .filter(pl.col("cap").is_null() | (diff.abs() > _TOLERANCE))
        .with_columns(cause.alias("likely_cause"))
        .sort(diff.abs(), "entitlement_id", descending=[True, False], nulls_last=True)
    )
