"""Weekly and yearly seasonality, and the *exposure* of a span of days.

Consumption is modelled as ``rate x weekly[group, weekday] x yearly[month]``
per day: a Monday in February weighs more than a Sunday in August. The
factors average 1 over a week and over a year, so the *exposure* of a span
of days (the sum of its days' factors) is its length in "average days",
and a rate per average day is comparable across seasons.

The factors are fitted on complete calendar months before the as-of
moment's month (the *profile date* is the first day of that month), never
on later data, by iterative proportional fitting of the model above with a
rate per entitlement (so a large account's busy year does not pass for a
busy season). Each factor is shrunk towards 1 by a few pseudo-units, so a
weekday or month with little history stays close to 1: seasonality counts
only where the history shows it. Weekly factors are per *calendar group*,
a time zone and a usage type (business calendars differ, and hours are
logged over the days a case is worked, weekends included, while a case
counts on the day it opens); yearly factors are shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["Seasonality", "calendar_groups", "fit_seasonality", "profile_date", "to_days"]

#: Mean days per calendar month over four years (weights of the yearly normalisation).
_MONTH_DAYS = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_IPF_STEPS = 5


def to_days(column: pl.Series) -> np.ndarray:
    """Dates as epoch day numbers (int64)."""
    return column.cast(pl.Date).cast(pl.Int64).to_numpy()


def profile_date(days: np.ndarray) -> np.ndarray:
    """The first day of each day's calendar month (epoch days): the profile of a cut-off."""
    months = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64)


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # epoch day 0 was a Thursday; Monday = 0


