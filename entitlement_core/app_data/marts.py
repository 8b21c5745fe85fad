"""Filters, dimensions and the marts the pages show, by name.

Every mart carries the filter dimensions (tier, region, owner, plan, usage
type) so one :class:`Filters` applies to all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import polars as pl

from ..settings import Settings
from ..staging import Tables

__all__ = [
    "ACTIVE_STATUSES",
    "DIMENSIONS",
    "MART_NAMES",
    "NO_FILTERS",
    "Filters",
    "as_of_moment",
    "build_mart",
    "entitlement_dims",
    "filter_options",
    "with_dims",
]

#: Filter dimensions shared by every page, in sidebar order.
DIMENSIONS: tuple[str, ...] = ("tier", "region", "owner", "plan", "usage_type")
#: Statuses of an entitlement in its term.
ACTIVE_STATUSES = ("healthy", "near_limit", "exhausted", "over_cap", "unlimited")


def as_of_moment(day: dt.date) -> dt.datetime:
    """The as-of moment of a calendar day: the end of that day in UTC (as ``--as-of DATE``)."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Filters:
    """Selected values per dimension; an empty selection means "all"."""

    tier: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    usage_type: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Mapping[str, Sequence[str] | None]) -> Filters:
        return cls(**{d: tuple(sorted(values.get(d) or ())) for d in DIMENSIONS})

    @property
    def is_active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def expr(self, columns: Sequence[str]) -> pl.Expr:
        """The filter as a predicate over ``columns``; a selected dimension they lack drops every row."""
        pred = pl.lit(True)
        for dim in DIMENSIONS:
            chosen = getattr(self, dim)
            if chosen:
                pred = pred & (pl.col(dim).is_in(list(chosen)) if dim in columns else pl.lit(False))
        return pred

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(self.expr(frame.columns)) if self.is_active else frame


#: No filter: every row.
NO_FILTERS = Filters()


def filter_options(tables: Tables) -> dict[str, list[str]]:
    """Choices of each filter: values present in accounts, plans and entitlements."""
    accounts = tables.accounts.select("tier", "region", "owner").collect()
    plans = pl.concat(
        [tables.plans.select("plan"), tables.entitlements.select("plan")], how="vertical"
    ).collect()
    usage = tables.entitlements.select("usage_type").collect()
    values = {
        "tier": accounts["tier"],
        "region": accounts["region"],
        "owner": accounts["owner"],
        "plan": plans["plan"],
        "usage_type": usage["usage_type"],
    }
    return {k: sorted(v.drop_nulls().unique().to_list()) for k, v in values.items()}


# -- marts ---------------------------------------------------------------------


def entitlement_dims(tables: Tables) -> pl.DataFrame:
    """Dimensions of each entitlement (grain: one row per entitlement)."""
    accounts = tables.accounts.select(
        "account_id", pl.col("name").alias("account_name"), "tier", "region", "owner"
    )
    return (
        tables.entitlements.select("entitlement_id", "account_id", "plan", "usage_type", "process_id")
        .join(accounts, on="account_id", how="left")
        .collect()
    )


def with_dims(frame: pl.DataFrame, dims: pl.DataFrame, *, key: str = "entitlement_id") -> pl.DataFrame:
    """``frame`` with the dimension columns it lacks, joined from ``dims`` on ``key``.

    Rows without an entitlement take the account's tier, region and owner
    (through ``account_id``) so account-level filters still apply.
    """
    have = set(frame.columns)
    missing = [c for c in (*DIMENSIONS, "account_name") if c not in have]
    if not missing:
        return frame
    if key in have:
        right = dims.select(pl.col("entitlement_id").alias(key), *missing).unique(key)
        out = frame.join(right, on=key, how="left")
    else:
        out = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    account_level = [c for c in missing if c in ("tier", "region", "owner", "account_name")]
    if "account_id" in have and account_level:
        acc = dims.select("account_id", *[pl.col(c).alias(f"_acc_{c}") for c in account_level]).unique(
            "account_id"
        )
        out = (
            out.join(acc, on="account_id", how="left")
            .with_columns(pl.coalesce(c, f"_acc_{c}").alias(c) for c in account_level)
            .drop(f"_acc_{c}" for c in account_level)
        )
    return out


def _usage(name: str) -> Callable[..., Any]:
    from .. import usage

    fn = getattr(usage, name, None)
    if fn is None:
        raise NotImplementedError(f"entitlement_core.usage.{name} is not available")
    return fn


