"""Page helpers: the SLA view, account search and restriction, and data health."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import polars as pl

from ..staging import Tables
from .marts import NO_FILTERS, Filters

__all__ = ["SlaView", "account_tables", "data_health", "search_accounts", "sla_view", "weekly_compliance"]

# -- SLA page -----------------------------------------------------------------


@dataclass(frozen=True)
class SlaView:
    """Everything the SLA page draws, from filtered milestone instances."""

    totals: dict[str, int]
    compliance: pl.DataFrame
    trend: pl.DataFrame
    margin_bins: pl.DataFrame
    violations: pl.DataFrame
    at_risk: pl.DataFrame
    violation_count: int
    at_risk_count: int


def weekly_compliance(
    instances: pl.DataFrame, *, as_of: dt.datetime, filters: Filters = NO_FILTERS, weeks: int = 26
) -> pl.DataFrame:
    """Compliance per week and milestone of the last ``weeks`` weeks (by the week a milestone started).

    Grain: one row per milestone and ``period_start`` (Monday, UTC) with instances.
    """
    from ..sla import compliance_trend

    since = (as_of - dt.timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    recent = instances.lazy().filter(pl.col("started_at") >= since)
    if filters.is_active:
        recent = recent.filter(filters.expr(instances.columns))
    return compliance_trend(recent, by=("milestone",)).collect()


def sla_view(
    instances: pl.DataFrame,
    *,
    as_of: dt.datetime,
    filters: Filters = NO_FILTERS,
    by: Sequence[str] = ("milestone", "priority", "origin", "tier"),
    weeks: int = 26,
    list_rows: int = 500,
) -> SlaView:
    """Compliance table, weekly trend (last ``weeks``), margin histogram and the two lists."""
    from ..sla import at_risk_list, compliance, compliance_trend, margin_distribution, violations

    inst = filters.apply(instances).lazy()
    since = (as_of - dt.timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = inst.group_by("status").agg(pl.len()).collect()
    totals = {s: 0 for s in ("met", "violated", "at_risk", "open")}
    totals.update({r["status"]: int(r["len"]) for r in counts.iter_rows(named=True) if r["status"]})
    margin = (
        inst.filter(pl.col("status").is_in(["met", "violated"]) & pl.col("margin_minutes").is_not_null())
        .with_columns((pl.col("margin_minutes") / 60).clip(-48, 48).floor().alias("margin_hours"))
        .group_by("margin_hours", "status")
        .agg(pl.len().cast(pl.Int64).alias("instances"))
        .sort("margin_hours")
    )
    viol = violations(inst)
    risk = at_risk_list(inst, as_of=as_of)
    frames = pl.collect_all(
        [
            compliance(inst, by=by),
            compliance_trend(inst.filter(pl.col("started_at") >= since), by=("milestone",)),
            margin,
            viol.head(list_rows),
            risk.head(list_rows),
            viol.select(pl.len()),
            risk.select(pl.len()),
        ]
    )
    _ = margin_distribution  # the page uses hour bins clipped at +/- 48 h (see ``margin``)
    return SlaView(
        totals,
        frames[0],
        frames[1],
        frames[2],
        frames[3],
        frames[4],
        int(frames[5].item()),
        int(frames[6].item()),
    )


# -- account page ---------------------------------------------------------------


def search_accounts(tables: Tables, query: str, *, limit: int = 50) -> pl.DataFrame:
    """Accounts whose id or name, or whose contact (name, email) or asset (id, product), matches ``query``.

    Grain: one row per account and way it matched (``matched_on``, ``match``),
    case-insensitive substring search, best (exact id) first.
    """
    q = query.strip().lower()
    schema = {"account_id": pl.String, "matched_on": pl.String, "match": pl.String}
    if not q:
        return pl.DataFrame(schema=schema)

    def hits(frame: pl.LazyFrame, label: str, cols: Sequence[str]) -> pl.LazyFrame:
        parts = [
            frame.filter(pl.col(c).str.to_lowercase().str.contains(q, literal=True)).select(
                "account_id",
                pl.lit(f"{label} {c.replace('_', ' ')}").alias("matched_on"),
                pl.col(c).alias("match"),
            )
            for c in cols
        ]
        return pl.concat(parts, how="vertical")

    found = pl.concat(
        [
            hits(tables.accounts, "account", ("account_id", "name")),
            hits(tables.contacts, "contact", ("contact_id", "name", "email")),
            hits(tables.assets, "asset", ("asset_id", "product")),
        ],
        how="vertical",
    )
    names = tables.accounts.select(
        "account_id", pl.col("name").alias("account_name"), "tier", "region", "owner"
    )
    return (
        found.with_columns(
            (pl.col("match").str.to_lowercase() == q).alias("_exact"),
            pl.col("matched_on").str.starts_with("account").alias("_account"),
        )
        .join(names, on="account_id", how="left")
        .sort(
            ["_exact", "_account", "account_name", "matched_on"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
        .unique(["account_id", "matched_on"], maintain_order=True)
        .head(limit)
        .drop("_exact", "_account")
        .collect()
    )


def account_tables(tables: Tables, account_id: str) -> Tables:
    """The tables restricted to one account (its entitlements, cases, time entries, grants, events).

    Reference tables (plans, calendars, processes, targets) stay whole, so
    every mart computed on the result is exact for that account.
    """
    by_account = {"accounts", "contacts", "assets", "service_contracts", "entitlements", "cases"}
    frames = {}
    for f in fields(tables):
        frame: pl.LazyFrame = getattr(tables, f.name)
        if f.name in by_account:
            frame = frame.filter(pl.col("account_id") == account_id)
        frames[f.name] = frame
    cases = frames["cases"].select("case_id")
    frames["time_entries"] = tables.time_entries.join(cases, on="case_id", how="semi")
    frames["case_milestones"] = tables.case_milestones.join(cases, on="case_id", how="semi")
    ents = frames["entitlements"].select("entitlement_id")
    frames["grants"] = tables.grants.join(ents, on="entitlement_id", how="semi")
    frames["usage_events"] = tables.usage_events.join(ents, on="entitlement_id", how="semi")
    contracts = frames["service_contracts"].select("service_contract_id")
    frames["contract_line_items"] = tables.contract_line_items.join(
        contracts, on="service_contract_id", how="semi"
    )
    return Tables(**frames)


# -- data page --------------------------------------------------------------------

_MART_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("unmatched", "warning", "Cases of entitled accounts naming no entitlement (consumption is missed)"),
    ("out_of_term", "warning", "Cases naming an entitlement outside its term (they consume nothing)"),
    ("overage_summary", "warning", "Entitlements over their cap"),
    ("reconciliation", "warning", "Entitlements whose Salesforce counter disagrees with the rules"),
)


def data_health(
    tables: Tables, marts: Mapping[str, pl.DataFrame | None]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The current data's problems: a summary (one row per check) and the problem records.

    The summary lists every configuration check of
    :mod:`entitlement_core.checks` (with 0 when it passes) and the data
    checks that come from the usage marts in ``marts`` (unmatched and
    out-of-term cases, overage, Salesforce counter disagreements).
    """
    from ..checks import CHECKS, check_configuration

    found = check_configuration(tables)
    counts = found.group_by("check").agg(pl.len().alias("records"))
    config = (
        pl.DataFrame(
            {
                "check": [ch.name for ch in CHECKS],
                "severity": [ch.severity for ch in CHECKS],
                "table": [ch.table for ch in CHECKS],
            }
        )
        .join(counts, on="check", how="left")
        .with_columns(pl.col("records").fill_null(0).cast(pl.Int64), pl.lit("configuration").alias("kind"))
    )
    rows = [
        {"check": about, "severity": severity, "table": name, "records": marts[name].height, "kind": "data"}
        for name, severity, about in _MART_CHECKS
        if marts.get(name) is not None
    ]
    data = pl.DataFrame(
        rows,
        schema={
            "check": pl.String,
            "severity": pl.String,
            "table": pl.String,
            "records": pl.Int64,
            "kind": pl.String,
        },
    )
    summary = pl.concat([config.select(data.columns), data], how="vertical").with_columns(
        (pl.col("records") == 0).alias("is_ok")
    )
    return summary.sort(["is_ok", "severity", "check"]), found
