"""Pause audit: how much SLA time the clocks were stopped, where, and which cases were parked.

Agents can protect an SLA by parking a case in a paused status; support
leads ask for an audit of it. The audit is per case, over the case's life
as of a moment:

- **life**: business minutes from the case's creation to its close (or
  the as-of moment while open), in the case's business hours (the
  process's, the case's, the entitlement's, else 24x7; DOMAIN.md "Which
  business hours", without a milestone's own);
- **paused**: business minutes of that life in a status its process pauses
  on (:mod:`.pauses`), by status;
- **pauses** and **resumes**: how often the clock stopped during the life
  (a stop exactly at the as-of moment counts, DOMAIN.md rule 8) and how
  often it started again; the longest pause in business minutes;
- ``paused_share`` = paused / life; a case above the threshold (the
  ``pause_share_threshold`` setting, default 0.5) is listed.

Marts: :func:`case_pauses` (one row per case, and its minutes by
status), :func:`pause_share` (by owner, account or week of creation),
:func:`status_share` (by paused status), and :func:`paused_time` (the
paused share of measured milestones, shown beside compliance).

Examples
--------
Berlin hours, a case created Monday 09:00 and closed Monday 17:00, waiting
on the customer 10:00-12:00 and again 14:00-15:00: life 480, paused 180
(share 0.375), 2 pauses, 2 resumes, longest 120.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NamedTuple

import polars as pl

from ..asof import AsOf, AsOfLike, as_of_value
from ..staging import Tables
from .business_time import BusinessCalendars
from .compliance import counts_of, paused_from_counts
from .milestones import with_instance_as_of
from .pauses import paused_intervals, status_spans

__all__ = [
    "CASE_PAUSE_COLUMNS",
    "PauseAudit",
    "case_pauses",
    "pause_share",
    "paused_by_status",
    "paused_time",
    "status_share",
]

_UTC = pl.Datetime("us", "UTC")
_FAR = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)

#: Columns of :func:`case_pauses`.
CASE_PAUSE_COLUMNS = (
    "case_id",
    "account_id",
    "account_name",
    "owner",
    "entitlement_id",
    "process_id",
    "business_hours_id",
    "created_at",
    "closed_at",
    "life_minutes",
    "paused_minutes",
    "paused_share",
    "pauses",
    "resumes",
    "longest_pause_minutes",
    "is_paused_now",
    "main_paused_status",
    "is_over_threshold",
)


def _cases(tables: Tables, as_of: AsOf) -> pl.DataFrame:
    """Cases with a process created by their as-of moment, their calendar and the end of their life.

    The as-of moment of a case is that of its business hours' zone (UTC
    for 24x7), as for its milestones.
    """
    entitlements = tables.entitlements.select(
        "entitlement_id", "process_id", pl.col("business_hours_id").alias("_entitlement_hours")
    ).filter(pl.col("process_id").is_not_null())
    processes = tables.entitlement_processes.select(
        "process_id", pl.col("business_hours_id").alias("_process_hours")
    )
    accounts = tables.accounts.select("account_id", pl.col("name").alias("account_name"), "owner")
    cases = (
        tables.cases.select(
            "case_id",
            "account_id",
            "entitlement_id",
            "created_at",
            "closed_at",
            pl.col("business_hours_id").alias("_case_hours"),
        )
        .join(entitlements, on="entitlement_id")
        .join(processes, on="process_id", how="left")
        .join(accounts, on="account_id", how="left")
        .with_columns(
            pl.coalesce("_process_hours", "_case_hours", "_entitlement_hours").alias("business_hours_id"),
        )
        .drop("_process_hours", "_case_hours", "_entitlement_hours")
    )
    as_of_at = pl.col("_as_of_at")
    return (
        with_instance_as_of(cases, tables, as_of)
        .filter(pl.col("created_at") <= as_of_at)
        .with_columns(pl.when(pl.col("closed_at") <= as_of_at).then("closed_at").alias("closed_at"))
        .with_columns(pl.coalesce("closed_at", "_as_of_at").alias("_until"))
        .drop("_as_of_at")
        .collect()
    )  # fmt: skip


def _clipped(frame: pl.DataFrame, start: str, end: str) -> pl.DataFrame:
    """Rows' ``[start, end)`` clipped to their case's life ``[created_at, _until]``; empty ones left out."""
    return frame.with_columns(
        pl.max_horizontal(start, "created_at").alias("_from"),
        pl.min_horizontal(pl.col(end).fill_null(pl.lit(_FAR).cast(_UTC)), "_until").alias("_to"),
    ).filter(pl.col("_to") > pl.col("_from"))


class PauseAudit(NamedTuple):
    """:func:`case_pauses` of one data and as-of value: per case, and per case and paused status."""

    cases: pl.DataFrame
    by_status: pl.DataFrame


def _calendars(cases: pl.DataFrame, tables: Tables, as_of: AsOf) -> BusinessCalendars:
    return BusinessCalendars.covering(
        tables.business_hours,
        tables.holidays,
        first_at=min(cases["created_at"].min(), as_of.earliest),  # type: ignore[type-var]
        last_at=as_of.latest,
        calendar_ids=cases["business_hours_id"].drop_nulls().unique().to_list(),
    )


def _status_minutes(spans: pl.DataFrame, cases: pl.DataFrame, calendars: BusinessCalendars) -> pl.DataFrame:
    life_of = cases.select("case_id", "business_hours_id", "created_at", "_until")
    rows = _clipped(spans.filter("is_paused").join(life_of, on="case_id"), "from_at", "to_at")
    minutes = calendars.minutes_between(rows["business_hours_id"], rows["_from"], rows["_to"])
    return (
        rows.with_columns(minutes.alias("paused_minutes"))
        .group_by("case_id", "status")
        .agg(pl.col("paused_minutes").sum())
        .sort("case_id", "status")
    )


def paused_by_status(tables: Tables, *, as_of: AsOfLike) -> pl.DataFrame:
    """Paused business minutes per case and paused status, within each case's life as of ``as_of``.

    Grain: one row per case and status that stopped its clock:
    ``case_id``, ``status``, ``paused_minutes``.
    """
    as_of = as_of_value(as_of)
    cases = _cases(tables, as_of)
    if cases.is_empty():
        return pl.DataFrame(schema={"case_id": pl.String, "status": pl.String, "paused_minutes": pl.Float64})
    return _status_minutes(status_spans(tables).collect(), cases, _calendars(cases, tables, as_of))


def case_pauses(tables: Tables, *, as_of: AsOfLike, threshold: float = 0.5) -> PauseAudit:
    """The pause audit of every case with a process created by ``as_of``, and its minutes by status.

    Returns
    -------
    cases
        One row per case whose entitlement has a process, created at or
        before ``as_of``; columns :data:`CASE_PAUSE_COLUMNS`, most paused
        share first. ``paused_share`` is null when the life has no business
        minute; ``main_paused_status`` is the status that stopped the clock
        longest; ``is_paused_now``: open and stopped at the as-of moment.
    by_status
        One row per case and paused status (:func:`paused_by_status`).
    """
    as_of = as_of_value(as_of)
    cases = _cases(tables, as_of)
    if cases.is_empty():
        empty = pl.DataFrame(schema={"case_id": pl.String, "status": pl.String, "paused_minutes": pl.Float64})
        return PauseAudit(pl.DataFrame(schema=_schema()), empty)
    calendars = _calendars(cases, tables, as_of)
    life = calendars.minutes_between(cases["business_hours_id"], cases["created_at"], cases["_until"])
    cases = cases.with_columns(life.alias("life_minutes"))
    spans = status_spans(tables).collect()
    life_of = cases.select("case_id", "business_hours_id", "created_at", "_until")
    intervals = paused_intervals(spans.lazy()).collect().join(life_of, on="case_id")
    # A pause counts when it overlaps the life, or starts exactly at its end (a moment at the as-of counts).
    counted = intervals.filter(
        (pl.col("paused_from") <= pl.col("_until"))
        & (pl.col("paused_to").is_null() | (pl.col("paused_to") > pl.col("created_at")))
    )
    clipped = _clipped(counted, "paused_from", "paused_to")
    lengths = calendars.minutes_between(clipped["business_hours_id"], clipped["_from"], clipped["_to"])
    stops = counted.group_by("case_id").agg(
        pl.len().cast(pl.Int64).alias("pauses"),
        (pl.col("paused_to") <= pl.col("_until")).sum().cast(pl.Int64).alias("resumes"),
    )
    longest = (
        clipped.with_columns(lengths.alias("_minutes"))
        .group_by("case_id")
        .agg(
            pl.col("_minutes").sum().alias("paused_minutes"),
            pl.col("_minutes").max().alias("longest_pause_minutes"),
        )
    )
    by_status = _status_minutes(spans, cases, calendars)
    main = by_status.sort("paused_minutes", "status", descending=[True, False]).unique(
        "case_id", keep="first"
    )
    share = pl.when(pl.col("life_minutes") > 0).then(pl.col("paused_minutes") / pl.col("life_minutes"))
    audit = (
        cases.join(stops, on="case_id", how="left")
        .join(longest, on="case_id", how="left")
        .join(main.select("case_id", pl.col("status").alias("main_paused_status")), on="case_id", how="left")
        .with_columns(
            pl.col("pauses", "resumes").fill_null(0),
            pl.col("paused_minutes", "longest_pause_minutes").fill_null(0.0),
        )
        .with_columns(
            (pl.col("closed_at").is_null() & (pl.col("pauses") > pl.col("resumes"))).alias("is_paused_now"),
            share.alias("paused_share"),
        )
        .with_columns((pl.col("paused_share") > threshold).fill_null(False).alias("is_over_threshold"))
        .select(CASE_PAUSE_COLUMNS)
        .sort("paused_share", "pauses", "case_id", descending=[True, True, False], nulls_last=True)
    )
    return PauseAudit(audit, by_status)


def _schema() -> dict[str, pl.DataType]:
    types: dict[str, pl.DataType] = dict.fromkeys(CASE_PAUSE_COLUMNS, pl.String())
    types.update(dict.fromkeys(("created_at", "closed_at"), _UTC))
    types.update(dict.fromkeys(("life_minutes", "paused_minutes", "paused_share", "longest_pause_minutes"),
                               pl.Float64()))  # fmt: skip
    types.update(dict.fromkeys(("pauses", "resumes"), pl.Int64()))
    types.update(dict.fromkeys(("is_paused_now", "is_over_threshold"), pl.Boolean()))
    return types


Grouping = Literal["owner", "account", "week"]


def pause_share(cases: pl.DataFrame, *, by: Grouping) -> pl.DataFrame:
    """Share of SLA time paused, per owner, account or week of creation (Monday, UTC).

    Grain: one row per group. Columns: the group (``owner``; ``account_id``
    and ``account_name``; ``week_start``), ``cases``, ``paused_cases``,
    ``life_minutes``, ``paused_minutes``, ``paused_share`` (paused / life),
    ``pauses`` and ``over_threshold`` (cases above the threshold); most
    paused share first (weeks: in order).

    Takes :func:`case_pauses`.
    """
    keys = {"owner": ["owner"], "account": ["account_id", "account_name"], "week": ["week_start"]}[by]
    frame = cases.with_columns(pl.col("created_at").dt.truncate("1w").dt.date().alias("week_start"))
    grouped = frame.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("cases"),
        (pl.col("pauses") > 0).sum().cast(pl.Int64).alias("paused_cases"),
        pl.col("life_minutes").sum(),
        pl.col("paused_minutes").sum(),
        pl.col("pauses").sum().cast(pl.Int64),
        pl.col("is_over_threshold").sum().cast(pl.Int64).alias("over_threshold"),
    )
    out = grouped.with_columns(
        pl.when(pl.col("life_minutes") > 0)
        .then(pl.col("paused_minutes") / pl.col("life_minutes"))
        .alias("paused_share")
    )
    if by == "week":
        return out.sort("week_start")
    return out.sort("paused_share", *keys, descending=[True, *([False] * len(keys))], nulls_last=True)


def status_share(by_status: pl.DataFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Share of all SLA time paused in each status.

    Grain: one row per paused status: ``status``, ``cases``,
    ``paused_minutes``, ``paused_share`` (of the life minutes of every case
    in ``cases``). Takes :func:`paused_by_status` and :func:`case_pauses`.
    """
    total = float(cases["life_minutes"].sum() or 0)
    return (
        by_status.join(cases.select("case_id"), on="case_id", how="semi")
        .group_by("status")
        .agg(pl.len().cast(pl.Int64).alias("cases"), pl.col("paused_minutes").sum())
        .with_columns((pl.col("paused_minutes") / total if total > 0 else pl.lit(None, pl.Float64)).alias(
            "paused_share"
        ))
        .sort("paused_minutes", "status", descending=[True, False])
    )  # fmt: skip


def paused_time(instances: pl.LazyFrame | pl.DataFrame) -> dict[str, Any]:
    """Paused business minutes of measured milestones, and their share of the milestones' time.

    ``sla_minutes`` = elapsed + paused (the time from start to completion or
    as-of, in business minutes); ``paused_share`` = paused / sla_minutes.
    The figure shown beside compliance (compliance excludes this time): the
    counts kernel's sums (:func:`~.compliance.paused_from_counts`), in
    whole business seconds per milestone.
    """
    return paused_from_counts(counts_of(instances))
