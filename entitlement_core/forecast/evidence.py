"""Evidence about a rate: what an entitlement consumed up to a cut-off day, and over what exposure.

*Evidence* of an entitlement up to a cut-off day is what it consumed from
the start of its term to that day (``units``), the exposure of those days
(their length in average days, :mod:`.seasonality`) and their number.
Look-ups are vectorised over any number of (entitlement, cut-off) pairs:
daily consumption is kept sorted by entitlement and day with running
totals, so each look-up is a binary search.

Hours are counted in *lumps* of ``q`` hours (``q = sum(h^2) / sum(h)`` over
the cases' daily hours ``h``): a Poisson count of lumps has the variance of
the compound count of cases of various lengths, which keeps the gamma-
Poisson arithmetic exact for hours as for cases (where ``q = 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .seasonality import Seasonality, to_days

__all__ = ["DailyIndex", "EntitlementArrays", "exposure_of", "lump_sizes"]

#: Days per entitlement in the combined (entitlement, day) key (``KEY_SHIFT`` bits).
KEY_SHIFT = 22
_KEY = 1 << KEY_SHIFT


@dataclass(frozen=True)
class DailyIndex:
    """Daily consumption sorted by (entitlement, day), with running totals, for cut-off look-ups."""

    keys: np.ndarray
    days: np.ndarray
    cum: np.ndarray
    cum_sq: np.ndarray
    first_day: int

    @classmethod
    def build(cls, daily: pl.DataFrame, ent_ids: pl.Series, first_day: int) -> DailyIndex:
        """``daily`` rows keyed by the row of their entitlement in ``ent_ids``; others are left out."""
        row = daily.get_column("entitlement_id").replace_strict(
            ent_ids, pl.int_range(ent_ids.len(), eager=True), default=-1, return_dtype=pl.Int64
        )
        day = to_days(daily.get_column("consumed_date"))
        usable = (row.to_numpy() >= 0) & (day >= first_day)
        keys = row.to_numpy()[usable] * _KEY + (day[usable] - first_day)
        order = np.argsort(keys)  # keys are unique: no need for a stable sort
        zero = np.zeros(1)
        quantity = daily.get_column("quantity").to_numpy()[usable][order]
        squares = daily.get_column("quantity_sq").to_numpy()[usable][order]
        return cls(
            keys=keys[order],
            days=day[usable][order],
            cum=np.concatenate([zero, np.cumsum(quantity)]),
            cum_sq=np.concatenate([zero, np.cumsum(squares)]),
            first_day=first_day,
        )

    def consumption(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(day, entitlement row, quantity)`` of every indexed day."""
        return self.days, self.keys >> KEY_SHIFT, np.diff(self.cum)

    def _span(self, ent: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.searchsorted(self.keys, ent * _KEY, side="left")
        hi = np.searchsorted(self.keys, ent * _KEY + np.maximum(last - self.first_day, -1), side="right")
        return lo, np.maximum(hi, lo)

    def units(self, ent: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Consumption of each entitlement up to and including day ``last``."""
        lo, hi = self._span(ent, last)
        return self.cum[hi] - self.cum[lo]

    def day_reached(self, ent: np.ndarray, last: np.ndarray, amount: np.ndarray) -> np.ndarray:
        """The first day (epoch) the running total reached ``amount``, up to ``last``; -1 if not reached."""
        lo, hi = self._span(ent, last)
        pos = np.searchsorted(self.cum, self.cum[lo] + amount - 1e-9, side="left")
        reached = (pos > lo) & (pos <= hi)
        if not self.days.size:
            return np.full(ent.size, -1)
        return np.where(reached, self.days[np.clip(pos - 1, 0, self.days.size - 1)], -1)


class EntitlementArrays:
    """Per-entitlement arrays (row ``i`` of the entitlements frame): calendar group, term, hours or not."""

    def __init__(self, entitlements: pl.DataFrame, season: Seasonality) -> None:
        self.zone = season.group_index(entitlements)
        self.start = to_days(entitlements.get_column("start_date"))
        self.end = to_days(entitlements.get_column("end_date"))
        self.is_hours = (entitlements.get_column("usage_type") == "hours").fill_null(False).to_numpy()


def exposure_of(
    season: Seasonality,
    profile: np.ndarray,
    zone: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    last: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Exposure and number of the term days ``start .. min(end, last)``."""
    stop = np.minimum(end, last)
    return season.exposure(profile, zone, start, stop), np.maximum(stop - start + 1, 0)


def lump_sizes(index: DailyIndex, is_hours_row: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``q`` of hours per profile cut (days before ``cut``): sum(h^2) / sum(h); 1 without data."""
    rows = np.flatnonzero(is_hours_row)
    if rows.size == 0:
        return np.ones(len(cuts))
    qty = index.cum[rows + 1] - index.cum[rows]
    sq = index.cum_sq[rows + 1] - index.cum_sq[rows]
    order = np.argsort(index.days[rows], kind="stable")
    day, qty, sq = index.days[rows][order], np.cumsum(qty[order]), np.cumsum(sq[order])
    n = np.searchsorted(day, cuts, side="left")
    total = np.where(n > 0, qty[np.maximum(n - 1, 0)], 0.0)
    total_sq = np.where(n > 0, sq[np.maximum(n - 1, 0)], 0.0)
    return np.where(total > 0, total_sq / np.where(total > 0, total, 1.0), 1.0)
