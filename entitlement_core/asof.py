"""The as-of moment: what "as of" means, in one place (DOMAIN.md "Consumption rules" 6 and 8).

Every figure is computed as of a moment; nothing after it counts, a moment
exactly at it does. An :class:`AsOf` is one of two things:

- **a moment** (:meth:`AsOf.at`): one UTC instant for everyone, e.g.
  ``2026-11-18T14:40:00Z`` or *now*, the default in the app and on the
  command line;
- **a calendar date** (:meth:`AsOf.on`): the end of that day in each
  entitlement's own time zone, and for milestones in their business hours'
  zone. "As of 30 June" then never shows a Tokyo term ending 30 June as
  expired, nor a Los Angeles one as still running on 1 July.

Per zone the as-of value resolves to a moment and a local day
(:meth:`AsOf.zone_table`): for a date, the last instant of that day there
(local midnight of the next day, less a microsecond) and the date itself;
for a moment, the moment and its calendar day there.

Examples
--------
>>> import datetime as dt
>>> AsOf.on(dt.date(2026, 6, 30)).moment_in("Asia/Tokyo").isoformat()
'2026-06-30T14:59:59.999999+00:00'
>>> AsOf.at(dt.datetime(2026, 6, 30, 16, tzinfo=dt.UTC)).date_in("Asia/Tokyo")
datetime.date(2026, 7, 1)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from .kernels.zones import UTC_TS, local_midnight_utc

__all__ = ["AS_OF_RANGE", "AsOf", "AsOfLike", "as_of_value", "now", "parse_as_of_text"]

#: Moments an as-of may name: the analytics look a few years around it, inside what dates can hold.
AS_OF_RANGE = (dt.date(1900, 1, 1), dt.date(9000, 12, 31))

_MICRO = dt.timedelta(microseconds=1)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class AsOf:
    """An as-of moment: one UTC instant, or the end of a calendar day in each zone.

    Exactly one of ``moment`` (timezone-aware, UTC) and ``day`` is set.
    Hashable and immutable: caches key on it.
    """

    moment: dt.datetime | None = None
    day: dt.date | None = None

    def __post_init__(self) -> None:
        if (self.moment is None) == (self.day is None):
            raise ValueError("an as-of value is either a moment or a day")
        if self.moment is not None:
            if self.moment.tzinfo is None or self.moment.utcoffset() is None:
                raise ValueError(f"as_of must be timezone-aware (got naive {self.moment.isoformat()})")
            object.__setattr__(self, "moment", self.moment.astimezone(dt.UTC))

    @classmethod
    def at(cls, moment: dt.datetime) -> AsOf:
        """One moment for everyone (timezone-aware; kept in UTC)."""
        return cls(moment=moment)

    @classmethod
    def on(cls, day: dt.date) -> AsOf:
        """The end of ``day`` in each entitlement's (or calendar's) own time zone."""
        if isinstance(day, dt.datetime):
            raise TypeError("AsOf.on takes a date; use AsOf.at for a moment")
        return cls(day=day)

    @property
    def is_day(self) -> bool:
        return self.day is not None

    def moment_in(self, zone: str) -> dt.datetime:
        """The as-of moment in ``zone`` (UTC): the moment itself, or the last instant of the day there."""
        if self.moment is not None:
            return self.moment
        return self._day_end_utc([zone])[zone]

    def date_in(self, zone: str) -> dt.date:
        """The as-of day in ``zone``: the date itself, or the moment's calendar day there."""
        if self.day is not None:
            return self.day
        assert self.moment is not None
        return self.moment.astimezone(_zone(zone)).date()

    def zone_table(self, zones: Sequence[str]) -> pl.DataFrame:
        """One row per zone: ``timezone``, ``as_of_at`` (UTC) and ``as_of_date`` (the local as-of day)."""
        names = list(dict.fromkeys(zones))
        if self.moment is not None:
            moments = [self.moment] * len(names)
        else:
            ends = self._day_end_utc(names)
            moments = [ends[z] for z in names]
        return pl.DataFrame(
            {
                "timezone": names,
                "as_of_at": moments,
                "as_of_date": [self.date_in(z) for z in names],
            },
            schema={"timezone": pl.String, "as_of_at": UTC_TS, "as_of_date": pl.Date},
        )

    def _day_end_utc(self, zones: Sequence[str]) -> dict[str, dt.datetime]:
        """Local midnight after the day in each zone, less a microsecond (the same midnights as the terms)."""
        assert self.day is not None
        nxt = self.day + dt.timedelta(days=1)
        frame = pl.DataFrame({"timezone": list(zones), "d": [nxt] * len(zones)}).select(
            "timezone", local_midnight_utc(pl.col("d"), pl.col("timezone"), list(zones)).alias("m")
        )
        return {z: m - _MICRO for z, m in frame.iter_rows()}

    @property
    def utc_date(self) -> dt.date:
        """The date itself, or the moment's UTC date: the day UTC-day periods (weeks, months) count to."""
        if self.day is not None:
            return self.day
        assert self.moment is not None
        return self.moment.date()

    @property
    def latest(self) -> dt.datetime:
        """A moment no zone's as-of moment is after (for bounds, e.g. calendars to materialise)."""
        if self.moment is not None:
            return self.moment
        assert self.day is not None
        # The last zone to finish a day is 12 hours behind UTC (Etc/GMT+12).
        return dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)

    @property
    def earliest(self) -> dt.datetime:
        """A moment no zone's as-of moment is before."""
        if self.moment is not None:
            return self.moment
        assert self.day is not None
        # The first zone to finish a day is 14 hours ahead of UTC (Pacific/Kiritimati).
        return dt.datetime.combine(self.day, dt.time(10), tzinfo=dt.UTC) - _MICRO

    def shifted(self, days: int) -> AsOf:
        """The same kind of as-of value ``days`` later (negative: earlier)."""
        step = dt.timedelta(days=days)
        if self.moment is not None:
            return AsOf.at(self.moment + step)
        assert self.day is not None
        return AsOf.on(self.day + step)

    @property
    def label(self) -> str:
        """How the app and messages name it."""
        if self.moment is not None:
            return f"{self.moment:%d %b %Y %H:%M} UTC"
        assert self.day is not None
        return f"end of {self.day:%d %b %Y} (each entitlement's time zone)"

    def __str__(self) -> str:
        return self.moment.isoformat() if self.moment is not None else str(self.day)


