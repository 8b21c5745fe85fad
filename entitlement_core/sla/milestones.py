"""Milestone instances as of a moment (DOMAIN.md, "Milestones (SLA)").

Intermediate model: one row per milestone instance, measured in business
minutes of the calendar of the case's entitlement process, with its status
as of ``as_of``. Marts (:mod:`entitlement_core.sla.compliance`) and the
``milestones`` report build on it.

Rules, in the order they apply
------------------------------
1. A case gets instances when it names an entitlement that has a process,
   whatever the entitlement's term. Deleted cases still get them: the
   milestones still happened (as deleted cases still consumed).
2. A case with imported ``case_milestones`` records gets exactly those
   (a record without ``target_minutes`` takes the process's target);
   whether it has any is decided on all its records, so the same case is
   never measured both ways. Otherwise it gets First Response
   (``created_at`` -> ``first_response_at``) and Resolution (``created_at``
   -> ``closed_at``) where the process has a target for them.
3. The most specific target wins: priority and origin, then priority, then
   origin, then any (a target with an empty priority or origin matches
   every value; values compare case-insensitively).
4. Calendar, the first that is set: the milestone target's own business
   hours, the process's, the case's (``cases.business_hours_id``), the
   entitlement's; else 24x7. An id with no ``business_hours`` row is
   measured 24x7 too (the validator reports the dangling reference).
5. As of ``as_of``: an instance started later does not exist yet; a
   completion later has not happened yet (the instance is open). An as-of
   date means the end of that day in the zone of the instance's business
   hours (UTC for 24x7): each instance is measured as of its own moment.
6. Targets of record: an imported record that carries its target moment
   (``case_milestones.target_at``, Salesforce's ``TargetDate``) keeps it as
   ``target_at``; status, the at-risk window and the margin follow from
   it (the business minutes from the start to that moment are the
   budget). The product's own computation is ``computed_target_at``
   (:mod:`.reconciliation` lists where the two differ).
7. Paused clocks: business time while the case is in a status its
   process pauses on does not count (:mod:`.pauses` finds the intervals,
   :mod:`.clock` measures; :mod:`.measure` applies them).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..asof import AsOf, AsOfLike, as_of_value
from ..staging import Tables
from ..usage.terms import known_zones
from .measure import measure_instances
from .status import STATUS_ORDER

__all__ = [
    "FIRST_RESPONSE",
    "HOURS_LEVELS",
    "INSTANCE_SCHEMA",
    "RESOLUTION",
    "STATUS_ORDER",
    "best_targets",
    "milestone_instances",
    "with_instance_as_of",
]

FIRST_RESPONSE = "First Response"
RESOLUTION = "Resolution"

#: Columns and types of :func:`milestone_instances`.
INSTANCE_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.String(),
    "entitlement_id": pl.String(),
    "account_id": pl.String(),
    "process_id": pl.String(),
    "business_hours_id": pl.String(),
    "milestone": pl.String(),
    "priority": pl.String(),
    "origin": pl.String(),
    "tier": pl.String(),
    "owner": pl.String(),
    "is_deleted": pl.Boolean(),
    "is_imported": pl.Boolean(),
    "started_at": pl.Datetime("us", "UTC"),
    "target_at": pl.Datetime("us", "UTC"),
    "computed_target_at": pl.Datetime("us", "UTC"),
    "completed_at": pl.Datetime("us", "UTC"),
    "target_minutes": pl.Int64(),
    "warning_minutes": pl.Float64(),
    "elapsed_minutes": pl.Float64(),
    "status": pl.String(),
    "margin_minutes": pl.Float64(),
    "paused_minutes": pl.Float64(),
    "as_of_at": pl.Datetime("us", "UTC"),
}

#: Business-hours columns of each level, first set wins (DOMAIN.md "Which business hours").
HOURS_LEVELS = ("target_hours_id", "process_hours_id", "case_hours_id", "entitlement_hours_id")

_CONTEXT = [
    "case_id",
    "entitlement_id",
    "account_id",
    "process_id",
    *HOURS_LEVELS[1:],
    "priority",
    "origin",
    "tier",
    "owner",
    "is_deleted",
]


def _case_context(tables: Tables) -> pl.LazyFrame:
    """Cases that name an entitlement with a process, with calendar and account.

    Grain: one row per case.
    """
    entitlements = tables.entitlements.select(
        "entitlement_id", "process_id", pl.col("business_hours_id").alias("entitlement_hours_id")
    ).filter(pl.col("process_id").is_not_null())
    processes = tables.entitlement_processes.select(
        "process_id", pl.col("business_hours_id").alias("process_hours_id")
    )
    accounts = tables.accounts.select("account_id", "tier", "owner")
    return (
        tables.cases.select(
            "case_id",
            "account_id",
            "entitlement_id",
            "created_at",
            "first_response_at",
            "closed_at",
            "priority",
            "origin",
            "is_deleted",
            pl.col("business_hours_id").alias("case_hours_id"),
        )
        .join(entitlements, on="entitlement_id", how="inner")
        .join(processes, on="process_id", how="left")
        .join(accounts, on="account_id", how="left")
    )


def _with_calendar(instances: pl.LazyFrame) -> pl.LazyFrame:
    """``business_hours_id``: the first set of the target's, process's, case's, entitlement's (DOMAIN.md)."""
    return instances.with_columns(pl.coalesce(*HOURS_LEVELS).alias("business_hours_id"))


def _norm(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.to_lowercase()


#: Specificity levels, most specific first: the target columns that must be set (the others empty).
_LEVELS: tuple[tuple[str, ...], ...] = (("priority", "origin"), ("priority",), ("origin",), ())


def best_targets(requests: pl.LazyFrame, targets: pl.LazyFrame) -> pl.LazyFrame:
    """Add the most specific milestone target to each request.

    Grain: as ``requests`` (which carry ``process_id``, ``milestone``,
    ``priority`` and ``origin``), plus ``target_minutes`` and
    ``warning_minutes`` of the winning target (null when none matches).
    Specificity: priority and origin, then priority, then origin, then any;
    a target whose priority or origin is empty matches every value. The
    winner is resolved once per distinct (process, milestone, priority,
    origin), one equi-join per level, then joined back to the requests.

    Examples
    --------
    Targets for First Response: any 240, High 60, Chat 30, High + Chat 15.
    High/Chat -> 15, Low/Chat -> 30, High/Email -> 60, Low/Email -> 240.
    """
    candidates = targets.select(
        "process_id",
        "milestone",
        _norm("priority").alias("_priority"),
        _norm("origin").alias("_origin"),
        "target_minutes",
        "warning_minutes",
        "business_hours_id",
    )
    request_keys = ["process_id", "milestone", "priority", "origin"]
    combos = requests.select(request_keys).unique()
    out = combos.with_columns(_norm("priority").alias("_priority"), _norm("origin").alias("_origin"))
    for level, needed in enumerate(_LEVELS):
        keys = [f"_{name}" for name in needed]
        empty = [f"_{name}" for name in ("priority", "origin") if name not in needed]
        level_targets = (
            candidates.filter(*(pl.col(k).is_not_null() for k in keys), *(pl.col(k).is_null() for k in empty))
            # Values equal but for case or spaces: the tighter target wins.
            .sort("target_minutes")
            .unique(subset=["process_id", "milestone", *keys], keep="first")
            .select(
                "process_id",
                "milestone",
                *keys,
                pl.col("target_minutes").alias(f"_minutes_{level}"),
                pl.col("warning_minutes").alias(f"_warning_{level}"),
                pl.col("business_hours_id").alias(f"_hours_{level}"),
            )
        )
        out = out.join(level_targets, on=["process_id", "milestone", *keys], how="left")
    levels = range(len(_LEVELS))

    def winner(prefix: str) -> pl.Expr:
        chosen = pl.when(pl.col("_minutes_0").is_not_null()).then(pl.col(f"{prefix}0"))
        for level in levels[1:]:
            chosen = chosen.when(pl.col(f"_minutes_{level}").is_not_null()).then(pl.col(f"{prefix}{level}"))
        return chosen

    resolved = out.select(
        *request_keys,
        winner("_minutes_").alias("target_minutes"),
        winner("_warning_").alias("warning_minutes"),
        winner("_hours_").alias("target_hours_id"),
    )
    return requests.join(resolved, on=request_keys, how="left", nulls_equal=True)


def _imported(context: pl.LazyFrame, tables: Tables) -> pl.LazyFrame:
    """Imported case-milestone records of cases in ``context``; grain: one row per record."""
    records = tables.case_milestones.select(
        "case_id",
        "milestone",
        "started_at",
        "completed_at",
        pl.col("target_at").alias("recorded_target_at"),
        pl.col("target_minutes").alias("own_minutes"),
    ).join(context.select(*_CONTEXT), on="case_id", how="inner")
    return (
        best_targets(records, tables.milestone_targets)
        .with_columns(
            pl.coalesce("own_minutes", "target_minutes").alias("target_minutes"),
            pl.lit(True).alias("is_imported"),
        )
        .drop("own_minutes")
        .pipe(_with_calendar)
    )


def _derived(context: pl.LazyFrame, tables: Tables) -> pl.LazyFrame:
    """First Response and Resolution of cases without imported records; grain: one row per instance.

    Targets are resolved once per (process, priority, origin) and joined to
    the cases, one join per milestone kind.
    """
    imported_cases = tables.case_milestones.select("case_id").unique()
    cases = context.join(imported_cases, on="case_id", how="anti")
    keys = ["process_id", "priority", "origin"]
    combos = cases.select(keys).unique()
    parts = []
    for milestone, completed_at in ((FIRST_RESPONSE, "first_response_at"), (RESOLUTION, "closed_at")):
        targets = best_targets(
            combos.with_columns(pl.lit(milestone).alias("milestone")), tables.milestone_targets
        )
        parts.append(
            cases.join(
                targets.filter(pl.col("target_minutes").is_not_null()), on=keys, nulls_equal=True
            ).select(
                *_CONTEXT,
                "milestone",
                pl.col("created_at").alias("started_at"),
                pl.col(completed_at).alias("completed_at"),
                "target_minutes",
                "warning_minutes",
                "target_hours_id",
                pl.lit(False).alias("is_imported"),
            )
        )
    return _with_calendar(pl.concat(parts))


def with_instance_as_of(instances: pl.LazyFrame, tables: Tables, as_of: AsOf) -> pl.LazyFrame:
    """``_as_of_at``: each instance's as-of moment, in its business hours' zone (UTC for 24x7)."""
    zones = tables.business_hours.select("business_hours_id", "timezone").collect()
    table = as_of.zone_table(known_zones(tables))
    moments = zones.join(table, on="timezone", how="inner").select("business_hours_id", "as_of_at")
    utc = table.filter(pl.col("timezone") == "UTC").get_column("as_of_at")[0]
    return (
        instances.join(moments.lazy(), on="business_hours_id", how="left", maintain_order="left")
        .with_columns(pl.col("as_of_at").fill_null(utc).alias("_as_of_at"))
        .drop("as_of_at")
    )


def milestone_instances(
    tables: Tables,
    *,
    as_of: AsOfLike,
    at_risk_fraction: float = 0.25,
    started_from: dt.datetime | None = None,
    started_before: dt.datetime | None = None,
) -> pl.LazyFrame:
    """Milestone instances with targets, elapsed business minutes and status as of ``as_of``.

    Grain: one row per milestone instance (case, milestone, started_at), in
    no particular order (sort where order matters; the report does).

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The moment measured at (timezone-aware), or a date: the end of that
        day in each instance's business-hours zone. Instances started after
        it are left out; completions after it are treated as open (null
        ``completed_at``).
    at_risk_fraction
        Warning window as a fraction of the target, where the target has no
        ``warning_minutes`` of its own.
    started_from
        When given, only instances started at or after this moment are
        measured (the business-time arithmetic is the costly part): a month's
        compliance needs that month's instances only.
    started_before
        When given, only instances started before this moment (with
        ``started_from``: one window of start moments, a slice of the
        instances whose counts per day or week no other window shares).

    Returns
    -------
    pl.LazyFrame
        Columns of :data:`INSTANCE_SCHEMA`. ``status`` is ``met``,
        ``violated``, ``at_risk``, ``paused`` or ``open`` (null for an imported record
        with no target anywhere); ``margin_minutes`` = target - elapsed;
        ``paused_minutes`` the business minutes its clock was stopped;
        ``as_of_at`` the moment it is measured at (its own, for an as-of date).

    Examples
    --------
    Target 240, open, as of 180 business minutes after the start: 60 left
    = 25% -> ``at_risk``; as of exactly ``target_at`` -> ``at_risk``; one
    minute later -> ``violated``. Completed exactly at ``target_at`` -> ``met``.
    """
    as_of = as_of_value(as_of)
    as_of_at = pl.col("_as_of_at")
    started = pl.col("started_at") <= as_of_at
    for bound, name in ((started_from, "started_from"), (started_before, "started_before")):
        if bound is not None and bound.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (UTC)")
    if started_from is not None:
        started = started & (pl.col("started_at") >= pl.lit(started_from).cast(pl.Datetime("us", "UTC")))
    if started_before is not None:
        started = started & (pl.col("started_at") < pl.lit(started_before).cast(pl.Datetime("us", "UTC")))
    context = _case_context(tables)
    pending = (
        with_instance_as_of(
            pl.concat([_imported(context, tables), _derived(context, tables)], how="diagonal_relaxed"),
            tables,
            as_of,
        )
        .filter(started)
        .with_columns(pl.when(pl.col("completed_at") <= as_of_at).then("completed_at").alias("completed_at"))
        .with_columns(
            pl.col("target_minutes").cast(pl.Int64),
            pl.col("warning_minutes").cast(pl.Int64),
            pl.col("is_deleted").fill_null(False),
        )
        .collect()
    )
    if pending.is_empty():
        return pl.LazyFrame(schema=INSTANCE_SCHEMA)
    measured = measure_instances(pending, tables, as_of=as_of, at_risk_fraction=at_risk_fraction)
    return measured.lazy().select([pl.col(name).cast(dtype) for name, dtype in INSTANCE_SCHEMA.items()])
