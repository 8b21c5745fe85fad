"""The forecast of every entitlement as of a moment: the forecaster's public entry point."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..asof import AsOfLike, as_of_value
from .inputs import ForecastInputs
from .options import DEFAULT_OPTIONS, ForecastOptions
from .plans import recommend_plan
from .projection import PROJECTION_COLUMNS, project

__all__ = ["FORECAST_COLUMNS", "as_of_dates", "forecast"]

#: Columns of :func:`forecast`, in order.
FORECAST_COLUMNS = (
    "entitlement_id", "as_of_date", *PROJECTION_COLUMNS, "projected_annual_usage", "recommended_plan",
)  # fmt: skip


def as_of_dates(entitlements: pl.DataFrame, as_of: AsOfLike) -> pl.DataFrame:
    """``entitlement_id, as_of_date``: the as-of day in each entitlement's zone (a date: that date;
    a moment: its calendar day there; an unknown zone reads as UTC)."""
    value = as_of_value(as_of)
    zones = entitlements.get_column("timezone").fill_null("UTC").unique().sort().to_list()
    days = pl.DataFrame(
        {"_zone": zones, "as_of_date": [value.date_in(zone) for zone in zones]},  # one per zone, not row
        schema={"_zone": pl.String, "as_of_date": pl.Date},
    )
    return (
        entitlements.select("entitlement_id", pl.col("timezone").fill_null("UTC").alias("_zone"))
        .join(days, on="_zone", how="left", maintain_order="left")
        .select("entitlement_id", "as_of_date")
    )


def forecast(
    inputs: ForecastInputs, *, as_of: AsOfLike, options: ForecastOptions = DEFAULT_OPTIONS
) -> pl.LazyFrame:
    """Projection of every entitlement to the end of its term, as of a moment.

    Grain: one row per entitlement (any usage type or status), by
    ``entitlement_id``. Reads each entitlement's consumption up to its
    local as-of day (and seasonality, lump size and cohort priors from the
    complete months before it), never later.

    Parameters
    ----------
    inputs
        :func:`~.inputs.forecast_inputs` (built as of the same moment: the
        as-of day itself is read as far as the inputs go).
    as_of
        The as-of moment (timezone-aware).
    options
        :class:`~.options.ForecastOptions`.

    Returns
    -------
    pl.LazyFrame
        :data:`FORECAST_COLUMNS` (in memory). Rates are per average day
        (seasonally adjusted); consumption, intervals and shortfall are in
        the entitlement's ``unit`` (cases or hours, never mixed); the
        interval is ``projected_p10 .. projected_p90``; ``prob_run_out`` and
        ``expected_shortfall`` are null when unlimited; a run-out date is
        null when the term is not that likely to run out within it;
        ``recommended_plan`` is the smallest plan of the same usage type
        covering the projection (:func:`~.plans.recommend_plan`).

    Examples
    --------
    A renewal two days old whose previous term used 73 cases (its plan's
    terms, widely spread, average about 11 a year) projects about 73 cases
    for its year (``prior_source = "chain"``, ``weight_own`` below 0.01),
    where its own two days alone would say 0 or 180.
    """
    targets = as_of_dates(inputs.entitlements, as_of).rename({"as_of_date": "cutoff_date"})
    # One seasonal profile for all: the as-of month of the zone that is furthest behind.
    earliest = targets.get_column("cutoff_date").min()
    profile = earliest.replace(day=1) if isinstance(earliest, dt.date) else None
    projected = project(inputs, targets, options=options, profile_date=profile).rename(
        {"cutoff_date": "as_of_date"}
    )
    return (
        recommend_plan(projected.lazy(), inputs.plans.lazy())
        .select(FORECAST_COLUMNS)
        .sort("entitlement_id")
        .collect()
        .lazy()
    )
