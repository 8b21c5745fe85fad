"""Which alert conditions hold as of a moment: one row per rule and record, from the reports.

Every condition reads the public reports (:func:`entitlement_core.reports.run_report`:
``utilization``, ``renewals``, ``unmatched-cases``, ``milestones``) and
nothing else, so the figures of an alert are those of the report of the same
name. Columns a later version of a report adds (a ``paused`` milestone status
with ``paused_minutes``, a run-out probability) are used by name when they
are there (:func:`capabilities`).

Grain of :func:`conditions`: one row per (rule, record, episode) whose
condition holds, with :data:`CONDITION_COLUMNS`. ``episode`` tells two
crossings of the same record apart when the data dates them (a violated
milestone's target, a renewal's term end, the newest unmatched case);
``crossing_at`` is that moment where the data gives one (else the run fills
in its as-of moment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .params import with_params as _with_params
from .rules import MATCH_FIELDS, RULE_IDS, RuleSet

__all__ = ["CONDITION_COLUMNS", "Capabilities", "capabilities", "conditions", "empty_conditions"]

#: Reports the conditions read, by the rules that need them.
REPORTS_OF = {
    "utilization": ("near_limit", "exhausted", "over_cap", "projected_run_out"),
    "renewals": ("renewal_due",),
    "unmatched-cases": ("unmatched_cases",),
    "milestones": ("milestone_at_risk", "milestone_violated", "case_paused"),
}
#: Run-out probability columns a utilization report may carry (first found wins).
PROBABILITY_COLUMNS = ("prob_run_out", "run_out_probability")

CONDITION_SCHEMA: dict[str, Any] = {
    "rule_id": pl.String,
    "record_kind": pl.String,
    "record_id": pl.String,
    "episode": pl.String,
    "crossing_at": pl.Datetime("us", "UTC"),
    "account_id": pl.String,
    "account_name": pl.String,
    "owner": pl.String,
    "tier": pl.String,
    "plan": pl.String,
    "entitlement_id": pl.String,
    "case_id": pl.String,
    "milestone": pl.String,
    "banner": pl.String,
    "summary": pl.String,
    "figures": pl.String,
    "notify": pl.List(pl.String),
    "webhook": pl.String,
    "webhook_format": pl.String,
    "email": pl.List(pl.String),
}
CONDITION_COLUMNS = tuple(CONDITION_SCHEMA)


@dataclass(frozen=True)
class Capabilities:
    """What the reports of this version carry that some rules need."""

    paused_clocks: bool = False
    probability_column: str | None = None
    notes: tuple[str, ...] = field(default=())


def capabilities(columns: Mapping[str, tuple[str, ...]]) -> Capabilities:
    """Capabilities from the reports' column names (``{"milestones": (...), "utilization": (...)}``)."""
    milestones = set(columns.get("milestones", ()))
    paused = {"paused_minutes"} <= milestones
    probability = next((c for c in PROBABILITY_COLUMNS if c in columns.get("utilization", ())), None)
    notes = []
    if not paused:
        notes.append(
            "case_paused needs paused SLA clocks (a `paused` milestone status and `paused_minutes` in the "
            "milestones report), which this version does not compute: it finds nothing"
        )
    if probability is None:
        notes.append(
            "projected_run_out uses the straight-line projection (projected_exhaustion_date): the "
            "utilization report carries no run-out probability, so min_probability is not applied"
        )
    return Capabilities(paused, probability, tuple(notes))


def empty_conditions() -> pl.DataFrame:
    return pl.DataFrame(schema=CONDITION_SCHEMA)


# -- the rules -------------------------------------------------------------------------


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")


def _figures(*names: str) -> pl.Expr:
    return pl.struct(*names).struct.json_encode().alias("figures")


