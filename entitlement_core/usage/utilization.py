"""The utilization mart: consumed, remaining, status and projections per entitlement.

DOMAIN.md, "Consumption rules", "Status" and "Burn rate, projection":

- ``remaining = cap - consumed`` (may go negative), ``pct_used = consumed /
  cap``; both null when unlimited. Only the entitlement's own ``cap``
  counts: an empty cap is unlimited even when its plan has a cap. A
  date-only (``none``) entitlement has no allotment: its ``cap``,
  ``remaining`` and ``pct_used`` are null and ``consumed`` is the count of
  cases naming it inside the term. ``pct_used`` is null for a cap of 0.
- Status, first match wins, as of the as-of moment's local day:
  ``not_started``, ``expired``, ``unlimited``, ``over_cap``, ``exhausted``,
  ``near_limit`` (``pct_used >= near_limit_pct`` or ``remaining <=
  near_limit_remaining``, the plan's thresholds where set), ``healthy``.
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
  ``end_date`` (it does not run out within the term). When already
  exhausted or over cap during the term, it is the local day the cap was
  reached (null once the term is over or before it starts).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..settings import Thresholds
from ..staging import Tables
from .banner import banner_expr
from .grants import drawdown, effective_grants
from .ledger import consumption_units, with_ledger_inputs
from .plans import effective_thresholds, projected_annual_usage, recommend_plans
from .terms import check_as_of, entitlement_terms, known_zones, with_local_date, with_local_midnight

__all__ = [
    "STATUS_ORDER",
    "UTILIZATION_COLUMNS",
    "near_limit",
    "status_expr",
    "usage_by_entitlement",
    "utilization",
]

#: Statuses from worst to best (the order of the near-limit report).
STATUS_ORDER = ("over_cap", "exhausted", "near_limit", "healthy", "unlimited", "not_started", "expired")

UTILIZATION_COLUMNS = (
    "entitlement_id", "name", "account_id", "account_name", "tier", "region", "owner", "plan",
    "usage_type", "cap", "consumed", "remaining", "pct_used", "status", "start_date", "end_date",
    "as_of_date", "term_days", "days_left", "burn_rate_per_day", "projected_at_end",
    "projected_exhaustion_date", "overflow", "consume_on", "renewal_of", "timezone", "banner",
    "near_limit_pct", "near_limit_remaining", "unit", "recommended_plan", "projected_annual_usage",
    "projected_shortfall", "overage_rate", "deleted_cases", "crm_remaining_cases", "anchor_cap",
)  # fmt: skip


def status_expr() -> pl.Expr:
    """DOMAIN.md "Status": the first matching status (aliased ``status``)."""
    return (
        pl.when(pl.col("as_of_date") < pl.col("start_date"))
        .then(pl.lit("not_started"))
        .when(pl.col("as_of_date") > pl.col("end_date"))
        .then(pl.lit("expired"))
        .when(pl.col("cap").is_null())
        .then(pl.lit("unlimited"))
        .when(pl.col("remaining") < 0)
        .then(pl.lit("over_cap"))
        .when(pl.col("remaining") == 0)
        .then(pl.lit("exhausted"))
        .when(
            (pl.col("pct_used") >= pl.col("near_limit_pct"))
            | (pl.col("remaining") <= pl.col("near_limit_remaining"))
        )
        .then(pl.lit("near_limit"))
        .otherwise(pl.lit("healthy"))
        .alias("status")
    )


def usage_by_entitlement(units: pl.LazyFrame) -> pl.LazyFrame:
    """Consumption per entitlement (intermediate).

    Grain: one row per entitlement (``_ent``) with at least one unit.
    ``units`` carries ``_ent, quantity`` and the flags ``is_in_window`` (in
    the burn window) and ``is_deleted_case`` (a deleted case).
    """
    return units.group_by("_ent").agg(
        pl.col("quantity").sum().round(9).alias("consumed"),
        pl.col("quantity").filter(pl.col("is_in_window")).sum().round(9).alias("window_consumed"),
        pl.col("is_deleted_case").sum().alias("deleted_cases"),
    )


def cap_reached_at(units: pl.LazyFrame, reached: pl.DataFrame) -> pl.LazyFrame:
    """The moment each entitlement's running total, in consumption order, reached its cap.

    Grain: one row per entitlement of ``reached`` (``_ent, cap``: those
    whose consumption reached the cap, few rows); ``reached_at``. Only those
    entitlements' units are sorted.
    """
    running = pl.col("quantity").sort_by("consumed_at").cum_sum().round(9)
    return (
        units.select("_ent", "consumed_at", "quantity")
        # A membership test first: cheaper than joining every unit to the few entitlements.
        .filter(pl.col("_ent").is_in(reached.get_column("_ent").implode()))
        .join(reached.lazy().select("_ent", "cap"), on="_ent", how="inner")
        .group_by("_ent")
        .agg(
            pl.col("consumed_at").sort().filter(running >= pl.col("cap").first()).first().alias("reached_at")
        )
    )


def _with_window(terms: pl.LazyFrame, burn_window_days: int, zones: list[str]) -> pl.LazyFrame:
    start = pl.max_horizontal(
        pl.col("start_date"), pl.col("as_of_date") - pl.duration(days=burn_window_days - 1)
    )
    windowed = terms.with_columns(
        start.alias("window_start_date"),
        pl.min_horizontal(pl.col("as_of_date"), pl.col("end_date")).alias("window_end_date"),
    )
    return with_local_midnight(windowed, "window_start_date", "window_start_utc", zones)


def _metrics() -> list[list[pl.Expr]]:
    """Chained steps from consumed to projections (each list may use the previous ones)."""
    days = lambda a, b: (pl.col(a) - pl.col(b)).dt.total_days()  # noqa: E731
    window_days = days("window_end_date", "window_start_date") + 1
    return [
        [
            pl.when(pl.col("usage_type") != "none").then(pl.col("cap").fill_nan(None)).alias("cap"),
            pl.col("consumed").fill_null(0.0),
            pl.col("window_consumed").fill_null(0.0),
            pl.col("deleted_cases").fill_null(0).cast(pl.Int64),
            (days("end_date", "start_date") + 1).alias("term_days"),
            pl.when(window_days >= 1).then(window_days).alias("_window_days"),
            pl.when(pl.col("usage_type") == "hours")
            .then(pl.lit("hours"))
            .otherwise(pl.lit("cases"))
            .alias("unit"),
        ],
        [
            (pl.col("cap") - pl.col("consumed")).round(9).alias("remaining"),
            pl.when(pl.col("cap") > 0).then(pl.col("consumed") / pl.col("cap")).alias("pct_used"),
            days("end_date", "as_of_date").clip(0, pl.col("term_days")).alias("days_left"),
            (pl.col("window_consumed") / pl.col("_window_days")).alias("burn_rate_per_day"),
        ],
        [
            status_expr(),
            pl.when(pl.col("days_left") == 0)
            .then(pl.col("consumed"))
            .otherwise(pl.col("consumed") + pl.col("burn_rate_per_day") * pl.col("days_left"))
            .round(6)
            .alias("projected_at_end"),
        ],
        [
            (pl.col("projected_at_end") - pl.col("cap")).round(6).alias("projected_shortfall"),
            projected_annual_usage().alias("projected_annual_usage"),
            _run_out_date().alias("_run_out_date"),
        ],
    ]


def _run_out_date() -> pl.Expr:
    """The day remaining reaches zero at the burn rate (within the term), else null."""
    burning = pl.col("cap").is_not_null() & (pl.col("remaining") > 0) & (pl.col("burn_rate_per_day") > 0)
    # Clipped so that a tiny burn rate cannot overflow a date; such a day is past the term anyway.
    ratio = pl.when(burning).then(pl.col("remaining") / pl.col("burn_rate_per_day"))
    days = ratio.round(9).ceil().clip(upper_bound=1_000_000).cast(pl.Int64, strict=False)
    day = pl.col("as_of_date") + pl.duration(days=days)
    return pl.when(day <= pl.col("end_date")).then(day)


def _cap_reached_date(frame: pl.LazyFrame, zones: list[str]) -> pl.LazyFrame:
    """``cap_reached_date``: the local day of ``reached_at`` (``start_date`` for a cap of 0)."""
    return with_local_date(
        frame, "reached_at", "_reached_date", zones, anchor=("start_date", "start_utc")
    ).with_columns(
        pl.when(pl.col("cap") == 0)
        .then(pl.col("start_date"))
        .otherwise(pl.col("_reached_date"))
        .alias("cap_reached_date")
    )


def with_grant_allotment(
    terms: pl.DataFrame,
    units: pl.DataFrame,
    grants: pl.LazyFrame,
    usage_events: pl.LazyFrame,
    *,
    as_of: dt.datetime,
) -> pl.DataFrame:
    """``terms`` with ``anchor_cap`` (the entitlement's own cap) and ``cap`` the grant allotment.

    Where an entitlement has grants of its own resource, ``cap`` becomes what
    :func:`~entitlement_core.usage.balances.grant_allotments` computes (anchor,
    packs, rollovers drawn or valid as of ``as_of``, less expired unused
    balance), here from the units already at hand (``_ent, consumed_at,
    quantity``) instead of a second pass over the cases. With grants,
    ``remaining = cap - consumed`` is the drawdown's remaining (all valid
    grants less consumption); without, nothing changes.

    Only the entitlement's own resource is drawn down: each (entitlement,
    resource) draws from its own grants, so the other resources' grants and
    events do not change it.
    """
    out = terms.with_columns(pl.col("cap").alias("anchor_cap"))
    kinds = terms.lazy().select("entitlement_id", pl.col("usage_type").alias("resource"))
    own_grants = grants.join(kinds, on=["entitlement_id", "resource"], how="semi").collect(engine="in-memory")
    if own_grants.height == 0:
        return out
    granted = terms.join(own_grants.select("entitlement_id").unique(), on="entitlement_id", how="semi")
    # As :func:`~entitlement_core.usage.balances.grant_ledger`: cases and hours under the
    # entitlement's usage type, plus metered events inside the term and not after as-of.
    core = (
        units.lazy()
        .filter(pl.col("_ent").is_in(granted.get_column("_ent").implode()))
        .join(
            granted.lazy().select("_ent", "entitlement_id", pl.col("usage_type").alias("resource")), on="_ent"
        )
        .select("entitlement_id", "resource", "consumed_at", "quantity")
    )
    events = (
        usage_events.filter(pl.col("entitlement_id").is_not_null() & (pl.col("occurred_at") <= as_of))
        .join(
            granted.lazy().select(
                "entitlement_id", pl.col("usage_type").alias("resource"), "start_utc", "end_utc"
            ),
            on=["entitlement_id", "resource"],
            how="inner",
        )
        .filter((pl.col("occurred_at") >= pl.col("start_utc")) & (pl.col("occurred_at") < pl.col("end_utc")))
        .select("entitlement_id", "resource", pl.col("occurred_at").alias("consumed_at"), "quantity")
    )
    effective = effective_grants(
        own_grants.lazy(),
        granted.lazy().select("entitlement_id", "usage_type", "cap", "start_utc", "end_utc"),
    )
    ledger = pl.concat([core, events], how="vertical_relaxed")
    _, per_ent = drawdown(effective, ledger, as_of=as_of)
    return (
        out.join(
            per_ent.select("entitlement_id", "granted"),
            on="entitlement_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.coalesce("granted", "cap").alias("cap"))
        .drop("granted")
    )


def utilization(
    tables: Tables, *, as_of: dt.datetime, thresholds: Thresholds, burn_window_days: int = 90
) -> pl.LazyFrame:
    """Utilization of every entitlement as of a moment.

    Grain: one row per entitlement (any status).

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of moment (timezone-aware UTC); nothing after it counts.
    thresholds
        Near-limit thresholds from the settings; a plan's own
        ``near_limit_pct`` / ``near_limit_remaining`` win where set.
    burn_window_days
        Trailing window of the burn rate, in days, clipped to the term.

    Returns
    -------
    pl.LazyFrame
        :data:`UTILIZATION_COLUMNS`. Invariant: ``consumed + remaining =
        cap`` wherever ``cap`` is set.

    Notes
    -----
    The work runs when this is called: the cases and time entries are read
    once, narrowed to the columns the ledger uses (scanned tables of
    :func:`~entitlement_core.staging.load_tables` are not read again), and
    the per-unit frame is materialised once, narrowed to numbers, because
    the totals, the grant drawdown and the day each cap was reached all
    read it. The returned frame is in memory (one row per entitlement).

    Examples
    --------
    Cap 10, term 2026-01-01..2026-12-31 (UTC), 9 cases in term of which one
    deleted, as of 2026-06-01T00:00Z: consumed 9, remaining 1, pct_used 0.9,
    ``near_limit``, banner "Customer has 1 case remaining" (EXAMPLES.md 1).
    """
    as_of = check_as_of(as_of)
    if burn_window_days < 1:
        raise ValueError("burn_window_days must be at least 1")
    zones = known_zones(tables)
    # The cases and time entries are read once, narrowed to what the ledger
    # reads, together with the terms (few rows): every step below reads them.
    terms_lf = _with_window(entitlement_terms(tables, as_of=as_of, zones=zones), burn_window_days, zones)
    tables, (terms_df,) = with_ledger_inputs(tables, terms_lf)
    units = consumption_units(
        tables, terms_df.lazy(), as_of=as_of, zones=zones, keep=("window_start_utc",)
    ).select(
        "_ent",
        "consumed_at",
        "quantity",
        (pl.col("consumed_at") >= pl.col("window_start_utc")).alias("is_in_window"),
        (pl.col("_is_case") & pl.col("is_deleted")).alias("is_deleted_case"),
    )
    # Narrowed to numbers and materialised once: the totals, the grant drawdown
    # and the cap-reached moments all read them.
    units_df = units.collect()
    totals = usage_by_entitlement(units_df.lazy()).collect()
    terms = with_grant_allotment(terms_df, units_df, tables.grants, tables.usage_events, as_of=as_of)
    usage = terms.select("_ent", "cap", "start_date", "end_date", "as_of_date").join(
        totals, on="_ent", how="inner"
    )
    # The day the cap was reached is only shown for terms in progress.
    in_term = (pl.col("as_of_date") >= pl.col("start_date")) & (pl.col("as_of_date") <= pl.col("end_date"))
    reached = usage.filter(in_term & pl.col("cap").is_not_null() & (pl.col("consumed") >= pl.col("cap")))
    reached_at = cap_reached_at(units_df.lazy(), reached).collect()
    plans = tables.plans.select(
        "plan",
        pl.col("near_limit_pct").alias("plan_near_limit_pct"),
        pl.col("near_limit_remaining").alias("plan_near_limit_remaining"),
        "overage_rate",
    )
    accounts = tables.accounts.select(
        "account_id", pl.col("name").alias("account_name"), "tier", "region", "owner"
    )
    base = (
        terms.lazy()
        .join(
            usage.lazy().select("_ent", "consumed", "window_consumed", "deleted_cases"), on="_ent", how="left"
        )
        .join(reached_at.lazy(), on="_ent", how="left")
        .join(plans, on="plan", how="left")
        .join(accounts, on="account_id", how="left")
        .with_columns(effective_thresholds(thresholds))
    )
    for step in _metrics():
        base = base.with_columns(step)
    # One row per entitlement from here: the in-memory engine starts faster on few rows.
    base = _cap_reached_date(base, zones).collect(engine="in-memory").lazy()
    recommended = recommend_plans(base, tables.plans)
    return (
        base.join(recommended, on="entitlement_id", how="left")
        .with_columns(
            pl.when(pl.col("cap").is_not_null() & (pl.col("remaining") <= 0))
            .then(pl.col("cap_reached_date"))
            .otherwise(pl.col("_run_out_date"))
            .alias("projected_exhaustion_date")
        )
        .with_columns(banner_expr())
        .select(UTILIZATION_COLUMNS)
        .sort("entitlement_id")
        .collect(engine="in-memory")
        .lazy()
    )


def near_limit(util: pl.LazyFrame) -> pl.LazyFrame:
    """Entitlements needing attention: ``over_cap``, ``exhausted``, ``near_limit``.

    Grain: one row per such entitlement, worst first (status, then lowest
    remaining, then highest ``pct_used``).
    """
    rank = pl.col("status").replace_strict({s: i for i, s in enumerate(STATUS_ORDER)}, return_dtype=pl.Int32)
    return (
        util.filter(pl.col("status").is_in(["over_cap", "exhausted", "near_limit"]))
        .with_columns(rank.alias("_rank"))
        .sort(
            ["_rank", "remaining", "pct_used", "entitlement_id"],
            descending=[False, False, True, False],
            nulls_last=True,
        )
        .drop("_rank")
    )
