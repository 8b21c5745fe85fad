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

Consumption no valid grant can cover is a **deficit**: the entitlement's
overage (DOMAIN.md usage management). A grant that becomes valid later
covers an open deficit first, as a top-up pack bought after running out
does. A grant that expires with balance left reports that balance as
**breakage**. With only a cap, this gives exactly ``remaining = cap -
consumed`` (DOMAIN.md, "Consumption rules" 7).

Quantities are exact (``Decimal``) and in the resource's base unit: a
case, a minute for ``hours`` (a grant of 10 hours holds 600), a unit of a
metered resource. A commitment grant holds money: ``quantity`` in currency
drawn at ``unit_rate`` currency per resource unit, so it covers ``quantity /
unit_rate`` units (multiplied to the base unit first, divided last).

Drawdown runs over the few moments at which the set of valid grants changes
(each grant's start and expiry), vectorised over all entitlements at once:
a Python loop over those segments, never over rows. Consumption is summed
per segment by the :data:`~entitlement_core.kernels.rows.DRAWDOWN_DEMAND`
kernel. Each entitlement is drawn as of its own as-of moment (``_as_of``).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..kernels import run_local
from ..kernels.ledger import QUANTITY
from ..kernels.rows import DRAWDOWN_DEMAND, DrawdownContext
from ..kernels.zones import UTC_TS

__all__ = [
    "DEFAULT_PRIORITY",
    "base_factor",
    "draw",
    "drawdown",
    "drawdown_context",
    "effective_grants",
    "rollover_quantity",
]

#: Draw order for grants with no priority of their own.
DEFAULT_PRIORITY = {"rollover": 10, "anchor": 20, "pack": 30, "commitment": 40}
_FAR = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
_FLOOR = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_KEY = ["entitlement_id", "resource"]
_ZERO = pl.lit(0).cast(QUANTITY)


def base_factor(resource: pl.Expr) -> pl.Expr:
    """Base units per unit of a resource: 60 minutes per hour, else 1."""
    return pl.when(resource == "hours").then(pl.lit(60)).otherwise(pl.lit(1)).cast(QUANTITY)


def effective_grants(grants: pl.LazyFrame, terms: pl.LazyFrame) -> pl.LazyFrame:
    """Stored grants plus the implicit anchor grant of every capped entitlement without one.

    ``terms`` has one row per entitlement: entitlement_id, usage_type, cap,
    start_utc, end_utc (UTC instants of the term's local start and end) and,
    optionally, ``as_of_at`` (the entitlement's as-of moment, kept as
    ``_as_of``). Grant rows without ``expires_at`` expire with the term.

    Returns
    -------
    pl.LazyFrame
        Grain: one row per grant. grant_id, entitlement_id, resource, kind,
        quantity, units (in the resource's base unit, exact), unit_rate,
        valid_from, valid_to, draw_rank (an Int64 order within the
        entitlement) and ``_as_of`` when the terms carry it.
    """
    names = terms.collect_schema().names()
    as_of = ["as_of_at"] if "as_of_at" in names else []
    term = terms.select("entitlement_id", "start_utc", "end_utc", *as_of)
    explicit = (
        grants.join(term, on="entitlement_id", how="left")
        .with_columns(
            pl.col("effective_from").alias("valid_from"),
            pl.coalesce("expires_at", "end_utc").alias("valid_to"),
            pl.col("quantity").cast(QUANTITY),
            pl.col("unit_rate").cast(QUANTITY),
        )
        .select(
            "grant_id", "entitlement_id", "resource", "kind", "quantity", "unit_rate", "priority",
            "valid_from", "valid_to", *as_of,
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
            pl.col("cap").cast(QUANTITY).alias("quantity"),
            pl.lit(None, dtype=QUANTITY).alias("unit_rate"),
            pl.lit(None, dtype=pl.Int64).alias("priority"),
            pl.col("start_utc").alias("valid_from"),
            pl.col("end_utc").alias("valid_to"),
            *as_of,
        )
    )
    both = pl.concat([explicit, implicit], how="vertical_relaxed")
    default = pl.col("kind").replace_strict(DEFAULT_PRIORITY, default=50, return_dtype=pl.Int64)
    commitment = (pl.col("kind") == "commitment") & (pl.col("unit_rate") > 0)
    factor = base_factor(pl.col("resource"))
    return (
        both.with_columns(
            # Multiplied to the base unit first, divided by the rate last: 1000 at 150 an hour is 400 minutes.
            pl.when(commitment)
            .then(pl.col("quantity") * factor / pl.col("unit_rate"))
            .otherwise(pl.col("quantity") * factor)
            .alias("units"),
            pl.coalesce("priority", default).alias("_prio"),
            pl.col("valid_to").fill_null(pl.lit(_FAR, dtype=UTC_TS)),
        )
        .rename({"as_of_at": "_as_of"} if as_of else {})
        .sort("entitlement_id", "_prio", "valid_to", "valid_from", "grant_id")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("entitlement_id").alias("draw_rank"))
        .drop("_prio", "priority")
    )


