"""Consumption per entitlement per local day, and per entitlement: the additive kernels of the usage side.

Partition contract of both: any row slice of the ledger (:mod:`.ledger`).

:data:`CONSUMPTION`: one row per (entitlement, local day) with units in the slice:

- ``units``: ledger rows (cases, or time entries);
- ``quantity``: consumption in the entitlement's base unit (cases; minutes
  for ``hours``), exact;
- ``deleted_units``: deleted cases among them (rule 3: they still count);
- ``window_quantity``: the quantity when the day is inside the burn-rate
  window (from ``window_start_date``, DOMAIN.md "Burn rate").

``combine`` sums partials by key; ``finish`` gives the per-day frame and
the per-entitlement totals (:class:`Consumption`). Weekly charts and the
burn-down read the days.

:data:`TOTALS`: the same sums per entitlement (``units``, ``consumed``,
``window_consumed``, ``deleted_cases``), what utilization reads. It needs no
local day (the window is a UTC instant per entitlement, the local midnight
its first day begins), which is most of the cost at a million cases; the
days summed give exactly these totals (a test checks it), so an engine that
computed the days can finish the totals from them instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from . import ANY_ROWS, Frame, Kernel, conform_partial
from .ledger import QUANTITY, UsageContext, with_local_days

__all__ = ["CONSUMPTION", "DAILY_SCHEMA", "TOTALS", "TOTALS_SCHEMA", "Consumption"]

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


def _by_day(rows: pl.LazyFrame, aggs: list[pl.Expr]) -> pl.LazyFrame:
    """``aggs`` per (entitlement, day), grouped on one integer key (cheaper than two columns)."""
    day = pl.col("consumed_date").cast(pl.Int32).cast(pl.Int64)
    key = pl.col("_ent").cast(pl.Int64) * (1 << _DAY_BITS) + day + (1 << (_DAY_BITS - 1))
    return (
        rows.group_by(key.alias("_key"))
        .agg(pl.len().cast(pl.Int64).alias("units"), *aggs)
        .with_columns(
            (pl.col("_key") // (1 << _DAY_BITS)).alias("_ent"),
            ((pl.col("_key") % (1 << _DAY_BITS)) - (1 << (_DAY_BITS - 1))).cast(pl.Int32).cast(pl.Date)
            .alias("consumed_date"),
        )
    )  # fmt: skip


def kernel(units: Frame, context: UsageContext, as_of: Any = None) -> pl.DataFrame:
    """Sums of a slice of ledger units per (entitlement, local day)."""
    rows = with_local_days(units, context)
    # A case is one unit: its quantity is the count (no sum of exact decimals over the many case rows);
    # a time entry's is its minutes.
    cases = _by_day(
        rows.filter(pl.col("is_case")), [pl.col("is_deleted").sum().cast(pl.Int64).alias("deleted_units")]
    )
    entries = _by_day(rows.filter(~pl.col("is_case")), [pl.col("quantity").sum()])
    # ``_ent`` numbers the context's entitlements in order: a per-entitlement value is a lookup, not a join.
    window_start = pl.lit(context.terms.get_column("window_start_date")).gather(pl.col("_ent"))
    days = pl.concat(
        [
            cases.with_columns(pl.col("units").cast(QUANTITY).alias("quantity")),
            entries.with_columns(pl.lit(0, dtype=pl.Int64).alias("deleted_units")),
        ],
        how="diagonal",
    ).with_columns(
        # The window is a range of days: decided per day, after grouping (far fewer rows).
        pl.when(pl.col("consumed_date") >= window_start)
        .then(pl.col("quantity"))
        .otherwise(pl.lit(0).cast(QUANTITY))
        .alias("window_quantity")
    )
    return conform_partial(days.collect(), DAILY_SCHEMA)


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


def totals_kernel(units: Frame, context: UsageContext, as_of: Any = None) -> pl.DataFrame:
    """Sums of a slice of ledger units per entitlement (no local day needed)."""
    window_start = pl.lit(context.terms.get_column("window_start_utc")).gather(pl.col("_ent"))
    # Flagged row by row before grouping (a lookup inside a group-by would run once per group).
    rows = units.lazy().with_columns((pl.col("consumed_at") >= window_start).alias("_in_window"))
    in_window = pl.col("_in_window")
    # A case is one unit (its quantity is the count); a time entry's is its minutes.
    cases = (
        rows.filter(pl.col("is_case"))
        .group_by("_ent")
        .agg(
            pl.len().cast(pl.Int64).alias("units"),
            in_window.sum().cast(pl.Int64).alias("_window_units"),
            pl.col("is_deleted").sum().cast(pl.Int64).alias("deleted_cases"),
        )
    )
    entries = (
        rows.filter(~pl.col("is_case"))
        .group_by("_ent")
        .agg(
            pl.len().cast(pl.Int64).alias("units"),
            pl.col("quantity").sum().alias("consumed"),
            pl.col("quantity").filter(in_window).sum().alias("window_consumed"),
        )
    )
    both = pl.concat(
        [
            cases.with_columns(
                pl.col("units").cast(QUANTITY).alias("consumed"),
                pl.col("_window_units").cast(QUANTITY).alias("window_consumed"),
            ).drop("_window_units"),
            entries.with_columns(pl.lit(0, dtype=pl.Int64).alias("deleted_cases")),
        ],
        how="diagonal",
    )
    return conform_partial(both.collect(), TOTALS_SCHEMA)


def _sum_totals(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return pl.DataFrame(schema=TOTALS_SCHEMA)
    sums = [c for c in TOTALS_SCHEMA if c != "_ent"]
    merged = pl.concat(parts, how="vertical").group_by("_ent").agg(pl.col(c).sum() for c in sums)
    return conform_partial(merged, TOTALS_SCHEMA)


TOTALS = Kernel(
    name="consumption_totals",
    partition=ANY_ROWS,
    schema=TOTALS_SCHEMA,
    kernel=totals_kernel,
    combine=_sum_totals,
    finish=lambda combined, context=None: combined,
    grain="one row per entitlement with units",
)