#: What the analytics accept as ``as_of``: an :class:`AsOf`, a moment, or a date.
AsOfLike = AsOf | dt.datetime | dt.date


def as_of_value(value: AsOfLike) -> AsOf:
    """``value`` as an :class:`AsOf`: a datetime is a moment, a date the end of that day per zone."""
    if isinstance(value, AsOf):
        return value
    if isinstance(value, dt.datetime):
        return AsOf.at(value)
    if isinstance(value, dt.date):
        return AsOf.on(value)
    raise TypeError(f"as_of must be an AsOf, a datetime or a date, not {type(value).__name__}")


def now(clock: dt.datetime | None = None) -> AsOf:
    """The current moment as an :class:`AsOf` (``clock`` fixes it, for tests and the app's pinned now)."""
    return AsOf.at(clock or dt.datetime.now(dt.UTC))


def parse_as_of_text(text: str) -> AsOf:
    """An as-of value as people write it (DOMAIN.md "Consumption rules" 6).

    An ISO 8601 timestamp is one moment for everyone (UTC unless it names an
    offset); a date (``YYYY-MM-DD``) means the end of that day in each
    entitlement's own time zone (for milestones, their business hours'
    zone).

    >>> parse_as_of_text("2026-06-01")
    AsOf(moment=None, day=datetime.date(2026, 6, 1))
    >>> str(parse_as_of_text("2026-06-01T23:40:00+09:00"))
    '2026-06-01T14:40:00+00:00'

    Raises
    ------
    ValueError
        Neither a date nor a timestamp, or outside :data:`AS_OF_RANGE`.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            value = AsOf.on(day)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
            day = moment.date()
            value = AsOf.at(moment)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or ISO 8601 timestamp") from None
    low, high = AS_OF_RANGE
    if not low <= day <= high:
        raise ValueError(f"{text!r} is outside {low} to {high}")
    return value
