"""Grants and drawdown: one balance from an anchor, top-up packs, rollovers and commitments.

An entitlement's cap is its **anchor grant** (implicit when only ``cap`` is
given, valid over the term); packs, rollovers and monetary commitments are
further rows of ``grants``. Consumption draws from the grants valid at its
moment in a fixed, documented order:

1. lower ``priority`` first (when empty: rollover 10, anchor 20, pack 30,
   commitment 40 — carried-over balance is used before it can expire, money
   last);
2. then the earliest ``expires_at`` (no expiry last);
3. then the earliest ``effective_from``, then ``grant_id``.

Consumption no valid grant can cover is a **deficit** (overage). A grant that
becomes valid later covers an open deficit first, as a top-up pack bought
after running out does. A grant that expires with balance left reports that
balance as **breakage**. With only a cap, this gives exactly
``remaining = cap - consumed`` (DOMAIN.md, "Consumption rules" 7).

A commitment grant holds money: ``quantity`` in currency drawn at
``unit_rate`` currency per unit, so it covers ``quantity / unit_rate`` units.

Drawdown runs over the few moments at which the set of valid grants changes
(each grant's start and expiry), vectorised over all entitlements at once:
a Python loop over those segments, never over rows.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

__all__ = [
    "DEFAULT_PRIORITY",
    "drawdown",
    "effective_grants",
    "rollover_quantity",
]

#: Draw order for grants with no priority of their own.
DEFAULT_PRIORITY = {"rollover": 10, "anchor": 20, "pack": 30, "commitment": 40}
_FAR = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
_TS = pl.Datetime("us", "UTC")
_KEY = ["entitlement_id", "resource"]


def effective_grants(grants: pl.LazyFrame, terms: pl.LazyFrame) -> pl.LazyFrame:
    """Stored grants plus the implicit anchor grant of every capped entitlement without one.

    ``terms`` has one row per entitlement: entitlement_id, usage_type, cap,
    start_utc, end_utc (UTC instants of the term's local start and end).
    Grant rows without ``expires_at`` expire with the entitlement's term.

    Returns
    -------
    pl.LazyFrame
        Grain: one row per grant. grant_id, entitlement_id, resource, kind,
        quantity, units (quantity in the resource's units), unit_rate,
        valid_from, valid_to, draw_rank (an Int64 order within the entitlement).
    """
    term = terms.select("entitlement_id", "start_utc", "end_utc")
    explicit = (
        grants.join(term, on="entitlement_id", how="left")
        .with_columns(
            pl.col("effective_from").alias("valid_from"),
            pl.coalesce("expires_at", "end_utc").alias("valid_to"),
        )
        .select(
            "grant_id", "entitlement_id", "resource", "kind", "quantity", "unit_rate", "priority",
            "valid_from", "valid_to",
        )
    )  # fmt: skip
    # An explicit anchor of the entitlement's own resource replaces the implicit one.
    anchored = grants.filter(pl.col("kind") == "anchor").select("entitlement_id", "resource").unique()
    implicit = (
        terms.filter(pl.col("cap").is_not_null() & pl.col("usage_type").is_in(["cases", "hours"]))
        .join(
            anchored,
            left_on=["entitlement_id", "usage_type"],
            right_on=["entitlement_id", "resource"],
            how="anti",
        )
        .select(
            (pl.col("entitlement_id") + ":anchor").alias("grant_id"),
            "entitlement_id",
            pl.col("usage_type").alias("resource"),
            pl.lit("anchor").alias("kind"),
            pl.col("cap").cast(pl.Float64).alias("quantity"),
            pl.lit(None, dtype=pl.Float64).alias("unit_rate"),
            pl.lit(None, dtype=pl.Int64).alias("priority"),
            pl.col("start_utc").alias("valid_from"),
            pl.col("end_utc").alias("valid_to"),
        )
    )
    both = pl.concat([explicit, implicit], how="vertical_relaxed")
    default = pl.col("kind").replace_strict(DEFAULT_PRIORITY, default=50, return_dtype=pl.Int64)
    commitment = (pl.col("kind") == "commitment") & (pl.col("unit_rate") > 0)
    return (
        both.with_columns(
            pl.when(commitment)
            .then(pl.col("quantity") / pl.col("unit_rate"))
            .otherwise("quantity")
            .alias("units"),
            pl.coalesce("priority", default).alias("_prio"),
            pl.col("valid_to").fill_null(pl.lit(_FAR, dtype=_TS)),
        )
        .sort("entitlement_id", "_prio", "valid_to", "valid_from", "grant_id")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("entitlement_id").alias("draw_rank"))
        .drop("_prio", "priority")
    )


def rollover_quantity(unused: pl.Expr, pct: pl.Expr, maximum: pl.Expr) -> pl.Expr:
    """Units that roll into the next term under a plan's policy (DOMAIN.md "renewal").

    No policy (both empty): nothing. ``rollover_pct`` alone: that fraction of
    the unused balance. ``rollover_max`` alone: the unused balance up to it.
    Both: the fraction, capped at the maximum.

    >>> # unused 30, pct 0.5, max 10 -> 10; unused 8, pct 0.5, max 10 -> 4
    """
    base = unused.clip(lower_bound=0) * pct.fill_null(1.0)
    capped = pl.min_horizontal(base, maximum.fill_null(float("inf")))
    return pl.when(pct.is_null() & maximum.is_null()).then(0.0).otherwise(capped)


def _segments(grants: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """Per (entitlement, resource): the moments the valid set changes, up to as_of, numbered."""
    starts = grants.select(*_KEY, pl.col("valid_from").alias("at"))
    ends = grants.select(*_KEY, pl.col("valid_to").alias("at"))
    floor = (
        grants.select(*_KEY).unique().with_columns(pl.lit(dt.datetime(1, 1, 1, tzinfo=dt.UTC)).alias("at"))
    )
    points = (
        pl.concat([floor.with_columns(pl.col("at").cast(_TS)), starts, ends])
        .filter(pl.col("at") <= as_of)
        .unique()
        .sort(*_KEY, "at")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(_KEY).alias("segment"))
    )
    return points


def drawdown(
    grants: pl.LazyFrame, ledger: pl.LazyFrame, *, as_of: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Draw consumption from grants as of a moment.

    Parameters
    ----------
    grants
        :func:`effective_grants` output.
    ledger
        Units of consumption: entitlement_id, resource, consumed_at, quantity.
        Rows after ``as_of`` are ignored.
    as_of
        The moment balances are taken at.

    Returns
    -------
    (per_grant, per_entitlement)
        ``per_grant`` — grain: one row per grant: grant_id, entitlement_id,
        resource, kind, quantity, units, drawn, balance, state
        (``future|active|expired``), breakage (expired unused units).
        ``per_entitlement`` — grain: one row per (entitlement_id, resource)
        with grants: granted, consumed, remaining, overage, breakage, where
        ``consumed + remaining = granted`` and ``overage`` is the uncovered
        deficit (``remaining`` is negative by that much when no balance is left).

    Example
    -------
    Cap 10 (implicit anchor), 11 cases, then a 5-case pack: the pack covers
    the one-case deficit first, leaving ``remaining = 4`` (exhausted -> healthy).
    """
    g = grants.collect()
    points = _segments(g, as_of)
    use = (
        ledger.filter(pl.col("consumed_at") <= as_of)
        .select(*_KEY, "consumed_at", "quantity")
        .collect()
        .sort("consumed_at")
    )
    per_segment = (
        use.join_asof(
            points.sort("at"),
            left_on="consumed_at",
            right_on="at",
            by=_KEY,
            strategy="backward",
            check_sortedness=False,
        )
        .group_by(*_KEY, "segment")
        .agg(pl.col("quantity").sum().alias("demand"))
    )
    state = g.with_columns(pl.col("units").alias("balance"), pl.lit(0.0).alias("drawn"))
    deficit = g.select(*_KEY).unique().with_columns(pl.lit(0.0).alias("deficit"))
    n_segments = int(points.get_column("segment").max() or 0) + 1 if points.height else 0
    for k in range(n_segments):
        seg = points.filter(pl.col("segment") == k).join(
            per_segment.filter(pl.col("segment") == k), on=[*_KEY, "segment"], how="left"
        )
        seg = seg.join(deficit, on=_KEY, how="left").with_columns(
            (pl.col("demand").fill_null(0.0) + pl.col("deficit").fill_null(0.0)).alias("need")
        )
        valid = (pl.col("valid_from") <= pl.col("at")) & (pl.col("at") < pl.col("valid_to"))
        joined = state.join(seg.select(*_KEY, "at", "need"), on=_KEY, how="left").sort(*_KEY, "draw_rank")
        avail = pl.when(valid & pl.col("need").is_not_null()).then(pl.col("balance")).otherwise(0.0)
        joined = joined.with_columns(avail.alias("_avail")).with_columns(
            (pl.col("_avail").cum_sum().over(_KEY) - pl.col("_avail")).alias("_before")
        )
        draw = (pl.col("need").fill_null(0.0) - pl.col("_before")).clip(lower_bound=0.0)
        joined = joined.with_columns(pl.min_horizontal(draw, pl.col("_avail")).alias("_draw"))
        covered = joined.group_by(_KEY).agg(pl.col("_draw").sum().alias("_covered"))
        settled = (
            seg.select(*_KEY, "need")
            .join(covered, on=_KEY, how="left")
            .select(
                *_KEY,
                (pl.col("need") - pl.col("_covered").fill_null(0.0)).clip(lower_bound=0.0).alias("_new"),
            )
        )
        # Keys with no segment k keep their deficit.
        deficit = deficit.join(settled, on=_KEY, how="left").select(
            *_KEY, pl.coalesce("_new", "deficit").alias("deficit")
        )
        state = joined.with_columns(
            (pl.col("balance") - pl.col("_draw")).alias("balance"),
            (pl.col("drawn") + pl.col("_draw")).alias("drawn"),
        ).select(state.columns)
    state = state.with_columns(
        pl.when(pl.col("valid_from") > as_of)
        .then(pl.lit("future"))
        .when(pl.col("valid_to") <= as_of)
        .then(pl.lit("expired"))
        .otherwise(pl.lit("active"))
        .alias("state")
    ).with_columns(
        pl.when(pl.col("state") == "expired").then(pl.col("balance")).otherwise(0.0).alias("breakage")
    )
    per_grant = state.select(
        "grant_id", "entitlement_id", "resource", "kind", "quantity", "units", "unit_rate",
        "valid_from", "valid_to", "drawn", "balance", "state", "breakage",
    )  # fmt: skip
    consumed = use.group_by(_KEY).agg(pl.col("quantity").sum().alias("consumed"))
    per_entitlement = (
        state.group_by(_KEY)
        .agg(
            pl.col("balance").filter(pl.col("state") == "active").sum().alias("_active"),
            pl.col("drawn").sum().alias("_drawn"),
            pl.col("breakage").sum().alias("breakage"),
        )
        .join(deficit, on=_KEY, how="left")
        .join(consumed, on=_KEY, how="left")
        .select(
            *_KEY,
            (pl.col("_drawn") + pl.col("_active")).alias("granted"),
            pl.col("consumed").fill_null(0.0),
            (pl.col("_active") - pl.col("deficit").fill_null(0.0)).alias("remaining"),
            pl.col("deficit").fill_null(0.0).alias("overage"),
            "breakage",
        )
    )
    return per_grant, per_entitlement
