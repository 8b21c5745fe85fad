"""Where each entitlement stands: the per-entitlement intermediate every usage mart reads.

Two steps of the intermediate layer (:class:`~entitlement_core.basis.Basis`):

- :func:`with_rules`: the terms with the rules that apply to them: the
  burn-rate window (DOMAIN.md "Burn rate": the trailing ``W`` days clipped
  to the term, ``[max(start, as-of day - (W - 1)), min(as-of day, end)]``),
  the near-limit thresholds (the plan's where set, else the settings'),
  the plan's overage rate, the unit and the base unit (a case; a minute for
  ``hours``);
- :func:`positions`: consumption, allotment and what follows, exact, in
  base units: ``cap_base`` is the allotment (the entitlement's own ``cap``,
  or with grants of its own resource the grant drawdown's allotment),
  ``remaining_base = cap_base - consumed_base`` (may be negative), and
  ``overage_base = max(consumed_base - cap_base, 0)``: what no grant
  covers, the one meaning of overage (DOMAIN.md usage management).

Display units (cases, hours as floats) are made only by marts.
"""

from __future__ import annotations

import polars as pl

from ..kernels.ledger import CONTEXT_SCHEMA, QUANTITY
from ..kernels.zones import DAY_US, DayTable, local_midnight_utc
from ..settings import Settings

__all__ = [
    "anchor_only_grants",
    "context_terms",
    "empty_drawdown",
    "positions",
    "reached_selection",
    "window_rules",
    "with_cap_reached",
    "with_rules",
]

_ZERO = pl.lit(0).cast(QUANTITY)


def with_rules(terms: pl.LazyFrame, plans: pl.LazyFrame, *, settings: Settings) -> pl.LazyFrame:
    """Terms (:func:`~entitlement_core.usage.terms.entitlement_terms`) with the rules that apply to them.

    Grain: one row per entitlement. Adds ``is_hours``, ``on_closed``,
    ``unit`` (``cases`` or ``hours``), ``factor`` (base units per unit:
    60 minutes an hour, else 1), ``window_start_date``, ``window_end_date``,
    ``window_days`` (null when the window is empty: not started, or ended
    more than ``W`` days ago), ``term_days``, ``days_left``,
    ``near_limit_pct``, ``near_limit_remaining``, ``overage_rate``.
    """
    window = settings.burn_window_days
    if window < 1:
        raise ValueError("burn_window_days must be at least 1")
    thresholds = settings.thresholds
    rules = plans.select(
        "plan",
        pl.col("near_limit_pct").alias("_plan_pct"),
        pl.col("near_limit_remaining").alias("_plan_remaining"),
        "overage_rate",
    )
    ruled = terms.join(rules, on="plan", how="left").with_columns(
        (pl.col("usage_type") == "hours").alias("is_hours"),
        (pl.col("consume_on") == "closed").alias("on_closed"),
        pl.when(pl.col("usage_type") == "hours")
        .then(pl.lit("hours"))
        .otherwise(pl.lit("cases"))
        .alias("unit"),
        pl.when(pl.col("usage_type") == "hours").then(60).otherwise(1).cast(QUANTITY).alias("factor"),
        pl.col("_plan_pct").fill_null(thresholds.near_limit_pct).alias("near_limit_pct"),
        pl.col("_plan_remaining").fill_null(thresholds.near_limit_remaining).alias("near_limit_remaining"),
        pl.col("overage_rate").cast(QUANTITY),
    )
    return window_rules(ruled, window).drop("_plan_pct", "_plan_remaining")


def window_rules(terms: pl.LazyFrame, window: int) -> pl.LazyFrame:
    """The burn-rate window and the days of the term, from ``start_date``, ``end_date`` and ``as_of_date``.

    Adds ``window_start_date``, ``window_end_date``, ``window_days`` (null
    when empty), ``term_days`` and ``days_left`` (DOMAIN.md "Burn rate":
    the trailing ``window`` days clipped to the term). The forecast's
    backtest computes the straight line with these same rules.
    """
    days = lambda a, b: (pl.col(a) - pl.col(b)).dt.total_days()  # noqa: E731
    start = pl.max_horizontal(pl.col("start_date"), pl.col("as_of_date") - pl.duration(days=window - 1))
    return terms.with_columns(
        start.alias("window_start_date"),
        pl.min_horizontal(pl.col("as_of_date"), pl.col("end_date")).alias("window_end_date"),
        (days("end_date", "start_date") + 1).alias("term_days"),
    ).with_columns(
        pl.when(days("window_end_date", "window_start_date") >= 0)
        .then(days("window_end_date", "window_start_date") + 1)
        .alias("window_days"),
        days("end_date", "as_of_date").clip(0, pl.col("term_days")).alias("days_left"),
    )


