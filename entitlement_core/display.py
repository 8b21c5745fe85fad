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

__all__ = ["PROJECTION_DECIMALS", "in_units", "money", "projected", "projection", "ratio"]

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
