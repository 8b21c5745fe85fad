"""The consumption ledger: every unit that used an entitlement's allotment.

DOMAIN.md, "Consumption rules":

- a case consumes one unit of a ``cases`` entitlement it names when its
  consumption moment (``created_at``, or ``closed_at`` with
  ``consume_on = closed``; an unclosed case has not consumed yet) is inside
  the term; deleted cases still count;
- an ``hours`` entitlement consumes ``minutes / 60`` of the time entries on
  cases naming it whose ``entry_date`` is inside the term;
- nothing after the as-of moment counts; a moment exactly at it does.

Cases naming a ``none`` (date-only) entitlement are listed too, with the
same rules as ``cases``: the entitlement is unlimited, but the case count is
still worth reporting.

A time entry's moment is its local day: it counts from local midnight of
``entry_date`` (that instant is its ``consumed_at``), and an entry dated
after the as-of moment's local day does not count yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

import polars as pl

from ..staging import Tables
from .terms import UTC_TS, check_as_of, entitlement_terms, known_zones, with_local_date, with_local_midnight

__all__ = [
    "LEDGER_COLUMNS",
    "case_units",
    "consumption_ledger",
    "consumption_units",
    "entry_units",
    "running_totals",
    "with_ledger_inputs",
]

#: Columns of :func:`consumption_ledger`, in order.
LEDGER_COLUMNS = (
    "entitlement_id",
    "usage_type",
    "source",
    "case_id",
    "time_entry_id",
    "consumed_at",
    "consumed_date",
    "quantity",
    "is_deleted",
)

#: Columns of ``cases`` and ``time_entries`` the ledger reads.
CASE_COLUMNS = ("case_id", "entitlement_id", "created_at", "closed_at", "is_deleted")
ENTRY_COLUMNS = ("time_entry_id", "case_id", "entry_date", "minutes")
#: Columns of ``usage_events`` the grant drawdown reads.
EVENT_COLUMNS = ("entitlement_id", "resource", "occurred_at", "quantity")

F = TypeVar("F", pl.DataFrame, pl.LazyFrame)

_UNIT_COLUMNS = [
    "_ent", "_is_case", "entitlement_id", "usage_type", "source", "case_id", "time_entry_id",
    "consumed_at", "consumed_date", "quantity", "is_deleted",
]  # fmt: skip


def _union(base: Sequence[str], keep: Sequence[str]) -> list[str]:
    return [*base, *(c for c in keep if c not in base)]


def consumption_moment() -> pl.Expr:
    """The case's consumption moment under its entitlement's ``consume_on`` (rule 2)."""
    return pl.when(pl.col("consume_on") == "closed").then(pl.col("closed_at")).otherwise(pl.col("created_at"))


def consumption_units(
    tables: Tables,
    terms: pl.LazyFrame,
    *,
    as_of: dt.datetime,
    zones: Sequence[str],
    keep: Sequence[str] = (),
) -> pl.LazyFrame:
    """The ledger in its cheap form, for aggregates.

    Grain: one row per unit of consumption. ``terms`` comes from
    :func:`~entitlement_core.usage.terms.entitlement_terms` (it carries the
    integer key ``_ent``, which later group-bys use instead of the string
    ``entitlement_id``); its columns named in ``keep`` ride along, which
    saves joining every unit again. ``consumed_date`` is the entry's day for
    time entries and null for cases (a case's local day costs a calendar
    lookup: :func:`consumption_ledger` adds it). ``_is_case`` tells the two
    sources apart without comparing text.

    Reads ``cases`` twice (the case units, the time entries' cases), each
    time only the columns that part needs. Scanned tables (from
    :func:`~entitlement_core.staging.load_tables`) are read from the store
    at each collect: a caller that collects more than once reads them once
    with :func:`with_ledger_inputs`.
    """
    as_of = check_as_of(as_of)
    named = _with_terms(_named_cases(tables), terms, keep)
    return pl.concat(
        [_case_rows(named, as_of, keep), _entry_rows(tables, terms, zones, keep)], how="vertical"
    )


def with_ledger_inputs(tables: Tables, *also: pl.LazyFrame) -> tuple[Tables, list[pl.DataFrame]]:
    """``tables`` with ``cases``, ``time_entries`` and ``usage_events`` in memory, narrowed.

    Narrowed to the columns the ledger and the grant drawdown read. Tables
    from :func:`~entitlement_core.staging.load_tables` scan these from the
    store; a mart that collects several times (the totals, the grant
    drawdown, the moment each cap was reached) reads them once this way.
    Other tables are unchanged. The frames of ``also`` (the terms, say: few
    rows, from tables read already) are collected meanwhile, on the
    in-memory engine (it starts faster on few rows), and returned in order.
    """
    large = [
        tables.cases.select(CASE_COLUMNS),
        tables.time_entries.select(ENTRY_COLUMNS),
        tables.usage_events.select(EVENT_COLUMNS),
    ]
    # A thread of our own (Polars releases the interpreter while it works): it ends here.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-inputs") as pool:
        reading = pool.submit(pl.collect_all, large)
        small = pl.collect_all(list(also), engine="in-memory") if also else []
        cases, entries, events = reading.result()
    narrowed = replace(tables, cases=cases.lazy(), time_entries=entries.lazy(), usage_events=events.lazy())
    return narrowed, small


def _named_cases(tables: Tables) -> pl.LazyFrame:
    # Cases naming no entitlement drop out at the join with the terms (a null key matches nothing).
    return tables.cases.select(
        "case_id", "entitlement_id", "created_at", "closed_at", pl.col("is_deleted").fill_null(False)
    )


def _with_terms(cases: pl.LazyFrame, terms: pl.LazyFrame, keep: Sequence[str]) -> pl.LazyFrame:
    """Named cases with what their entitlement's rules need per case (one join on the text key)."""
    base = ["entitlement_id", "_ent", "usage_type", "_is_hours", "_on_closed", "start_utc", "end_utc"]
    ents = terms.with_columns(
        # Booleans travel to every case more cheaply than the ``usage_type`` and ``consume_on`` text.
        (pl.col("usage_type") == "hours").alias("_is_hours"),
        (pl.col("consume_on") == "closed").alias("_on_closed"),
    ).select(_union(base, keep))
    return cases.join(ents, on="entitlement_id", how="inner")


def _case_rows(named: pl.LazyFrame, as_of: dt.datetime, keep: Sequence[str]) -> pl.LazyFrame:
    """Rule 1-3: the named cases of ``cases`` and ``none`` entitlements whose moment is in term."""
    moment = pl.when(pl.col("_on_closed")).then(pl.col("closed_at")).otherwise(pl.col("created_at"))
    return (
        named.filter(~pl.col("_is_hours"))
        .with_columns(moment.alias("consumed_at"))
        .filter(
            (pl.col("consumed_at") >= pl.col("start_utc"))
            & (pl.col("consumed_at") < pl.col("end_utc"))
            & (pl.col("consumed_at") <= pl.lit(as_of, dtype=UTC_TS))
        )
        .with_columns(
            pl.lit("case").alias("source"),
            pl.lit(True).alias("_is_case"),
            pl.lit(None, dtype=pl.String).alias("time_entry_id"),
            pl.lit(None, dtype=pl.Date).alias("consumed_date"),
            pl.lit(1.0).alias("quantity"),
        )
        .select(_union(_UNIT_COLUMNS, keep))
    )


def _entry_rows(
    tables: Tables, terms: pl.LazyFrame, zones: Sequence[str], keep: Sequence[str]
) -> pl.LazyFrame:
    """Rule 4: time entries on cases naming an ``hours`` entitlement, dated in term and not after as-of.

    The cases naming an ``hours`` entitlement are found by a membership test
    against those few entitlements' ids (collected here: ``terms`` is small),
    cheaper than joining every case to its entitlement a second time.
    """
    needed = ["_ent", "entitlement_id", "usage_type", "timezone", "start_date", "end_date", "as_of_date"]
    hours_terms = terms.filter(pl.col("usage_type") == "hours").select(_union(needed, keep))
    hours_ids = hours_terms.select("entitlement_id").collect(engine="in-memory").to_series()
    hours_cases = (
        _named_cases(tables)
        .filter(pl.col("entitlement_id").is_in(hours_ids.implode()))
        .join(hours_terms.select("entitlement_id", "_ent"), on="entitlement_id", how="inner")
        .select("case_id", "_ent", "is_deleted")
    )
    entries = (
        tables.time_entries.select("time_entry_id", "case_id", "entry_date", "minutes")
        .join(hours_cases, on="case_id", how="inner")
        # The entitlement's columns join on the integer key: cheaper than carrying them through every case.
        .join(hours_terms, on="_ent", how="inner")
        .filter(
            (pl.col("entry_date") >= pl.col("start_date"))
            & (pl.col("entry_date") <= pl.col("end_date"))
            & (pl.col("entry_date") <= pl.col("as_of_date"))
        )
    )
    # A time entry's moment is local midnight of its day: one conversion per distinct (zone, day).
    return (
        with_local_midnight(entries, "entry_date", "consumed_at", zones, maintain_order=False)
        .with_columns(
            pl.lit("time_entry").alias("source"),
            pl.lit(False).alias("_is_case"),
            pl.col("entry_date").alias("consumed_date"),
            (pl.col("minutes") / 60.0).alias("quantity"),
        )
        .select(_union(_UNIT_COLUMNS, keep))
    )


def case_units(
    tables: Tables, terms: pl.LazyFrame, *, as_of: dt.datetime, keep: Sequence[str] = ()
) -> pl.LazyFrame:
    """Cases consuming ``cases`` (and ``none``) entitlements: the case part of :func:`consumption_units`."""
    as_of = check_as_of(as_of)
    ents = terms.filter(pl.col("usage_type") != "hours")
    return _case_rows(_with_terms(_named_cases(tables), ents, keep), as_of, keep)


def entry_units(
    tables: Tables, terms: pl.LazyFrame, *, zones: Sequence[str], keep: Sequence[str] = ()
) -> pl.LazyFrame:
    """Time entries consuming ``hours`` entitlements: the entry part of :func:`consumption_units`.

    An entry counts when its ``entry_date`` is inside the term and not after
    the as-of day (``terms.as_of_date``).
    """
    hours = terms.filter(pl.col("usage_type") == "hours")
    return _entry_rows(tables, hours, zones, keep)


def consumption_ledger(tables: Tables, *, as_of: dt.datetime) -> pl.LazyFrame:
    """Every unit of consumption as of a moment.

    Grain: one row per unit of consumption: a case (``source = "case"``,
    quantity 1) or a time entry (``source = "time_entry"``, quantity in
    hours). Rows come in no particular order (sorting a million rows is left
    to the few callers that show them; :func:`running_totals` orders them).

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of moment (timezone-aware); later units do not count.

    Returns
    -------
    pl.LazyFrame
        ``entitlement_id, usage_type, source, case_id, time_entry_id,
        consumed_at`` (UTC; a time entry's is the local midnight of its
        day), ``consumed_date`` (local day in the entitlement's zone),
        ``quantity, is_deleted``. Only units inside the term and not after
        ``as_of``.

    Examples
    --------
    With ``consume_on = closed``, a case created 2026-12-30 and closed
    2027-01-02 is not in the ledger of a 2026 term, whatever the as-of
    moment (EXAMPLES.md 4).
    """
    as_of = check_as_of(as_of)
    zones = known_zones(tables)
    # Few rows: materialised once, so the per-unit joins meet a small in-memory table.
    terms = entitlement_terms(tables, as_of=as_of, zones=zones).collect().lazy()
    anchor = ("timezone", "start_date", "start_utc")
    named = _with_terms(_named_cases(tables), terms, anchor)
    cases = with_local_date(
        _case_rows(named, as_of, anchor).drop("consumed_date"),
        "consumed_at",
        "consumed_date",
        zones,
        anchor=("start_date", "start_utc"),
        maintain_order=False,
    )
    entries = _entry_rows(tables, terms, zones, anchor)
    return pl.concat([cases.select(LEDGER_COLUMNS), entries.select(LEDGER_COLUMNS)], how="vertical")


def running_totals(units: F) -> F:
    """Units in consumption order with the running total per entitlement.

    Order: consumption moment, then ``case_id``, then ``time_entry_id``
    (DOMAIN.md, "Overflow": the (cap+1)-th case onwards is overage). Needs
    ``_ent`` (from :func:`consumption_units`). Adds ``running_quantity``
    (inclusive of the row) and ``unit_index`` (1-based).

    The order is built by three stable single-key sorts, least significant
    key first (the text tie-breakers reduced to one integer rank): cheaper
    than one sort on four keys, two of them text. Works eagerly on a
    DataFrame as well as on a LazyFrame.
    """
    case_rank = pl.col("case_id").rank("dense").cast(pl.Int64)
    entry_rank = pl.col("time_entry_id").rank("dense").fill_null(0).cast(pl.Int64)
    tie_break = case_rank * (1 << 32) + entry_rank
    return (
        units.with_columns(tie_break.alias("_tie"))
        .sort("_tie")
        .sort("consumed_at", maintain_order=True)
        .sort("_ent", maintain_order=True)
        .drop("_tie")
        .with_columns(
            pl.col("quantity").cum_sum().over("_ent").round(9).alias("running_quantity"),
            pl.int_range(1, pl.len() + 1).over("_ent").alias("unit_index"),
        )
    )