def context_terms(terms: pl.DataFrame, days: DayTable) -> pl.DataFrame:
    """The kernels' view of the terms (:data:`~entitlement_core.kernels.ledger.CONTEXT_SCHEMA`), with
    ``window_start_utc``: the instant the burn window's first day begins in the entitlement's zone."""
    start = local_midnight_utc(pl.col("window_start_date"), pl.col("timezone"), list(days.zones))
    return terms.with_columns(start.alias("window_start_utc")).select(
        [pl.col(name).cast(dtype) for name, dtype in CONTEXT_SCHEMA.items()]
    )


def positions(terms: pl.DataFrame, totals: pl.DataFrame, per_key: pl.DataFrame) -> pl.DataFrame:
    """Consumption, allotment, remaining and overage of every entitlement, exact, in base units.

    Grain: one row per entitlement (any status). ``terms`` is
    :attr:`Basis.terms <entitlement_core.basis.Basis.terms>`, ``totals`` the
    consumption kernel's totals, ``per_key`` the grant drawdown per
    (entitlement, resource). Adds ``consumed_base``, ``window_base``,
    ``deleted_cases``, ``anchor_cap`` (the entitlement's own cap, as
    given), ``cap_base`` (the allotment; null when unlimited or date-only),
    ``remaining_base`` and ``overage_base``.

    Invariant: ``consumed_base + remaining_base = cap_base`` wherever
    ``cap_base`` is set.
    """
    # The allotment is the drawdown of the entitlement's own resource (cases or hours).
    granted = (
        per_key.join(terms.select("_ent", "usage_type"), on="_ent", how="inner")
        .filter(pl.col("resource") == pl.col("usage_type"))
        .select("_ent", pl.col("granted").alias("_granted"))
    )
    own_cap = pl.when(pl.col("usage_type") != "none").then(pl.col("cap").cast(QUANTITY) * pl.col("factor"))
    return (
        terms.join(
            totals.select("_ent", "consumed", "window_consumed", "deleted_cases"), on="_ent", how="left"
        )
        .join(granted, on="_ent", how="left")
        .with_columns(
            pl.col("consumed").fill_null(_ZERO).alias("consumed_base"),
            pl.col("window_consumed").fill_null(_ZERO).alias("window_base"),
            pl.col("deleted_cases").fill_null(0).cast(pl.Int64),
            pl.col("cap").alias("anchor_cap"),
            pl.when(pl.col("usage_type") != "none").then(pl.coalesce("_granted", own_cap)).alias("cap_base"),
        )
        .with_columns(
            (pl.col("cap_base") - pl.col("consumed_base")).alias("remaining_base"),
            (pl.col("consumed_base") - pl.col("cap_base")).clip(lower_bound=_ZERO).alias("overage_base"),
        )
        .drop("consumed", "window_consumed", "_granted")
    )  # fmt: skip


def in_term() -> pl.Expr:
    """The as-of day is inside the term."""
    return (pl.col("as_of_date") >= pl.col("start_date")) & (pl.col("as_of_date") <= pl.col("end_date"))


def reached_selection(frame: pl.DataFrame) -> pl.DataFrame:
    """Entitlements in their term whose consumption reached the allotment (``_ent, allotment``).

    The day the cap was reached is only shown for terms in progress.
    """
    return frame.filter(
        in_term() & pl.col("cap_base").is_not_null() & (pl.col("consumed_base") >= pl.col("cap_base"))
    ).select("_ent", pl.col("cap_base").alias("allotment"))


def with_cap_reached(frame: pl.DataFrame, reached: pl.DataFrame, days: DayTable) -> pl.DataFrame:
    """``reached_at`` and ``cap_reached_date`` (its local day; ``start_date`` for a cap of 0)."""
    whole_days = (pl.col("reached_at").dt.epoch("us") - pl.col("start_utc").dt.epoch("us")) // DAY_US
    guess = pl.col("start_date").cast(pl.Int64) + whole_days
    return (
        frame.join(reached, on="_ent", how="left")
        .with_columns(days.local_day(pl.col("reached_at"), pl.col("_zone"), guess).alias("_reached_date"))
        .with_columns(
            pl.when(pl.col("cap_base") == 0)
            .then(pl.col("start_date"))
            .when(pl.col("reached_at").is_not_null())
            .then(pl.col("_reached_date"))
            .alias("cap_reached_date")
        )
        .drop("_reached_date")
    )


