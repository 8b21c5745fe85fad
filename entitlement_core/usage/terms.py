"""Entitlement terms in UTC: time zones, term boundaries and the as-of day.

DOMAIN.md, "Consumption rules" 5: term days are calendar days in the
entitlement's time zone. Converting millions of case timestamps to local
zones is slow, so the conversion is done once per entitlement (few rows):
the term becomes a half-open UTC interval ``[start_utc, end_utc)`` where
``start_utc`` is local midnight of ``start_date`` and ``end_utc`` local
midnight of the day after ``end_date``. Case timestamps are then compared
in UTC.

The time zone of an entitlement is the zone of its own business hours, else
of its entitlement process's business hours, else UTC. A zone name that is
not a known IANA zone is ignored (the next fallback applies); the validator
reports it.

Example
-------
A term starting 2026-04-01 in Europe/Berlin (CEST, UTC+2) starts at
``2026-03-31T22:00Z``, so a case created at ``2026-03-31T22:30Z`` (00:30 on
April 1 in Berlin) is inside it (EXAMPLES.md 6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from ..asof import AsOfLike, as_of_value
from ..kernels.zones import DAY_US, UTC_TS, local_midnight_utc
from ..staging import Tables

__all__ = [
    "UTC_TS",
    "check_as_of",
    "entitlement_terms",
    "known_zones",
    "local_midnight_utc",
    "with_local_date",
    "with_local_midnight",
]

_DAY_US = DAY_US


def check_as_of(as_of: dt.datetime) -> dt.datetime:
    """Return ``as_of`` in UTC; a naive datetime is refused (it names no moment)."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of must be timezone-aware (got naive {as_of.isoformat()})")
    return as_of.astimezone(dt.UTC)


@lru_cache(maxsize=512)
def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def known_zones(tables: Tables) -> list[str]:
    """The valid IANA zones named by business hours, plus ``UTC`` (sorted).

    Business hours are a small table: collecting its distinct zones lets every
    per-zone conversion be a vectorised ``when/then`` over literal zone names.
    """
    names = tables.business_hours.select(pl.col("timezone").drop_nulls().unique()).collect()
    zones = {z for z in names.to_series().to_list() if _is_zone(z)}
    zones.add("UTC")
    return sorted(zones)


def with_local_midnight(
    frame: pl.LazyFrame, date: str, out: str, zones: Sequence[str], *, maintain_order: bool = True
) -> pl.LazyFrame:
    """Add ``out``: the UTC instant at which the local day ``date`` begins in the row's ``timezone``.

    Computed once per distinct (zone, day) and joined back: the per-zone
    branches of :func:`local_midnight_utc` then run over a handful of rows.
    ``maintain_order=False`` lets the rows come back in any order (cheaper
    on many rows, e.g. the time entries of the ledger, which is unordered).
    """
    days = (
        frame.select("timezone", date)
        .unique()
        .with_columns(local_midnight_utc(pl.col(date), pl.col("timezone"), zones).alias(out))
    )
    return frame.join(
        days, on=["timezone", date], how="left", maintain_order="left" if maintain_order else None
    )


