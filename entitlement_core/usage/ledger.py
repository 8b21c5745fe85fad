"""The consumption ledger as people read it: every unit that used an allotment, in its unit.

The rules and the computation are in :mod:`entitlement_core.kernels.ledger`
(the intermediate layer keeps the units exact, in base units:
:attr:`Basis.units <entitlement_core.basis.Basis.units>`); this view names
each unit's entitlement and shows hours as hours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..display import in_units

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["LEDGER_COLUMNS", "consumption_ledger"]

#: Columns of :func:`consumption_ledger`, in order.
LEDGER_COLUMNS = (
    "entitlement_id",
    "usage_type",
    "source",
    "case_id",
    "time_entry_id",
    "consumed_at",
    "consumed_date",
    "quantity",
    "is_deleted",
)


def consumption_ledger(basis: Basis) -> pl.DataFrame:
    """Every unit of consumption as of the basis's value.

    Grain: one row per unit of consumption: a case (``source = "case"``,
    quantity 1) or a time entry (``source = "time_entry"``, quantity in
    hours). ``consumed_at`` is UTC (a time entry's is the local midnight of
    its day), ``consumed_date`` the local day in the entitlement's zone.
    Only units inside the term and not after the entitlement's as-of moment;
    in no particular order.

    Examples
    --------
    With ``consume_on = closed``, a case created 2026-12-30 and closed
    2027-01-02 is not in the ledger of a 2026 term, whatever the as-of
    moment (EXAMPLES.md 4).
    """
    facts = basis.terms.lazy().select("_ent", "entitlement_id", "usage_type", "factor")
    return (
        basis.units_of(basis.terms.get_column("_ent"))
        .lazy()
        .join(facts, on="_ent", how="inner")
        .with_columns(
            pl.when(pl.col("is_case")).then(pl.lit("case")).otherwise(pl.lit("time_entry")).alias("source"),
            in_units("quantity").alias("quantity"),
        )
        .select(LEDGER_COLUMNS)
        .collect()
    )
