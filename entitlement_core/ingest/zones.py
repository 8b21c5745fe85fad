"""Time zones the whole pipeline can use (DOMAIN.md "Values the importer refuses").

A business-hours calendar's zone is used three ways: the zone database
(``zoneinfo``: as-of days, the admin form), Polars (term days, open
intervals) and DuckDB (the store's ``TIMESTAMPTZ``). A name one of them
does not know breaks every report that measures in that calendar, so the
importer accepts only names all three know. ``zoneinfo`` alone accepts
more: ``Factory`` (a zone with no offset, which Polars refuses) and
``localtime`` (the machine's own zone, neither portable nor known to
Polars or DuckDB).

Each name is tried once per process, on the few distinct names of an
import, never per row.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from functools import cache

import duckdb
import polars as pl

__all__ = ["is_usable_zone", "usable_zones"]

#: Moments each zone must convert, across the supported range of dates.
_PROBE = pl.Series(
    [dt.datetime(1900, 1, 1), dt.datetime(2026, 3, 29, 2, 30), dt.datetime(2199, 12, 31, 23, 59)]
)


@cache
def _zoneinfo_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _duckdb_names() -> frozenset[str]:
    with duckdb.connect() as con:
        return frozenset(row[0] for row in con.execute("SELECT name FROM pg_timezone_names()").fetchall())


@cache
def is_usable_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone that ``zoneinfo``, Polars and DuckDB all convert.

    Examples
    --------
    >>> is_usable_zone("Europe/Berlin"), is_usable_zone("Factory"), is_usable_zone("localtime")
    (True, False, False)
    """
    if name not in _zoneinfo_names() or name not in _duckdb_names():
        return False
    try:
        local = _PROBE.dt.replace_time_zone(name, ambiguous="earliest", non_existent="null")
        local.dt.convert_time_zone("UTC").dt.convert_time_zone(name)
    except (pl.exceptions.PolarsError, ValueError):
        return False
    return True


def usable_zones(names: Iterable[str]) -> set[str]:
    """The names among ``names`` that :func:`is_usable_zone` accepts."""
    return {name for name in set(names) if is_usable_zone(name)}
