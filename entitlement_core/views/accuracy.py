"""The forecast's accuracy for admins: the backtest, the method beside the straight line per horizon."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["ACCURACY_MEASURES", "ForecastAccuracy", "forecast_accuracy"]

#: The backtest's measures shown side by side (``ours`` and ``straight_line``), with their labels.
#: The error is shown per unit (cases and hours apart), not the report's ``mae_units`` across both.
ACCURACY_MEASURES = {
    "mae_cases": "Mean error (cases)",
    "mae_hours": "Mean error (hours)",
    "mae_share_of_cap": "Mean error (share of cap)",
    "precision": "Precision of 'runs out'",
    "recall": "Recall of 'runs out'",
}


@dataclass(frozen=True)
class ForecastAccuracy:
    """What the admin section draws."""

    #: The ``forecast-backtest`` report as it is (one row per horizon and method).
    report: pl.DataFrame
    #: One row per horizon: ``horizon_days, terms, ran_out``, each measure as ``<measure>_ours`` and
    #: ``<measure>_straight_line``, and ``band_coverage`` (ours only).
    table: pl.DataFrame
    #: Horizons where the method beats the straight line on both error (share of cap) and precision.
    better: list[int]


def forecast_accuracy(basis: Basis, *, horizons: Sequence[int] | None = None) -> ForecastAccuracy:
    """The ``forecast-backtest`` report of ``basis``, laid out method beside straight line per horizon.

    Grain of ``table``: one row per horizon, ascending.
    """
    params = {} if horizons is None else {"horizons": tuple(horizons)}
    report = basis.mart("forecast-backtest", **params)
    measures = list(ACCURACY_MEASURES)
    wide = (
        report.pivot(on="method", index="horizon_days", values=measures)
        .join(
            report.filter(pl.col("method") == "ours").select(
                "horizon_days", "terms", "ran_out", "band_coverage"
            ),
            on="horizon_days",
            how="left",
        )
        .sort("horizon_days")
    )
    # Polars names pivoted columns ``<value>_<method>`` when several values are pivoted.
    columns = ["horizon_days", "terms", "ran_out"]
    for m in measures:
        columns += [c for c in (f"{m}_ours", f"{m}_straight_line") if c in wide.columns]
    table = wide.select(*columns, "band_coverage") if report.height else wide.clear()
    better = [
        int(r["horizon_days"])
        for r in table.iter_rows(named=True)
        if r.get("mae_share_of_cap_ours") is not None
        and r["mae_share_of_cap_ours"] < r["mae_share_of_cap_straight_line"]
        and (r["precision_ours"] or 0) > (r["precision_straight_line"] or 0)
    ]
    return ForecastAccuracy(report=report, table=table, better=better)
