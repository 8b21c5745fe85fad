"""What the forecaster reads: daily consumption and the entitlements' terms, as of a moment.

The forecaster itself (:mod:`.projection`) is a pure function of a
:class:`ForecastInputs` bundle. :func:`forecast_inputs` builds one from the
shared intermediate layer (:class:`~entitlement_core.basis.Basis`): the
consumption per entitlement and local day of the consumption kernel, the
terms and allotments of the positions, the renewal chains of the renewal
rules; it is the only place that knows where the figures come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..staging import Tables

if TYPE_CHECKING:
    from ..asof import AsOfLike
    from ..basis import Basis
    from ..settings import Settings

__all__ = [
    "DAILY_SCHEMA",
    "ENTITLEMENT_SCHEMA",
    "PLAN_SCHEMA",
    "ForecastInputs",
    "daily_consumption",
    "forecast_inputs",
    "shared_inputs",
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
    from ..renewals.rules import renewal_chains

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


def forecast_inputs(
    source: Tables | Basis, *, as_of: AsOfLike | None = None, settings: Settings | None = None
) -> ForecastInputs:
    """The forecaster's inputs as of a moment (or a date: the end of that day in each zone).

    The daily consumption is the consumption kernel's (DOMAIN.md,
    "Consumption rules"; per entitlement and local day), with the squares of
    each case's hours per day for ``hours``; the allotment is the positions'
    (the grant drawdown's where an entitlement has grants of its own
    resource, as utilization computes it); the renewal chains follow
    ``renewal_of``.

    Parameters
    ----------
    source
        The intermediate layer of the data and as-of value (shared with the
        reports), or the native tables (a basis is made for ``as_of``).
    as_of
        With tables: the as-of value; later consumption is not read.
    settings
        With tables: the settings (defaults when omitted).
    """
    from ..basis import Basis
    from ..kernels.ledger import with_local_days

    if isinstance(source, Basis):
        basis = source
    else:
        if as_of is None:
            raise TypeError("forecast_inputs(tables) needs an as_of value")
        basis = Basis(source, as_of=as_of, settings=settings)
    terms = basis.terms
    per_day = basis.consumption.daily.join(
        terms.select("_ent", "entitlement_id", "is_hours"), on="_ent", how="inner"
    )
    cases = per_day.filter(~pl.col("is_hours")).select(
        "entitlement_id",
        "consumed_date",
        pl.col("quantity").cast(pl.Float64),
        pl.col("quantity").cast(pl.Float64).alias("quantity_sq"),
    )
    # Hours: each case's minutes per day (the entries of one case on one day are one lump).
    hours_ents = terms.filter(pl.col("is_hours")).get_column("_ent")
    per_case = (
        with_local_days(basis.units_of(hours_ents), basis.context)
        .group_by("_ent", "consumed_date", "case_id")
        .agg((pl.col("quantity").sum().cast(pl.Float64) / 60).alias("hours"))
        .group_by("_ent", "consumed_date")
        .agg(pl.col("hours").sum().alias("quantity"), (pl.col("hours") ** 2).sum().alias("quantity_sq"))
        .join(terms.lazy().select("_ent", "entitlement_id"), on="_ent", how="inner")
        .select(list(DAILY_SCHEMA))
        .collect()
    )
    daily = pl.concat([cases, per_case], how="vertical")
    positions = basis.positions
    entitlements = positions.select(
        *[c for c in ENTITLEMENT_SCHEMA if c not in ("allotment", "cap", "chain_root_id", "term_index")],
        pl.col("anchor_cap").fill_nan(None).alias("cap"),
        pl.when(pl.col("usage_type") != "none")
        .then((pl.col("cap_base") / pl.col("factor")).cast(pl.Float64))
        .alias("allotment"),
    )
    plans = basis.tables.plans.select(list(PLAN_SCHEMA)).collect()
    return ForecastInputs.from_frames(daily=daily, entitlements=entitlements, plans=plans)


def shared_inputs(basis: Basis) -> ForecastInputs:
    """:func:`forecast_inputs` of ``basis``, built once per basis (the forecast, its band and the
    backtest of one data version and as-of value read the same bundle)."""
    return basis.once("forecast_inputs", lambda: forecast_inputs(basis))