def _month(days: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    return (d.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


@dataclass(frozen=True)
class Seasonality:
    """Fitted factors per profile date, and the cumulative exposure calendar.

    ``cum[p, z, i]`` is the exposure of the days ``first_day .. first_day + i
    - 1`` under profile ``p`` in calendar group ``g``; ``weekly[p, g, k]`` (Monday =
    0) and ``yearly[p, m]`` (January = 0) are the factors.
    """

    profile_dates: np.ndarray
    groups: tuple[str, ...]
    first_day: int
    cum: np.ndarray
    weekly: np.ndarray
    yearly: np.ndarray

    def profile_index(self, days: np.ndarray) -> np.ndarray:
        """Index of the profile of each cut-off day (its month's first day)."""
        return np.searchsorted(self.profile_dates, profile_date(days))

    def group_index(self, entitlements: pl.DataFrame) -> np.ndarray:
        """Calendar group of each entitlement (``timezone``, ``usage_type``) as an index."""
        lookup = {g: i for i, g in enumerate(self.groups)}
        return calendar_groups(entitlements).replace_strict(lookup, return_dtype=pl.Int64).to_numpy()

    def _at(self, p: np.ndarray, z: np.ndarray, day: np.ndarray) -> np.ndarray:
        i = np.clip(day - self.first_day + 1, 0, self.cum.shape[2] - 1)
        return self.cum[p, z, i]

    def exposure(self, p: np.ndarray, z: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Exposure of the days ``first .. last`` (inclusive; 0 when ``last < first``)."""
        out = self._at(p, z, last) - self._at(p, z, first - 1)
        return np.where(last >= first, out, 0.0)


def calendar_groups(entitlements: pl.DataFrame) -> pl.Series:
    """``timezone|usage_type`` of each entitlement (UTC when no zone)."""
    return entitlements.select(
        pl.format("{}|{}", pl.col("timezone").fill_null("UTC"), pl.col("usage_type").fill_null("none"))
    ).to_series()


def _cells(days: np.ndarray) -> np.ndarray:
    return _weekday(days) * 12 + _month(days)


def _fit_one(
    cut: int,
    ent_group: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    cell_counts: np.ndarray,
    first_day: int,
    consumption: tuple[np.ndarray, ...],
    n_groups: int,
    shrink: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly (group x 7) and yearly (12) factors from the days before ``cut``.

    Iterative proportional fitting of ``rate[e] x weekly[group(e), weekday]
    x yearly[month]`` to the consumption per (entitlement, weekday, month),
    over each entitlement's days in that cell (``n``): each step is a
    matrix product over the (entitlement x weekday, month) table.
    """
    d_day, d_ent, d_qty, d_weekday, d_month = consumption
    last = np.minimum(end, cut - 1)
    live = start <= last
    weekly, yearly = np.ones((n_groups, 7)), np.ones(12)
    if not live.any():
        return weekly, yearly
    ents = np.flatnonzero(live)
    row = np.full(start.size, -1)
    row[ents] = np.arange(ents.size)
    n = (cell_counts[last[ents] - first_day + 1] - cell_counts[start[ents] - first_day]).astype(np.float64)
    n = n.reshape(-1, 12)  # rows: (entitlement, weekday); columns: month
    keep = (d_day < cut) & (row[d_ent] >= 0)
    e_rows, qty = row[d_ent[keep]], d_qty[keep]
    by_weekday = np.bincount(e_rows * 7 + d_weekday[keep], weights=qty, minlength=ents.size * 7)
    by_weekday = by_weekday.reshape(-1, 7)
    by_month = np.bincount(d_month[keep], weights=qty, minlength=12)
    total = by_weekday.sum(axis=1)
    group = ent_group[ents]
    onehot = np.zeros((ents.size, n_groups))
    onehot[np.arange(ents.size), group] = 1.0
    weekly_num = np.einsum("eg,ek->gk", onehot, by_weekday)
    rate = total / np.maximum(n.sum(axis=1).reshape(-1, 7).sum(axis=1), 1.0)
    # einsum, not BLAS: small products whose threads would only contend with the engine's.
    for _ in range(_IPF_STEPS):
        per_weekday = np.einsum("ij,j->i", n, yearly).reshape(-1, 7)
        weekly = (weekly_num + shrink) / (
            np.einsum("eg,ek->gk", onehot, rate[:, None] * per_weekday) + shrink
        )
        weekly = weekly / weekly.mean(axis=1, keepdims=True)
        yearly = (by_month + shrink) / (
            np.einsum("i,ij->j", (rate[:, None] * weekly[group]).ravel(), n) + shrink
        )
        yearly = yearly / (yearly @ _MONTH_DAYS / _MONTH_DAYS.sum())
        per_weekday = np.einsum("ij,j->i", n, yearly).reshape(-1, 7)
        rate = total / np.maximum((per_weekday * weekly[group]).sum(axis=1), 1e-12)
    return weekly, yearly


def fit_seasonality(
    entitlements: pl.DataFrame,
    consumption: tuple[np.ndarray, np.ndarray, np.ndarray],
    profile_dates: np.ndarray,
    *,
    span: tuple[int, int],
    enabled: bool = True,
    shrink: float = 100.0,
) -> Seasonality:
    """Fit the factors for each profile date and build the exposure calendar.

    Parameters
    ----------
    entitlements
        ``timezone, usage_type, start_date, end_date`` (row ``i`` = entitlement ``i``).
    consumption
        ``(day, entitlement row, quantity)`` arrays: one item per entitlement and local day.
    profile_dates
        First days of months (epoch days): each profile uses the days before it.
    span
        First and last epoch day of the calendar (every term and cut-off inside).
    enabled
        False: every factor is 1 (exposure = days).
    shrink
        Pseudo-units pulling each factor towards 1.
    """
    names = calendar_groups(entitlements)
    groups = tuple(sorted(set(names.to_list()))) or ("UTC|none",)
    ent_group = names.replace_strict({g: i for i, g in enumerate(groups)}, return_dtype=pl.Int64).to_numpy()
    start, end = to_days(entitlements.get_column("start_date")), to_days(entitlements.get_column("end_date"))
    dates = np.unique(np.asarray(profile_dates, dtype=np.int64))
    first_day, last_day = span
    calendar = np.arange(first_day, last_day + 1)
    n_profiles = max(dates.size, 1)
    weekly = np.ones((n_profiles, len(groups), 7))
    yearly = np.ones((n_profiles, 12))
    if enabled and consumption[0].size and entitlements.height:
        onehot = np.zeros((calendar.size, 84), dtype=np.int32)
        onehot[np.arange(calendar.size), _cells(calendar)] = 1
        cell_counts = np.vstack([np.zeros((1, 84), dtype=np.int64), np.cumsum(onehot, axis=0)])
        day = consumption[0]
        # Weekday and month of each day of consumption, looked up in the calendar (cheaper than dates).
        cells = _cells(calendar)[day - first_day]
        with_cells = (*consumption, cells // 12, cells % 12)
        for p, cut in enumerate(dates):
            weekly[p], yearly[p] = _fit_one(
                int(cut), ent_group, start, end, cell_counts, first_day, with_cells, len(groups), shrink
            )
    factors = weekly[:, :, _weekday(calendar)] * yearly[:, None, _month(calendar)]
    cum = np.concatenate([np.zeros((*factors.shape[:2], 1)), np.cumsum(factors, axis=2)], axis=2)
    return Seasonality(
        profile_dates=dates if dates.size else np.array([first_day]),
        groups=groups,
        first_day=first_day,
        cum=cum,
        weekly=weekly,
        yearly=yearly,
    )
