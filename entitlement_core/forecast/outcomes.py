"""From a rate's posterior to the figures shown: interval, run-out probability, shortfall, dates.

The rate of a term, in lumps (:mod:`.evidence`) per average day, has a
gamma posterior ``Gamma(r, beta)``. Its remaining consumption over the
exposure ``E`` of the days left is then

- cases: ``N ~ NegBin(r, p = beta / (beta + E))`` exactly (a Poisson count
  whose rate is uncertain);
- hours: ``q N`` approximated by a gamma distribution of the same mean and
  variance, ``Gamma(shape r (1 - p), scale q / p)`` (hours are not whole).

Consumption never goes down, so the term has run out by a day ``t`` exactly
when its consumption up to ``t`` reaches the allotment: the run-out date's
quantiles follow from the same distributions over the exposure up to ``t``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .distributions import (
    gamma_mean_excess,
    gamma_ppf,
    gamma_sf,
    nbinom_mean_excess,
    nbinom_ppf,
    nbinom_sf,
)

__all__ = ["Posterior", "band_quantiles", "remaining_figures", "run_out_days"]


@dataclass(frozen=True)
class Posterior:
    """Per row: ``is_hours``, lump size ``q``, gamma posterior ``r, beta`` and the exposure left."""

    is_hours: np.ndarray
    q: np.ndarray
    r: np.ndarray
    beta: np.ndarray
    exposure_left: np.ndarray


def _params(post: Posterior, rows: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(hours, r, p, shape, scale)`` of ``rows`` (indices) over ``exposure`` (one per row)."""
    beta = post.beta[rows]
    p = beta / (beta + exposure)
    r, q = post.r[rows], post.q[rows]
    return post.is_hours[rows], r, p, r * (1 - p), q / np.where(p > 0, p, 1.0)


