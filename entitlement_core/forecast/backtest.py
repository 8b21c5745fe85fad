"""The backtest: every ended term predicted N days before its end, then compared with what happened.

For each horizon N and each term with an allotment (cases or hours) that
ended before the as-of day and had started N days before its end, both
methods predict as of the end of the local day ``end_date - N``, reading
nothing later:

- ``ours``: :func:`~.projection.project` (credibility blend, seasonality,
  interval); it predicts a run-out when ``prob_run_out`` reaches
  ``options.run_out_probability`` (0.5);
- ``straight_line``: the utilization rule (burn rate over the trailing
  window clipped to the term, times the days left), computed by the same
  expressions as the utilization report; it predicts a run-out when its
  projection reaches the cap.

A term *ran out* when its consumption at the end reached its cap. Terms
ending after the last day with any recorded consumption are left out (their
outcome is not known yet). The
allotment used by both is the entitlement's own cap (packs bought later, in
answer to running out, would blur the question). The measures, per
horizon and method: mean absolute error of consumption at the end (in the
term's unit, and as a share of its cap), precision and recall of "runs
out", and for ours the share of outcomes inside the 10-90 band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl

from .entitlements import as_of_dates
from .evidence import DailyIndex
from .inputs import ForecastInputs, shared_inputs
from .options import DEFAULT_OPTIONS, ForecastOptions
from .projection import project
from .seasonality import to_days

if TYPE_CHECKING:
    from ..asof import AsOfLike
    from ..basis import Basis

__all__ = [
    "BACKTEST_COLUMNS",
    "DEFAULT_HORIZONS",
    "backtest",
    "backtest_predictions",
    "forecast_backtest_report",
    "parse_horizons",
]

DEFAULT_HORIZONS = (30, 90, 180)
#: Columns of :func:`backtest`: the required ones, then the error per unit and the count that ran out.
BACKTEST_COLUMNS = (
    "horizon_days", "method", "terms", "mae_units", "mae_share_of_cap", "precision", "recall",
    "band_coverage", "mae_cases", "mae_hours", "ran_out",
)  # fmt: skip
_METHODS = ("ours", "straight_line")


def parse_horizons(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"30,90,180"`` (or integers) as sorted distinct positive day counts; a clear error otherwise."""
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    try:
        days = sorted({int(p) for p in parts if str(p) != ""})
    except ValueError:
        raise ValueError(
            f"horizons must be whole numbers of days separated by commas, got {text!r}"
        ) from None
    if not days or days[0] < 1:
        raise ValueError(f"horizons must be positive numbers of days, got {text!r}")
    return tuple(days)


def _ended_terms(inputs: ForecastInputs, as_of: AsOfLike) -> pl.DataFrame:
    """Terms with a cap (cases or hours) that ended before the as-of day, with what they consumed.

    A term must also have ended before the last day any consumption was
    recorded: a database whose data stop earlier (a demo built for another
    day) would otherwise report terms whose last weeks were never recorded.
    """
    ents = inputs.entitlements
    totals = inputs.daily.group_by("entitlement_id").agg(pl.col("quantity").sum().alias("actual_at_end"))
    last_day = inputs.daily.get_column("consumed_date").max()
    recorded = pl.lit(True) if last_day is None else pl.col("end_date") < pl.lit(last_day)
    return (
        ents.join(as_of_dates(ents, as_of), on="entitlement_id")
        .filter(
            (pl.col("end_date") < pl.col("as_of_date"))
            & recorded
            & pl.col("usage_type").is_in(["cases", "hours"])
            & (pl.col("cap") > 0)
        )
        .join(totals, on="entitlement_id", how="left")
        .select("entitlement_id", "cap", pl.col("actual_at_end").fill_null(0.0))
    )


