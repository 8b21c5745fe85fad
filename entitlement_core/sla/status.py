"""Milestone status as of a moment (DOMAIN.md, "Milestones (SLA)", EXAMPLES.md 16-24).

| status | when (first match wins) |
|---|---|
| ``met`` | completed and ``completed_at <= target_at`` |
| ``violated`` | completed later than ``target_at``, or open and ``as_of > target_at`` |
| ``paused`` | open, not violated, and the clock is stopped at the as-of moment |
| ``at_risk`` | open and business minutes left (target - elapsed) <= the warning window |
| ``open`` | otherwise |

``completed_at`` must already be null for a completion after ``as_of``
(it has not happened yet). A null ``target_at`` (a calendar that never
opens again) is never reached: completed is ``met``, open is never violated.
A milestone violated before a pause stays violated while paused: the pause
does not move a target that had already passed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

__all__ = ["STATUSES", "STATUS_ORDER", "milestone_status"]

#: Every status, in the order a worklist shows them (most urgent first).
STATUS_ORDER: tuple[str, ...] = ("violated", "at_risk", "paused", "open", "met")
#: Every status a milestone can have.
STATUSES: tuple[str, ...] = ("met", "violated", "at_risk", "open", "paused")


def milestone_status(
    as_of: dt.datetime | pl.Expr, *, budget: str = "target_minutes", paused: str | None = None
) -> pl.Expr:
    """Status of each instance as of ``as_of`` (a moment, or a column: each instance's own).

    Reads ``completed_at``, ``target_at``, ``elapsed_minutes``,
    ``warning_minutes``, the business minutes the target allows
    (``budget``: ``target_minutes``, or for a target of record the minutes
    from the start to it) and, when given, the Boolean column ``paused``
    (the clock is stopped at the as-of moment); null when there is no target.

    Examples
    --------
    Target 240, warning window 60 (25%): open with 180 elapsed -> ``at_risk``,
    170 elapsed -> ``open``; as of exactly ``target_at`` -> ``at_risk``, a
    minute later -> ``violated``; completed exactly at ``target_at`` -> ``met``.
    Open and waiting on the customer at the as-of moment -> ``paused``.
    """
    as_of_at = as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    done = pl.col("completed_at").is_not_null()
    reached = pl.col("target_at").is_not_null()
    left = pl.col(budget) - pl.col("elapsed_minutes")
    stopped = pl.col(paused).fill_null(False) if paused is not None else pl.lit(False)
    return (
        pl.when(pl.col(budget).is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(done & (~reached | (pl.col("completed_at") <= pl.col("target_at"))))
        .then(pl.lit("met"))
        .when(done)
        .then(pl.lit("violated"))
        .when(reached & (as_of_at > pl.col("target_at")))
        .then(pl.lit("violated"))
        .when(stopped)
        .then(pl.lit("paused"))
        .when(left <= pl.col("warning_minutes"))
        .then(pl.lit("at_risk"))
        .otherwise(pl.lit("open"))
    )
