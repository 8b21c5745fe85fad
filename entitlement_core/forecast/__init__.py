"""Forecasts of consumption to the end of each term, with their uncertainty, scored by backtest.

Pure Polars and NumPy transforms (no database, no UI). The public surface:

- :func:`forecast_inputs` (native tables -> :class:`ForecastInputs`: daily
  consumption per entitlement, terms, plans) and :func:`forecast` (one row
  per entitlement as of a moment);
- :func:`project`: the same projection for any (entitlement, cut-off day)
  pairs, each read only up to its own cut-off;
- :func:`recommend_plan`: the smallest covering plan of the same usage type;
- :func:`burn_band`: expected cumulative consumption and its 10-90 band per
  day to the end of the term, for a burn-down chart;
- :func:`backtest`: every ended term predicted N days before its end, scored
  against what happened and against the straight-line projection.
"""

from .backtest import BACKTEST_COLUMNS, DEFAULT_HORIZONS, backtest, backtest_predictions
from .band import BAND_COLUMNS, burn_band
from .entitlements import FORECAST_COLUMNS, as_of_dates, forecast
from .inputs import ForecastInputs, daily_consumption, forecast_inputs, shared_inputs
from .options import DEFAULT_OPTIONS, ForecastOptions
from .plans import CUSTOM_QUOTE, recommend_plan
from .projection import PROJECTION_COLUMNS, project

__all__ = [
    "BACKTEST_COLUMNS",
    "BAND_COLUMNS",
    "CUSTOM_QUOTE",
    "DEFAULT_HORIZONS",
    "DEFAULT_OPTIONS",
    "FORECAST_COLUMNS",
    "PROJECTION_COLUMNS",
    "ForecastInputs",
    "ForecastOptions",
    "as_of_dates",
    "backtest",
    "backtest_predictions",
    "burn_band",
    "daily_consumption",
    "forecast",
    "forecast_inputs",
    "project",
    "recommend_plan",
    "shared_inputs",
]
