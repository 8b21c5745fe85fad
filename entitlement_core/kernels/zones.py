"""Local days in UTC terms: where a zone's days begin, and a fast local-day lookup.

DOMAIN.md "Consumption rules" 5: term days are calendar days in the
entitlement's time zone; stored timestamps are UTC. Converting millions of
timestamps to a zone costs seconds, so the work is done on days, not rows:

- :func:`local_midnight_utc` gives the UTC instant a local day begins
  (vectorised over rows, one branch per zone);
- :class:`DayTable` holds those instants for a range of days of every zone
  as one integer array, so the local day of a timestamp is two array
  lookups and a comparison (no join, no conversion), given a guess within
  a day of the answer (a term's start day plus whole days since its start).

Polars only: kernels use these on any engine's worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

__all__ = ["DAY_US", "UTC_TS", "DayTable", "local_midnight_utc"]

UTC_TS = pl.Datetime("us", "UTC")
DAY_US = 86_400_000_000
_EPOCH = dt.date(1970, 1, 1)


def _midnight_in(naive: pl.Expr, zone: str) -> pl.Expr:
    """First instant of a local day in ``zone``, as UTC.

    Where midnight does not exist (a DST jump at 00:00, e.g. America/Santiago)
    the day starts at the jump; where it is repeated, at the earlier one.
    """
    if zone == "UTC":
        return naive.dt.replace_time_zone("UTC")
    steps = [naive + pl.duration(minutes=m) for m in (0, 30, 60, 120)]
    return pl.coalesce(
        [s.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null") for s in steps]
    ).dt.convert_time_zone("UTC")


def local_midnight_utc(date: pl.Expr, timezone: pl.Expr, zones: Sequence[str]) -> pl.Expr:
    """UTC instant at which the local day ``date`` begins in the row's ``timezone``.

    Zones not in ``zones`` are treated as UTC. Vectorised: one branch per zone.
    """
    naive = date.cast(pl.Datetime("us"))
    others = [z for z in zones if z != "UTC"]
    if not others:
        return naive.dt.replace_time_zone("UTC")
    chain = pl.when(timezone == others[0]).then(_midnight_in(naive, others[0]))
    for zone in others[1:]:
        chain = chain.when(timezone == zone).then(_midnight_in(naive, zone))
    return chain.otherwise(naive.dt.replace_time_zone("UTC"))


@dataclass(frozen=True, eq=False)
class DayTable:
    """Where each local day of ``first..last`` begins, in UTC microseconds, for every zone.

    Zones are numbered by their position in ``zones`` (the ``zone code``).
    Day ``d`` of zone ``c`` begins at ``midnights[c * width + (d - first)]``;
    each zone's block also holds the day after ``last``, so every covered
    day has an end.

    Examples
    --------
    In Europe/Berlin, 2026-03-29 (spring forward) begins at 2026-03-28T23:00Z
    and ends at 2026-03-29T22:00Z: a 23-hour day. A case at 2026-03-29T22:30Z
    is on 2026-03-30 there.
    """

    zones: tuple[str, ...]
    first: dt.date
    width: int
    midnights: pl.Series

    @classmethod
    def build(cls, zones: Sequence[str], first: dt.date, last: dt.date) -> DayTable:
        """The table of ``zones`` for the days ``first..last`` (one more day is added at each end)."""
        first = first - dt.timedelta(days=1)
        last = max(last, first) + dt.timedelta(days=1)
        days = pl.date_range(first, last + dt.timedelta(days=1), "1d", eager=True)
        names = list(zones) or ["UTC"]
        grid = pl.DataFrame(
            {"timezone": [z for z in names for _ in range(days.len())], "day": pl.concat([days] * len(names))}
        )
        midnights = grid.select(
            local_midnight_utc(pl.col("day"), pl.col("timezone"), names).dt.epoch("us")
        ).to_series()
        return cls(tuple(names), first, days.len(), midnights)

    @property
    def codes(self) -> dict[str, int]:
        """Zone name -> code."""
        return {z: i for i, z in enumerate(self.zones)}

    def zone_code(self, timezone: pl.Expr) -> pl.Expr:
        """The code of each row's zone name (unknown names: the code of UTC, else 0)."""
        default = self.codes.get("UTC", 0)
        return timezone.replace_strict(self.codes, default=default, return_dtype=pl.Int64)

    def local_day(self, ts: pl.Expr, zone_code: pl.Expr, guess: pl.Expr) -> pl.Expr:
        """The local calendar day of UTC timestamp ``ts`` in zone ``zone_code``.

        ``guess`` (a Date, or an integer day number since 1970-01-01) must be
        within one day of the answer; e.g. a term's ``start_date`` plus the
        whole days elapsed since ``start_utc``, which DST changes put off by
        at most one day. Integer arithmetic and two array lookups per row.
        """
        first = (self.first - _EPOCH).days
        us = ts.dt.epoch("us")
        offset = (guess.cast(pl.Int64) - first).clip(0, self.width - 2)
        at = zone_code.cast(pl.Int64) * self.width + offset
        table = pl.lit(self.midnights)
        day = offset - (us < table.gather(at)).cast(pl.Int64) + (us >= table.gather(at + 1)).cast(pl.Int64)
        return (day + first).cast(pl.Int32).cast(pl.Date)

    def day_start(self, day: pl.Expr, zone_code: pl.Expr) -> pl.Expr:
        """The UTC instant (µs since the epoch) local day ``day`` begins in zone ``zone_code``."""
        first = (self.first - _EPOCH).days
        offset = (day.cast(pl.Int64) - first).clip(0, self.width - 1)
        return pl.lit(self.midnights).gather(zone_code.cast(pl.Int64) * self.width + offset)