def entitlement_terms(tables: Tables, *, as_of: AsOfLike, zones: Sequence[str]) -> pl.LazyFrame:
    """Entitlements with their time zone, UTC term bounds and as-of day.

    Grain: one row per entitlement.

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of value: a moment, or a date meaning the end of that day in
        each entitlement's zone (:class:`~entitlement_core.asof.AsOf`).
    zones
        Valid zone names (:func:`known_zones`).

    Returns
    -------
    pl.LazyFrame
        ``_ent`` (an integer key in ``entitlement_id`` order, cheaper than
        the text to join, group and sort by), every entitlement column, ``timezone``, ``start_utc`` (local
        midnight of ``start_date``), ``end_utc`` (local midnight after
        ``end_date``), ``as_of_at`` (the entitlement's as-of moment, UTC) and
        ``as_of_date`` (its local as-of day).

    Examples
    --------
    A term ending 2026-06-30 in Asia/Tokyo: as of the date ``2026-06-30`` its
    ``as_of_at`` is 2026-06-30T14:59:59.999999Z and its as-of day 06-30, its
    last day (active); as of ``2026-07-01`` it is expired (EXAMPLES.md 28).
    """
    as_of = as_of_value(as_of)
    valid = list(zones)
    bh = tables.business_hours.select("business_hours_id", pl.col("timezone").alias("_own_tz"))
    proc = tables.entitlement_processes.select(
        "process_id", pl.col("business_hours_id").alias("_proc_bh_id")
    ).join(
        tables.business_hours.select(
            pl.col("business_hours_id").alias("_proc_bh_id"), pl.col("timezone").alias("_proc_tz")
        ),
        on="_proc_bh_id",
        how="left",
    )
    ents = tables.entitlements
    names = ents.collect_schema().names()
    zone = pl.coalesce(
        pl.when(pl.col("_own_tz").is_in(valid)).then(pl.col("_own_tz")),
        pl.when(pl.col("_proc_tz").is_in(valid)).then(pl.col("_proc_tz")),
        pl.lit("UTC"),
    )
    zoned = (
        ents.join(bh, on="business_hours_id", how="left")
        .join(proc.select("process_id", "_proc_tz"), on="process_id", how="left")
        .with_columns(
            zone.alias("timezone"),
            pl.col("cap").fill_nan(None),
            (pl.col("end_date") + pl.duration(days=1)).alias("_next_date"),
        )
    )
    zoned = with_local_midnight(zoned, "start_date", "start_utc", valid)
    zoned = with_local_midnight(zoned, "_next_date", "end_utc", valid)
    return (
        zoned.join(as_of.zone_table(valid).lazy(), on="timezone", how="left")
        .select(*names, "timezone", "start_utc", "end_utc", "as_of_at", "as_of_date")
        .sort("entitlement_id")
        .with_row_index("_ent")
    )


def with_local_date(
    frame: pl.LazyFrame,
    ts: str,
    out: str,
    zones: Sequence[str],
    *,
    anchor: tuple[str, str],
    maintain_order: bool = True,
) -> pl.LazyFrame:
    """Add ``out``: the local calendar day of the UTC timestamp column ``ts``.

    ``frame`` carries ``timezone`` and an anchor pair ``(date, utc)`` of the
    same zone (e.g. ``("start_date", "start_utc")``). The day is first guessed
    as ``date + floor((ts - utc) / 24h)``, which is off by at most one day
    across DST changes, then corrected against the UTC bounds of the guessed
    day. Those bounds are computed once per distinct (zone, day), never per
    row, which keeps millions of timestamps cheap. ``maintain_order=False``
    lets the rows come back in any order (cheaper on many rows).
    """
    anchor_date, anchor_utc = anchor
    guess = pl.col(anchor_date) + pl.duration(
        days=(pl.col(ts) - pl.col(anchor_utc)).dt.total_microseconds() // _DAY_US
    )
    keyed = frame.with_columns(guess.alias("_guess"))
    bounds = (
        keyed.select("timezone", "_guess")
        .filter(pl.col("_guess").is_not_null())
        .unique()
        .with_columns(
            local_midnight_utc(pl.col("_guess"), pl.col("timezone"), zones).alias("_lo"),
            local_midnight_utc(pl.col("_guess") + pl.duration(days=1), pl.col("timezone"), zones).alias(
                "_hi"
            ),
        )
    )
    one = pl.duration(days=1)
    return (
        keyed.join(
            bounds, on=["timezone", "_guess"], how="left", maintain_order="left" if maintain_order else None
        )
        .with_columns(
            pl.when(pl.col(ts) < pl.col("_lo"))
            .then(pl.col("_guess") - one)
            .when(pl.col(ts) >= pl.col("_hi"))
            .then(pl.col("_guess") + one)
            .otherwise(pl.col("_guess"))
            .alias(out)
        )
        .drop("_guess", "_lo", "_hi")
    )
