"""Consumption over time, for charts: weekly totals and an entitlement's burn-down.

Both read the consumption kernel's days (:attr:`Basis.consumption
<entitlement_core.basis.Basis.consumption>`: per entitlement and local day),
so they agree with utilization to the unit. Weeks start on Monday and are
weeks of the local consumption day (the entitlement's time zone). The
burn-down follows one entitlement day by day over its term up to the as-of
day, then projects the burn rate to the end of the term (DOMAIN.md, "Burn
rate, projection").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import polars as pl

from ..display import in_units

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["BURNDOWN_SCHEMA", "burndown", "weekly_consumption"]

BURNDOWN_SCHEMA = {
    "date": pl.Date,
    "consumed": pl.Float64,
    "remaining": pl.Float64,
    "projected_consumed": pl.Float64,
    "projected_remaining": pl.Float64,
    "cap": pl.Float64,
    "is_projection": pl.Boolean,
    "expected_consumed": pl.Float64,
    "band_p10": pl.Float64,
    "band_p90": pl.Float64,
}


def weekly_consumption(basis: Basis, *, by: Literal["entitlement", "tier"] = "entitlement") -> pl.DataFrame:
    """Consumption per week, per entitlement or per account tier.

    Grain: one row per (``week_start_date``, entitlement) or per
    (``week_start_date``, tier, unit); weeks with no consumption are absent.

    Parameters
    ----------
    basis
        The intermediate layer (data and as-of).
    by
        ``"entitlement"`` or ``"tier"`` (the account's tier; cases and hours
        are kept apart by ``unit``).

    Returns
    -------
    pl.DataFrame
        ``week_start_date``, the key columns, ``unit``, ``consumed`` (cases
        or hours) and ``units`` (ledger rows: cases or time entries).
    """
    if by not in ("entitlement", "tier"):
        raise ValueError(f"by must be 'entitlement' or 'tier', not {by!r}")
    facts = basis.terms.lazy().select("_ent", "entitlement_id", "account_id", "usage_type", "unit", "factor")
    days = (
        basis.consumption.daily.lazy()
        .join(facts, on="_ent", how="inner")
        .with_columns(pl.col("consumed_date").dt.truncate("1w").alias("week_start_date"))
    )
    if by == "entitlement":
        keys = ["week_start_date", "entitlement_id", "usage_type", "unit"]
    else:
        tiers = basis.tables.accounts.select("account_id", "tier")
        days = days.join(tiers, on="account_id", how="left")
        keys = ["week_start_date", "tier", "unit"]
    return (
        days.group_by(keys)
        .agg(
            # Summed exactly in base units (one unit per group: cases or minutes), shown in the unit.
            pl.col("quantity").sum(),
            pl.col("factor").first(),
            pl.col("units").sum().cast(pl.Int64).alias("units"),
        )
        .with_columns(in_units("quantity").alias("consumed"))
        .select(*keys, "consumed", "units")
        .sort(keys, nulls_last=True)
        .collect()
    )


def burndown(basis: Basis, entitlement_id: str) -> pl.DataFrame:
    """Day-by-day consumption of one entitlement over its term, with the projection.

    Grain: one row per day of the term (``start_date`` to ``end_date``).

    ``consumed`` is cumulative up to the end of each day and is null after
    the as-of day; ``remaining = cap - consumed`` (null when unlimited).
    From the as-of day to the end of the term, ``projected_consumed`` grows
    by the burn rate each day (``consumed`` of the as-of day plus
    ``burn_rate_per_day * days after``), ``is_projection`` marks those days
    after the as-of day. From the as-of day on, ``expected_consumed`` and
    ``band_p10 .. band_p90`` are the forecast's expected cumulative
    consumption and its 10-90 band (:func:`entitlement_core.forecast.burn_band`,
    the same posterior as the ``forecast`` mart: the band's last day is the
    interval ``projected_p10 .. projected_p90``). An unknown entitlement
    gives an empty frame.

    Examples
    --------
    Term 2026-01-01..2026-01-10, cap 10, 4 cases on Jan 2 and 2 on Jan 4,
    as of Jan 5: consumed 0, 4, 4, 6, 6 for Jan 1-5; burn rate 6/5 a day, so
    projected_consumed on Jan 10 is 6 + 1.2 * 5 = 12.
    """
    util = basis.mart("utilization").filter(pl.col("entitlement_id") == entitlement_id)
    if util.height == 0:
        return pl.DataFrame(schema=BURNDOWN_SCHEMA)
    row = util.row(0, named=True)
    start, end, as_of_date = row["start_date"], row["end_date"], row["as_of_date"]
    ent = basis.terms.filter(pl.col("entitlement_id") == entitlement_id).select("_ent", "factor")
    daily = (
        basis.consumption.daily.lazy()
        .join(ent.lazy(), on="_ent", how="inner")
        .select(pl.col("consumed_date").alias("date"), "quantity", "factor")
    )
    days = pl.LazyFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    after = (pl.col("date") - pl.lit(as_of_date)).dt.total_days()
    cap = pl.lit(row["cap"], dtype=pl.Float64)
    burn = pl.lit(row["burn_rate_per_day"], dtype=pl.Float64)
    projected = pl.lit(row["consumed"], dtype=pl.Float64) + burn * after
    from ..forecast import burn_band, shared_inputs

    band = burn_band(shared_inputs(basis), [entitlement_id], as_of=basis.as_of).select(
        "date",
        pl.col("projected").alias("expected_consumed"),
        pl.col("projected_p10").alias("band_p10"),
        pl.col("projected_p90").alias("band_p90"),
    )
    return (
        days.join(daily, on="date", how="left")
        .sort("date")
        .with_columns(
            # Running total exact in base units, shown in the unit.
            in_units(pl.col("quantity").fill_null(0).cum_sum(), pl.lit(float(ent["factor"][0]))).alias("_cum")
        )
        .select(
            "date",
            pl.when(pl.col("date") <= as_of_date).then(pl.col("_cum")).alias("consumed"),
            pl.when(pl.col("date") <= as_of_date).then(cap - pl.col("_cum")).alias("remaining"),
            pl.when(after >= 0).then(projected).alias("projected_consumed"),
            pl.when(after >= 0).then(cap - projected).alias("projected_remaining"),
            cap.alias("cap"),
            (after > 0).alias("is_projection"),
        )
        .join(band.lazy(), on="date", how="left", maintain_order="left")
        .collect()
    )
