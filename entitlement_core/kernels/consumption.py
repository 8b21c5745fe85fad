"""Consumption per entitlement per local day: the additive kernel of the usage side.

Partition contract: any row slice of the ledger (:mod:`.ledger`). The
partial has one row per (entitlement, local day) with units in the slice:

- ``units``: ledger rows (cases, or time entries);
- ``quantity``: consumption in the entitlement's base unit (cases; minutes
  for ``hours``), exact;
- ``deleted_units``: deleted cases among them (rule 3: they still count);
- ``window_quantity``: the quantity when the day is inside the burn-rate
  window (from ``window_start_date``, DOMAIN.md "Burn rate").

``combine`` sums partials by key; ``finish`` gives the per-day frame and
the per-entitlement totals (:class:`Consumption`). Weekly charts and the
burn-down read the days; utilization reads the totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from . import ANY_ROWS, Frame, Kernel, conform_partial
from .ledger import QUANTITY, UsageContext

__all__ = ["CONSUMPTION", "DAILY_SCHEMA", "TOTALS_SCHEMA", "Consumption"]

#: The partial: one row per (entitlement, local day).
DAILY_SCHEMA: dict[str, pl.DataType] = {
    "_ent": pl.UInt32(),
    "consumed_date": pl.Date(),
    "units": pl.Int64(),
    "quantity": QUANTITY,
    "deleted_units": pl.Int64(),
    "window_quantity": QUANTITY,
}

#: Per entitlement with consumption.
TOTALS_SCHEMA: dict[str, pl.DataType] = {
    "_ent": pl.UInt32(),
    "units": pl.Int64(),
    "consumed": QUANTITY,
    "window_consumed": QUANTITY,
    "deleted_cases": pl.Int64(),
}

_SUMS = ("units", "quantity", "deleted_units", "window_quantity")


@dataclass(frozen=True)
class Consumption:
    """The finished consumption: per entitlement and day, and per entitlement.

    ``daily`` has :data:`DAILY_SCHEMA` (grain: one row per entitlement and
    local day with units); ``totals`` has :data:`TOTALS_SCHEMA` (grain: one
    row per entitlement with units).
    """

    daily: pl.DataFrame
    totals: pl.DataFrame


_DAY_BITS = 21  # days since 1970 in [-2^20, 2^20): 1900-2199 and far beyond


def kernel(units: Frame, context: UsageContext, as_of: Any = None) -> pl.DataFrame:
    """Sums of a slice of ledger units per (entitlement, local day)."""
    # One integer key per (entitlement, day): cheaper to group by than two columns.
    day = pl.col("consumed_date").cast(pl.Int32).cast(pl.Int64)
    key = pl.col("_ent").cast(pl.Int64) * (1 << _DAY_BITS) + day + (1 << (_DAY_BITS - 1))
    # ``_ent`` numbers the context's entitlements in order: a per-entitlement value is a lookup, not a join.
    window_start = pl.lit(context.terms.get_column("window_start_date")).gather(pl.col("_ent"))
    grouped = (
        units.lazy()
        .group_by(key.alias("_key"))
        .agg(
            pl.len().cast(pl.Int64).alias("units"),
            pl.col("quantity").sum(),
            (pl.col("is_case") & pl.col("is_deleted")).sum().cast(pl.Int64).alias("deleted_units"),
        )
        .with_columns(
            (pl.col("_key") // (1 << _DAY_BITS)).alias("_ent"),
            ((pl.col("_key") % (1 << _DAY_BITS)) - (1 << (_DAY_BITS - 1))).cast(pl.Int32).cast(pl.Date)
            .alias("consumed_date"),
        )
        .with_columns(
            # The window is a range of days: decided per day, after grouping (far fewer rows).
            pl.when(pl.col("consumed_date") >= window_start)
            .then(pl.col("quantity"))
            .otherwise(pl.lit(0).cast(QUANTITY))
            .alias("window_quantity")
        )
    )  # fmt: skip
    return conform_partial(grouped.collect(), DAILY_SCHEMA)


def combine(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Partials summed by (entitlement, day); one partial is already combined."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return pl.DataFrame(schema=DAILY_SCHEMA)
    merged = (
        pl.concat(parts, how="vertical").group_by("_ent", "consumed_date").agg(pl.col(c).sum() for c in _SUMS)
    )
    return conform_partial(merged, DAILY_SCHEMA)


def finish(daily: pl.DataFrame, context: UsageContext | None = None) -> Consumption:
    """The days, and the totals per entitlement."""
    totals = daily.group_by("_ent").agg(
        pl.col("units").sum(),
        pl.col("quantity").sum().alias("consumed"),
        pl.col("window_quantity").sum().alias("window_consumed"),
        pl.col("deleted_units").sum().alias("deleted_cases"),
    )
    return Consumption(daily, conform_partial(totals, TOTALS_SCHEMA))


CONSUMPTION = Kernel(
    name="consumption",
    partition=ANY_ROWS,
    schema=DAILY_SCHEMA,
    kernel=kernel,
    combine=combine,
    finish=finish,
    grain="one row per entitlement and local day with units",
)