def _straight_line(inputs: ForecastInputs, targets: pl.DataFrame, burn_window_days: int) -> pl.DataFrame:
    """The utilization report's projection at each target's cut-off day (its own rules, exact)."""
    from ..kernels.ledger import QUANTITY
    from ..usage.plans import projected_at_end
    from ..usage.positions import window_rules

    ents = inputs.entitlements.with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64))
    frame = targets.join(
        ents.select("entitlement_id", "_i", "usage_type", "start_date", "end_date"),
        on="entitlement_id",
        maintain_order="left",
    ).with_columns(pl.col("cutoff_date").alias("as_of_date"))
    frame = window_rules(frame.lazy(), burn_window_days).collect()
    starts = to_days(ents.get_column("start_date"))
    first = int(starts.min()) - 1 if starts.size else 0
    index = DailyIndex.build(inputs.daily, ents.get_column("entitlement_id"), first)
    i = frame.get_column("_i").to_numpy()
    cut = to_days(frame.get_column("cutoff_date"))
    window_start = to_days(frame.get_column("window_start_date"))
    consumed = index.units(i, cut)
    # The forecaster's daily figures are floats in the term's unit (cases, or hours of whole minutes): back
    # to exact base units for the rule (the 6-decimal rounding removes the float's last bits, nothing more).
    factor = pl.when(pl.col("usage_type") == "hours").then(60).otherwise(1)
    base = lambda name, values: (pl.Series(name, values) * factor).round(6).cast(QUANTITY)  # noqa: E731
    return frame.with_columns(
        base("consumed_base", consumed),
        base("window_base", consumed - index.units(i, window_start - 1)),
        factor.cast(QUANTITY).alias("factor"),
    ).select("_key", projected_at_end().cast(pl.Float64).alias("projected_at_end"))


def backtest_predictions(
    inputs: ForecastInputs,
    *,
    as_of: AsOfLike,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    options: ForecastOptions = DEFAULT_OPTIONS,
    burn_window_days: int = 90,
) -> pl.DataFrame:
    """Both methods' predictions for every ended term at every horizon, beside the outcome.

    Grain: one row per (term, horizon, method): ``horizon_days, method,
    entitlement_id, usage_type, cap, cutoff_date, predicted_at_end, p10,
    p90`` (ours only), ``predicted_run_out, actual_at_end, ran_out``.
    """
    horizons = parse_horizons(horizons)
    inputs = replace(inputs, entitlements=inputs.entitlements.with_columns(pl.col("cap").alias("allotment")))
    ended = _ended_terms(inputs, as_of)
    terms = ended.join(
        inputs.entitlements.select("entitlement_id", "usage_type", "start_date", "end_date"),
        on="entitlement_id",
    )
    targets = (
        terms.join(
            pl.DataFrame({"horizon_days": list(horizons)}, schema={"horizon_days": pl.Int64}), how="cross"
        )
        .with_columns((pl.col("end_date") - pl.duration(days=pl.col("horizon_days"))).alias("cutoff_date"))
        .filter(pl.col("cutoff_date") >= pl.col("start_date"))
        .sort("horizon_days", "entitlement_id")
        .with_row_index("_key")
        .select("_key", "entitlement_id", "cutoff_date", "horizon_days", "actual_at_end")
    )
    ours = project(inputs, targets, options=options)
    line = _straight_line(inputs, targets.select("_key", "entitlement_id", "cutoff_date"), burn_window_days)
    reached = pl.col("actual_at_end") >= pl.col("cap") - 1e-9
    common = ["horizon_days", "entitlement_id", "usage_type", "cap", "cutoff_date", "actual_at_end"]
    ours_rows = ours.select(
        pl.lit("ours").alias("method"),
        *[c if c != "cap" else pl.col("allotment").alias("cap") for c in common],
        pl.col("projected_at_end").alias("predicted_at_end"),
        pl.col("projected_p10").alias("p10"),
        pl.col("projected_p90").alias("p90"),
        (pl.col("prob_run_out") >= options.run_out_probability).alias("predicted_run_out"),
    )
    line_rows = (
        ours.select("_key", *[c if c != "cap" else pl.col("allotment").alias("cap") for c in common])
        .join(line, on="_key", how="inner")
        .select(
            pl.lit("straight_line").alias("method"),
            *common,
            pl.col("projected_at_end").alias("predicted_at_end"),
            pl.lit(None, dtype=pl.Float64).alias("p10"),
            pl.lit(None, dtype=pl.Float64).alias("p90"),
            (pl.col("projected_at_end") >= pl.col("cap") - 1e-9).alias("predicted_run_out"),
        )
    )
    return pl.concat([ours_rows, line_rows]).with_columns(reached.alias("ran_out")).select(
        "horizon_days", "method", "entitlement_id", "usage_type", "cap", "cutoff_date",
        "predicted_at_end", "p10", "p90", "predicted_run_out", "actual_at_end", "ran_out",
    )  # fmt: skip