_GRANT_SCHEMA: dict[str, pl.DataType] = {
    "grant_id": pl.String(), "entitlement_id": pl.String(), "resource": pl.String(), "kind": pl.String(),
    "quantity": QUANTITY, "units": QUANTITY, "unit_rate": QUANTITY,
    "valid_from": pl.Datetime("us", "UTC"), "valid_to": pl.Datetime("us", "UTC"),
    "drawn": QUANTITY, "balance": QUANTITY, "state": pl.String(), "breakage": QUANTITY, "_ent": pl.UInt32(),
}  # fmt: skip
_KEY_SCHEMA: dict[str, pl.DataType] = {
    "entitlement_id": pl.String(), "resource": pl.String(), "granted": QUANTITY, "consumed": QUANTITY,
    "remaining": QUANTITY, "overage": QUANTITY, "breakage": QUANTITY, "_ent": pl.UInt32(),
}  # fmt: skip


def empty_drawdown() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The drawdown's frames with no rows."""
    return pl.DataFrame(schema=_GRANT_SCHEMA), pl.DataFrame(schema=_KEY_SCHEMA)


def anchor_only_grants(frame: pl.DataFrame, drawn: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The implicit anchor grant of every capped entitlement without grants rows, in closed form.

    One grant valid over the whole term and nothing else: it covers every
    unit up to the cap, what is beyond is the deficit; its state follows the
    term and the as-of moment. Exactly what the drawdown gives for it
    (:func:`~entitlement_core.usage.grants.drawdown`), without drawing.
    ``frame`` is :func:`positions` output; ``drawn`` the entitlements already
    drawn (excluded). Returns (per_grant, per_key) as the drawdown does.
    """
    own = pl.col("cap").cast(QUANTITY) * pl.col("factor")
    rows = frame.join(drawn.select("entitlement_id").unique(), on="entitlement_id", how="anti").filter(
        pl.col("cap").is_not_null() & pl.col("usage_type").is_in(["cases", "hours"])
    )
    state = (
        pl.when(pl.col("start_utc") > pl.col("as_of_at"))
        .then(pl.lit("future"))
        .when(pl.col("end_utc") <= pl.col("as_of_at"))
        .then(pl.lit("expired"))
        .otherwise(pl.lit("active"))
    )
    grants = rows.select(
        (pl.col("entitlement_id") + ":anchor").alias("grant_id"),
        "entitlement_id",
        pl.col("usage_type").alias("resource"),
        pl.lit("anchor").alias("kind"),
        pl.col("cap").cast(QUANTITY).alias("quantity"),
        own.alias("units"),
        pl.lit(None, dtype=QUANTITY).alias("unit_rate"),
        pl.col("start_utc").alias("valid_from"),
        pl.col("end_utc").alias("valid_to"),
        pl.min_horizontal(pl.col("consumed_base"), own).alias("drawn"),
        (own - pl.min_horizontal(pl.col("consumed_base"), own)).alias("balance"),
        state.alias("state"),
        "_ent",
    ).with_columns(
        pl.when(pl.col("state") == "expired").then(pl.col("balance")).otherwise(_ZERO).alias("breakage")
    )
    keys = grants.join(rows.select("_ent", "consumed_base"), on="_ent").select(
        "entitlement_id",
        "resource",
        (
            pl.col("drawn") + pl.when(pl.col("state") == "active").then(pl.col("balance")).otherwise(_ZERO)
        ).alias("granted"),
        pl.col("consumed_base").alias("consumed"),
        (
            pl.when(pl.col("state") == "active").then(pl.col("balance")).otherwise(_ZERO)
            - (pl.col("consumed_base") - pl.col("drawn"))
        ).alias("remaining"),
        (pl.col("consumed_base") - pl.col("drawn")).alias("overage"),
        "breakage",
        "_ent",
    )
    return (
        grants.select([pl.col(c).cast(t) for c, t in _GRANT_SCHEMA.items()]),
        keys.select([pl.col(c).cast(t) for c, t in _KEY_SCHEMA.items()]),
    )
