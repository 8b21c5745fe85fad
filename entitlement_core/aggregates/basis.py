"""The intermediate layer over aggregate tables: every report without the case-sized rows.

:class:`AggregateBasis` is a :class:`~entitlement_core.basis.Basis` whose
row-proportional results come from the aggregate tables
(:mod:`entitlement_core.aggregates`) instead of the kernels: the rest (terms,
the grant drawdown's draw, positions, statuses, projections, every mart) is
the same code. It answers at the aggregation's as-of value only; row-level
lists carry what the aggregates carry (overage units; open, at-risk, paused
and recently violated milestone instances).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ..basis import Basis, GrantDrawdown, SlaParts
from ..kernels.consumption import DAILY_SCHEMA, TOTALS_SCHEMA, Consumption
from ..kernels.ledger import QUANTITY
from ..kernels.rows import DEMAND_SCHEMA, OVERAGE_SCHEMA, REACHED_SCHEMA, consumption_order
from ..usage import positions as pos
from . import Aggregates, numbered

__all__ = ["LIMITED_REPORTS", "AggregateAsOfError", "AggregateBasis"]

#: Reports whose rows come from case-level lists that aggregates do not carry (or carry in part).
LIMITED_REPORTS = {
    "milestones": "open, at-risk, paused and recently violated milestone instances only",
    "unmatched-cases": "no rows: cases are not in an aggregates store",
    "out-of-term-cases": "no rows: cases are not in an aggregates store",
    "reconciliation": "deleted and out-of-term counts are not in an aggregates store",
    "milestone-reconciliation": "no rows: milestone records are not in an aggregates store",
    "pauses": "no rows: the case status history is not in an aggregates store",
}


class AggregateAsOfError(ValueError):
    """A figure was asked for at another as-of value than the aggregation's."""


class AggregateBasis(Basis):
    """A :class:`Basis` whose case-sized results are read from aggregate tables (see the module notes)."""

    def __init__(self, tables: Any, *, as_of: Any, settings: Any = None) -> None:
        super().__init__(tables, as_of=as_of, settings=settings)
        self.aggregates: Aggregates = tables.aggregates
        wanted = self.aggregates.as_of
        if self.as_of != wanted:
            raise AggregateAsOfError(
                f"this database holds aggregates as of {wanted}; figures are available as of that value "
                f"only, not {self.as_of}"
            )
        meta = self.aggregates.meta
        if meta["burn_window_days"] != self.settings.burn_window_days or not _close(
            meta["at_risk_fraction"], self.settings.at_risk_fraction
        ):
            # The kernels used these settings: the aggregates answer for them.
            self.settings = self.settings.model_copy(
                update={
                    "burn_window_days": meta["burn_window_days"],
                    "at_risk_fraction": meta["at_risk_fraction"],
                }
            )

    def _table(self, name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        return numbered(self.aggregates[name], self.terms, schema)

    @property
    def units(self) -> pl.DataFrame:
        raise NotImplementedError("an aggregates store has no ledger units: read the aggregate tables")

    def units_of(self, entitlements: pl.Series) -> pl.DataFrame:
        raise NotImplementedError("an aggregates store has no ledger units: read the aggregate tables")

    @property
    def consumption(self) -> Consumption:
        return self.once(
            "consumption", lambda: Consumption(self._table("agg_daily", DAILY_SCHEMA), self.totals)
        )

    @property
    def totals(self) -> pl.DataFrame:
        return self.once("totals", lambda: self._table("agg_totals", TOTALS_SCHEMA))

    def hours_days(self) -> pl.DataFrame:
        return self.aggregates["agg_hours_days"]

    def _grants(self) -> GrantDrawdown:
        plan = self.drawdown_plan()
        if plan is None:
            return GrantDrawdown(*pos.empty_drawdown())
        keyed, context, _ = plan
        keys = context.keys.select("_k", "_ent", "resource")
        columns = {"_ent": pl.UInt32(), "resource": pl.String(), "segment": pl.Int64(), "demand": QUANTITY}
        stored = self._table("agg_demand", columns)
        demand = stored.join(keys, on=["_ent", "resource"], how="inner").select(
            [pl.col(c).cast(t) for c, t in DEMAND_SCHEMA.items()]
        )
        return self._draw(keyed, context, demand)

    def _cap_reached(self, reached: pl.DataFrame) -> pl.DataFrame:
        found = self._table("agg_cap_reached", REACHED_SCHEMA)
        return found.join(reached.select("_ent"), on="_ent", how="semi")

    def _overage_units(self) -> pl.DataFrame:
        return consumption_order(self._table("agg_overage_units", OVERAGE_SCHEMA))

    def milestone_instances(self, started_from: dt.datetime | None = None) -> pl.DataFrame:
        rows = self.aggregates["agg_instances"]
        if started_from is not None:
            rows = rows.filter(pl.col("started_at") >= started_from)
        return rows

    def sla(self, started_from: dt.datetime | None = None) -> SlaParts:
        counts, margins = self.aggregates["agg_sla_counts"], self.aggregates["agg_sla_margins"]
        if started_from is not None:
            start = started_from.astimezone(dt.UTC)
            if start.time() != dt.time(0):
                raise AggregateAsOfError(
                    "aggregates count milestones per UTC day started: start at midnight UTC"
                )
            day = start.date()
            counts = counts.filter(pl.col("started_date") >= day)
            # Margins are kept per week: the weeks from the one holding that day.
            margins = margins.filter(pl.col("week_start_date") >= day - dt.timedelta(days=day.weekday()))
        return SlaParts(counts, margins)


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-12