def rollover_quantity(unused: pl.Expr, pct: pl.Expr, maximum: pl.Expr) -> pl.Expr:
    """Units that roll into the next term under a plan's policy (DOMAIN.md "renewal").

    No policy (both empty): nothing. ``rollover_pct`` alone: that fraction of
    the unused balance. ``rollover_max`` alone: the unused balance up to it.
    Both: the fraction, capped at the maximum. Exact (``Decimal``).

    >>> # unused 30, pct 0.5, max 10 -> 10; unused 8, pct 0.5, max 10 -> 4
    """
    unused = unused.cast(QUANTITY).clip(lower_bound=_ZERO)
    base = unused * pct.cast(QUANTITY).fill_null(pl.lit(1).cast(QUANTITY))
    capped = pl.when(maximum.is_null()).then(base).otherwise(pl.min_horizontal(base, maximum.cast(QUANTITY)))
    return pl.when(pct.is_null() & maximum.is_null()).then(_ZERO).otherwise(capped)


def drawdown_context(
    grants: pl.DataFrame, own: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, DrawdownContext]:
    """The grants keyed for the draw (``_k`` per (entitlement, resource), in draw order) and the
    kernel's context: keys and the moments the valid set changes, up to each key's as-of moment.

    ``grants`` is :func:`effective_grants` output, collected, with ``_ent``
    and ``_as_of``; ``own`` (``_ent, resource``) names each entitlement's own
    resource, whose units come without one.
    """
    g = grants.sort(*_KEY, "draw_rank").with_columns(pl.struct(_KEY).rle_id().alias("_k"))
    starts = g.select("_k", "_as_of", pl.col("valid_from").alias("at"))
    ends = g.select("_k", "_as_of", pl.col("valid_to").alias("at"))
    floor = g.select("_k", "_as_of").unique().with_columns(pl.lit(_FLOOR, dtype=UTC_TS).alias("at"))
    points = (
        pl.concat([floor, starts, ends])
        .filter(pl.col("at") <= pl.col("_as_of"))
        .select("_k", "at")
        .unique()
        .sort("_k", "at")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("_k").alias("segment"))
    )
    keys = g.select("_ent", "resource", "_k").unique()
    if own is None:
        return g, DrawdownContext(keys=keys, points=points)
    owned = keys.join(own.select("_ent", "resource"), on=["_ent", "resource"], how="inner")
    return g, DrawdownContext(keys=keys, points=points, own=owned.select("_ent", "_k"))


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
    need = pl.col(f"demand_{s}").fill_null(_ZERO) + pl.col("deficit")
    valid = has & (pl.col("valid_from") <= at) & (at < pl.col("valid_to"))
    avail = pl.when(valid).then(pl.col("balance")).otherwise(_ZERO)
    before = avail.cum_sum().over("_k") - avail
    draw = pl.min_horizontal((need - before).clip(lower_bound=_ZERO), avail)
    return frame.with_columns(draw.alias("_draw"), need.alias("_need")).with_columns(
        pl.col("balance") - pl.col("_draw"),
        pl.col("drawn") + pl.col("_draw"),
        pl.when(has)
        .then((pl.col("_need") - pl.col("_draw").sum().over("_k")).clip(lower_bound=_ZERO))
        .otherwise(pl.col("deficit"))
        .alias("deficit"),
    )


