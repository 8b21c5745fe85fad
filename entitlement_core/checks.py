"""Configuration validator: problems in the stored data, each naming the record to fix.

Import validation keeps single rows well-formed; these checks look across
tables for configurations that make the numbers wrong or ambiguous. Each
check is a small function of :class:`~entitlement_core.staging.Tables`
returning a frame of (table, record_id, column, message); errors make
``python -m entitlement_core validate`` exit 1, warnings do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .problems import Problem
from .schema import TABLES, ForeignKey, never_imported_message
from .staging import Tables

__all__ = ["CHECKS", "Check", "check_configuration", "problems_of"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    table: str
    column: str | None
    #: Columns: record_id, message (and table, column when the check spans tables).
    run: Callable[[Tables], pl.LazyFrame]


def _cases_without_cap_or_plan(t: Tables) -> pl.LazyFrame:
    return t.entitlements.filter(
        (pl.col("usage_type") == "cases") & pl.col("cap").is_null() & pl.col("plan").is_null()
    ).select(
        pl.col("entitlement_id").alias("record_id"),
        pl.lit(
            "cases entitlement with no cap and no plan: it is unlimited; set a cap or an unlimited plan"
        ).alias("message"),
    )


def _end_before_start(t: Tables) -> pl.LazyFrame:
    return t.entitlements.filter(pl.col("end_date") < pl.col("start_date")).select(
        pl.col("entitlement_id").alias("record_id"),
        pl.format("end_date {} is before start_date {}", "end_date", "start_date").alias("message"),
    )


def _overlapping(t: Tables) -> pl.LazyFrame:
    """Two entitlements of one usage type for the same account and asset whose terms overlap:
    a case naming neither cannot be matched to one (DOMAIN.md "Overflow")."""
    e = t.entitlements.filter(pl.col("usage_type") != "none").select(
        "entitlement_id", "account_id", "asset_id", "usage_type", "start_date", "end_date"
    )
    pairs = e.join(e, on=["account_id", "usage_type"], suffix="_other", nulls_equal=True).filter(
        (pl.col("entitlement_id") < pl.col("entitlement_id_other"))
        & (pl.col("asset_id").eq_missing(pl.col("asset_id_other")))
        & (pl.col("start_date") <= pl.col("end_date_other"))
        & (pl.col("start_date_other") <= pl.col("end_date"))
    )
    return pairs.select(
        pl.col("entitlement_id").alias("record_id"),
        pl.format(
            "overlaps {} ({} to {}) for account {} and the same usage type: cases naming neither "
            "cannot be matched; end one term before the other starts or tie them to different assets",
            "entitlement_id_other",
            "start_date_other",
            "end_date_other",
            "account_id",
        ).alias("message"),
    )


def _effective_grants(t: Tables) -> pl.LazyFrame:
    return t.grants.select("grant_id", "entitlement_id", "kind", "effective_from", "expires_at", "resource")


def _pack_without_anchor(t: Tables) -> pl.LazyFrame:
    g = _effective_grants(t)
    anchored = (
        pl.concat(
            [
                g.filter(pl.col("kind") == "anchor").select("entitlement_id"),
                t.entitlements.filter(pl.col("cap").is_not_null()).select("entitlement_id"),
            ]
        )
        .unique()
        .with_columns(pl.lit(True).alias("_anchored"))
    )
    return (
        g.filter(pl.col("kind") == "pack")
        .join(anchored, on="entitlement_id", how="left")
        .filter(pl.col("_anchored").is_null())
        .select(
            pl.col("grant_id").alias("record_id"),
            pl.format(
                "pack grant on entitlement {} which has no anchor (no cap and no anchor grant)",
                "entitlement_id",
            ).alias("message"),
        )
    )


def _grant_outside_term(t: Tables) -> pl.LazyFrame:
    term = t.entitlements.select("entitlement_id", "start_date", "end_date")
    return (
        _effective_grants(t)
        .join(term, on="entitlement_id", how="inner")
        .filter(
            (pl.col("effective_from").dt.date() > pl.col("end_date"))
            | (pl.col("expires_at").is_not_null() & (pl.col("expires_at").dt.date() < pl.col("start_date")))
        )
        .select(
            pl.col("grant_id").alias("record_id"),
            pl.format(
                "grant is valid outside the term of entitlement {} ({} to {})",
                "entitlement_id",
                "start_date",
                "end_date",
            ).alias("message"),
        )
    )


def _resource_without_unit(t: Tables) -> pl.LazyFrame:
    return t.usage_resources.filter(pl.col("unit").is_null()).select(
        pl.col("resource").alias("record_id"),
        pl.lit("usage resource has no unit of measure").alias("message"),
    )


def _references(t: Tables) -> list[tuple[str, ForeignKey, pl.LazyFrame, pl.LazyFrame]]:
    """Every reference of every table: (table, foreign key, rows naming one, the rows named)."""
    out = []
    for spec in TABLES.values():
        for fk in spec.foreign_keys:
            named = getattr(t, spec.name).filter(pl.col(fk.column).is_not_null())
            out.append(
                (spec.name, fk, named, getattr(t, fk.table).select(pl.col(fk.target).alias(fk.column)))
            )
    return out


def _is_empty(frame: pl.LazyFrame) -> bool:
    return frame.select(pl.len()).collect().item() == 0


def _never_imported(t: Tables) -> pl.LazyFrame:
    """DOMAIN.md "References": ids naming a table that holds no rows at all are kept, and said once
    per reference with a count ("1,204 cases name contacts that were never imported")."""
    rows = []
    for table, fk, named, targets in _references(t):
        if not _is_empty(targets):
            continue
        count = named.select(pl.len()).collect().item()
        if count:
            rows.append((table, fk.column, never_imported_message(table, fk, count)))
    return pl.LazyFrame(
        rows, schema={"table": pl.String, "column": pl.String, "message": pl.String}, orient="row"
    ).with_columns(pl.lit(None, dtype=pl.String).alias("record_id"))


def _unknown_reference(t: Tables) -> pl.LazyFrame:
    """An id naming no row of a table that holds rows: most likely a typo (the importer refuses
    them; rows imported before their table was, or a plan catalogue imported later, end up here)."""
    parts = []
    for table, fk, named, targets in _references(t):
        if _is_empty(targets):
            continue
        key = [pl.col(k).cast(pl.String).fill_null("") for k in TABLES[table].key]
        parts.append(
            named.join(targets.unique(), on=fk.column, how="anti").select(
                pl.lit(table).alias("table"),
                pl.lit(fk.column).alias("column"),
                pl.concat_str(key, separator="/").alias("record_id"),
                pl.format(f"unknown {fk.column} '{{}}': no such record in {fk.table}", fk.column).alias(
                    "message"
                ),
            )
        )
    empty = pl.LazyFrame(schema=dict.fromkeys(("table", "column", "record_id", "message"), pl.String))
    return pl.concat([empty, *parts])


def _hours_without_holidays(t: Tables) -> pl.LazyFrame:
    """Business hours with no holiday anywhere: an export that left the Holiday file out measures
    every holiday as a working day (targets of record then disagree by a day around each)."""
    if not _is_empty(t.holidays):
        return pl.LazyFrame(schema={"record_id": pl.String, "message": pl.String})
    return (
        t.business_hours.select(pl.len().alias("n"))
        .filter(pl.col("n") > 0)
        .select(
            pl.lit(None, dtype=pl.String).alias("record_id"),
            pl.format(
                "{} business-hours calendar(s) and no holidays imported: every holiday counts as a working "
                "day (export the Holiday object too)",
                "n",
            ).alias("message"),
        )
    )


def _process_without_targets(t: Tables) -> pl.LazyFrame:
    return t.entitlement_processes.join(
        t.milestone_targets.select("process_id").unique(), on="process_id", how="anti"
    ).select(
        pl.col("process_id").alias("record_id"),
        pl.lit(
            "entitlement process has no milestone targets: its cases get no milestones "
            "unless their milestones are imported"
        ).alias("message"),
    )


def _hours_without_open_time(t: Tables) -> pl.LazyFrame:
    open_any = pl.any_horizontal(pl.col(f"{d}_start").is_not_null() for d in _DAYS)
    return t.business_hours.filter(~open_any).select(
        pl.col("business_hours_id").alias("record_id"),
        pl.lit("business hours are closed every day: no milestone measured in them can ever be met").alias(
            "message"
        ),
    )


def _case_names_other_accounts_entitlement(t: Tables) -> pl.LazyFrame:
    ent = t.entitlements.select("entitlement_id", pl.col("account_id").alias("_ent_account"))
    return (
        t.cases.filter(pl.col("entitlement_id").is_not_null())
        .select("case_id", "account_id", "entitlement_id")
        .join(ent, on="entitlement_id", how="inner")
        .filter(pl.col("account_id") != pl.col("_ent_account"))
        .select(
            pl.col("case_id").alias("record_id"),
            pl.format(
                "case of account {} names entitlement {} of account {}",
                "account_id",
                "entitlement_id",
                "_ent_account",
            ).alias("message"),
        )
    )


def _time_on_cases_entitlement(t: Tables) -> pl.LazyFrame:
    ent = t.entitlements.filter(pl.col("usage_type") == "cases").select("entitlement_id")
    return (
        t.time_entries.select("time_entry_id", "case_id")
        .join(t.cases.select("case_id", "entitlement_id"), on="case_id", how="inner")
        .join(ent, on="entitlement_id", how="semi")
        .select(
            pl.col("time_entry_id").alias("record_id"),
            pl.format(
                "time entry on case {} whose entitlement {} counts cases, not hours: the minutes are ignored",
                "case_id",
                "entitlement_id",
            ).alias("message"),
        )
    )


def _milestone_without_target(t: Tables) -> pl.LazyFrame:
    """An imported milestone with no target_minutes whose process has no target of that name
    gets no status (DOMAIN.md "Milestones": it takes its target from the process)."""
    process = t.cases.select("case_id", "entitlement_id").join(
        t.entitlements.select("entitlement_id", "process_id"), on="entitlement_id", how="left"
    )
    named = t.milestone_targets.select("process_id", "milestone").unique()
    return (
        t.case_milestones.filter(pl.col("target_minutes").is_null())
        .join(process, on="case_id", how="left")
        .join(named, on=["process_id", "milestone"], how="anti")
        .select(
            pl.format("{}/{}", "case_id", "milestone").alias("record_id"),
            pl.format(
                "milestone has no target_minutes and process {} has no '{}' target: it gets no status",
                pl.col("process_id").fill_null("(none)"),
                "milestone",
            ).alias("message"),
        )
    )


def _paused_status_never_used(t: Tables) -> pl.LazyFrame:
    """A paused status the process names that no case of it was ever in: most likely misspelt (or the
    history is partial). Only processes whose cases have a status history are checked."""
    from .sla.pauses import case_processes, paused_status_keys, status_key

    used = (
        t.case_status_history.select("case_id", "status")
        .join(case_processes(t), on="case_id")
        .select("process_id", status_key(pl.col("status")).alias("status_key"))
        .unique()
    )
    with_history = used.select("process_id").unique()
    return (
        paused_status_keys(t.entitlement_processes)
        .join(with_history, on="process_id", how="semi")
        .join(used, on=["process_id", "status_key"], how="anti")
        .select(
            pl.col("process_id").alias("record_id"),
            pl.format(
                "paused status '{}' is never a status of this process's cases: check its spelling "
                "(statuses compare ignoring letter case and spaces)",
                "status_key",
            ).alias("message"),
        )
        .sort("record_id", "message")
    )


#: Every check, in the order reports list them.
CHECKS: tuple[Check, ...] = (
    Check("cases-no-cap-no-plan", "warning", "entitlements", "cap", _cases_without_cap_or_plan),
    Check("end-before-start", "error", "entitlements", "end_date", _end_before_start),
    Check("overlapping-entitlements", "warning", "entitlements", "start_date", _overlapping),
    Check("pack-without-anchor", "error", "grants", "kind", _pack_without_anchor),
    Check("grant-outside-term", "warning", "grants", "effective_from", _grant_outside_term),
    Check("resource-without-unit", "warning", "usage_resources", "unit", _resource_without_unit),
    Check("reference-never-imported", "warning", "(references)", None, _never_imported),
    Check("unknown-reference", "error", "(references)", None, _unknown_reference),
    Check("business-hours-without-holidays", "warning", "holidays", None, _hours_without_holidays),
    Check(
        "process-without-targets", "warning", "entitlement_processes", "process_id", _process_without_targets
    ),
    Check("business-hours-never-open", "error", "business_hours", "mon_start", _hours_without_open_time),
    Check(
        "case-names-other-accounts-entitlement",
        "error",
        "cases",
        "entitlement_id",
        _case_names_other_accounts_entitlement,
    ),
    Check(
        "time-entry-on-cases-entitlement", "warning", "time_entries", "case_id", _time_on_cases_entitlement
    ),
    Check(
        "milestone-without-target", "warning", "case_milestones", "target_minutes", _milestone_without_target
    ),
    Check(
        "paused-status-never-used",
        "warning",
        "entitlement_processes",
        "paused_statuses",
        _paused_status_never_used,
    ),
)


def check_configuration(tables: Tables, *, limit_per_check: int = 1000) -> pl.DataFrame:
    """Run every check; one row per problem.

    Returns
    -------
    pl.DataFrame
        Grain: one row per (check, record). Columns: check, severity, table,
        record_id, column, message. At most ``limit_per_check`` rows per check.
    """
    frames = []
    for c in CHECKS:
        found = c.run(tables).head(limit_per_check)
        names = found.collect_schema().names()
        frames.append(
            found.select(
                pl.lit(c.name).alias("check"),
                pl.lit(c.severity).alias("severity"),
                # A check across tables names each row's table and column.
                pl.col("table") if "table" in names else pl.lit(c.table).alias("table"),
                pl.col("record_id").cast(pl.String),
                pl.col("column") if "column" in names else pl.lit(c.column, dtype=pl.String).alias("column"),
                pl.col("message").cast(pl.String),
            )
        )
    return pl.concat(pl.collect_all(frames)).sort("severity", "check", "record_id")


def problems_of(found: pl.DataFrame) -> list[Problem]:
    """The checks' rows as :class:`Problem` records (for the CLI and the Data page)."""
    return [
        Problem(
            file=r["table"],
            column=r["column"],
            record_id=r["record_id"],
            message=r["message"],
            severity=r["severity"],
        )
        for r in found.to_dicts()
    ]
