"""The straight-line projection, decided on exact figures.

DOMAIN.md, "Burn rate, projection, upsell, renewal": the burn rate is the
consumption per day over the trailing window; projected consumption at the
end of the term follows from it. Here projections are exact fractions of
base quantities (cases, or minutes): the burn rate is ``window_base /
window_days``; ``projected_at_end`` is ``consumed`` once no day is left,
else ``consumed + burn_rate * days_left``.

These are the plain arithmetic figures of the utilization report and the
backtest's baseline. What the pages rank and recommend by (expected
consumption, its interval, the probability of running out, the
recommended plan) is the forecast's (:mod:`entitlement_core.forecast`).
"""

from __future__ import annotations

import polars as pl

from ..display import projection
from ..kernels.ledger import QUANTITY

__all__ = ["projected_at_end", "projected_shortfall"]


def _q(e: pl.Expr | str) -> pl.Expr:
    return (pl.col(e) if isinstance(e, str) else e).cast(QUANTITY)


def _at_end() -> tuple[pl.Expr, pl.Expr]:
    """Projected consumption at the end of the term as an exact fraction (numerator, denominator)."""
    done = pl.col("days_left") == 0
    num = _q("consumed_base") * _q("window_days") + _q("window_base") * _q("days_left")
    numerator = pl.when(done).then(_q("consumed_base")).when(pl.col("window_days").is_not_null()).then(num)
    denominator = pl.when(done).then(pl.lit(1)).otherwise(pl.col("window_days")).cast(QUANTITY)
    return numerator, denominator


def projected_at_end() -> pl.Expr:
    """``projected_at_end`` in the entitlement's unit (shown to 6 decimals)."""
    num, den = _at_end()
    return projection(num, den * pl.col("factor"))


def projected_shortfall() -> pl.Expr:
    """``projected_at_end - cap`` in the entitlement's unit (shown to 6 decimals)."""
    num, den = _at_end()
    return projection(num - pl.col("cap_base") * den, den * pl.col("factor"))
