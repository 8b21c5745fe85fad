"""Business-time arithmetic over Polars columns: elapsed business minutes and targets.

Each calendar's open intervals (:func:`~entitlement_core.sla.calendar.open_intervals`)
are laid end to end with the running total of business time before each
one. Then, for a UTC moment ``t`` in calendar ``c``:

- ``total(t)`` = running total before the last interval opening at or
  before ``t`` + the part of that interval up to ``t`` (an as-of lookup on
  the interval starts, clipped to the interval end);
- business minutes from ``s`` to ``e`` = ``total(e) - total(s)``;
- ``target_at(s, n)`` = the first interval whose running total at its end
  reaches ``total(s) + n``, entered by the minutes still missing (an
  inverse as-of lookup on the running totals). Reaching the total exactly
  at a closing moment gives that closing moment, not the next opening.

All calendars share one sorted key space (``code * span + t``) so every
lookup is a single vectorised search over every row, whatever calendar it
names; the lookups are direct-addressed buckets refined by a few
vectorised steps (:class:`~entitlement_core.sla.sorted_index.SortedIndex`),
exact in integer microseconds. Rows with a null (or unknown) calendar are
measured 24x7: key block 0 is one interval spanning the whole range.

Examples
--------
Europe/Berlin, Mon-Fri 09:00-17:00 (EXAMPLES.md 11, 13): Friday
2026-06-12 16:00 + 120 business minutes = Monday 06-15 10:00; Saturday
06-13 11:00 to Monday 06-15 09:45 = 45 business minutes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .calendar import DAY_US, MINUTE_US, open_intervals, weekly_open_minutes
from .sorted_index import SortedIndex

__all__ = ["BusinessCalendars", "business_minutes", "target_at"]

_UTC = pl.Datetime("us", "UTC")
#: Up to this many calendars, ids map to codes by one vectorised comparison each.
_COMPARE_IDS = 16
_WEEK_MINUTES = 7 * 24 * 60
#: Keys looked up per block (working arrays of 2 MiB each).
_BLOCK = 1 << 18
#: The last day a target is sought on (a month past schema.LATEST_DATE).
_LAST_TARGET_DAY = dt.date(2200, 1, 31)


def _epoch_us(s: pl.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Datetime series as UTC epoch microseconds (nulls as 0) and a validity mask (None: no nulls)."""
    us = s.cast(_UTC).dt.epoch("us")
    if us.null_count() == 0:
        return us.to_numpy(), None
    return us.fill_null(0).to_numpy(), us.is_not_null().to_numpy()