def _collect(frame: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame


def _util_args(settings: Settings) -> dict[str, Any]:
    return {"thresholds": settings.thresholds, "burn_window_days": settings.burn_window_days}


def _milestones(
    tables: Tables,
    as_of: dt.datetime,
    settings: Settings,
    started_from: dt.datetime | None = None,
    **_: Any,
) -> pl.DataFrame:
    from ..sla import milestone_instances

    keep = (
        "case_id",
        "entitlement_id",
        "account_id",
        "milestone",
        "priority",
        "origin",
        "tier",
        "owner",
        "started_at",
        "target_at",
        "completed_at",
        "target_minutes",
        "elapsed_minutes",
        "status",
        "margin_minutes",
    )
    inst = milestone_instances(
        tables, as_of=as_of, at_risk_fraction=settings.at_risk_fraction, started_from=started_from
    )
    return _collect(inst.select(keep))


def _milestone_reconciliation(
    tables: Tables, as_of: dt.datetime, settings: Settings, **_: Any
) -> pl.DataFrame:
    from ..sla.reconciliation import milestone_reconciliation

    return milestone_reconciliation(tables, as_of=as_of, at_risk_fraction=settings.at_risk_fraction)


def _grant_balances(tables: Tables, as_of: dt.datetime, settings: Settings, **_: Any) -> pl.DataFrame:
    from .revenue import grant_balances

    return grant_balances(tables, as_of=as_of)


def _overage_revenue(
    tables: Tables,
    as_of: dt.datetime,
    settings: Settings,
    plan: Sequence[str] = (),
    usage_type: Sequence[str] = (),
    **_: Any,
) -> pl.DataFrame:
    from .revenue import overage_revenue_mart

    return overage_revenue_mart(tables, as_of=as_of, plan=plan, usage_type=usage_type)


_BUILDERS: dict[str, Callable[..., pl.LazyFrame | pl.DataFrame]] = {
    "utilization": lambda t, a, s, **p: _usage("utilization")(t, as_of=a, **_util_args(s)),
    "unmatched": lambda t, a, s, **p: _usage("unmatched_cases")(t, as_of=a),
    "out_of_term": lambda t, a, s, **p: _usage("out_of_term_cases")(t, as_of=a),
    "overage": lambda t, a, s, **p: _usage("overage_cases")(t, as_of=a),
    "upsell": lambda t, a, s, **p: _usage("upsell_candidates")(t, as_of=a, **_util_args(s)),
    "renewals": lambda t, a, s, within_days=90, **p: _usage("renewals_due")(
        t, as_of=a, within_days=within_days, **_util_args(s)
    ),
    "renewal_history": lambda t, a, s, **p: _usage("renewal_history")(t, as_of=a, **_util_args(s)),
    "reconciliation": lambda t, a, s, **p: _usage("reconciliation")(t, as_of=a, thresholds=s.thresholds),
    "overage_summary": lambda t, a, s, **p: _usage("overage_summary")(t, as_of=a),
    "weekly_by_tier": lambda t, a, s, **p: _usage("weekly_consumption")(t, as_of=a, by="tier"),
    "milestones": _milestones,
    "milestone_reconciliation": _milestone_reconciliation,
    "grant_balances": _grant_balances,
    "overage_revenue": _overage_revenue,
}

#: Every mart :func:`build_mart` knows.
MART_NAMES: tuple[str, ...] = tuple(_BUILDERS)


def build_mart(
    name: str, tables: Tables, *, as_of: dt.datetime, settings: Settings, **params: Any
) -> pl.DataFrame:
    """A page's mart as of a moment, collected, with the filter dimensions attached.

    ``params`` go to the mart (``within_days`` for ``renewals``; ``plan`` and
    ``usage_type`` for ``overage_revenue``, whose grain is the account;
    ``started_from`` for ``milestones``: only instances started since).
    """
    if name not in _BUILDERS:
        raise KeyError(f"unknown mart {name!r}; known: {', '.join(MART_NAMES)}")
    frame = _collect(_BUILDERS[name](tables, as_of, settings, **params))
    if name == "weekly_by_tier":
        return frame
    key = "likely_entitlement_id" if name == "unmatched" else "entitlement_id"
    return with_dims(frame, entitlement_dims(tables), key=key)
