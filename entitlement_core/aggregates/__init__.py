"""Aggregate tables: what the row-proportional kernels leave, small enough for the app.

An engine (the local one, or Spark: :mod:`entitlement_core.spark`) runs
every kernel of :mod:`entitlement_core.kernels` over the case-sized tables
and writes these tables, keyed by ``entitlement_id`` (never by a row
number, so they survive any engine):

================================  ==========================================================
table                             grain (kernel)
================================  ==========================================================
``agg_totals``                    per entitlement with units (``TOTALS``)
``agg_daily``                     per entitlement and local day (``CONSUMPTION``)
``agg_demand``                    per (entitlement, resource) with grants and drawdown
                                  segment (``DRAWDOWN_DEMAND``)
``agg_cap_reached``               per entitlement in term at or over its allotment (``CAP_REACHED``)
``agg_overage_units``             per unit no grant covers (``OVERAGE_UNITS``)
``agg_sla_counts``                per milestone group and UTC day started (``COUNTS``)
``agg_sla_margins``               per group, week, status and margin second (``MARGINS``)
``agg_instances``                 the milestone instances the aggregates carry: open, at risk,
                                  paused, and violated within :data:`RECENT_DAYS` of the as-of
``agg_hours_days``                per hours entitlement and local day: the forecast's lumps
``agg_meta``                      one row: the as-of value and the settings the kernels used
================================  ==========================================================

With the small tables (accounts, entitlements, plans, grants, calendars
...) they give every report at the aggregation's as-of value
(:class:`~.basis.AggregateBasis`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from ..kernels.compliance import COUNT_SCHEMA, MARGIN_SCHEMA
from ..kernels.consumption import DAILY_SCHEMA, TOTALS_SCHEMA
from ..kernels.ledger import QUANTITY
from ..kernels.rows import OVERAGE_SCHEMA
from ..kernels.zones import UTC_TS

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "AGGREGATE_SCHEMAS",
    "CASE_TABLES",
    "RECENT_DAYS",
    "Aggregates",
    "from_basis",
    "keyed",
    "recent_instances",
]

#: The native tables that grow with the cases: an aggregates store holds none of their rows.
CASE_TABLES = ("cases", "case_status_history", "time_entries", "case_milestones", "usage_events")

#: Violated milestone instances the aggregates list: those whose target fell within this many days.
RECENT_DAYS = 30

_ID = {"entitlement_id": pl.String()}


def _without_ent(schema: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    return {**_ID, **{k: v for k, v in schema.items() if k != "_ent"}}


def _instance_schema() -> dict[str, pl.DataType]:
    from ..sla.milestones import INSTANCE_SCHEMA

    return dict(INSTANCE_SCHEMA)


META_SCHEMA: dict[str, pl.DataType] = {
    "as_of": pl.String(),
    "burn_window_days": pl.Int64(),
    "at_risk_fraction": pl.Float64(),
    "engine": pl.String(),
    "created_at": UTC_TS,
}

#: Every aggregate table and its columns.
AGGREGATE_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "agg_totals": _without_ent(TOTALS_SCHEMA),
    "agg_daily": _without_ent(DAILY_SCHEMA),
    "agg_demand": {**_ID, "resource": pl.String(), "segment": pl.Int64(), "demand": QUANTITY},
    "agg_cap_reached": {**_ID, "reached_at": UTC_TS},
    "agg_overage_units": _without_ent(OVERAGE_SCHEMA),
    "agg_sla_counts": dict(COUNT_SCHEMA),
    "agg_sla_margins": dict(MARGIN_SCHEMA),
    "agg_instances": _instance_schema(),
    "agg_hours_days": {
        **_ID,
        "consumed_date": pl.Date(),
        "quantity": pl.Float64(),
        "quantity_sq": pl.Float64(),
    },
    "agg_meta": META_SCHEMA,
}


@dataclass(frozen=True, eq=False)
class Aggregates:
    """The aggregate tables of one aggregation (``frames``: name -> frame of :data:`AGGREGATE_SCHEMAS`)."""

    frames: dict[str, pl.DataFrame]

    def __post_init__(self) -> None:
        missing = [name for name in AGGREGATE_SCHEMAS if name not in self.frames]
        if missing:
            raise ValueError(f"aggregate tables missing: {', '.join(missing)}")
        for name, schema in AGGREGATE_SCHEMAS.items():
            frame = self.frames[name]
            absent = [c for c in schema if c not in frame.columns]
            if absent:
                raise ValueError(f"aggregate table {name} lacks column(s): {', '.join(absent)}")
            self.frames[name] = frame.select([pl.col(c).cast(t) for c, t in schema.items()])
        if self.frames["agg_meta"].height != 1:
            raise ValueError("aggregate table agg_meta must have exactly one row")

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]

    @property
    def meta(self) -> dict[str, Any]:
        return self.frames["agg_meta"].row(0, named=True)

    @property
    def as_of(self) -> Any:
        """The aggregation's as-of value (:class:`~entitlement_core.asof.AsOf`)."""
        from ..asof import parse_as_of_text

        return parse_as_of_text(self.meta["as_of"])