def backtest(
    inputs: ForecastInputs,
    *,
    as_of: AsOfLike,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    options: ForecastOptions = DEFAULT_OPTIONS,
    burn_window_days: int = 90,
) -> pl.DataFrame:
    """Scores of both methods per horizon.

    Grain: one row per (horizon, method), horizons ascending, ``ours``
    first: :data:`BACKTEST_COLUMNS`. ``mae_units`` averages each term's
    absolute error in its own unit (a case, an hour); ``mae_cases`` and
    ``mae_hours`` keep them apart. ``precision`` is null when a method
    predicted no run-out at all; ``band_coverage`` is null for the
    straight line (it has no interval).
    """
    rows = backtest_predictions(
        inputs, as_of=as_of, horizons=horizons, options=options, burn_window_days=burn_window_days
    )
    return _scores(rows, parse_horizons(horizons))


def _scores(rows: pl.DataFrame, horizons: Sequence[int]) -> pl.DataFrame:
    """Scores of :func:`backtest_predictions` rows, one row per (horizon, method) of the grid."""
    err = (pl.col("predicted_at_end") - pl.col("actual_at_end")).abs()
    hit = pl.col("predicted_run_out") & pl.col("ran_out")
    inside = (pl.col("actual_at_end") >= pl.col("p10") - 1e-9) & (
        pl.col("actual_at_end") <= pl.col("p90") + 1e-9
    )
    scores = rows.group_by("horizon_days", "method").agg(
        pl.len().cast(pl.Int64).alias("terms"),
        err.mean().alias("mae_units"),
        (err / pl.col("cap")).mean().alias("mae_share_of_cap"),
        (hit.sum() / pl.col("predicted_run_out").sum()).alias("precision"),
        (hit.sum() / pl.col("ran_out").sum()).alias("recall"),
        inside.filter(pl.col("p10").is_not_null()).mean().alias("band_coverage"),
        err.filter(pl.col("usage_type") == "cases").mean().alias("mae_cases"),
        err.filter(pl.col("usage_type") == "hours").mean().alias("mae_hours"),
        pl.col("ran_out").sum().cast(pl.Int64).alias("ran_out"),
    )
    grid = pl.DataFrame(
        [(h, m) for h in horizons for m in _METHODS],
        schema={"horizon_days": pl.Int64, "method": pl.String},
        orient="row",
    )
    return (
        grid.join(scores, on=["horizon_days", "method"], how="left", maintain_order="left")
        .with_columns(
            pl.col("terms").fill_null(0),
            pl.col("ran_out").fill_null(0),
            pl.col("precision", "recall").fill_nan(None),
        )
        .with_columns(pl.col(pl.Float64).round(6))
        .select(BACKTEST_COLUMNS)
    )


def forecast_backtest_report(basis: Basis, *, horizons: Sequence[int] | None = None) -> pl.DataFrame:
    """``report forecast-backtest``: both methods' scores per horizon on every ended term.

    Grain: one row per (horizon, method) (:func:`backtest`). The straight
    line uses the settings' burn window, as the utilization report does.
    """
    inputs = shared_inputs(basis)
    return backtest(
        inputs,
        as_of=basis.as_of,
        horizons=DEFAULT_HORIZONS if horizons is None else horizons,
        burn_window_days=basis.settings.burn_window_days,
    )
