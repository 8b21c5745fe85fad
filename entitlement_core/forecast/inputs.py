"""What the forecaster reads: daily consumption and the entitlements' terms, as of a moment.

The forecaster itself (:mod:`.projection`) is a pure function of a
:class:`ForecastInputs` bundle. :func:`forecast_inputs` builds one from the
native tables through the consumption ledger; it is the only place that
knows where the figures come from, so a shared intermediate layer can
replace it without touching the forecaster.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from ..staging import Tables

__all__ = [
    "DAILY_SCHEMA",
    "ENTITLEMENT_SCHEMA",
    "PLAN_SCHEMA",
    "ForecastInputs",
    "daily_consumption",
    "forecast_inputs",
]

#: One row per (entitlement, local day) with consumption.
DAILY_SCHEMA: dict[str, pl.DataType] = {
    "entitlement_id": pl.String(),
    "consumed_date": pl.Date(),
    "quantity": pl.Float64(),
    "quantity_sq": pl.Float64(),
}
#: One row per entitlement.
ENTITLEMENT_SCHEMA: dict[str, pl.DataType] = {
    "entitlement_id": pl.String(),
    "account_id": pl.String(),
    "usage_type": pl.String(),
    "plan": pl.String(),
    "cap": pl.Float64(),
    "allotment": pl.Float64(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "timezone": pl.String(),
    "renewal_of": pl.String(),
    "chain_root_id": pl.String(),
    "term_index": pl.Int64(),
}
#: One row per plan.
PLAN_SCHEMA: dict[str, pl.DataType] = {
    "plan": pl.String(),
    "usage_type": pl.String(),
    "cap": pl.Float64(),
    "annual_price": pl.Float64(),
}


@dataclass(frozen=True)
class ForecastInputs:
    """The forecaster's inputs (all in memory; small but for ``daily``).

    Attributes
    ----------
    daily
        Grain: one row per (entitlement, local calendar day) with consumption
        inside the term and not after the as-of moment: ``entitlement_id,
        consumed_date, quantity`` (cases, or hours) and ``quantity_sq`` (the
        sum over the day's cases of the square of each case's quantity that
        day: equal to ``quantity`` for cases; for hours it measures how
        lumpy consumption is).
    entitlements
        Grain: one row per entitlement: ``entitlement_id, account_id,
        usage_type, plan, cap`` (its own), ``allotment`` (cap plus grants
        where known, else the cap; null when unlimited), ``start_date,
        end_date, timezone`` (of its term days), ``renewal_of``,
        ``chain_root_id, term_index`` (its renewal chain: the first term and
        its position, 1 for the first).
    plans
        Grain: one row per plan: ``plan, usage_type, cap`` (null:
        unlimited), ``annual_price``.
    """

    daily: pl.DataFrame
    entitlements: pl.DataFrame
    plans: pl.DataFrame

    @classmethod
    def from_frames(
        cls,
        daily: pl.DataFrame | None = None,
        entitlements: pl.DataFrame | None = None,
        plans: pl.DataFrame | None = None,
    ) -> ForecastInputs:
        """A bundle from (possibly partial) frames: absent columns become typed nulls.

        ``allotment`` defaults to ``cap``; ``chain_root_id`` and
        ``term_index`` are derived from ``renewal_of`` when absent.
        """
        ents = _conform(entitlements, ENTITLEMENT_SCHEMA)
        repeated = ents.filter(pl.col("entitlement_id").is_duplicated()).get_column("entitlement_id").unique()
        if repeated.len():
            raise ValueError(
                f"entitlement_id must be unique; repeated: {', '.join(sorted(repeated.to_list()))}"
            )
        given = set(entitlements.columns) if entitlements is not None else set()
        if "allotment" not in given:
            ents = ents.with_columns(pl.col("cap").alias("allotment"))
        if "chain_root_id" not in given:
            ents = ents.drop("chain_root_id", "term_index").join(
                _chains(ents), on="entitlement_id", how="left", maintain_order="left"
            )
        return cls(
            daily=_conform(daily, DAILY_SCHEMA),
            entitlements=ents.select(list(ENTITLEMENT_SCHEMA)),
            plans=_conform(plans, PLAN_SCHEMA),
        )


def _conform(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if frame is None:
        return pl.DataFrame(schema=schema)
    return frame.select(
        [
            pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in schema.items()
        ]
    )


def _chains(entitlements: pl.DataFrame) -> pl.DataFrame:
    from ..usage.renewals import renewal_chains

    return (
        renewal_chains(entitlements.lazy()).select("entitlement_id", "chain_root_id", "term_index").collect()
    )


def daily_consumption(ledger: pl.LazyFrame) -> pl.LazyFrame:
    """Per-entitlement-per-local-day consumption of a ledger.

    Grain: one row per (``entitlement_id``, ``consumed_date``) with
    consumption. ``ledger`` has the columns of
    :func:`~entitlement_core.usage.ledger.consumption_ledger`. Cases add 1
    each to ``quantity`` and ``quantity_sq``; the time entries of one case
    on one day add up to that case's hours ``h`` for the day, and ``h`` to
    ``quantity``, ``h**2`` to ``quantity_sq``. Every figure is a sum, so the
    days of disjoint slices of cases add up.
    """
    is_case = pl.col("source") == "case"
    cases = (
        ledger.filter(is_case)
        .group_by("entitlement_id", "consumed_date")
        .agg(pl.col("quantity").sum(), pl.col("quantity").sum().alias("quantity_sq"))
    )
    hours = (
        ledger.filter(~is_case)
        .group_by("entitlement_id", "consumed_date", "case_id")
        .agg(pl.col("quantity").sum())
        .group_by("entitlement_id", "consumed_date")
        .agg(pl.col("quantity").sum(), (pl.col("quantity") ** 2).sum().alias("quantity_sq"))
    )
    return pl.concat([cases, hours], how="vertical").select(list(DAILY_SCHEMA))


def forecast_inputs(tables: Tables, *, as_of: dt.datetime) -> ForecastInputs:
    """The forecaster's inputs from the native tables, as of a moment.

    The daily consumption comes from the consumption ledger (DOMAIN.md,
    "Consumption rules"), the allotment from the grant drawdown where an
    entitlement has grants of its own resource (as utilization computes
    it), the renewal chains from ``renewal_of``.

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of moment (timezone-aware); later consumption is not read.
    """
    from ..usage.ledger import consumption_ledger
    from ..usage.terms import check_as_of, entitlement_terms, known_zones
    from ..usage.utilization import with_grant_allotment

    as_of = check_as_of(as_of)
    zones = known_zones(tables)
    terms = entitlement_terms(tables, as_of=as_of, zones=zones).collect()
    ledger = (
        consumption_ledger(tables, as_of=as_of)
        .select("entitlement_id", "source", "case_id", "consumed_at", "consumed_date", "quantity")
        .collect()
    )
    daily = daily_consumption(ledger.lazy()).collect()
    granted = tables.grants.select("entitlement_id").unique().collect().get_column("entitlement_id")
    units = (
        ledger.lazy()
        .filter(pl.col("entitlement_id").is_in(granted.implode()))
        .join(terms.lazy().select("entitlement_id", "_ent"), on="entitlement_id")
        .select("_ent", "consumed_at", "quantity")
        .collect()
    )
    allotted = with_grant_allotment(terms, units, tables.grants, tables.usage_events, as_of=as_of)
    entitlements = allotted.select(
        *[c for c in ENTITLEMENT_SCHEMA if c not in ("allotment", "cap", "chain_root_id", "term_index")],
        pl.col("anchor_cap").fill_nan(None).alias("cap"),
        pl.when(pl.col("usage_type") != "none").then(pl.col("cap").fill_nan(None)).alias("allotment"),
    )
    plans = tables.plans.select(list(PLAN_SCHEMA)).collect()
    return ForecastInputs.from_frames(daily=daily, entitlements=entitlements, plans=plans)
