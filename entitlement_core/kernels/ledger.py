"""The consumption ledger: every unit that used an entitlement's allotment (DOMAIN.md "Consumption rules").

A row-local map (partition contract: any row slice): each source row
becomes at most one unit, given the entitlement's facts in the context.

- A case consumes one unit of the ``cases`` (or date-only ``none``)
  entitlement it names when its consumption moment (:func:`consumption_moment`:
  ``created_at``, or ``closed_at`` with ``consume_on = closed``; an unclosed
  case has not consumed yet) is inside the term and not after the as-of
  moment; deleted cases count (rules 1-3).
- A time entry on a case naming an ``hours`` entitlement consumes its
  minutes when its ``entry_date`` is inside the term and not after the
  as-of day (rule 4). Its moment is local midnight of that day.
- A metered usage event (:func:`event_units`) draws from the grants of its
  resource when it is inside its entitlement's term and not after the as-of
  moment. Events of the entitlement's own resource are not consumption of
  it: cases and time entries are (the rules above).

Quantities are exact: ``Decimal`` in the entitlement's base unit (a case is
1; an hours entitlement counts minutes, shown as hours only for display).
Times are compared in UTC against per-entitlement bounds: the term
``[start_utc, end_utc)`` and the as-of moment ``as_of_at`` (each
entitlement's own, see :class:`~entitlement_core.asof.AsOf`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .zones import DAY_US, UTC_TS, DayTable

__all__ = [
    "CASE_COLUMNS",
    "CONTEXT_SCHEMA",
    "ENTRY_COLUMNS",
    "EVENT_COLUMNS",
    "QUANTITY",
    "UNIT_SCHEMA",
    "UsageContext",
    "case_units",
    "consumption_moment",
    "entry_units",
    "event_units",
    "ledger_units",
    "with_local_days",
]

#: Exact quantities: cases, minutes, metered units and money (6 decimals, as stored).
QUANTITY = pl.Decimal(38, 6)

#: Columns of the case rows the ledger reads.
CASE_COLUMNS = ("case_id", "entitlement_id", "created_at", "closed_at", "is_deleted")
#: Columns of the time-entry rows (each joined to its case's ``entitlement_id`` and ``is_deleted``).
ENTRY_COLUMNS = ("time_entry_id", "case_id", "entry_date", "minutes", "entitlement_id", "is_deleted")
#: Columns of the metered usage events.
EVENT_COLUMNS = ("entitlement_id", "resource", "occurred_at", "quantity")

#: The per-entitlement facts of the context (one row per entitlement).
CONTEXT_SCHEMA: dict[str, pl.DataType] = {
    "entitlement_id": pl.String(),
    "_ent": pl.UInt32(),
    "_zone": pl.Int64(),
    "usage_type": pl.String(),
    "is_hours": pl.Boolean(),
    "on_closed": pl.Boolean(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "start_utc": UTC_TS,
    "end_utc": UTC_TS,
    "as_of_at": UTC_TS,
    "as_of_date": pl.Date(),
    "window_start_date": pl.Date(),
    "window_start_utc": UTC_TS,
}

#: One row per unit of consumption.
UNIT_SCHEMA: dict[str, pl.DataType] = {
    "_ent": pl.UInt32(),
    "is_case": pl.Boolean(),
    "case_id": pl.String(),
    "time_entry_id": pl.String(),
    "consumed_at": UTC_TS,
    "consumed_date": pl.Date(),
    "quantity": QUANTITY,
    "is_deleted": pl.Boolean(),
}


@dataclass(frozen=True, eq=False)
class UsageContext:
    """What the usage kernels need besides their slice.

    ``terms`` has :data:`CONTEXT_SCHEMA` (one row per entitlement; ``_ent``
    is an integer key in ``entitlement_id`` order, cheaper than the text to
    join, group and sort by); ``days`` covers every local day of the terms
    up to the as-of days, in every zone (``_zone`` is the code).
    ``selected`` names the entitlements a row kernel keeps (``_ent`` and
    whatever per-entitlement values it needs, e.g. ``allotment``).
    """

    terms: pl.DataFrame
    days: DayTable
    selected: pl.DataFrame | None = None

    def with_selected(self, selected: pl.DataFrame) -> UsageContext:
        return UsageContext(self.terms, self.days, selected)


def consumption_moment(on_closed: pl.Expr | None = None) -> pl.Expr:
    """A case's consumption moment under its entitlement's ``consume_on`` (rule 2).

    ``on_closed`` is a boolean expression (default: ``consume_on == "closed"``).
    An unclosed case consuming on close has no moment yet (null).
    """
    if on_closed is None:
        on_closed = pl.col("consume_on") == "closed"
    return pl.when(on_closed).then(pl.col("closed_at")).otherwise(pl.col("created_at"))


def _guess_day(ts: str) -> pl.Expr:
    """The term's start day plus whole days since its UTC start (days since 1970-01-01): within a day
    of the local day. Integer arithmetic on microseconds, no calendar."""
    start_day = pl.col("start_date").cast(pl.Int64)
    return start_day + (pl.col(ts).dt.epoch("us") - pl.col("start_utc").dt.epoch("us")) // DAY_US


def case_units(
    cases: pl.DataFrame | pl.LazyFrame, context: UsageContext, *, ids: bool = True, days: bool = True
) -> pl.LazyFrame:
    """Rules 1-3: the named cases of ``cases`` and ``none`` entitlements whose moment is in term, as units.

    ``ids=False`` leaves ``case_id`` and ``time_entry_id`` out (the sums need
    no ids; reading and carrying a million of them is the costliest part);
    ``days=False`` leaves a case's local day null (:func:`with_local_days`
    adds it where a day is needed).
    """
    terms = context.terms.lazy().filter(~pl.col("is_hours"))
    named = (
        cases.lazy()
        .select(CASE_COLUMNS if ids else CASE_COLUMNS[1:])
        # Cases naming no entitlement drop out here (a null key matches nothing).
        .join(
            terms.select("entitlement_id", "_ent", "_zone", "on_closed", "start_date", "start_utc", "end_utc",
                         "as_of_at"),
            on="entitlement_id",
            how="inner",
        )
    )  # fmt: skip
    inside = named.with_columns(consumption_moment(pl.col("on_closed")).alias("consumed_at")).filter(
        (pl.col("consumed_at") >= pl.col("start_utc"))
        & (pl.col("consumed_at") < pl.col("end_utc"))
        & (pl.col("consumed_at") <= pl.col("as_of_at"))
    )
    columns = [
        "_ent",
        pl.lit(True).alias("is_case"),
        *(["case_id", pl.lit(None, dtype=pl.String).alias("time_entry_id")] if ids else []),
        "consumed_at",
        "consumed_date",
        pl.lit(1, dtype=pl.Int64).cast(QUANTITY).alias("quantity"),
        pl.col("is_deleted").fill_null(False),
    ]
    if not days:
        return inside.with_columns(pl.lit(None, dtype=pl.Date).alias("consumed_date")).select(columns)
    local_day = context.days.local_day(pl.col("consumed_at"), pl.col("_zone"), _guess_day("consumed_at"))
    return inside.with_columns(local_day.alias("consumed_date")).select(columns)


def with_local_days(units: pl.DataFrame | pl.LazyFrame, context: UsageContext) -> pl.LazyFrame:
    """``units`` with every ``consumed_date`` set: the local day of the moment in the entitlement's zone.

    The per-entitlement values come by ``_ent`` (the context's row number), not a join.
    """
    at = lambda c: pl.lit(context.terms.get_column(c)).gather(pl.col("_ent"))  # noqa: E731
    since = pl.col("consumed_at").dt.epoch("us") - at("start_utc").dt.epoch("us")
    guess = at("start_date").cast(pl.Int64) + since // DAY_US
    day = context.days.local_day(pl.col("consumed_at"), at("_zone"), guess)
    return units.lazy().with_columns(pl.coalesce(pl.col("consumed_date"), day).alias("consumed_date"))


def entry_units(
    entries: pl.DataFrame | pl.LazyFrame, context: UsageContext, *, ids: bool = True
) -> pl.LazyFrame:
    """Rule 4: time entries on cases naming an ``hours`` entitlement, dated in term and not after as-of.

    ``entries`` carry their case's ``entitlement_id`` and ``is_deleted``
    (:data:`ENTRY_COLUMNS`). The quantity is the entry's minutes.
    """
    terms = context.terms.lazy().filter(pl.col("is_hours"))
    return (
        entries.lazy()
        .select(ENTRY_COLUMNS)
        .join(
            terms.select("entitlement_id", "_ent", "_zone", "start_date", "end_date", "as_of_date"),
            on="entitlement_id",
            how="inner",
        )
        .filter(
            (pl.col("entry_date") >= pl.col("start_date"))
            & (pl.col("entry_date") <= pl.col("end_date"))
            & (pl.col("entry_date") <= pl.col("as_of_date"))
        )
        .select(
            "_ent",
            pl.lit(False).alias("is_case"),
            *(["case_id", "time_entry_id"] if ids else []),
            # A time entry's moment is local midnight of its day.
            pl.from_epoch(context.days.day_start(pl.col("entry_date"), pl.col("_zone")), time_unit="us")
            .dt.replace_time_zone("UTC")
            .alias("consumed_at"),
            pl.col("entry_date").alias("consumed_date"),
            pl.col("minutes").cast(QUANTITY).alias("quantity"),
            pl.col("is_deleted").fill_null(False),
        )
    )


def ledger_units(
    cases: pl.DataFrame | pl.LazyFrame,
    entries: pl.DataFrame | pl.LazyFrame,
    context: UsageContext,
    *,
    ids: bool = True,
    days: bool = True,
) -> pl.LazyFrame:
    """Every unit of consumption (:data:`UNIT_SCHEMA`; without the ids when ``ids=False``, cases' days
    null when ``days=False``), in no particular order.

    Grain: one row per unit: a case (quantity 1) or a time entry (quantity
    in minutes), of the entitlements of the context.
    """
    parts = [case_units(cases, context, ids=ids, days=days), entry_units(entries, context, ids=ids)]
    return pl.concat(parts, how="vertical")


def event_units(events: pl.DataFrame | pl.LazyFrame, context: UsageContext) -> pl.LazyFrame:
    """Metered usage events inside their entitlement's term and not after its as-of moment.

    Grain: one row per event: ``_ent, entitlement_id, resource, consumed_at,
    quantity``. Events of the entitlement's own resource (``cases``,
    ``hours``) are left out: its consumption is its cases or time entries.
    """
    terms = context.terms.lazy().select(
        "entitlement_id", "_ent", "usage_type", "start_utc", "end_utc", "as_of_at"
    )
    return (
        events.lazy()
        .select(EVENT_COLUMNS)
        .join(terms, on="entitlement_id", how="inner")
        .filter(
            (pl.col("resource") != pl.col("usage_type"))
            & (pl.col("occurred_at") >= pl.col("start_utc"))
            & (pl.col("occurred_at") < pl.col("end_utc"))
            & (pl.col("occurred_at") <= pl.col("as_of_at"))
        )
        .select(
            "_ent",
            "entitlement_id",
            "resource",
            pl.col("occurred_at").alias("consumed_at"),
            pl.col("quantity").cast(QUANTITY),
        )
    )
