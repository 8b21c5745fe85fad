"""Status histories of the demo cases: waiting on the customer, on hold, escalated, parked.

A case is ``New`` until its first response (no row: a history starts with
the first change), turns ``Working`` at its first response and, when
closed, ``Closed`` at its closing moment. Between the
response and the end (the close, or the end of ``today`` while open) some
cases wait: about 40% of responded cases have one to three waits
(``Waiting on Customer``, one in five ``On Hold``) taking 15% to 60% of
that time, so a case open for days waits for days; about 2% are *parked*:
six to ten short waits taking most of their time (what a pause audit is
for). A case still open with status ``Waiting on Customer`` is still
waiting at the end; an ``Escalated`` one was escalated during its last
working stretch.

The case timestamps are not moved: a wait is part of the time a case was
open. Each case draws from its own position of a separate random stream,
so histories do not depend on the chunking, and adding them changed no
other draw of the demo.

Vectorised: one row of segment lengths per case (working, waiting,
working ... up to :data:`MAX_WAITS` waits), cumulative sums for the
moments; no loop over cases.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..staging import conform
from .catalog import entity_ids

__all__ = ["MAX_WAITS", "status_history"]

#: At most this many waits per case (parked cases).
MAX_WAITS = 10
_STREAM = 5
_DRAWS = 15
_WAITS_P = np.cumsum([0.60, 0.22, 0.12, 0.06])  # 0, 1, 2, 3 waits
_PARKED_P = 0.02
_STATUSES = ("New", "Working", "Waiting on Customer", "On Hold", "Escalated", "Closed")
_, WORKING, WAITING, ON_HOLD, ESCALATED, CLOSED = range(len(_STATUSES))


def _uniforms(seed: int, start: int, n: int) -> np.ndarray:
    bit_gen = np.random.PCG64(np.random.SeedSequence([seed, _STREAM]))
    bit_gen.advance(start * _DRAWS)
    return np.random.Generator(bit_gen).random((n, _DRAWS))


def _waits(
    u: np.ndarray,
    waits: np.ndarray,
    waiting_now: np.ndarray,
    share: np.ndarray,
    responded: np.ndarray,
    span: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The wait and resume rows of cases that wait (row of the case, moment, status code), and the start
    of each case's last working stretch.

    Segments: working, wait, working, wait ...; an ongoing last wait has no working stretch after it.
    Waits take ``share`` of the span after the response, split by random weights; so does working.
    """
    n = len(waits)
    width = 2 * int(waits.max(initial=0)) + 1
    k = np.arange(width)
    is_wait = k % 2 == 1
    used = k[None, :] < (2 * waits + 1 - waiting_now)[:, None]
    # Random weights per segment: the case's own draws, spread over the width (parked cases have 21).
    base = u[:, 8:15]
    more = [x - np.floor(x) for x in (base * 97.0, base * 9973.0)] if width > 7 else []
    spread = np.concatenate([base, *more], axis=1)[:, :width]
    weights = np.where(used, 0.05 + spread, 0.0)
    wait_w = np.where(is_wait[None, :], weights, 0.0)
    work_w = weights - wait_w
    wait_total = wait_w.sum(axis=1, keepdims=True)
    work_total = work_w.sum(axis=1, keepdims=True)
    # With no working stretch left (an ongoing wait right after the response), waiting takes all of it.
    wait_share = np.where(work_total[:, 0] > 0, share, 1.0)[:, None]
    fraction = wait_w * (wait_share / wait_total) + work_w * (
        (1 - wait_share) / np.maximum(work_total, 1e-12)
    )
    bounds = responded[:, None] + np.floor(np.cumsum(fraction, axis=1) * span[:, None]).astype(np.int64)
    # Row i of a case: the status from the start of segment i + 1 (each wait, then the working after it).
    rows, seg = np.nonzero(used[:, 1:])
    held = (u[rows, 4 + seg % 3] < 0.2) & ~(waiting_now[rows] & (seg + 2 == 2 * waits[rows]))
    seg_status = np.where(is_wait[seg + 1], np.where(held, ON_HOLD, WAITING), WORKING)
    last = np.where(waiting_now, 2 * waits - 1, 2 * waits)
    last_start = bounds[np.arange(n), np.maximum(last - 1, 0)]
    return rows, bounds[rows, seg], seg_status, last_start


