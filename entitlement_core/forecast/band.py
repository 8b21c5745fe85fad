"""The burn-down band: projected consumption day by day to the end of the term, with its interval.

For a chart of a few entitlements: for each day from the as-of day to the
end of the term, the expected cumulative consumption and the band between
its 10th and 90th percentiles, from the same posterior as :func:`.forecast`
(so the band's last day is ``projected_p10 .. projected_p90``, and the
allotment line crosses the band's edges on the run-out dates' days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from ..asof import AsOfLike
from .entitlements import as_of_dates
from .inputs import ForecastInputs
from .options import DEFAULT_OPTIONS, ForecastOptions
from .outcomes import Posterior, band_quantiles

__all__ = ["BAND_COLUMNS", "burn_band"]

#: Columns of :func:`burn_band`.
BAND_COLUMNS = ("entitlement_id", "date", "unit", "allotment", "projected", "projected_p10", "projected_p90")


def burn_band(
    inputs: ForecastInputs,
    entitlement_ids: Sequence[str],
    *,
    as_of: AsOfLike,
    options: ForecastOptions = DEFAULT_OPTIONS,
) -> pl.DataFrame:
    """Expected cumulative consumption and its 10-90 band per day, to the end of each term.

    Grain: one row per (entitlement, local day) from the as-of day (or the
    day before the term starts) to the end of the term; none for an ended
    term or an unknown id. On the first day the band is what was consumed.

    Parameters
    ----------
    inputs
        :func:`~.inputs.forecast_inputs` as of the same moment.
    entitlement_ids
        The entitlements to draw (a few: one row per remaining day each).
    as_of
        The as-of moment (timezone-aware), or a date (its end in each zone).
    options
        :class:`~.options.ForecastOptions`.

    Returns
    -------
    pl.DataFrame
        :data:`BAND_COLUMNS`, in the entitlement's unit.
    """
    from .projection import prepare

    wanted = inputs.entitlements.filter(pl.col("entitlement_id").is_in(list(entitlement_ids)))
    targets = as_of_dates(wanted, as_of).rename({"as_of_date": "cutoff_date"})
    earliest = targets.get_column("cutoff_date").min()
    profile = earliest.replace(day=1) if isinstance(earliest, dt.date) else None
    # Cohorts and seasons are fitted on every entitlement, as the forecast does.
    prep = prepare(inputs, targets, options=options, profile_date=profile)
    ctx, post = prep.ctx, prep.post
    end = ctx.arrays.end[ctx.i]
    days_ahead = np.maximum(end - prep.seen, 0)
    rows = np.repeat(np.arange(ctx.i.size), days_ahead + 1)
    offset = np.arange(rows.size) - np.repeat(np.cumsum(days_ahead + 1) - (days_ahead + 1), days_ahead + 1)
    day = prep.seen[rows] + offset
    exposure = ctx.season.exposure(ctx.profile[rows], ctx.arrays.zone[ctx.i][rows], prep.seen[rows] + 1, day)
    by_day = Posterior(
        is_hours=post.is_hours[rows],
        q=post.q[rows],
        r=post.r[rows],
        beta=post.beta[rows],
        exposure_left=exposure,
    )
    consumed = prep.figures["consumed"][rows]
    mean, low, high = band_quantiles(by_day, options.band)
    keep = days_ahead[rows] > 0
    unit = np.where(post.is_hours[rows], "hours", "cases")
    frame = pl.DataFrame(
        {
            "entitlement_id": prep.known.get_column("entitlement_id").gather(rows),
            "date": pl.Series(day, dtype=pl.Int64).cast(pl.Date),
            "unit": unit,
            "allotment": prep.allotment[rows],
            "projected": consumed + mean,
            "projected_p10": consumed + low,
            "projected_p90": consumed + high,
        },
        nan_to_null=True,
    )
    return frame.filter(pl.Series(keep)).select(BAND_COLUMNS)