def _quantiles(post: Posterior, rows: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantile ``levels[k]`` of the remaining consumption of ``rows[k]`` (indices, any repeats)."""
    out = np.zeros(rows.size)
    hours, r, p, shape, scale = _params(post, rows, post.exposure_left[rows])
    counts = ~hours & (p < 1)
    if counts.any():
        out[counts] = nbinom_ppf(levels[counts], r[counts], p[counts])
    lumps = hours & (p < 1)
    if lumps.any():
        out[lumps] = gamma_ppf(levels[lumps], shape[lumps], scale[lumps])
    return out


def _tail(post: Posterior, rows: np.ndarray, need: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """``P(consumption over exposure >= need)`` for ``rows`` (indices), ``need > 0``."""
    out = np.zeros(rows.size)
    hours, r, p, shape, scale = _params(post, rows, exposure)
    counts = ~hours & (p < 1)
    if counts.any():
        whole = np.ceil(need[counts] - 1e-9)
        out[counts] = nbinom_sf(whole - 1, r[counts], p[counts])
    lumps = hours & (p < 1)
    if lumps.any():
        out[lumps] = gamma_sf(need[lumps], shape[lumps], scale[lumps])
    return out


def _mean_excess(post: Posterior, rows: np.ndarray, need: np.ndarray) -> np.ndarray:
    """``E[max(remaining - need, 0)]`` for ``rows`` (indices), ``need > 0``."""
    out = np.zeros(rows.size)
    hours, r, p, shape, scale = _params(post, rows, post.exposure_left[rows])
    counts = ~hours & (p < 1)
    if counts.any():
        whole = np.ceil(need[counts] - 1e-9)
        # A whole number of cases: the fraction of a case an allotment leaves is never consumed.
        rc, pc = r[counts], p[counts]
        out[counts] = nbinom_mean_excess(whole, rc, pc) + (whole - need[counts]) * nbinom_sf(
            whole - 1, rc, pc
        )
    lumps = hours & (p < 1)
    if lumps.any():
        out[lumps] = gamma_mean_excess(need[lumps], shape[lumps], scale[lumps])
    return out


def band_quantiles(post: Posterior, band: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and ``band`` quantiles of the consumption over each row's ``exposure_left`` (NaN: none)."""
    n = post.r.size
    ok = np.flatnonzero(post.beta > 0)
    mean, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    _, r, p, _, _ = _params(post, ok, post.exposure_left[ok])
    mean[ok] = post.q[ok] * r * (1 - p) / p
    both = _quantiles(post, np.tile(ok, 2), np.repeat(np.asarray(band, dtype=np.float64), ok.size))
    low[ok], high[ok] = both[: ok.size], both[ok.size :]
    return mean, low, high


def remaining_figures(
    post: Posterior, consumed: np.ndarray, allotment: np.ndarray, band: tuple[float, float]
) -> dict[str, np.ndarray]:
    """Projected consumption at the end of the term and its interval; run-out probability; shortfall.

    Rows where ``beta`` is not positive (nothing to project from) are NaN.
    ``allotment`` NaN means unlimited: no run-out probability or shortfall.
    """
    n = consumed.size
    ok = np.flatnonzero(post.beta > 0)
    mean_left = np.full(n, np.nan)
    _, r, p, _, _ = _params(post, ok, post.exposure_left[ok])
    mean_left[ok] = post.q[ok] * r * (1 - p) / p
    out = {"projected_at_end": consumed + mean_left}
    levels = np.array([band[0], 0.5, band[1]])
    stacked = _quantiles(post, np.tile(ok, 3), np.repeat(levels, ok.size)).reshape(3, -1)
    for name, values in zip(("projected_p10", "projected_p50", "projected_p90"), stacked, strict=True):
        column = np.full(n, np.nan)
        column[ok] = consumed[ok] + values
        out[name] = column
    need = allotment - consumed
    capped = (post.beta > 0) & ~np.isnan(allotment)
    prob = np.where(capped & (need <= 0), 1.0, np.nan)
    short = np.where(capped & (need <= 0), -need + mean_left, np.nan)
    open_ = np.flatnonzero(capped & (need > 0))
    if open_.size:
        prob[open_] = _tail(post, open_, need[open_], post.exposure_left[open_])
        short[open_] = _mean_excess(post, open_, need[open_])
    out["prob_run_out"] = prob
    out["expected_shortfall"] = short
    return out


def run_out_days(
    post: Posterior,
    need: np.ndarray,
    levels: tuple[float, ...],
    seen: np.ndarray,
    last: np.ndarray,
    exposure_until: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """The first day by which each term has run out with probability ``levels[k]``: (levels, rows).

    Epoch days; -1 where that does not happen by ``last`` (the term's last
    day) or ``need <= 0`` (it ran out already). Consumption never goes down,
    so that probability grows day by day: a bisection over the days after
    ``seen`` finds the first day reaching the level, every row and level at
    once (about nine steps for a year). ``exposure_until(rows, day)`` is the
    exposure of the days after ``seen[rows]`` up to ``day``.
    """
    n, k = need.size, len(levels)
    out = np.full((k, n), -1, dtype=np.int64)
    candidates = np.flatnonzero((post.beta > 0) & (need > 0) & (post.exposure_left > 0) & (last > seen))
    if candidates.size == 0:
        return out
    reach = _tail(post, candidates, need[candidates], post.exposure_left[candidates])
    level = np.repeat(np.asarray(levels, dtype=np.float64), candidates.size)
    live = np.tile(reach, k) >= level
    slot = (np.repeat(np.arange(k), candidates.size) * n + np.tile(candidates, k))[live]
    rows, level = np.tile(candidates, k)[live], level[live]
    lo, hi = seen[rows].astype(np.int64), last[rows].astype(np.int64)  # not yet run out by lo; run out by hi
    todo = np.arange(rows.size)
    while todo.size:
        mid = (lo[todo] + hi[todo]) // 2
        r = rows[todo]
        hit = _tail(post, r, need[r], exposure_until(r, mid)) >= level[todo]
        hi[todo] = np.where(hit, mid, hi[todo])
        lo[todo] = np.where(hit, lo[todo], mid)
        todo = todo[hi[todo] - lo[todo] > 1]
    out.reshape(-1)[slot] = hi
    return out
