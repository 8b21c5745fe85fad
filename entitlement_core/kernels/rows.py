"""The few order-dependent results: where consumption order matters, not only sums.

- :data:`CAP_REACHED`: the moment each selected entitlement's running total,
  in consumption order, reached its allotment (whole entitlements per slice);
- :data:`OVERAGE_UNITS`: the units no grant covers, listed: the last units
  in consumption order, as many as the entitlement's overage (whole
  entitlements per slice; DOMAIN.md "Overflow": the (cap+1)-th case onwards);
- :data:`DRAWDOWN_DEMAND`: consumption of entitlements with grants summed per
  drawdown segment, the input of the grant drawdown (any row slice).

Consumption order is the consumption moment, then ``case_id``, then
``time_entry_id`` (ties broken the same way everywhere). Only the selected
entitlements' rows are sorted: few rows, whatever the data's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from . import ANY_ROWS, WHOLE_ENTITLEMENTS, Frame, Kernel, conform_partial
from .ledger import QUANTITY, UNIT_SCHEMA, UsageContext
from .zones import UTC_TS

__all__ = [
    "CAP_REACHED",
    "DRAWDOWN_DEMAND",
    "OVERAGE_SCHEMA",
    "OVERAGE_UNITS",
    "DrawdownContext",
    "consumption_order",
]

ORDER = ("consumed_at", "case_id", "time_entry_id")

REACHED_SCHEMA: dict[str, pl.DataType] = {"_ent": pl.UInt32(), "reached_at": UTC_TS}

OVERAGE_SCHEMA: dict[str, pl.DataType] = {
    **UNIT_SCHEMA,
    "overage_index": pl.Int64(),
    "running_quantity": QUANTITY,
    "overage_quantity": QUANTITY,
}

DEMAND_SCHEMA: dict[str, pl.DataType] = {"_k": pl.UInt32(), "segment": pl.Int64(), "demand": QUANTITY}


def consumption_order(frame: Frame) -> Frame:
    """``frame`` sorted by entitlement, then in consumption order."""
    return frame.sort("_ent", *ORDER, nulls_last=True)


def _selected(units: Frame, context: UsageContext, *columns: str) -> pl.LazyFrame:
    """The units of the context's selected entitlements, with the selection's ``columns``."""
    assert context.selected is not None, "this kernel needs the context's selected entitlements"
    chosen = context.selected.select("_ent", *columns)
    return (
        units.lazy()
        # A membership test first: cheaper than joining every unit to the few entitlements.
        .filter(pl.col("_ent").is_in(chosen.get_column("_ent").implode()))
        .join(chosen.lazy(), on="_ent", how="inner")
    )


def _concat(schema: dict[str, pl.DataType]) -> Any:
    def combine(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
        if len(parts) == 1:
            return parts[0]
        return pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=schema)

    return combine


def _identity(combined: pl.DataFrame, context: Any = None) -> pl.DataFrame:
    return combined


# -- the moment each cap was reached ---------------------------------------------------


def cap_reached_kernel(units: Frame, context: UsageContext, as_of: Any = None) -> pl.DataFrame:
    """Per selected entitlement (``_ent, allotment``): the first moment its running total reached it."""
    # Only the moment matters: units at the same moment reach the cap at that moment in any order.
    ordered = _selected(units, context, "allotment").select("_ent", "allotment", "consumed_at", "quantity")
    running = pl.col("quantity").cum_sum()
    reached = (
        ordered.sort("_ent", "consumed_at")
        .group_by("_ent", maintain_order=True)
        .agg(pl.col("consumed_at").filter(running >= pl.col("allotment").first()).first().alias("reached_at"))
        .filter(pl.col("reached_at").is_not_null())
    )
    return conform_partial(reached.collect(), REACHED_SCHEMA)


CAP_REACHED = Kernel(
    name="cap_reached",
    partition=WHOLE_ENTITLEMENTS,
    schema=REACHED_SCHEMA,
    kernel=cap_reached_kernel,
    combine=_concat(REACHED_SCHEMA),
    finish=_identity,
    grain="one row per selected entitlement whose consumption reached its allotment",
)


# -- overage units -----------------------------------------------------------------------


def overage_kernel(units: Frame, context: UsageContext, as_of: Any = None) -> pl.DataFrame:
    """The units beyond coverage of each selected entitlement (``_ent, overage``: its uncovered quantity).

    The last units in consumption order carry the overage; the unit that
    crosses into it carries only its part beyond (an hours entry, say).
    """
    rows = consumption_order(_selected(units, context, "overage").select(*UNIT_SCHEMA, "overage"))
    from_end = pl.col("quantity").cum_sum(reverse=True).over("_ent")
    beyond = pl.min_horizontal(
        pl.col("quantity"), (pl.col("overage") - pl.col("_after")).clip(lower_bound=pl.lit(0).cast(QUANTITY))
    )
    listed = (
        rows.with_columns(
            pl.col("quantity").cum_sum().over("_ent").alias("running_quantity"),
            (from_end - pl.col("quantity")).alias("_after"),
        )
        .with_columns(beyond.alias("overage_quantity"))
        .filter(pl.col("overage_quantity") > 0)
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("_ent").alias("overage_index"))
    )
    return conform_partial(listed.collect(), OVERAGE_SCHEMA)


OVERAGE_UNITS = Kernel(
    name="overage_units",
    partition=WHOLE_ENTITLEMENTS,
    schema=OVERAGE_SCHEMA,
    kernel=overage_kernel,
    combine=_concat(OVERAGE_SCHEMA),
    finish=lambda combined, context=None: consumption_order(combined),
    grain="one row per unit of consumption no grant covers",
)


# -- drawdown inputs -----------------------------------------------------------------------


_OWN_SCHEMA = {"_ent": pl.UInt32(), "_k": pl.UInt32()}


@dataclass(frozen=True, eq=False)
class DrawdownContext:
    """The drawdown's keys and segment moments (few rows).

    ``keys``: ``_ent, resource, _k`` for every (entitlement, resource) with
    grants; ``points``: ``_k, at, segment``, the moments at which the set of
    valid grants changes, numbered from 0 per key (the first is the dawn of
    time, so every unit falls in a segment); ``own``: ``_ent, _k``, the key
    of each entitlement's own resource (its cases or hours), for units that
    leave ``resource`` empty (the ledger's: no string to match per unit).
    """

    keys: pl.DataFrame
    points: pl.DataFrame
    own: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_OWN_SCHEMA))


def demand_kernel(units: Frame, context: DrawdownContext, as_of: Any = None) -> pl.DataFrame:
    """Consumption per (key, segment) of a slice of units (``_ent, resource, consumed_at, quantity``;
    an empty ``resource`` is the entitlement's own)."""
    rows = units.lazy()
    cols = ("_k", "consumed_at", "quantity")
    owners = context.own.get_column("_ent").implode()
    own = rows.filter(pl.col("_ent").is_in(owners) & pl.col("resource").is_null()).join(
        context.own.lazy(), on="_ent", how="inner"
    )
    metered = rows.filter(pl.col("resource").is_not_null()).join(
        context.keys.lazy(), on=["_ent", "resource"], how="inner"
    )
    demand = (
        pl.concat([own.select(cols), metered.select(cols)])
        .sort("consumed_at")
        .join_asof(
            context.points.lazy().sort("at"),
            left_on="consumed_at",
            right_on="at",
            by="_k",
            strategy="backward",
            check_sortedness=False,
        )
        .group_by("_k", "segment")
        .agg(pl.col("quantity").sum().alias("demand"))
    )
    return conform_partial(demand.collect(), DEMAND_SCHEMA)


def _sum_demand(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return pl.DataFrame(schema=DEMAND_SCHEMA)
    merged = pl.concat(parts).group_by("_k", "segment").agg(pl.col("demand").sum())
    return conform_partial(merged, DEMAND_SCHEMA)


DRAWDOWN_DEMAND = Kernel(
    name="drawdown_demand",
    partition=ANY_ROWS,
    schema=DEMAND_SCHEMA,
    kernel=demand_kernel,
    combine=_sum_demand,
    finish=_identity,
    grain="one row per (entitlement, resource) with grants and drawdown segment with consumption",
)
