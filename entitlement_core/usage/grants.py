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
_FLOOR = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
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


def _segments(grants: pl.LazyFrame, as_of: dt.datetime) -> pl.LazyFrame:
    """Per key ``_k``: the moments the valid set changes, up to as_of, numbered from 0."""
    starts = grants.select("_k", pl.col("valid_from").alias("at"))
    ends = grants.select("_k", pl.col("valid_to").alias("at"))
    floor = grants.select("_k").unique().with_columns(pl.lit(_FLOOR, dtype=_TS).alias("at"))
    return (
        pl.concat([floor, starts, ends])
        .filter(pl.col("at") <= as_of)
        .unique()
        .sort("_k", "at")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("_k").alias("segment"))
    )


def _wide(frame: pl.DataFrame, value: str, n_segments: int) -> pl.LazyFrame:
    """``value`` per (``_k``, ``segment``) as one row per key, columns ``{value}_0 .. _{n-1}``."""
    return (
        frame.lazy()
        .pivot(on="segment", on_columns=list(range(n_segments)), index="_k", values=value)
        .rename({str(s): f"{value}_{s}" for s in range(n_segments)})
    )


def _draw_segment(frame: pl.LazyFrame, s: int) -> pl.LazyFrame:
    """Draw segment ``s``: its demand plus the open deficit, from the grants valid at its moment.

    Rows are grants, in draw order within their key ``_k``; ``at_s`` and
    ``demand_s`` are the key's segment moment and demand (null when the key
    has fewer segments: nothing changes), ``deficit`` the key's open deficit.
    """
    at = pl.col(f"at_{s}")
    has = at.is_not_null()
    need = pl.col(f"demand_{s}").fill_null(0.0) + pl.col("deficit")
    valid = has & (pl.col("valid_from") <= at) & (at < pl.col("valid_to"))
    avail = pl.when(valid).then(pl.col("balance")).otherwise(0.0)
    before = avail.cum_sum().over("_k") - avail
    draw = pl.min_horizontal((need - before).clip(lower_bound=0.0), avail)
    return frame.with_columns(draw.alias("_draw"), need.alias("_need")).with_columns(
        pl.col("balance") - pl.col("_draw"),
        pl.col("drawn") + pl.col("_draw"),
        pl.when(has)
        .then((pl.col("_need") - pl.col("_draw").sum().over("_k")).clip(lower_bound=0.0))
        .otherwise(pl.col("deficit"))
        .alias("deficit"),
    )


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

    Notes
    -----
    Consumption is summed per segment (between two moments at which the
    valid set changes), then the segments are drawn in order, all keys at
    once: one lazy plan of a few steps per segment over the grants (few
    rows), collected once. Units consumed exactly when a grant expires are
    not covered by it (validity is ``valid_from <= t < valid_to``).

    Example
    -------
    Cap 10 (implicit anchor), 11 cases, then a 5-case pack: the pack covers
    the one-case deficit first, leaving ``remaining = 4`` (exhausted -> healthy).
    """
    # An integer key per (entitlement, resource), in draw order: every window below runs over it.
    # The grants are few: collected once, here.
    g = (
        grants.sort(*_KEY, "draw_rank")
        .with_columns(pl.struct(_KEY).rle_id().alias("_k"))
        .collect(engine="in-memory")
    )
    points = _segments(g.lazy(), as_of)
    # The ledger may scan the store: collected on the default engine, the rest (few rows) in memory.
    use = (
        ledger.filter(pl.col("consumed_at") <= as_of)
        .select(*_KEY, "consumed_at", "quantity")
        .join(g.lazy().select(*_KEY, "_k").unique(), on=_KEY, how="inner")
        .select("_k", "consumed_at", "quantity")
        .collect()
    )
    demand = (
        use.lazy()
        .sort("consumed_at")
        .join_asof(
            points.sort("at"), left_on="consumed_at", right_on="at", by="_k", strategy="backward",
            check_sortedness=False,
        )
        .group_by("_k", "segment")
        .agg(pl.col("quantity").sum().alias("demand"))
    )  # fmt: skip
    points, demand = pl.collect_all([points, demand], engine="in-memory")
    # Every unit falls in a segment (the first starts at the dawn of time).
    consumed = demand.lazy().group_by("_k").agg(pl.col("demand").sum().alias("consumed"))
    n_segments = int(points.get_column("segment").max() or 0) + 1 if points.height else 0
    plan = g.lazy().with_columns(
        pl.col("units").alias("balance"), pl.lit(0.0).alias("drawn"), pl.lit(0.0).alias("deficit")
    )
    if n_segments:
        plan = plan.join(_wide(points, "at", n_segments), on="_k", how="left", maintain_order="left").join(
            _wide(demand, "demand", n_segments), on="_k", how="left", maintain_order="left"
        )
    for s in range(n_segments):
        plan = _draw_segment(plan, s)
    state = plan.with_columns(
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
    per_entitlement = (
        state.group_by("_k", *_KEY)
        .agg(
            pl.col("balance").filter(pl.col("state") == "active").sum().alias("_active"),
            pl.col("drawn").sum().alias("_drawn"),
            pl.col("breakage").sum().alias("breakage"),
            pl.col("deficit").first(),
        )
        .join(consumed, on="_k", how="left")
        .sort("_k")
        .select(
            *_KEY,
            (pl.col("_drawn") + pl.col("_active")).alias("granted"),
            pl.col("consumed").fill_null(0.0),
            (pl.col("_active") - pl.col("deficit")).alias("remaining"),
            pl.col("deficit").alias("overage"),
            "breakage",
        )
    )
    grant_rows, key_rows = pl.collect_all([per_grant, per_entitlement], engine="in-memory")
    return grant_rows, key_rows
