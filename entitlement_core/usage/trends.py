"""Consumption over time, for charts: weekly totals and an entitlement's burndown.

Weeks start on Monday and are weeks of the local consumption day (the
entitlement's time zone). The burndown follows one entitlement day by day
over its term up to the as-of day, then projects the burn rate to the end
of the term (DOMAIN.md, "Burn rate, projection").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import polars as pl

from ..settings import Thresholds
from ..staging import Tables
from .ledger import consumption_ledger
from .utilization import utilization

__all__ = ["burndown", "weekly_consumption"]

_BURNDOWN_SCHEMA = {
    "date": pl.Date,
    "consumed": pl.Float64,
    "remaining": pl.Float64,
    "projected_consumed": pl.Float64,
    "projected_remaining": pl.Float64,
    "cap": pl.Float64,
    "is_projection": pl.Boolean,
}


def weekly_consumption(
    tables: Tables, *, as_of: dt.datetime, by: Literal["entitlement", "tier"] = "entitlement"
) -> pl.LazyFrame:
    """Consumption per week, per entitlement or per account tier.

    Grain: one row per (``week_start_date``, entitlement) or per
    (``week_start_date``, tier, unit); weeks with no consumption are absent.

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of moment (timezone-aware).
    by
        ``"entitlement"`` or ``"tier"`` (the account's tier; cases and hours
        are kept apart by ``unit``).

    Returns
    -------
    pl.LazyFrame
        ``week_start_date``, the key columns, ``unit``, ``consumed`` (cases
        or hours) and ``units`` (ledger rows: cases or time entries).
    """
    if by not in ("entitlement", "tier"):
        raise ValueError(f"by must be 'entitlement' or 'tier', not {by!r}")
    ledger = consumption_ledger(tables, as_of=as_of).with_columns(
        pl.col("consumed_date").dt.truncate("1w").alias("week_start_date"),
        pl.when(pl.col("usage_type") == "hours")
        .then(pl.lit("hours"))
        .otherwise(pl.lit("cases"))
        .alias("unit"),
    )
    if by == "entitlement":
        keys = ["week_start_date", "entitlement_id", "usage_type", "unit"]
    else:
        tiers = tables.entitlements.select("entitlement_id", "account_id").join(
            tables.accounts.select("account_id", "tier"), on="account_id", how="left"
        )
        ledger = ledger.join(tiers.select("entitlement_id", "tier"), on="entitlement_id", how="left")
        keys = ["week_start_date", "tier", "unit"]
    return (
        ledger.group_by(keys)
        .agg(pl.col("quantity").sum().round(9).alias("consumed"), pl.len().cast(pl.Int64).alias("units"))
        .sort(keys, nulls_last=True)
    )


def burndown(
    tables: Tables, entitlement_id: str, *, as_of: dt.datetime, burn_window_days: int = 90
) -> pl.LazyFrame:
    """Day-by-day consumption of one entitlement over its term, with the projection.

    Grain: one row per day of the term (``start_date`` to ``end_date``).

    ``consumed`` is cumulative up to the end of each day and is null after
    the as-of day; ``remaining = cap - consumed`` (null when unlimited).
    From the as-of day to the end of the term, ``projected_consumed`` grows
    by the burn rate each day (``consumed`` of the as-of day plus
    ``burn_rate_per_day * days after``), ``is_projection`` marks those days
    after the as-of day. An unknown entitlement gives an empty frame.

    Examples
    --------
    Term 2026-01-01..2026-01-10, cap 10, 4 cases on Jan 2 and 2 on Jan 4,
    as of Jan 5: consumed 0, 4, 4, 6, 6 for Jan 1-5; burn rate 6/5 a day, so
    projected_consumed on Jan 10 is 6 + 1.2 * 5 = 12.
    """
    only = pl.col("entitlement_id") == entitlement_id
    mine = dataclasses.replace(
        tables, entitlements=tables.entitlements.filter(only), cases=tables.cases.filter(only)
    )
    util = utilization(
        mine, as_of=as_of, thresholds=Thresholds(), burn_window_days=burn_window_days
    ).collect()
    if util.height == 0:
        return pl.LazyFrame(schema=_BURNDOWN_SCHEMA)
    row = util.row(0, named=True)
    start, end, as_of_date = row["start_date"], row["end_date"], row["as_of_date"]
    cap, burn, consumed_now = row["cap"], row["burn_rate_per_day"], row["consumed"]
    daily = (
        consumption_ledger(mine, as_of=as_of)
        .group_by(pl.col("consumed_date").alias("date"))
        .agg(pl.col("quantity").sum().alias("_day"))
    )
    days = pl.LazyFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    after = (pl.col("date") - pl.lit(as_of_date)).dt.total_days()
    cap_lit = pl.lit(cap, dtype=pl.Float64)
    projected = pl.lit(consumed_now, dtype=pl.Float64) + pl.lit(burn, dtype=pl.Float64) * after
    return (
        days.join(daily, on="date", how="left")
        .sort("date")
        .with_columns(pl.col("_day").fill_null(0.0).cum_sum().round(9).alias("_cum"))
        .select(
            "date",
            pl.when(pl.col("date") <= as_of_date).then(pl.col("_cum")).alias("consumed"),
            pl.when(pl.col("date") <= as_of_date)
            .then((cap_lit - pl.col("_cum")).round(9))
            .alias("remaining"),
            pl.when(after >= 0).then(projected.round(6)).alias("projected_consumed"),
            pl.when(after >= 0).then((cap_lit - projected).round(6)).alias("projected_remaining"),
            cap_lit.alias("cap"),
            (after > 0).alias("is_projection"),
        )
    )