def status_history(
    seed: int,
    start: int,
    responded: np.ndarray,
    closed: np.ndarray,
    status: pl.Series,
    cutoff: int,
) -> pl.DataFrame:
    """``case_status_history`` rows of cases ``start ..`` (moments in epoch seconds; -1 = none).

    Parameters
    ----------
    seed, start
        The demo's seed and the index of the first case (for its random draws).
    responded, closed
        Epoch seconds of each case's first response and close (-1: none).
    status
        Each case's status at the end (``Closed``, ``New``, ``Working``,
        ``Waiting on Customer``, ``Escalated``).
    cutoff
        The last second of ``today``: nothing later is stamped.
    """
    n = len(responded)
    u = _uniforms(seed, start, n)
    has_response = responded >= 0
    is_closed = closed >= 0
    end = np.where(is_closed, closed, cutoff)
    span = np.maximum(end - responded, 0)
    waiting_now = (status == "Waiting on Customer").to_numpy() & ~is_closed
    escalated = (status == "Escalated").to_numpy() & ~is_closed
    parked = has_response & (u[:, 0] < _PARKED_P)
    waits = np.searchsorted(_WAITS_P, u[:, 1], side="right").clip(0, 3)
    waits = np.where(parked, 6 + np.floor(u[:, 2] * 5).astype(np.int64), waits)
    waits = np.where(has_response & ((span > 120) | waiting_now), np.maximum(waits, waiting_now), 0)
    share = np.where(parked, 0.5 + 0.35 * u[:, 3], 0.15 + 0.45 * u[:, 3])
    wait_cases = np.flatnonzero(waits > 0)
    rows, at, seg_status, last_start = _waits(
        u[wait_cases], waits[wait_cases], waiting_now[wait_cases], share[wait_cases],
        responded[wait_cases], span[wait_cases],
    )  # fmt: skip
    rows = wait_cases[rows]
    # An escalated open case: escalated somewhere in its last working stretch.
    start_last = responded.copy()
    start_last[wait_cases] = last_start
    esc_at = start_last + np.floor(u[:, 7] * np.maximum(end - start_last, 0)).astype(np.int64)
    case = np.concatenate([np.flatnonzero(has_response), rows, np.flatnonzero(escalated),
                           np.flatnonzero(is_closed)])  # fmt: skip
    moment = np.concatenate([responded[has_response], at, esc_at[escalated], closed[is_closed]])
    code = np.concatenate([
        np.full(int(has_response.sum()), WORKING), seg_status,
        np.full(int(escalated.sum()), ESCALATED), np.full(int(is_closed.sum()), CLOSED),
    ])  # fmt: skip
    # Each part is in case order and, within a case, the parts come in time order: a stable sort by case
    # (merging four sorted runs) orders every case's rows by time.
    order = np.argsort(case, kind="stable")
    case, moment, code = case[order], moment[order], code[order]
    # Two changes of a case in the same second: the later one only (the key holds one status per moment).
    keep = np.r_[(case[1:] != case[:-1]) | (moment[1:] != moment[:-1]), True]
    frame = pl.DataFrame({"case": case[keep] + start, "at": moment[keep] * 1_000_000, "code": code[keep]})
    return conform(
        "case_status_history",
        frame.select(
            entity_ids("C", pl.col("case")).alias("case_id"),
            pl.col("code").replace_strict(dict(enumerate(_STATUSES)), return_dtype=pl.String).alias("status"),
            pl.col("at").cast(pl.Datetime("us", "UTC")).alias("changed_at"),
        ),
    ).collect()
