"""The one registry of marts and reports: the command line and the app ask for them by the same name.

Every mart is a pure function of a :class:`~entitlement_core.basis.Basis`
(the intermediate layer of one data version, as-of value and settings),
states its grain, and names the column that holds its entitlement (so the
app attaches the filter dimensions). ``python -m entitlement_core report
NAME`` writes any of them; the app's pages read them through
:meth:`Basis.mart <entitlement_core.basis.Basis.mart>`, cached by data
version and as-of value.

Usage reports whose rows belong to an entitlement start with the columns
DOMAIN.md lists for utilization (:data:`LEAD_COLUMNS`), for the row's
entitlement: the unit's for ``overage``, the most likely one for
``unmatched-cases``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from .settings import Settings
from .staging import Tables

if TYPE_CHECKING:
    from .asof import AsOfLike
    from .basis import Basis

__all__ = [
    "LEAD_COLUMNS", "MARTS", "REPORT_NAMES", "Mart",
    "available_reports", "build", "run_report", "run_reports",
]  # fmt: skip

#: DOMAIN.md, "Command line": the columns the utilization report must carry, first.
LEAD_COLUMNS = (
    "entitlement_id", "account_id", "usage_type", "cap", "consumed", "remaining", "pct_used", "status",
    "burn_rate_per_day", "projected_at_end", "projected_exhaustion_date",
)  # fmt: skip


@dataclass(frozen=True)
class Mart:
    """A registered mart: how to build it from a basis, and what one row is."""

    name: str
    build: Callable[..., pl.DataFrame]
    grain: str
    description: str
    #: The column naming the row's entitlement (None: the rows are not per entitlement).
    key: str | None = "entitlement_id"
    #: Parameters it takes, with their defaults.
    params: dict[str, Any] = field(default_factory=dict)


def _lead_first(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(*LEAD_COLUMNS, *[c for c in frame.columns if c not in LEAD_COLUMNS])


def _with_lead(frame: pl.DataFrame, util: pl.DataFrame, key: str = "entitlement_id") -> pl.DataFrame:
    """``frame`` with the lead columns of its entitlement (``key``) in front."""
    lead = util.select(LEAD_COLUMNS).rename({"entitlement_id": key})
    rest = [c for c in frame.columns if c not in LEAD_COLUMNS and c != key]
    joined = frame.select(key, *rest).join(lead, on=key, how="left", maintain_order="left")
    return joined.rename({key: "entitlement_id"}).select(*LEAD_COLUMNS, *rest)


# -- builders (each a thin view of the basis) ------------------------------------------------


def _utilization(b: Basis) -> pl.DataFrame:
    from .usage.utilization import utilization_mart

    return _lead_first(utilization_mart(b.positions, b.tables.accounts, b.tables.plans))


def _forecast(b: Basis) -> pl.DataFrame:
    from .forecast import forecast, shared_inputs

    frame = forecast(shared_inputs(b), as_of=b.as_of).collect()
    # Shown to six decimals, as every projection (display.py).
    return frame.with_columns(pl.col(pl.Float64).round(6))


def _near_limit(b: Basis) -> pl.DataFrame:
    from .usage.utilization import near_limit

    return near_limit(b.mart("utilization")).collect()


def _overage(b: Basis) -> pl.DataFrame:
    from .usage.overage import overage_listing

    rows = overage_listing(b).drop("account_id", "usage_type", "cap")
    return _with_lead(rows, b.mart("utilization"))


def _overage_summary(b: Basis) -> pl.DataFrame:
    from .usage.overage import overage_summary

    return overage_summary(b)


def _overage_revenue(b: Basis, plan: tuple[str, ...] = (), usage_type: tuple[str, ...] = ()) -> pl.DataFrame:
    from .usage.overage import overage_revenue

    return overage_revenue(b, plan=plan, usage_type=usage_type)


def _grant_balances(b: Basis) -> pl.DataFrame:
    from .usage.balances import grant_balances

    return grant_balances(b)


def _unmatched(b: Basis) -> pl.DataFrame:
    from .usage.unmatched import unmatched_cases

    rows = unmatched_cases(b).drop("likely_usage_type")
    return _with_lead(rows, b.mart("utilization"), key="likely_entitlement_id")


def _out_of_term(b: Basis) -> pl.DataFrame:
    from .usage.unmatched import out_of_term_cases

    return out_of_term_cases(b)


def _upsell(b: Basis) -> pl.DataFrame:
    from .usage.upsell import upsell_candidates

    return _lead_first(upsell_candidates(b))


def _renewals(b: Basis, within_days: int | None = None) -> pl.DataFrame:
    from .renewals.due import renewals_due

    days = b.settings.renewal_window_days if within_days is None else within_days
    return _lead_first(renewals_due(b, within_days=days))


def _renewal_history(b: Basis) -> pl.DataFrame:
    from .renewals.due import renewal_history

    return renewal_history(b)


def _reconciliation(b: Basis) -> pl.DataFrame:
    from .usage.reconciliation import reconciliation

    rows = reconciliation(b)
    first = [*LEAD_COLUMNS, "crm_remaining_cases", "difference", "deleted_cases", "out_of_term_cases",
             "likely_cause"]  # fmt: skip
    return rows.select(*first, *[c for c in rows.columns if c not in first])


def _weekly(b: Basis, by: str = "entitlement") -> pl.DataFrame:
    from .usage.trends import weekly_consumption

    return weekly_consumption(b, by=by)  # type: ignore[arg-type]


def _milestones(b: Basis) -> pl.DataFrame:
    from .sla.reports import milestones_report

    return milestones_report(b)


def _compliance(b: Basis) -> pl.DataFrame:
    from .sla.reports import compliance_report

    return compliance_report(b)


def _next_breaches(b: Basis) -> pl.DataFrame:
    from .sla.breach import next_breach_report

    return next_breach_report(b)


def _pauses(b: Basis) -> pl.DataFrame:
    from .sla.reports import pauses_report

    return pauses_report(b)


def _milestone_reconciliation(b: Basis) -> pl.DataFrame:
    from .sla.reconciliation import milestone_reconciliation

    # Its own narrow set of instances (cases with a target of record): nothing to measure without them.
    return milestone_reconciliation(b.tables, as_of=b.as_of, at_risk_fraction=b.settings.at_risk_fraction)


def _forecast_backtest(b: Basis, horizons: tuple[int, ...] | None = None) -> pl.DataFrame:
    from .forecast.backtest import forecast_backtest_report

    return forecast_backtest_report(b, horizons=horizons)


_ALL = (
    Mart("utilization", _utilization, "one row per entitlement",
         "consumed, remaining, status, burn rate and projections of every entitlement"),
    Mart("forecast", _forecast, "one row per entitlement",
         "every term projected to its end from its own pace and its history: expected consumption, "
         "10-90 interval, probability of running out, expected shortfall, recommended plan"),
    Mart("near-limit", _near_limit, "one row per entitlement near its limit, exhausted or over cap",
         "entitlements that need attention, worst first (status, then how far over)"),
    Mart("overage", _overage, "one row per unit of consumption no grant covers",
         "overage cases (or hours on time entries), priced at the plan's overage rate"),
    Mart("overage-summary", _overage_summary, "one row per entitlement with overage",
         "overage per entitlement: units beyond every grant, count and amount"),
    Mart("overage-revenue", _overage_revenue, "one row per account and month with overage",
         "overage revenue per account and month", key=None, params={"plan": (), "usage_type": ()}),
    Mart("grant-balances", _grant_balances, "one row per grant (caps included)",
         "every grant's quantity, drawn, balance, state and breakage"),
    Mart("unmatched-cases", _unmatched, "one row per unmatched case",
         "cases naming no entitlement while one was active; entitlement_id is the most likely one"),
    Mart("out-of-term-cases", _out_of_term, "one row per case naming an entitlement outside its term",
         "cases whose consumption moment is outside their entitlement's term"),
    Mart("upsell", _upsell, "one row per upsell candidate",
         "entitlements that ran out or will before the end, ranked by projected shortfall"),
    Mart("renewals", _renewals, "one row per entitlement ending within the renewal window",
         "terms ending soon, marked when already renewed", params={"within_days": None}),
    Mart("renewal-history", _renewal_history, "one row per entitlement, by renewal chain and term",
         "utilization of every term of every renewal chain"),
    Mart("reconciliation", _reconciliation, "one row per entitlement whose Salesforce counter disagrees",
         "Salesforce's remaining-cases counter against the rules, with the likely cause"),
    Mart("weekly-consumption", _weekly, "one row per week and entitlement (or tier and unit), consumed",
         "consumption per week (local days)", params={"by": "entitlement"}),
    Mart("milestones", _milestones, "one row per milestone instance",
         "every milestone instance with target, elapsed business minutes and status"),
    Mart("compliance", _compliance, "one row per milestone and priority with instances",
         "milestone counts by status, compliance = met / (met + violated), median margin", key=None),
    Mart("next-breaches", _next_breaches, "one row per case with an open, at-risk or paused milestone",
         "each open case's earliest open target and business minutes left, soonest breach first"),
    Mart("pauses", _pauses, "one row per case whose SLA clock was stopped at least once",
         "the pause audit: business time paused, how often, the longest pause, share over the threshold"),
    Mart("milestone-reconciliation", _milestone_reconciliation,
         "one row per milestone whose target of record differs from the computed target",
         "targets of record against the product's own computation, with the likely cause"),
    Mart("forecast-backtest", _forecast_backtest, "one row per horizon and method",
         "every ended term predicted N days before its end, scored against what happened and against "
         "the straight-line projection", key=None, params={"horizons": None}),
)  # fmt: skip

#: The order the command line lists them: DOMAIN.md's reports first.
_ORDER = (
    "utilization", "near-limit", "overage", "unmatched-cases", "upsell", "renewals", "reconciliation",
    "milestones", "compliance", "next-breaches", "pauses", "milestone-reconciliation", "forecast",
    "forecast-backtest", "overage-summary", "overage-revenue", "grant-balances", "out-of-term-cases",
    "renewal-history", "weekly-consumption",
)  # fmt: skip
#: Every mart by name.
MARTS: dict[str, Mart] = {name: next(m for m in _ALL if m.name == name) for name in _ORDER}
#: The names ``python -m entitlement_core report NAME`` takes, in the order it lists them.
REPORT_NAMES: tuple[str, ...] = tuple(MARTS)


def build(name: str, basis: Basis, **params: Any) -> pl.DataFrame:
    """Build mart ``name`` from ``basis`` (use :meth:`Basis.mart` to build it once)."""
    if name not in MARTS:
        raise KeyError(f"unknown report {name!r}; choose one of: {', '.join(MARTS)}")
    mart = MARTS[name]
    unknown = set(params) - set(mart.params)
    if unknown:
        raise KeyError(f"report {name!r} takes no parameter {sorted(unknown)}")
    return mart.build(basis, **params)


def available_reports() -> dict[str, Mart]:
    """Every report by name (the command line's choices)."""
    return dict(MARTS)


def run_reports(
    names: Sequence[str], tables: Tables, *, as_of: AsOfLike | dt.datetime, settings: Settings
) -> dict[str, pl.DataFrame]:
    """Several named reports as of one value, sharing one intermediate layer (computed once)."""
    from .basis import Basis

    unknown = [name for name in names if name not in MARTS]
    if unknown:
        raise KeyError(f"unknown report {unknown[0]!r}; choose one of: {', '.join(MARTS)}")
    basis = Basis(tables, as_of=as_of, settings=settings)
    return {name: basis.mart(name) for name in names}


def run_report(
    name: str, tables: Tables, *, as_of: AsOfLike | dt.datetime, settings: Settings, **params: Any
) -> pl.DataFrame:
    """Run one named report as of a moment (or a date: the end of that day in each zone);
    ``params``: the report's own (e.g. ``horizons`` of ``forecast-backtest``)."""
    from .basis import Basis

    if name not in MARTS:
        raise KeyError(f"unknown report {name!r}; choose one of: {', '.join(MARTS)}")
    return Basis(tables, as_of=as_of, settings=settings).mart(name, **params)
