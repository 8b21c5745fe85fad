"""Milestone counts and margins per group: the additive kernels of the SLA side.

Partition contract of both: any row slice of the milestone instances
(already measured as of the as-of moment: ``status``, ``margin_minutes``).
A group is a combination of :data:`GROUP_KEYS`: the milestone, the case's
priority and origin, and the filter dimensions of its account (tier,
region, owner) and entitlement (plan, usage type), which come with the
instance or from the context.

- :data:`COUNTS` (per group and UTC day the milestone started): instances,
  ``met``, ``violated``, ``at_risk``, ``open``, ``paused``, and the SLA
  time of the measured ones in whole business seconds: ``running_seconds``
  (elapsed, the clock running) and ``paused_seconds`` (the clock stopped).
  Weeks and months are sums of days; compliance is ``met / (met +
  violated)`` of any sum (:func:`entitlement_core.sla.compliance.compliance_ratio`),
  the paused share ``paused / (running + paused)``.
- :data:`MARGINS` (per group, week started, status and margin in whole
  business seconds): a histogram of the margins of completed milestones.
  Medians and percentiles come from it, never from concatenated rows; it is
  exact for timestamps in whole seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from . import ANY_ROWS, Frame, Kernel, conform_partial

__all__ = [
    "COUNTS", "COUNT_SCHEMA", "GROUP_KEYS", "MARGINS", "MARGIN_SCHEMA", "STATUSES", "TIME_COLUMNS",
    "SlaContext",
]  # fmt: skip

#: The keys of a milestone group (the compliance breakdowns and the sidebar filters).
GROUP_KEYS = ("milestone", "priority", "origin", "tier", "region", "owner", "plan", "usage_type")
#: Statuses counted, in the order of the partial's columns.
STATUSES = ("met", "violated", "at_risk", "open", "paused")
#: SLA time of the measured milestones, in whole business seconds (exact sums).
TIME_COLUMNS = ("running_seconds", "paused_seconds")
#: Dimensions the context adds per entitlement (the instances carry the others).
CONTEXT_KEYS = ("region", "plan", "usage_type")

COUNT_SCHEMA: dict[str, pl.DataType] = {
    **{k: pl.String() for k in GROUP_KEYS},
    "started_date": pl.Date(),
    "instances": pl.Int64(),
    **{s: pl.Int64() for s in STATUSES},
    **{t: pl.Int64() for t in TIME_COLUMNS},
}

MARGIN_SCHEMA: dict[str, pl.DataType] = {
    **{k: pl.String() for k in GROUP_KEYS},
    "week_start_date": pl.Date(),
    "status": pl.String(),
    "margin_seconds": pl.Int64(),
    "instances": pl.Int64(),
}


@dataclass(frozen=True, eq=False)
class SlaContext:
    """Per entitlement: ``entitlement_id, region, plan, usage_type`` (small)."""

    dims: pl.DataFrame


def _grouped(instances: Frame, context: SlaContext | None) -> pl.LazyFrame:
    frame = instances.lazy()
    have = frame.collect_schema().names()
    if context is not None:
        add = [k for k in CONTEXT_KEYS if k not in have]
        if add:
            frame = frame.join(
                context.dims.lazy().select("entitlement_id", *add), on="entitlement_id", how="left"
            )
    have = frame.collect_schema().names()
    missing = [pl.lit(None, dtype=pl.String).alias(k) for k in GROUP_KEYS if k not in have]
    return frame.with_columns(missing) if missing else frame


def _seconds(minutes: str) -> pl.Expr:
    """The sum of a minutes column over the measured instances (with a status), in whole seconds each."""
    measured = pl.col("status").is_not_null()
    per_row = (pl.col(minutes).fill_null(0.0) * 60).round(0).cast(pl.Int64)
    return per_row.filter(measured).sum().cast(pl.Int64)


def counts_kernel(instances: Frame, context: SlaContext | None = None, as_of: Any = None) -> pl.DataFrame:
    """Instances, statuses and SLA time per group and day started, of a slice of milestone instances."""
    frame = _grouped(instances, context)
    have = frame.collect_schema().names()
    # Instances measured without a stopped clock carry no paused time.
    absent = [pl.lit(0.0).alias(c) for c in ("elapsed_minutes", "paused_minutes") if c not in have]
    counts = (
        frame.with_columns(*absent, pl.col("started_at").dt.date().alias("started_date"))
        .group_by(*GROUP_KEYS, "started_date")
        .agg(
            pl.len().cast(pl.Int64).alias("instances"),
            *[(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in STATUSES],
            _seconds("elapsed_minutes").alias("running_seconds"),
            _seconds("paused_minutes").alias("paused_seconds"),
        )
    )
    return conform_partial(counts.collect(), COUNT_SCHEMA)


def _sum(keys: Sequence[str], values: Sequence[str], schema: dict[str, pl.DataType]) -> Any:
    def combine(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return pl.DataFrame(schema=schema)
        merged = pl.concat(parts).group_by(*keys).agg(pl.col(v).sum() for v in values)
        return conform_partial(merged, schema)

    return combine


def margins_kernel(instances: Frame, context: SlaContext | None = None, as_of: Any = None) -> pl.DataFrame:
    """The margin histogram of the completed milestones of a slice (whole business seconds)."""
    margins = (
        _grouped(instances, context)
        .filter(pl.col("status").is_in(["met", "violated"]) & pl.col("margin_minutes").is_not_null())
        .with_columns(
            pl.col("started_at").dt.date().dt.truncate("1w").alias("week_start_date"),
            # The histogram's bins are whole business seconds: the nearest one.
            (pl.col("margin_minutes") * 60).round(0).cast(pl.Int64).alias("margin_seconds"),
        )
        .group_by(*GROUP_KEYS, "week_start_date", "status", "margin_seconds")
        .agg(pl.len().cast(pl.Int64).alias("instances"))
    )
    return conform_partial(margins.collect(), MARGIN_SCHEMA)


def _identity(combined: pl.DataFrame, context: Any = None) -> pl.DataFrame:
    return combined


COUNTS = Kernel(
    name="compliance_counts",
    partition=ANY_ROWS,
    schema=COUNT_SCHEMA,
    kernel=counts_kernel,
    combine=_sum([*GROUP_KEYS, "started_date"], ["instances", *STATUSES, *TIME_COLUMNS], COUNT_SCHEMA),
    finish=_identity,
    grain="one row per milestone group and UTC day started, with instances",
)

MARGINS = Kernel(
    name="margin_histogram",
    partition=ANY_ROWS,
    schema=MARGIN_SCHEMA,
    kernel=margins_kernel,
    combine=_sum([*GROUP_KEYS, "week_start_date", "status", "margin_seconds"], ["instances"], MARGIN_SCHEMA),
    finish=_identity,
    grain="one row per milestone group, week started, status and margin second of completed milestones",
)