def meta_row(as_of: Any, settings: Any, engine: str) -> pl.DataFrame:
    """The ``agg_meta`` row of an aggregation."""
    return pl.DataFrame(
        {
            "as_of": [str(as_of)],
            "burn_window_days": [settings.burn_window_days],
            "at_risk_fraction": [settings.at_risk_fraction],
            "engine": [engine],
            "created_at": [dt.datetime.now(dt.UTC)],
        },
        schema=META_SCHEMA,
    )


def keyed(frame: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """A kernel's result with ``entitlement_id`` in place of the row number ``_ent``."""
    ids = terms.select("_ent", "entitlement_id")
    return frame.join(ids, on="_ent", how="inner", maintain_order="left").drop("_ent")


def numbered(frame: pl.DataFrame, terms: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """An aggregate table back in a kernel's terms: ``_ent`` for ``entitlement_id``, ``schema``'s columns."""
    ids = terms.select("_ent", "entitlement_id")
    joined = frame.join(ids, on="entitlement_id", how="inner", maintain_order="left")
    return joined.select([pl.col(c).cast(t) for c, t in schema.items()])


def recent_instances(instances: pl.DataFrame, as_of: Any) -> pl.DataFrame:
    """The instances an aggregation keeps: not met, and violated only when the target fell recently."""
    since = as_of.earliest - dt.timedelta(days=RECENT_DAYS)
    status = pl.col("status")
    keep = status.is_null() | ((status != "met") & ((status != "violated") | (pl.col("target_at") >= since)))
    return instances.filter(keep)


def from_basis(basis: Basis, *, engine: str = "local") -> Aggregates:
    """The aggregate tables of a basis over the raw tables (the local engine: the kernels run once,
    on the whole data, exactly as every report runs them)."""
    terms = basis.terms
    positions = basis.positions  # runs the totals, drawdown and cap kernels
    del positions
    demand = basis._memo.get("demand")
    plan = basis.drawdown_plan()
    if demand is None or plan is None:
        agg_demand = pl.DataFrame(schema=AGGREGATE_SCHEMAS["agg_demand"])
    else:
        keys = plan[1].keys.select("_k", "_ent", "resource")
        agg_demand = keyed(demand.join(keys, on="_k", how="inner").drop("_k"), terms)
    sla = basis.sla()
    frames = {
        "agg_totals": keyed(basis.totals, terms),
        "agg_daily": keyed(basis.consumption.daily, terms),
        "agg_demand": agg_demand,
        "agg_cap_reached": keyed(basis._memo["cap_reached"], terms),
        "agg_overage_units": keyed(basis.overage_units, terms),
        "agg_sla_counts": sla.counts,
        "agg_sla_margins": sla.margins,
        "agg_instances": recent_instances(basis.instances, basis.as_of),
        "agg_hours_days": basis.hours_days(),
        "agg_meta": meta_row(basis.as_of, basis.settings, engine),
    }
    return Aggregates(frames)