def _to_us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _both(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return b if a is None else a
    return a & b


def minutes_us(minutes: pl.Series) -> np.ndarray:
    """Minutes as whole microseconds (nulls and negatives as 0)."""
    n_us = np.rint(np.maximum(minutes.cast(pl.Float64).fill_null(0).to_numpy(), 0) * MINUTE_US)
    return n_us.astype(np.int64)


def _with_nulls(values: pl.Series, valid: np.ndarray | None) -> pl.Series:
    if valid is None or valid.all():
        return values
    return values.scatter(np.flatnonzero(~valid), None)


@dataclass(frozen=True, eq=False)
class BusinessCalendars:
    """Business-hours calendars materialised for local days ``start_date..end_date``.

    Build with :meth:`build` (explicit days) or :meth:`covering` (the days a
    set of moments and targets need). Measures timestamps inside
    ``[covered_from, covered_to]``; any other raises ``ValueError``.

    Attributes
    ----------
    intervals
        The open intervals (grain: one row per calendar and open local day).
    calendar_ids
        The calendars known, in key order; other ids are measured 24x7.
    """

    intervals: pl.DataFrame
    calendar_ids: tuple[str, ...]
    start_date: dt.date
    end_date: dt.date
    weekly_minutes: tuple[int, ...]

    @classmethod
    def build(
        cls,
        business_hours: pl.LazyFrame,
        holidays: pl.LazyFrame,
        *,
        start_date: dt.date,
        end_date: dt.date,
        calendar_ids: list[str] | None = None,
    ) -> BusinessCalendars:
        """Materialise the calendars (all, or ``calendar_ids``) for local days ``start_date..end_date``."""
        if calendar_ids is not None:
            business_hours = business_hours.filter(pl.col("business_hours_id").is_in(calendar_ids))
        weekly = weekly_open_minutes(business_hours).sort("business_hours_id").collect()
        intervals = open_intervals(business_hours, holidays, start_date=start_date, end_date=end_date)
        return cls(
            intervals=intervals,
            calendar_ids=tuple(weekly["business_hours_id"].to_list()),
            start_date=start_date,
            end_date=end_date,
            weekly_minutes=tuple(weekly["weekly_open_minutes"].to_list()),
        )

    @classmethod
    def covering(
        cls,
        business_hours: pl.LazyFrame,
        holidays: pl.LazyFrame,
        *,
        first_at: dt.datetime,
        last_at: dt.datetime,
        horizon_minutes: float = 0,
        calendar_ids: list[str] | None = None,
    ) -> BusinessCalendars:
        """Calendars covering moments ``first_at..last_at`` and targets up to ``horizon_minutes`` after.

        The days after ``last_at`` are estimated from each calendar's weekly
        open minutes, then checked against the running totals and doubled
        while a calendar with open hours falls short (holidays, DST); a
        calendar never open gives null targets.
        """
        start = first_at.astimezone(dt.UTC).date() - dt.timedelta(days=2)
        last = last_at.astimezone(dt.UTC).date() + dt.timedelta(days=2)
        # Targets are sought no later than a month past the last supported date (the importer
        # refuses later moments): a target beyond it is not reached (null), never an overflow.
        limit = max(last, _LAST_TARGET_DAY)
        if calendar_ids is not None:
            business_hours = business_hours.filter(pl.col("business_hours_id").is_in(calendar_ids))
        weekly = weekly_open_minutes(business_hours).collect()["weekly_open_minutes"]
        shortest_week = min([_WEEK_MINUTES, *(m for m in weekly.to_list() if m > 0)])
        days = math.ceil(horizon_minutes / shortest_week * 7) + 7 if horizon_minutes > 0 else 0
        for _ in range(8):
            end = last + dt.timedelta(days=min(days, (limit - last).days))
            built = cls.build(
                business_hours, holidays, start_date=start, end_date=end, calendar_ids=calendar_ids
            )
            if horizon_minutes <= 0 or end >= limit or built._horizon_ok(last_at, horizon_minutes):
                break
            days *= 2
        return built

    # -- key space -------------------------------------------------------------------------------
    # Key of a moment t in calendar code c (0 = 24x7, 1.. = calendar_ids): c * span + t - base.

    @property
    def _base_us(self) -> int:
        return (self.start_date - dt.date(1970, 1, 1)).days * DAY_US - DAY_US

    @property
    def _span_us(self) -> int:
        return ((self.end_date - self.start_date).days + 3) * DAY_US

    @property
    def covered_from(self) -> dt.datetime:
        """Earliest UTC moment measured: every local day from then on is materialised."""
        return dt.datetime.combine(self.start_date, dt.time(), dt.UTC) + dt.timedelta(days=1)

    @property
    def covered_to(self) -> dt.datetime:
        """Latest UTC moment measured."""
        return dt.datetime.combine(self.end_date, dt.time(), dt.UTC)

    def _arrays(self) -> dict[str, Any]:
        cached = self.__dict__.get("_cache")
        if cached is not None:
            return cached
        span, base = self._span_us, self._base_us
        codes = {cid: i for i, cid in enumerate(self.calendar_ids, start=1)}
        iv = (
            self.intervals.filter(pl.col("business_hours_id").is_in(list(codes)))
            .with_columns(
                pl.col("business_hours_id").replace_strict(codes, return_dtype=pl.Int64).alias("code")
            )
            .sort("code", "open_us")
        )
        code = np.concatenate([[0], iv["code"].cast(pl.Int64).to_numpy()]).astype(np.int64)
        opens, closes = (iv[c].cast(pl.Int64).to_numpy() for c in ("open_us", "close_us"))
        # Block 0 (24x7) is one interval over the whole range; it also precedes every other block.
        start = np.concatenate([[0], opens]).astype(np.int64) + code * span - np.where(code > 0, base, 0)
        end = np.concatenate([[span], closes]).astype(np.int64) + code * span - np.where(code > 0, base, 0)
        before = np.concatenate([[0], np.cumsum(end - start)]).astype(np.int64)
        counts = np.bincount(code, minlength=len(codes) + 1)
        last = np.cumsum(counts) - 1
        cache = {
            "offset": np.arange(len(codes) + 1, dtype=np.int64) * span - base,
            "start": start,
            "end": end,
            "before": before[:-1],
            "before_minus_start": before[:-1] - start,
            "first": last - counts + 1,
            "last": last,
            "weekly": np.array([_WEEK_MINUTES, *self.weekly_minutes]),
            # Counting the starts after block 0's at or before a key gives the index of the last one.
            "starts": SortedIndex(start[1:], width=DAY_US, side="right"),
            # About four buckets per interval: block 0 spans much of the total, the rest stays sparse.
            "totals": SortedIndex(
                before[1:], width=max(int(before[-1]) // (4 * len(start)), MINUTE_US), side="left"
            ),
        }
        object.__setattr__(self, "_cache", cache)
        return cache

    def _codes(self, calendar_id: pl.Series) -> np.ndarray:
        """Key block of each row: 1.. for the known calendars, 0 (24x7) for null or unknown ids."""
        ids = calendar_id.cast(pl.String)
        if len(self.calendar_ids) > _COMPARE_IDS:
            codes = {cid: i for i, cid in enumerate(self.calendar_ids, start=1)}
            return ids.replace_strict(codes, default=0, return_dtype=pl.Int64).fill_null(0).to_numpy()
        code = np.zeros(len(ids), dtype=np.int64)
        for i, cid in enumerate(self.calendar_ids, start=1):
            np.putmask(code, (ids == cid).fill_null(False).to_numpy(), i)
        return code

    def _keys(self, code: np.ndarray, t: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
        lo, hi = self._base_us + 2 * DAY_US, self._base_us + self._span_us - 2 * DAY_US
        if valid is not None:
            t = np.where(valid, t, lo)
        if len(t) and (t.min() < lo or t.max() > hi):
            raise ValueError(
                f"moments outside the calendars' range {self.covered_from:%Y-%m-%d} .. "
                f"{self.covered_to:%Y-%m-%d}; build them with BusinessCalendars.covering"
            )
        keys = np.take(self._arrays()["offset"], code)
        keys += t
        return keys

    def _totals(self, keys: np.ndarray) -> np.ndarray:
        """Business microseconds before each key, counted from the start of the key space.

        Large inputs go through in blocks of :data:`_BLOCK` keys, so the
        working arrays stay in the processor's cache instead of being
        allocated (and faulted in) at full length for every step.
        """
        if len(keys) <= _BLOCK:
            return self._totals_block(keys, np.empty_like(keys), np.empty(len(keys), dtype=bool))
        out = np.empty_like(keys)
        scratch, moved = np.empty(_BLOCK, dtype=np.int64), np.empty(_BLOCK, dtype=bool)
        for lo in range(0, len(keys), _BLOCK):
            part = keys[lo : lo + _BLOCK]
            n = len(part)
            out[lo : lo + n] = self._totals_block(part, scratch[:n], moved[:n])
        return out

    def _totals_block(self, keys: np.ndarray, scratch: np.ndarray, moved: np.ndarray) -> np.ndarray:
        a = self._arrays()
        i = a["starts"].search(keys, scratch, moved)  # the last interval opening at or before the key
        out = np.take(a["end"], i, mode="clip")
        np.minimum(out, keys, out=out)
        out += np.take(a["before_minus_start"], i, mode="clip", out=scratch)
        return out

    def _horizon_ok(self, last_at: dt.datetime, horizon_minutes: float) -> bool:
        a = self._arrays()
        code = np.arange(len(self.calendar_ids) + 1)
        keys = self._keys(code, np.full(len(code), _to_us(last_at)), None)
        left = np.take(a["before"] + a["end"] - a["start"], a["last"]) - self._totals(keys)
        return bool(np.all(left[a["weekly"] > 0] >= horizon_minutes * MINUTE_US))

    # -- public arithmetic -----------------------------------------------------------------------

    def minutes_between(self, calendar_id: pl.Series, start: pl.Series, end: pl.Series) -> pl.Series:
        """Business minutes from ``start`` to ``end`` (Float64; null when either is null).

        Parameters
        ----------
        calendar_id
            ``business_hours_id`` of each row; null or unknown = 24x7.
        start, end
            UTC datetimes. ``end`` before ``start`` gives a negative count.

        Examples
        --------
        Berlin Mon-Fri 09:00-17:00: Thu 2026-12-24 16:00 to Mon 12-28 10:00
        local, with the 25th a holiday: 120.0 (EXAMPLES.md 15).
        """
        code = self._codes(calendar_id)
        s, s_ok = _epoch_us(start)
        e, e_ok = _epoch_us(end)
        elapsed = self._totals(self._keys(code, e, e_ok))
        elapsed -= self._totals(self._keys(code, s, s_ok))
        minutes = pl.Series("elapsed_minutes", elapsed / MINUTE_US, dtype=pl.Float64)
        return _with_nulls(minutes, _both(s_ok, e_ok))

    def add_minutes(self, calendar_id: pl.Series, start: pl.Series, minutes: pl.Series) -> pl.Series:
        """The earliest moment at which ``minutes`` business minutes have elapsed since ``start``.

        Null when an input is null or the calendar does not open for that
        long within its range. Negative minutes count as 0 (``start``).

        Examples
        --------
        Berlin Mon-Fri 09:00-17:00: Thu 2026-06-11 15:00 + 120 = Thu 17:00
        (the closing moment), Fri 06-12 16:00 + 120 = Mon 06-15 10:00.
        """
        code = self._codes(calendar_id)
        s, s_ok = _epoch_us(start)
        n_ok = minutes.is_not_null().to_numpy() if minutes.null_count() else None
        n_us = minutes_us(minutes)
        keys = self._keys(code, s, s_ok)
        target, inside = self._reach(code, s, keys, self._totals(keys), n_us)
        out = pl.Series("target_at", target, dtype=pl.Int64).cast(_UTC)
        return _with_nulls(out, _both(_both(s_ok, n_ok), inside))

    def _reach(
        self, code: np.ndarray, s: np.ndarray, keys: np.ndarray, s_totals: np.ndarray, n_us: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The earliest moment (epoch us) ``n_us`` business microseconds after ``s``, and whether
        the calendar reaches it within its range (``keys``, ``s_totals``: the key and total of ``s``)."""
        a = self._arrays()
        wanted = s_totals + n_us
        # The first interval whose running total at its close reaches the wanted total.
        j = a["totals"].search(wanted)
        inside = (j >= np.take(a["first"], code)) & (j <= np.take(a["last"], code)) | (n_us == 0)
        target_key = wanted - np.take(a["before_minus_start"], j, mode="clip")
        return s + np.maximum(target_key - keys, 0), inside


def _frame_calendars(
    frame: pl.DataFrame,
    business_hours: pl.LazyFrame,
    holidays: pl.LazyFrame,
    *,
    moments: list[str],
    calendar: str,
    horizon_minutes: float = 0,
) -> BusinessCalendars | None:
    seen = pl.concat([frame[name].cast(_UTC) for name in moments]).drop_nulls()
    if seen.is_empty():
        return None
    ids = frame[calendar].cast(pl.String).drop_nulls().unique().to_list()
    return BusinessCalendars.covering(
        business_hours,
        holidays,
        first_at=seen.min(),  # type: ignore[arg-type]
        last_at=seen.max(),  # type: ignore[arg-type]
        horizon_minutes=horizon_minutes,
        calendar_ids=ids,
    )


def business_minutes(
    frame: pl.DataFrame,
    business_hours: pl.LazyFrame,
    holidays: pl.LazyFrame,
    *,
    start: str,
    end: str,
    calendar: str = "business_hours_id",
) -> pl.Series:
    """Business minutes from ``frame[start]`` to ``frame[end]``, each row in its own calendar.

    Builds the calendars the frame's moments need, then measures every row
    at once (see :meth:`BusinessCalendars.minutes_between`). A null calendar
    is 24x7.

    Examples
    --------
    A row naming a Mon-Fri 09:00-17:00 calendar, from Saturday 11:00 to
    Monday 09:45 local: 45.0.
    """
    cal = _frame_calendars(frame, business_hours, holidays, moments=[start, end], calendar=calendar)
    if cal is None:
        return pl.Series("elapsed_minutes", [None] * frame.height, dtype=pl.Float64)
    return cal.minutes_between(frame[calendar], frame[start], frame[end])


def target_at(
    frame: pl.DataFrame,
    business_hours: pl.LazyFrame,
    holidays: pl.LazyFrame,
    *,
    start: str,
    minutes: str,
    calendar: str = "business_hours_id",
) -> pl.Series:
    """The earliest moment ``frame[minutes]`` business minutes after ``frame[start]``, per row.

    See :meth:`BusinessCalendars.add_minutes`; a target that ends exactly at
    a closing time is that closing moment.
    """
    horizon = float(frame[minutes].max() or 0)  # type: ignore[arg-type]
    cal = _frame_calendars(
        frame, business_hours, holidays, moments=[start], calendar=calendar, horizon_minutes=horizon
    )
    if cal is None:
        return pl.Series("target_at", [None] * frame.height, dtype=_UTC)
    return cal.add_minutes(frame[calendar], frame[start], frame[minutes])