def _entitlement_rows(util: pl.LazyFrame, rule_id: str, condition: pl.Expr, summary: pl.Expr) -> pl.LazyFrame:
    figures = ("usage_type", "unit", "cap", "consumed", "remaining", "pct_used", "status", "start_date",
               "end_date", "burn_rate_per_day", "projected_at_end", "projected_exhaustion_date",
               "recommended_plan")  # fmt: skip
    return util.filter(condition).select(
        pl.lit(rule_id).alias("rule_id"),
        pl.lit("entitlement").alias("record_kind"),
        pl.col("entitlement_id").alias("record_id"),
        pl.lit("").alias("episode"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("crossing_at"),
        *MATCH_FIELDS,
        "account_id",
        "account_name",
        "entitlement_id",
        "banner",
        summary.alias("summary"),
        _figures(*figures),
        *[c for c in ("enabled", "notify", "webhook", "webhook_format", "email")],
    )


def _status_rule(status: str) -> Callable[..., pl.LazyFrame]:
    def rule(frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities) -> Any:
        util = _with_params(frames["utilization"], status, rules, ())
        return _entitlement_rows(util, status, pl.col("status") == status, pl.col("banner"))

    return rule


def _projected_run_out(
    frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities
) -> Any:
    util = _with_params(frames["utilization"], "projected_run_out", rules, ("within_days", "min_probability"))
    day = pl.col("projected_exhaustion_date")
    condition = (
        pl.col("status").is_in(["healthy", "near_limit"])
        & day.is_not_null()
        & (day <= pl.col("end_date"))
        & (
            pl.col("p_within_days").is_null()
            | (day <= pl.col("as_of_date") + pl.duration(days="p_within_days"))
        )
    )
    if caps.probability_column is not None:
        condition = condition & (pl.col(caps.probability_column) >= pl.col("p_min_probability"))
    summary = pl.concat_str(
        pl.lit("Projected to run out on "), day.cast(pl.String), pl.lit(", before the term ends on "),
        pl.col("end_date").cast(pl.String),
    )  # fmt: skip
    return _entitlement_rows(util, "projected_run_out", condition, summary)


def _milestone_base(frames: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Milestones of cases not deleted, with their entitlement's plan, account name and banner."""
    ms = frames["milestones"]
    names = ms.collect_schema().names()
    if "is_deleted" in names:
        ms = ms.filter(~pl.col("is_deleted").fill_null(False))
    ents = frames["utilization"].select("entitlement_id", "plan", "account_name", "banner")
    margin = (
        pl.col("margin_minutes")
        if "margin_minutes" in names
        else pl.col("target_minutes") - pl.col("elapsed_minutes")
    )
    return ms.with_columns(margin.alias("left_minutes")).join(ents, on="entitlement_id", how="left")


def _milestone_rows(
    ms: pl.LazyFrame, rule_id: str, episode: pl.Expr, crossing: pl.Expr, summary: pl.Expr
) -> Any:
    record = pl.concat_str(
        pl.col("case_id"), pl.lit("/"), pl.col("milestone"), pl.lit("/"), _iso("started_at")
    )
    figures = ("milestone", "priority", "started_at", "target_at", "completed_at", "target_minutes",
               "elapsed_minutes", "left_minutes", "status")  # fmt: skip
    return ms.select(
        pl.lit(rule_id).alias("rule_id"),
        pl.lit("milestone").alias("record_kind"),
        record.alias("record_id"),
        episode.alias("episode"),
        crossing.alias("crossing_at"),
        *MATCH_FIELDS, "account_id", "account_name", "entitlement_id", "case_id", "milestone", "banner",
        summary.alias("summary"),
        _figures(*figures),
        "enabled", "notify", "webhook", "webhook_format", "email",
    )  # fmt: skip


def _target_text() -> pl.Expr:
    return pl.col("target_at").dt.strftime("%Y-%m-%d %H:%M UTC")


def _at_risk(frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities) -> Any:
    ms = _with_params(_milestone_base(frames), "milestone_at_risk", rules, ("minutes_before",))
    within = (
        pl.when(pl.col("p_minutes_before").is_null())
        .then(pl.col("status") == "at_risk")
        .otherwise(pl.col("left_minutes") <= pl.col("p_minutes_before"))
    )
    ms = ms.filter(pl.col("completed_at").is_null() & pl.col("status").is_in(["open", "at_risk"]) & within)
    summary = pl.concat_str(pl.col("milestone"), pl.lit(" of case "), pl.col("case_id"),
                            pl.lit(" is at risk: target "), _target_text())  # fmt: skip
    return _milestone_rows(
        ms, "milestone_at_risk", pl.lit(""), pl.lit(None, pl.Datetime("us", "UTC")), summary
    )


def _violated(frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities) -> Any:
    ms = _with_params(_milestone_base(frames), "milestone_violated", rules, ("lookback_hours",))
    since = pl.lit(as_of) - pl.duration(microseconds=(pl.col("p_lookback_hours") * 3.6e9).cast(pl.Int64))
    ms = ms.filter(
        (pl.col("status") == "violated") & (pl.col("target_at") > since) & (pl.col("target_at") <= as_of)
    )
    summary = pl.concat_str(
        pl.col("milestone"), pl.lit(" of case "), pl.col("case_id"), pl.lit(" missed its target of "),
        _target_text(),
        pl.when(pl.col("completed_at").is_null()).then(pl.lit(" (still open)"))
        .otherwise(pl.lit(" (completed late)")),
    )  # fmt: skip
    return _milestone_rows(ms, "milestone_violated", _iso("target_at"), pl.col("target_at"), summary)


def _paused(frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities) -> Any:
    if not caps.paused_clocks:
        return None
    ms = _with_params(_milestone_base(frames), "case_paused", rules, ("threshold_minutes",))
    ms = ms.filter(
        (pl.col("status") == "paused")
        & pl.col("completed_at").is_null()
        & (pl.col("paused_minutes") >= pl.col("p_threshold_minutes"))
    )
    first = ("account_id", "account_name", "entitlement_id", "banner", *MATCH_FIELDS, "p_threshold_minutes",
             "enabled", "notify", "webhook", "webhook_format", "email")  # fmt: skip
    cases = ms.group_by("case_id").agg(
        *[pl.col(c).first() for c in first],
        pl.col("paused_minutes").max(),
        pl.col("milestone").sort().str.join(", ").alias("milestones"),
    )
    summary = pl.concat_str(
        pl.lit("Case "), pl.col("case_id"), pl.lit(" has been paused for more than "),
        (pl.col("p_threshold_minutes") / 60).round(1).cast(pl.String), pl.lit(" business hours ("),
        pl.col("milestones"), pl.lit(")"),
    )  # fmt: skip
    return cases.select(
        pl.lit("case_paused").alias("rule_id"), pl.lit("case").alias("record_kind"),
        pl.col("case_id").alias("record_id"), pl.lit("").alias("episode"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("crossing_at"),
        *MATCH_FIELDS, "account_id", "account_name", "entitlement_id", "case_id", "banner",
        summary.alias("summary"), _figures("paused_minutes", "milestones"),
        "enabled", "notify", "webhook", "webhook_format", "email",
    )  # fmt: skip


def _renewal_due(
    frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities
) -> Any:
    due = _with_params(frames["renewals"], "renewal_due", rules, ("within_days",))
    due = due.filter(
        ~pl.col("is_renewed").fill_null(False)
        & (pl.col("days_to_end") >= 0)
        & (pl.col("days_to_end") <= pl.col("p_within_days"))
    )
    summary = pl.concat_str(
        pl.lit("The term ends on "), pl.col("end_date").cast(pl.String), pl.lit(" ("),
        pl.col("days_to_end").cast(pl.String), pl.lit(" days) and is not renewed yet"),
    )  # fmt: skip
    figures = ("usage_type", "unit", "cap", "consumed", "remaining", "pct_used", "status", "start_date",
               "end_date", "days_to_end", "projected_at_end", "recommended_plan")  # fmt: skip
    return due.select(
        pl.lit("renewal_due").alias("rule_id"), pl.lit("entitlement").alias("record_kind"),
        pl.col("entitlement_id").alias("record_id"), pl.col("end_date").cast(pl.String).alias("episode"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("crossing_at"),
        *MATCH_FIELDS, "account_id", "account_name", "entitlement_id", "banner",
        summary.alias("summary"), _figures(*figures),
        "enabled", "notify", "webhook", "webhook_format", "email",
    )  # fmt: skip


def _unmatched(
    frames: dict[str, pl.LazyFrame], rules: RuleSet, as_of: dt.datetime, caps: Capabilities
) -> Any:
    ents = frames["utilization"].select("entitlement_id", *MATCH_FIELDS, "account_name", "banner")
    cases = frames["unmatched-cases"].join(ents, on="entitlement_id", how="left")
    cases = _with_params(cases, "unmatched_cases", rules, ("lookback_days",))
    cases = cases.filter(
        (pl.col("created_at") <= as_of)
        & (pl.col("created_at") > pl.lit(as_of) - pl.duration(days="p_lookback_days"))
    )
    first = (
        "account_name",
        *MATCH_FIELDS,
        "banner",
        "enabled",
        "notify",
        "webhook",
        "webhook_format",
        "email",
    )
    accounts = (
        cases.sort("created_at", "case_id")
        .group_by("account_id")
        .agg(
            *[pl.col(c).last() for c in first],
            pl.len().alias("cases"),
            pl.col("created_at").max().alias("newest_at"),
            pl.col("case_id").last().alias("newest_case_id"),
            pl.col("case_id").alias("case_ids"),
            pl.col("entitlement_id").unique(maintain_order=True).alias("likely_entitlement_ids"),
            pl.col("entitlement_id").last(),
        )
    )
    summary = pl.concat_str(
        pl.col("cases").cast(pl.String), pl.lit(" case(s) name no entitlement although "),
        pl.col("entitlement_id"), pl.lit(" was active (newest: "), pl.col("newest_case_id"), pl.lit(")"),
    )  # fmt: skip
    return accounts.select(
        pl.lit("unmatched_cases").alias("rule_id"), pl.lit("account").alias("record_kind"),
        pl.col("account_id").alias("record_id"), _iso("newest_at").alias("episode"),
        pl.col("newest_at").alias("crossing_at"),
        *MATCH_FIELDS, "account_id", "account_name", "entitlement_id", "banner",
        summary.alias("summary"), _figures("cases", "newest_at", "case_ids", "likely_entitlement_ids"),
        "enabled", "notify", "webhook", "webhook_format", "email",
    )  # fmt: skip


_RULE_FNS: dict[str, Callable[..., pl.LazyFrame | None]] = {
    "near_limit": _status_rule("near_limit"),
    "exhausted": _status_rule("exhausted"),
    "over_cap": _status_rule("over_cap"),
    "projected_run_out": _projected_run_out,
    "milestone_at_risk": _at_risk,
    "milestone_violated": _violated,
    "case_paused": _paused,
    "renewal_due": _renewal_due,
    "unmatched_cases": _unmatched,
}


def conditions(
    reports: Mapping[str, pl.DataFrame], rules: RuleSet, *, as_of: dt.datetime, caps: Capabilities
) -> pl.DataFrame:
    """Every alert condition that holds as of ``as_of``, sorted by rule, account and record.

    Parameters
    ----------
    reports
        The collected reports by registry name (``utilization``, ``renewals``,
        ``unmatched-cases``, ``milestones``); a report no enabled rule needs
        may be absent.
    rules
        The rules file (thresholds, overrides, routes).
    as_of
        The moment the reports were computed as of (a milestone violated
        within ``lookback_hours`` before it; unmatched cases within
        ``lookback_days``).
    caps
        What the reports carry (:func:`capabilities`).
    """
    frames = {name: frame.lazy() for name, frame in reports.items()}
    parts = []
    for rule_id in RULE_IDS:
        if not rules.rule(rule_id).enabled and not rules.rule(rule_id).overrides:
            continue
        part = _RULE_FNS[rule_id](frames, rules, as_of, caps)
        if part is not None:
            have = set(part.collect_schema().names())
            parts.append(
                part.select(
                    pl.col(c).cast(t) if c in have else pl.lit(None, t).alias(c)
                    for c, t in CONDITION_SCHEMA.items()
                )
            )
    if not parts:
        return empty_conditions()
    order = pl.DataFrame({"rule_id": list(RULE_IDS), "_order": range(len(RULE_IDS))})
    combined = pl.concat(parts, how="vertical").join(order.lazy(), on="rule_id", how="left")
    return (
        combined.sort("_order", "account_id", "record_id", "episode", nulls_last=True)
        .drop("_order")
        .collect()
    )
