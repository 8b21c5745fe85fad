"""From exact figures to the numbers people read: the one place quantities and money become floats.

The intermediate layer keeps quantities exact (``Decimal`` base units:
cases, or minutes for hours) and money exact (``Decimal``). Marts show:

- quantities in the entitlement's unit (:func:`in_units`): cases, or hours
  (minutes / 60), one division, no accumulated drift;
- money as plain numbers (:func:`money`);
- ratios and projections (:func:`ratio`) as one division of exact
  numerator and denominator; projections that do not terminate are shown
  to :data:`PROJECTION_DECIMALS` decimals (:func:`projection`), the
  precision reports have always used for them.
"""

from __future__ import annotations

import polars as pl

__all__ = ["PROJECTION_DECIMALS", "duration_text", "in_units", "money", "projected", "projection", "ratio"]

#: Decimals shown for projected quantities (projected at end, shortfall, annual usage).
PROJECTION_DECIMALS = 6


def _f(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Float64)


def in_units(base: str | pl.Expr, factor: str | pl.Expr = "factor") -> pl.Expr:
    """A base-unit quantity in the entitlement's unit (cases, or hours from minutes), as a float."""
    b = pl.col(base) if isinstance(base, str) else base
    f = pl.col(factor) if isinstance(factor, str) else factor
    return _f(b) / _f(f)


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """``numerator / denominator`` as a float: one division of exact values (null when either is)."""
    return _f(numerator) / _f(denominator)


def projected(value: pl.Expr) -> pl.Expr:
    """A projected quantity as shown: to :data:`PROJECTION_DECIMALS` decimals."""
    return value.round(PROJECTION_DECIMALS)


def projection(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """A projected quantity (one division of exact values), shown to :data:`PROJECTION_DECIMALS` decimals."""
    return projected(ratio(numerator, denominator))


def money(value: str | pl.Expr) -> pl.Expr:
    """An exact amount of money as a plain number."""
    return _f(pl.col(value) if isinstance(value, str) else value)


def duration_text(minutes: str | pl.Expr) -> pl.Expr:
    """A number of minutes as people read it: ``16 d 16 h``, ``3 h 5 min``, ``45 min`` (a minus
    sign when negative: a margin missed); null stays null.

    >>> pl.select(duration_text(pl.lit(1441513.0))).item()
    '1001 d 1 h'
    """
    col = pl.col(minutes) if isinstance(minutes, str) else minutes
    whole = col.abs().round(0).cast(pl.Int64)
    days, hours, mins = whole // 1440, (whole % 1440) // 60, whole % 60
    sign = pl.when(col <= -0.5).then(pl.lit("-")).otherwise(pl.lit(""))
    text = (
        pl.when(days > 0)
        .then(pl.format("{} d {} h", days, hours))
        .when(hours > 0)
        .then(pl.format("{} h {} min", hours, mins))
        .otherwise(pl.format("{} min", mins))
    )
    return pl.when(col.is_not_null()).then(sign + text)
