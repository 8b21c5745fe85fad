"""Salesforce BusinessHours and Holiday values -> native weekly schedules and holiday dates.

BusinessHours keeps a start and end time per weekday (``MondayStartTime``
... ``SundayEndTime``) written like ``08:00:00.000Z``. The ``Z`` means
nothing: the times are wall-clock times in the record's ``TimeZoneSidKey``.
An empty pair is a closed day; start = end = ``00:00`` is Salesforce's "24
hours" day, natively ``00:00``-``24:00``; an end of ``00:00`` after a later
start is midnight, ``24:00``.

Holiday is a date (``ActivityDate``) or a recurrence. Yearly recurrences
(``RecursYearly``: a month and day; ``RecursYearlyNth``: e.g. the fourth
Thursday of November) are expanded into one date per year; other recurrence
types keep their first date only (a documented limit).
"""

from __future__ import annotations

import polars as pl

__all__ = ["holiday_dates", "opening_hours"]

_TIME = r"^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?$"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"),
        start=1,
    )
}  # fmt: skip
_INSTANCES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
#: RecurrenceDayOfWeekMask bit -> ISO weekday (Monday = 1 ... Sunday = 7).
_WEEKDAY_BITS = {1: 7, 2: 1, 4: 2, 8: 3, 16: 4, 32: 5, 64: 6}


def _hhmm(value: pl.Expr) -> pl.Expr:
    """``08:00:00.000Z`` -> ``08:00``; anything else stays as written for the native check."""
    text = value.str.strip_chars()
    return pl.when(text.str.contains(_TIME)).then(text.str.slice(0, 5)).otherwise(text)


def opening_hours(start: pl.Expr, end: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """One weekday's Salesforce start and end times -> native ``HH:MM`` (``24:00`` for midnight).

    Examples
    --------
    ``08:00:00.000Z``/``17:00:00.000Z`` -> ``08:00``/``17:00``; both empty ->
    closed (null/null); ``00:00:00.000Z``/``00:00:00.000Z`` -> ``00:00``/``24:00``.
    """
    start_hhmm, end_hhmm = _hhmm(start), _hhmm(end)
    end_native = (
        pl.when(start_hhmm.is_not_null() & (end_hhmm == "00:00")).then(pl.lit("24:00")).otherwise(end_hhmm)
    )
    return start_hhmm, end_native


def _date(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit(None, pl.Date)
    return pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def _int(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit(None, pl.Int32)
    return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False).cast(pl.Int32, strict=False)


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit(None, pl.String)
    return pl.col(column).str.strip_chars().str.to_lowercase()


def holiday_dates(frame: pl.DataFrame, *, through_year: int | None) -> pl.DataFrame:
    """Add ``__date`` (``YYYY-MM-DD`` text) to Holiday rows, one row per date.

    A one-off holiday keeps its ``ActivityDate`` (written as is, so a bad
    value reaches the native check). A yearly recurrence gets one row per
    year from its ``RecurrenceStartDate`` to its ``RecurrenceEndDateOnly``
    (or ``through_year`` when open-ended), every ``RecurrenceInterval`` years;
    a day that does not exist in a year (29 February) is skipped.

    Examples
    --------
    ``RecursYearlyNth``, Fourth, mask 16 (Thursday), November, 2025..2026 ->
    2025-11-27 and 2026-11-26.
    """
    kind = _text(frame, "recurrencetype")
    recurring = _text(frame, "isrecurrence").is_in(["true", "1"])
    yearly = recurring & kind.is_in(["recursyearly", "recursyearlynth"])
    start, end = _date(frame, "recurrencestartdate"), _date(frame, "recurrenceenddateonly")
    first_year = start.dt.year().cast(pl.Int32)
    last_year = pl.coalesce(end.dt.year().cast(pl.Int32), pl.lit(through_year, pl.Int32), first_year)
    years = pl.when(yearly & first_year.is_not_null()).then(
        pl.int_ranges(first_year, pl.max_horizontal(first_year, last_year) + 1, dtype=pl.Int32)
    )
    mask = _int(frame, "recurrencedayofweekmask")
    expanded = frame.with_columns(
        __year=years,
        __first_year=first_year,
        __start=start,
        __end=end,
        __nth=kind == "recursyearlynth",
        __month=_text(frame, "recurrencemonthofyear").replace_strict(
            _MONTHS, default=None, return_dtype=pl.Int32
        ),
        __day=_int(frame, "recurrencedayofmonth"),
        __instance=_text(frame, "recurrenceinstance").replace_strict(
            _INSTANCES, default=None, return_dtype=pl.Int32
        ),
        __weekday=mask.replace_strict(_WEEKDAY_BITS, default=None, return_dtype=pl.Int32),
        __interval=pl.coalesce(_int(frame, "recurrenceinterval"), pl.lit(1, pl.Int32)).clip(lower_bound=1),
    ).explode("__year")
    month_start = pl.date(pl.col("__year"), pl.col("__month"), 1)
    month_end = month_start.dt.month_end()
    # Nth weekday: from the first of the month forward, or from the last day back for "Last".
    forward = (pl.col("__weekday") - month_start.dt.weekday().cast(pl.Int32)) % 7 + 7 * (
        pl.col("__instance") - 1
    )
    backward = (month_end.dt.weekday().cast(pl.Int32) - pl.col("__weekday")) % 7
    nth = (
        pl.when(pl.col("__instance") == -1)
        .then(month_end - pl.duration(days=backward))
        .otherwise(month_start + pl.duration(days=forward))
    )
    by_day = pl.when(pl.col("__day").is_between(1, month_end.dt.day().cast(pl.Int32))).then(
        month_start + pl.duration(days=pl.col("__day") - 1)
    )
    occurrence = pl.when(pl.col("__nth")).then(nth).otherwise(by_day)
    in_month = occurrence.dt.month() == pl.col("__month")
    in_range = (
        (occurrence >= pl.coalesce("__start", occurrence))
        & (occurrence <= pl.coalesce("__end", occurrence))
        & ((pl.col("__year") - pl.col("__first_year")) % pl.col("__interval") == 0)
        & in_month
    )
    one_off = pl.coalesce(
        pl.col("activitydate") if "activitydate" in frame.columns else pl.lit(None, pl.String),
        pl.col("recurrencestartdate") if "recurrencestartdate" in frame.columns else pl.lit(None, pl.String),
    )
    dated = expanded.with_columns(
        __date=pl.when(pl.col("__year").is_null())
        .then(one_off)
        .when(in_range.fill_null(False))
        .then(occurrence.dt.strftime("%Y-%m-%d"))
    )
    keep = pl.col("__year").is_null() | pl.col("__date").is_not_null()
    helpers = [
        "__year",
        "__first_year",
        "__start",
        "__end",
        "__nth",
        "__month",
        "__day",
        "__instance",
        "__weekday",
        "__interval",
    ]
    return dated.filter(keep).drop(helpers)
