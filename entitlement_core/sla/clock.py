"""Stopped clocks: business time with paused intervals (DOMAIN.md, "Paused clocks").

A milestone's clock runs in business hours from its start to its end (its
completion, or the as-of moment while open) and stops while the case is in
a paused status. For a row measured from ``s`` to ``u`` in a calendar whose
running total of business time is ``T`` (see
:mod:`~entitlement_core.sla.business_time`), with the row's paused
intervals clipped to ``[s, u]`` and merged, ``[p_1, q_1), [p_2, q_2) ...``
in order:

- ``paused`` = the sum of ``T(q_i) - T(p_i)``: business time inside the pauses;
- ``elapsed`` = ``T(u) - T(s) - paused``;
- ``target_at`` = the earliest moment the running clock reaches ``N``
  business minutes. The running clock at ``p_i`` is ``R_i = T(p_i) - T(s)
  - (paused before p_i)``, which never decreases from one pause to the
  next. The pauses that start before the clock reaches ``N`` are exactly
  those with ``R_i < N``; the target is the plain business-hours target of
  ``N`` plus their paused business time. One inverse lookup per row.

Pauses are clipped to ``u``: nothing after a completion or after the
as-of moment moves the target, so a row still paused at the as-of moment
gets the target "as if the clock resumed then". ``is_paused`` says whether
a pause covers ``u`` itself (``p <= u < q``: a change exactly at ``u``
counts, DOMAIN.md rule 8).

All of it is vectorised over the pause rows (gathers, one cumulative sum,
``bincount``); no Python loop over rows.

Examples
--------
Berlin Mon-Fri 09:00-17:00 (EXAMPLES.md 22): started Tue 09:00, paused
10:00-12:00, completed 13:00, target 240: ``paused`` 120, ``elapsed`` 120,
``target_at`` 15:00 (13:00 plus the two paused hours).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .business_time import BusinessCalendars, _epoch_us, _to_us, minutes_us
from .calendar import MINUTE_US

__all__ = ["PAUSE_COLUMNS", "Clock", "stopped_clock"]

_UTC = pl.Datetime("us", "UTC")
#: Columns of the ``pauses`` frame :func:`stopped_clock` takes.
PAUSE_COLUMNS = ("row", "paused_from", "paused_to")
#: Pauses measured per block (whole rows).
_BLOCK = 1 << 18
#: An open-ended pause ends here (later than any supported moment).
_FOREVER = np.iinfo(np.int64).max // 2


@dataclass(frozen=True)
class Clock:
    """The measures of each row (Series of the rows' length, in their order).

    Attributes
    ----------
    elapsed_minutes
        Business minutes from start to end, paused time excluded (Float64).
    paused_minutes
        Business minutes inside paused intervals between start and end (Float64).
    is_paused
        Whether a pause covers the end moment (Boolean).
    target_at
        The earliest moment the running clock reaches the row's minutes
        (UTC; null without minutes or when the calendar does not open for
        that long within its range).
    """

    elapsed_minutes: pl.Series
    paused_minutes: pl.Series
    is_paused: pl.Series
    target_at: pl.Series | None


def _pause_arrays(pauses: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``row``, start and end (epoch us; open-ended: far in the future), sorted by row and start."""
    row = pauses["row"].cast(pl.Int64).to_numpy()
    p, _ = _epoch_us(pauses["paused_from"])
    q_series = pauses["paused_to"].cast(_UTC).dt.epoch("us")
    q = q_series.fill_null(_FOREVER).to_numpy() if q_series.null_count() else q_series.to_numpy()
    if len(row) > 1:
        ordered = (row[1:] > row[:-1]) | ((row[1:] == row[:-1]) & (p[1:] >= p[:-1]))
        if not ordered.all():
            order = np.lexsort((p, row))
            row, p, q = row[order], p[order], q[order]
    return row, p, q


def _merged(row: np.ndarray, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlapping pauses of a row merged (input sorted by row and start)."""
    frame = pl.DataFrame({"row": row, "p": p, "q": q}).with_columns(
        pl.col("q").cum_max().over("row").alias("reach")
    )
    frame = frame.with_columns(
        ((pl.col("row") != pl.col("row").shift(1)) | (pl.col("p") >= pl.col("reach").shift(1)))
        .fill_null(True)
        .cum_sum()
        .alias("run")
    )
    runs = frame.group_by("run", maintain_order=True).agg(
        pl.col("row").first(), pl.col("p").first(), pl.col("reach").last()
    )
    return tuple(runs[c].to_numpy(writable=True) for c in ("row", "p", "reach"))  # type: ignore[return-value]


@dataclass(frozen=True)
class _Paused:
    """Per row: paused business microseconds, those before the target, and whether ``until`` is paused."""

    paused: np.ndarray
    before_target: np.ndarray | None
    covered: np.ndarray


def _measure_pauses(
    calendars: BusinessCalendars,
    code: np.ndarray,
    s: np.ndarray,
    u: np.ndarray,
    s_totals: np.ndarray,
    n_us: np.ndarray | None,
    pauses: pl.DataFrame,
) -> _Paused:
    """The pauses' business time per row (see the module docstring), vectorised over the pauses.

    Large inputs go through in blocks of whole rows (about :data:`_BLOCK` pauses each), so the
    working arrays stay small; each block is vectorised.
    """
    n = len(s)
    row, p, q = _pause_arrays(pauses)
    covered = np.zeros(n, dtype=bool)
    paused = np.zeros(n, dtype=np.int64)
    before_target = np.zeros(n, dtype=np.int64) if n_us is not None else None
    # Block edges on row boundaries: each block holds every pause of its rows.
    edges = np.unique(np.searchsorted(row, row[np.arange(0, len(row), _BLOCK)], side="left"))
    row_offset = calendars._arrays()["offset"][code]
    for lo, hi in zip(edges, [*edges[1:], len(row)], strict=True):
        _block(calendars, s, u, s_totals, n_us, row_offset, row[lo:hi], p[lo:hi], q[lo:hi],
               covered, paused, before_target)  # fmt: skip
    return _Paused(paused, before_target, covered)


def _block(
    calendars: BusinessCalendars,
    s: np.ndarray,
    u: np.ndarray,
    s_totals: np.ndarray,
    n_us: np.ndarray | None,
    row_offset: np.ndarray,
    row: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    covered: np.ndarray,
    paused: np.ndarray,
    before_target: np.ndarray | None,
) -> None:
    """One block of whole rows' pauses, added into ``covered``, ``paused`` and ``before_target``."""
    u_r = u[row]
    np.put(covered, row[(p <= u_r) & (q > u_r)], True)
    # Clipped to [s, u]; a pause outside becomes empty (no business time), kept in place so the order
    # holds, unless many are empty (an instance's case pauses after its completion): then dropped.
    p = np.maximum(p, s[row])
    np.minimum(p, u_r, out=p)
    q = np.minimum(q, u_r)
    np.maximum(q, p, out=q)
    kept = q > p
    if np.count_nonzero(kept) < 0.75 * len(kept):
        row, p, q = row[kept], p[kept], q[kept]
    same = row[1:] == row[:-1]
    if len(row) > 1 and np.any(same & (p[1:] < q[:-1])):
        # Pauses from a status history never overlap; any others are merged first.
        row, p, q = _merged(row, p, q)
        same = row[1:] == row[:-1]
    if not len(row):
        return
    offset = row_offset[row]
    p += offset
    q += offset
    tp = calendars._totals(p)
    d = calendars._totals(q)
    d -= tp
    first_row = int(row[0])
    local = row - first_row
    span = slice(first_row, int(row[-1]) + 1)
    # Per-row sums (float64 holds these microsecond counts exactly: far below 2**53).
    paused[span] += np.bincount(local, weights=d).astype(np.int64)
    if n_us is None or before_target is None:
        return
    first = np.empty(len(row), dtype=bool)
    first[0] = True
    np.logical_not(same, out=first[1:])
    # The running clock at each pause's start: T(p) - T(s) - the row's paused time before it. The
    # block's running sum of d, less its value at the row's first pause (it never decreases, so a
    # running maximum carries that value along the row).
    before = np.cumsum(d)
    before -= d
    at_first = np.where(first, before, 0)
    np.maximum.accumulate(at_first, out=at_first)
    before -= at_first
    tp -= s_totals[row]
    tp -= before
    moved = np.where(tp < n_us[row], d, 0)
    before_target[span] += np.bincount(local, weights=moved).astype(np.int64)


def stopped_clock(
    calendars: BusinessCalendars,
    calendar_id: pl.Series,
    start: pl.Series,
    until: pl.Series,
    *,
    pauses: pl.DataFrame | None = None,
    minutes: pl.Series | None = None,
) -> Clock:
    """Business time from ``start`` to ``until`` with the clock stopped in ``pauses``, per row.

    Parameters
    ----------
    calendars
        Calendars covering every moment (:meth:`BusinessCalendars.covering`).
    calendar_id
        ``business_hours_id`` of each row; null or unknown = 24x7.
    start, until
        UTC datetimes: where the clock starts and the moment measured to
        (a completion, or the as-of moment). Null ``start`` or ``until``
        gives nulls.
    pauses
        Paused intervals: ``row`` (index of the row they belong to),
        ``paused_from``, ``paused_to`` (UTC; null: still paused). Any order;
        overlapping pauses of one row are merged.
    minutes
        Target business minutes of each row (for ``target_at``).

    Examples
    --------
    EXAMPLES.md 23: Berlin, started Mon 09:00, paused from 10:00 (open
    ended), measured to Mon 16:00 with 240 minutes: ``elapsed`` 60,
    ``paused`` 360, ``is_paused``, ``target_at`` Tue 11:00.
    """
    n = len(start)
    code = calendars._codes(calendar_id)
    s, s_ok = _epoch_us(start)
    u, u_ok = _epoch_us(until)
    valid = s_ok if u_ok is None else (u_ok if s_ok is None else s_ok & u_ok)
    if valid is not None:
        # A row without both ends is measured as an empty span, then nulled.
        s = np.where(valid, s, _to_us(calendars.covered_from))
        u = np.where(valid, u, s)
    s_keys = calendars._keys(code, s, None)
    s_totals = calendars._totals(s_keys)
    run = calendars._totals(calendars._keys(code, u, None)) - s_totals
    n_us = minutes_us(minutes) if minutes is not None else None
    if pauses is not None and pauses.height:
        measured = _measure_pauses(calendars, code, s, u, s_totals, n_us, pauses)
    else:
        measured = _Paused(np.zeros(n, dtype=np.int64), None, np.zeros(n, dtype=bool))
    paused, covered = measured.paused, measured.covered
    run -= paused
    elapsed = pl.Series("elapsed_minutes", run / MINUTE_US, dtype=pl.Float64)
    paused_minutes = pl.Series("paused_minutes", paused / MINUTE_US, dtype=pl.Float64)
    is_paused = pl.Series("is_paused", covered)
    if valid is not None:
        nulls = np.flatnonzero(~valid)
        elapsed, paused_minutes, is_paused = (
            x.scatter(nulls, None) for x in (elapsed, paused_minutes, is_paused)
        )
    target = None
    if minutes is not None and n_us is not None:
        extra = n_us if measured.before_target is None else n_us + measured.before_target
        moment, inside = calendars._reach(code, s, s_keys, s_totals, extra)
        ok = inside & minutes.is_not_null().to_numpy()
        if valid is not None:
            ok &= valid
        target = pl.Series("target_at", moment, dtype=pl.Int64).cast(_UTC)
        if not ok.all():
            target = target.scatter(np.flatnonzero(~ok), None)
    return Clock(elapsed, paused_minutes, is_paused, target)