def draw(
    grants: pl.DataFrame, context: DrawdownContext, demand: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Draw the summed demand of each segment from the grants (see :func:`drawdown` for the output)."""
    points = context.points
    consumed = demand.lazy().group_by("_k").agg(pl.col("demand").sum().alias("consumed"))
    n_segments = int(points.get_column("segment").max() or 0) + 1 if points.height else 0
    plan = grants.lazy().with_columns(
        pl.col("units").alias("balance"), _ZERO.alias("drawn"), _ZERO.alias("deficit")
    )
    if n_segments:
        plan = plan.join(_wide(points, "at", n_segments), on="_k", how="left", maintain_order="left").join(
            _wide(demand, "demand", n_segments), on="_k", how="left", maintain_order="left"
        )
    for s in range(n_segments):
        plan = _draw_segment(plan, s)
    state = plan.with_columns(
        pl.when(pl.col("valid_from") > pl.col("_as_of"))
        .then(pl.lit("future"))
        .when(pl.col("valid_to") <= pl.col("_as_of"))
        .then(pl.lit("expired"))
        .otherwise(pl.lit("active"))
        .alias("state")
    ).with_columns(
        pl.when(pl.col("state") == "expired").then(pl.col("balance")).otherwise(_ZERO).alias("breakage")
    )
    per_grant = state.select(
        "grant_id", "entitlement_id", "resource", "kind", "quantity", "units", "unit_rate",
        "valid_from", "valid_to", "drawn", "balance", "state", "breakage",
    )  # fmt: skip
    per_key = (
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
            pl.col("consumed").fill_null(_ZERO),
            (pl.col("_active") - pl.col("deficit")).alias("remaining"),
            pl.col("deficit").alias("overage"),
            "breakage",
        )
    )
    grant_rows, key_rows = pl.collect_all([per_grant, per_key], engine="in-memory")
    return grant_rows, key_rows


def drawdown(
    grants: pl.LazyFrame, ledger: pl.LazyFrame, *, as_of: dt.datetime | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Draw consumption from grants as of a moment.

    Parameters
    ----------
    grants
        :func:`effective_grants` output (with ``_as_of`` per entitlement,
        or a single ``as_of`` for all).
    ledger
        Units of consumption: entitlement_id, resource, consumed_at,
        quantity (base units). Rows after the as-of moment are ignored.
    as_of
        The moment balances are taken at, when the grants carry no ``_as_of``.

    Returns
    -------
    (per_grant, per_entitlement)
        ``per_grant`` — grain: one row per grant: grant_id, entitlement_id,
        resource, kind, quantity, units, unit_rate, valid_from, valid_to,
        drawn, balance, state (``future|active|expired``), breakage
        (expired unused units). ``per_entitlement`` — grain: one row per
        (entitlement_id, resource) with grants: granted, consumed, remaining,
        overage, breakage, where ``consumed + remaining = granted`` and
        ``overage`` is the uncovered deficit (``remaining`` is negative by
        that much when no balance is left). Quantities exact, in base units.

    Example
    -------
    Cap 10 (implicit anchor), 11 cases, then a 5-case pack: the pack covers
    the one-case deficit first, leaving ``remaining = 4`` (exhausted -> healthy).
    """
    g = grants.collect(engine="in-memory").with_columns(pl.col("units").cast(QUANTITY))
    if "_as_of" not in g.columns:
        if as_of is None:
            raise ValueError("drawdown needs as_of when the grants carry no _as_of")
        g = g.with_columns(pl.lit(as_of).cast(UTC_TS).alias("_as_of"))
    # An integer entitlement key for the kernel (the ledger names entitlements by id).
    ids = g.select("entitlement_id").unique().sort("entitlement_id").with_row_index("_ent")
    g = g.join(ids, on="entitlement_id", how="left")
    g, context = drawdown_context(g)
    limits = g.select("entitlement_id", "_as_of").unique("entitlement_id")
    units = (
        ledger.join(limits.lazy(), on="entitlement_id", how="inner")
        .filter(pl.col("consumed_at") <= pl.col("_as_of"))
        .join(ids.lazy(), on="entitlement_id", how="inner")
        .select("_ent", "resource", "consumed_at", pl.col("quantity").cast(QUANTITY))
    )
    demand = run_local(DRAWDOWN_DEMAND, units, context, as_of)
    return draw(g, context, demand)
