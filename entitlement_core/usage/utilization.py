"""The utilization mart: consumed, remaining, status and projections per entitlement.

DOMAIN.md, "Consumption rules", "Status" and "Burn rate, projection":

- ``remaining = cap - consumed`` (may go negative), ``pct_used = consumed /
  cap``; both null when unlimited. ``cap`` is the allotment: the
  entitlement's own ``cap`` (an empty cap is unlimited even when its plan has
  one), or with grants of its own resource what they allot as of the
  moment (:mod:`.grants`; ``anchor_cap`` keeps the entitlement's own). A
  date-only (``none``) entitlement has no allotment: its ``cap``,
  ``remaining`` and ``pct_used`` are null and ``consumed`` is the count of
  cases naming it inside the term. ``pct_used`` is null for a cap of 0.
- Status, first match wins, as of the entitlement's as-of day (its own
  zone): ``not_started``, ``expired``, ``unlimited``, ``over_cap``,
  ``exhausted``, ``near_limit`` (``pct_used >= near_limit_pct`` or
  ``remaining <= near_limit_remaining``, the plan's thresholds where set),
  ``healthy``. Decided on exact quantities.
- Burn rate: consumption per day over the trailing window ``[max(start_date,
  as_of_date - (W - 1)), min(as_of_date, end_date)]`` (W = 90 by default);
  null when that window is empty (not started, or expired more than W days
  ago).
- ``days_left = end_date - as_of_date`` (0 on the last day and after the
  term; the whole term before it), ``projected_at_end = consumed +
  burn_rate_per_day * days_left`` (``consumed`` once no day is left).
- ``projected_exhaustion_date``: the day remaining reaches zero at the burn
  rate, ``as_of_date + ceil(remaining / burn_rate_per_day)``; null when
  unlimited, when the burn rate is 0 or null, or when that day is after
  ``end_date``. When already exhausted or over cap during the term, it is
  the local day the cap was reached (null once the term is over or before
  it starts).

Grain: one row per entitlement (any status), computed from
:attr:`Basis.positions <entitlement_core.basis.Basis.positions>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..asof import AsOfLike
from ..display import in_units, money, ratio
from ..kernels.ledger import QUANTITY
from ..settings import Settings, Thresholds
from ..staging import Tables
from .banner import banner_expr
from .plans import projected_at_end, projected_shortfall

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "ATTENTION_STATUSES",
    "FORECAST_SHOWN",
    "STATUS_ORDER",
    "UTILIZATION_COLUMNS",
    "forecast_figures",
    "near_limit",
    "status_expr",
    "status_rank",
    "utilization",
    "utilization_forecast",
    "utilization_mart",
    "with_forecast",
]

#: Statuses from worst to best (the order of the near-limit report and "needs attention").
STATUS_ORDER = ("over_cap", "exhausted", "near_limit", "healthy", "unlimited", "not_started", "expired")
#: Statuses that need attention: no allotment left, or close to it.
ATTENTION_STATUSES = ("over_cap", "exhausted", "near_limit")

#: The forecast's figures the utilization mart carries (:mod:`entitlement_core.forecast`), by their names
#: here: ``expected_at_end`` is the forecast's expected consumption at the end of the term,
#: ``expected_run_out_date`` its median run-out date.
FORECAST_SHOWN = (
    "expected_at_end", "projected_p10", "projected_p50", "projected_p90", "prob_run_out",
    "expected_shortfall", "expected_run_out_date", "is_founded", "prior_source", "own_days", "weight_own",
)  # fmt: skip

UTILIZATION_COLUMNS = (
    "entitlement_id", "name", "account_id", "account_name", "tier", "region", "owner", "plan",
    "usage_type", "cap", "consumed", "remaining", "pct_used", "status", "start_date", "end_date",
    "as_of_date", "term_days", "days_left", "burn_rate_per_day", "projected_at_end",
    "projected_exhaustion_date", "overflow", "consume_on", "renewal_of", "timezone", "banner",
    "near_limit_pct", "near_limit_remaining", "unit", "recommended_plan", "projected_annual_usage",
    "projected_shortfall", "overage_rate", "deleted_cases", "crm_remaining_cases", "anchor_cap",
)  # fmt: skip


def status_expr() -> pl.Expr:
    """DOMAIN.md "Status": the first matching status (aliased ``status``), on exact base quantities."""
    near = (pl.col("consumed_base") >= pl.col("near_limit_pct").cast(QUANTITY) * pl.col("cap_base")) | (
        pl.col("remaining_base") <= pl.col("near_limit_remaining").cast(QUANTITY) * pl.col("factor")
    )
    return (
        pl.when(pl.col("as_of_date") < pl.col("start_date"))
        .then(pl.lit("not_started"))
        .when(pl.col("as_of_date") > pl.col("end_date"))
        .then(pl.lit("expired"))
        .when(pl.col("cap_base").is_null())
        .then(pl.lit("unlimited"))
        .when(pl.col("remaining_base") < 0)
        .then(pl.lit("over_cap"))
        .when(pl.col("remaining_base") == 0)
        .then(pl.lit("exhausted"))
        .when(near)
        .then(pl.lit("near_limit"))
        .otherwise(pl.lit("healthy"))
        .alias("status")
    )


def status_rank() -> pl.Expr:
    """Position of ``status`` in :data:`STATUS_ORDER` (0 = worst)."""
    return pl.col("status").replace_strict({s: i for i, s in enumerate(STATUS_ORDER)}, return_dtype=pl.Int32)


def _run_out_date() -> pl.Expr:
    """The day remaining reaches zero at the burn rate (within the term), else null."""
    burning = (
        pl.col("cap_base").is_not_null() & (pl.col("remaining_base") > 0) & (pl.col("window_base") > 0)
    ) & pl.col("window_days").is_not_null()
    # remaining / (window / window_days), exact operands: one division.
    ratio_days = ratio(pl.col("remaining_base") * pl.col("window_days").cast(QUANTITY), pl.col("window_base"))
    # Clipped so that a tiny burn rate cannot overflow a date; such a day is past the term anyway.
    days = pl.when(burning).then(ratio_days.ceil().clip(upper_bound=1_000_000).cast(pl.Int64, strict=False))
    day = pl.col("as_of_date") + pl.duration(days=days)
    return pl.when(day <= pl.col("end_date")).then(day)


def forecast_figures(forecast: pl.DataFrame) -> pl.LazyFrame:
    """The forecast's columns a utilization frame takes on, renamed where the straight line has the name.

    Grain: one row per entitlement of ``forecast`` (the ``forecast`` mart).
    """
    return forecast.lazy().select(
        "entitlement_id",
        pl.col("projected_at_end").alias("expected_at_end"),
        "projected_p10", "projected_p50", "projected_p90", "prob_run_out", "expected_shortfall",
        pl.col("projected_exhaustion_date").alias("expected_run_out_date"),
        "is_founded", "prior_source", "own_days", "weight_own", "projected_annual_usage", "recommended_plan",
    )  # fmt: skip


def with_forecast(util: pl.DataFrame, forecast: pl.DataFrame) -> pl.DataFrame:
    """A utilization frame with the forecast's figures: what every page, upsell, renewals and alerts read.

    Grain: one row per row of ``util``, in order. Appends
    :data:`FORECAST_SHOWN`; ``recommended_plan`` and ``projected_annual_usage``
    become the forecast's (:func:`entitlement_core.forecast.recommend_plan` on
    the expected consumption) and the ``banner`` offers that plan. The
    straight-line columns stay as they are.
    """
    replaced = ("recommended_plan", "projected_annual_usage", "banner", *FORECAST_SHOWN)
    order = [*[c for c in util.columns if c not in FORECAST_SHOWN], *FORECAST_SHOWN]
    return (
        util.lazy()
        .drop([c for c in replaced if c in util.columns])
        .join(forecast_figures(forecast), on="entitlement_id", how="left", maintain_order="left")
        .with_columns(banner_expr())
        .select(order)
        .collect()
    )


def utilization_forecast(basis: Basis) -> pl.DataFrame:
    """The utilization mart :func:`with_forecast` of the basis (computed once per basis)."""
    return basis.once(
        ("utilization", "forecast"), lambda: with_forecast(basis.mart("utilization"), basis.mart("forecast"))
    )


def utilization_mart(positions: pl.DataFrame, accounts: pl.LazyFrame, plans: pl.LazyFrame) -> pl.DataFrame:
    """The utilization mart of :attr:`Basis.positions <entitlement_core.basis.Basis.positions>`.

    Returns :data:`UTILIZATION_COLUMNS`, one row per entitlement, by
    ``entitlement_id``. Invariant: ``consumed + remaining = cap`` wherever
    ``cap`` is set. Its projections are the straight line (DOMAIN.md, "Burn
    rate, projection"), as fast as the SQL that computes them; the
    recommended plan (and the banner's offer) is the one plan rule
    (:func:`entitlement_core.forecast.recommend_plan`) applied to the
    straight-line projection. :func:`with_forecast` adds the forecast.
    """
    from ..forecast.plans import recommend_plan

    names = accounts.select("account_id", pl.col("name").alias("account_name"), "tier", "region", "owner")
    base = positions.lazy().join(names, on="account_id", how="left")
    catalogue = plans.select(
        "plan", "usage_type", pl.col("cap").cast(pl.Float64), pl.col("annual_price").cast(pl.Float64)
    )
    shown = base.with_columns(
        status_expr(),
        in_units("cap_base").alias("cap"),
        in_units("consumed_base").alias("consumed"),
        in_units("remaining_base").alias("remaining"),
        pl.when(pl.col("cap_base") > 0)
        .then(ratio(pl.col("consumed_base"), pl.col("cap_base")))
        .alias("pct_used"),
        ratio(pl.col("window_base"), pl.col("window_days").cast(QUANTITY) * pl.col("factor")).alias(
            "burn_rate_per_day"
        ),
        projected_at_end().alias("projected_at_end"),
        projected_shortfall().alias("projected_shortfall"),
        money("overage_rate").alias("overage_rate"),
        pl.when(pl.col("cap_base").is_not_null() & (pl.col("remaining_base") <= 0))
        .then(pl.col("cap_reached_date"))
        .otherwise(_run_out_date())
        .alias("projected_exhaustion_date"),
    )  # fmt: skip
    projected = shown.select(
        "entitlement_id", "usage_type", "start_date", "end_date",
        pl.col("cap").cast(pl.Float64).alias("allotment"),
        pl.col("projected_at_end").cast(pl.Float64),
    )  # fmt: skip
    recommended = recommend_plan(projected, catalogue).select(
        "entitlement_id", "projected_annual_usage", "recommended_plan"
    )
    return (
        shown.join(recommended, on="entitlement_id", how="left")
        .with_columns(banner_expr())
        .select(UTILIZATION_COLUMNS)
        .sort("entitlement_id")
        .collect(engine="in-memory")
    )


def utilization(
    tables: Tables, *, as_of: AsOfLike, thresholds: Thresholds | None = None, burn_window_days: int = 90
) -> pl.LazyFrame:
    """Utilization of every entitlement as of a moment (builds its own intermediate layer).

    Grain: one row per entitlement (any status). Marts and the app use
    :meth:`Basis.mart <entitlement_core.basis.Basis.mart>` (``utilization``)
    to share the intermediate results; this is the same computation for one
    call.

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of value: a moment, or a date (the end of that day in each
        entitlement's zone).
    thresholds
        Near-limit thresholds from the settings; a plan's own
        ``near_limit_pct`` / ``near_limit_remaining`` win where set.
    burn_window_days
        Trailing window of the burn rate, in days, clipped to the term.

    Examples
    --------
    Cap 10, term 2026-01-01..2026-12-31 (UTC), 9 cases in term of which one
    deleted, as of 2026-06-01T00:00Z: consumed 9, remaining 1, pct_used 0.9,
    ``near_limit``, banner "Customer has 1 case remaining" (EXAMPLES.md 1).
    """
    from ..basis import Basis

    if burn_window_days < 1:
        raise ValueError("burn_window_days must be at least 1")
    t = thresholds or Thresholds()
    settings = Settings(
        near_limit_pct=t.near_limit_pct,
        near_limit_remaining=t.near_limit_remaining,
        burn_window_days=burn_window_days,
    )
    return (
        Basis(tables, as_of=as_of, settings=settings).mart("utilization").select(UTILIZATION_COLUMNS).lazy()
    )


def near_limit(util: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Entitlements needing attention: ``over_cap``, ``exhausted``, ``near_limit``, worst first.

    Grain: one row per such entitlement. Worst first: by status (over cap,
    exhausted, near limit), then lowest remaining, then highest ``pct_used``.
    """
    return (
        util.lazy()
        .filter(pl.col("status").is_in(ATTENTION_STATUSES))
        .with_columns(status_rank().alias("_rank"))
        .sort(
            ["_rank", "remaining", "pct_used", "entitlement_id"],
            descending=[False, False, True, False],
            nulls_last=True,
        )
        .drop("_rank")
    )
