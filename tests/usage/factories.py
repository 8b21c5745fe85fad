"""Record factories for usage tests: tiny entitlements, cases and time entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import polars as pl

from entitlement_core.basis import Basis
from entitlement_core.settings import Settings, Thresholds
from entitlement_core.staging import Tables, polars_schema

UTC = dt.UTC
DEFAULT = Thresholds()


def at(text: str) -> dt.datetime:
    """``"2026-06-01T00:00Z"`` (or a bare date: its UTC midnight) as an aware UTC datetime."""
    if "T" not in text:
        text += "T00:00"
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ent(
    entitlement_id: str = "E1",
    *,
    account_id: str = "A1",
    usage_type: str = "cases",
    cap: float | None = 10.0,
    start: str = "2026-01-01",
    end: str = "2026-12-31",
    **more: Any,
) -> dict[str, Any]:
    """One entitlement row (UTC, consume on created, overflow warn unless given)."""
    return {
        "entitlement_id": entitlement_id,
        "account_id": account_id,
        "usage_type": usage_type,
        "cap": cap,
        "start_date": day(start),
        "end_date": day(end),
        **more,
    }


def case(
    case_id: str,
    created: str,
    *,
    entitlement_id: str | None = "E1",
    account_id: str = "A1",
    closed: str | None = None,
    is_deleted: bool = False,
    **more: Any,
) -> dict[str, Any]:
    """One case row; timestamps as ISO text."""
    return {
        "case_id": case_id,
        "account_id": account_id,
        "entitlement_id": entitlement_id,
        "created_at": at(created),
        "closed_at": None if closed is None else at(closed),
        "is_deleted": is_deleted,
        **more,
    }


def cases(n: int, *, first: str = "2026-02-01", entitlement_id: str = "E1", prefix: str = "C", **more: Any):
    """``n`` cases on consecutive days from ``first`` (ids ``C01``, ``C02`` ...)."""
    start = at(first)
    return [
        case(
            f"{prefix}{i + 1:02d}",
            (start + dt.timedelta(days=i)).isoformat(),
            entitlement_id=entitlement_id,
            **more,
        )
        for i in range(n)
    ]


def entry(time_entry_id: str, case_id: str, date: str, minutes: float) -> dict[str, Any]:
    return {"time_entry_id": time_entry_id, "case_id": case_id, "entry_date": day(date), "minutes": minutes}


def hours_bh(bh_id: str, zone: str) -> dict[str, Any]:
    return {"business_hours_id": bh_id, "timezone": zone}


def plan(name: str, usage_type: str = "cases", cap: float | None = 10.0, **more: Any) -> dict[str, Any]:
    return {"plan": name, "usage_type": usage_type, "cap": cap, **more}


def frame(table: str, rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """Rows as a frame typed by the table's schema (columns not given are left out)."""
    rows = list(rows)
    schema = polars_schema(table)
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame({n: [r.get(n) for r in rows] for n in names}, schema={n: schema[n] for n in names})


def tables(**rows: Iterable[dict[str, Any]]) -> Tables:
    """A :class:`Tables` bundle from lists of row dicts, e.g. ``tables(entitlements=[ent()])``."""
    given = {name: list(r) for name, r in rows.items()}
    return Tables.from_frames({name: frame(name, r) for name, r in given.items() if r})


def one(frame: pl.LazyFrame | pl.DataFrame, key: str = "entitlement_id", value: str = "E1") -> dict[str, Any]:
    """The single row of ``frame`` whose ``key`` is ``value``, as a dict."""
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    hit = df.filter(pl.col(key) == value)
    assert hit.height == 1, f"expected one row with {key}={value}, got {hit.height}"
    return hit.row(0, named=True)


def basis(t: Tables, as_of: Any, **settings: Any) -> Basis:
    """The intermediate layer of ``t`` as of ``as_of`` (a moment, a date, or ISO text for :func:`at`)."""
    if isinstance(as_of, str):
        as_of = at(as_of)
    return Basis(t, as_of=as_of, settings=Settings(**settings))


def mart(
    t: Tables, name: str, as_of: Any, *, settings: dict[str, Any] | None = None, **params: Any
) -> pl.DataFrame:
    """Registered mart ``name`` of ``t`` as of ``as_of``."""
    return basis(t, as_of, **(settings or {})).mart(name, **params)
