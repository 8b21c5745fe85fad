"""Reads and writes behind the admin actions, and the overflow check.

SQL identifiers come from :mod:`entitlement_core.schema` only; values are
always bound parameters. Every write goes with its audit entry and a
data-version bump, in the transaction of the action (whose reads of the
store run in that same transaction).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import TABLES
from ..settings import Thresholds
from ..staging import Tables, polars_schema
from ..store import Store
from .models import AdminResult, NeedsConfirmation, NotFound, OverflowBlocked

__all__ = [
    "check_overflow",
    "entitlement_position",
    "entitlement_tables",
    "existing_or_conflict",
    "latest_recorded",
    "local_day",
    "new_id",
    "one",
    "require",
    "rows",
    "write",
]

#: Whole reference tables an entitlement's figures read (small: plans, calendars, processes, resources).
_REFERENCE_TABLES = ("plans", "business_hours", "entitlement_processes", "usage_resources")

# -- store helpers (identifiers come from the schema only; values are bound) ---------


def new_id(prefix: str) -> str:
    """A fresh record id such as ``ENT-9F2C41D07A``."""
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def rows(store: Store, table: str, column: str, value: object) -> pl.DataFrame:
    """The rows of ``table`` whose ``column`` equals ``value`` (schema columns, without ``extra``)."""
    spec = TABLES[table]
    if column not in spec.column_names:
        raise KeyError(f"unknown column {table}.{column}")
    cols = ", ".join(f'"{c}"' for c in spec.column_names)
    return store.query(f'SELECT {cols} FROM "{table}" WHERE "{column}" = ?', [value])


def one(store: Store, table: str, record_id: str) -> dict[str, Any] | None:
    """The record with this key, as a dict, or None."""
    found = rows(store, table, TABLES[table].key[0], record_id)
    return found.row(0, named=True) if found.height else None


def require(store: Store, table: str, record_id: str | None, column: str, owner: str) -> None:
    """Refuse a reference (``owner.column``) to a record of ``table`` that does not exist."""
    if record_id is not None and one(store, table, record_id) is None:
        raise ProblemsError(
            [
                Problem(
                    file=owner,
                    column=column,
                    record_id=record_id,
                    message=f"{column} {record_id!r} does not exist in {table}",
                )
            ]
        )


def _frame(table: str, row: Mapping[str, Any]) -> pl.DataFrame:
    schema = polars_schema(table)
    return pl.DataFrame([dict(row)], schema={c: schema[c] for c in row})


def write(
    store: Store,
    table: str,
    row: dict[str, Any],
    *,
    actor: str,
    action: str,
    at: dt.datetime,
    before: dict[str, Any] | None = None,
) -> None:
    """Insert (or, with ``before``, update the changed columns of) one row, audited, in the caller's
    transaction (or one of its own)."""
    spec = TABLES[table]
    key = spec.key[0]
    old = before or {}
    changed = [c for c in spec.column_names if c != key and before is not None and row.get(c) != old.get(c)]
    with store.transaction() as con:
        if before is None:
            store.append(con, table, _frame(table, row))
        else:
            sets = ", ".join(f'"{c}" = ?' for c in changed)
            con.execute(
                f'UPDATE "{table}" SET {sets} WHERE "{key}" = ?', [*(row[c] for c in changed), row[key]]
            ).fetchall()
        # An edit records the changed fields only; a new record records the whole row.
        store.audit(
            con,
            actor=actor,
            action=action,
            table_name=table,
            record_id=str(row[key]),
            before=None if before is None else {c: before.get(c) for c in changed},
            after=row if before is None else {c: row.get(c) for c in changed},
            at=at,
        )
        store.bump_data_version(con)


def _same(existing: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    return all(existing.get(k) == v for k, v in row.items())


def existing_or_conflict(store: Store, table: str, row: dict[str, Any]) -> AdminResult | None:
    key = TABLES[table].key[0]
    existing = one(store, table, row[key])
    if existing is None:
        return None
    if _same(existing, row):
        return AdminResult(
            table, row[key], False, f"{row[key]} already exists with this content; nothing changed"
        )
    raise ProblemsError(
        [
            Problem(
                file=table,
                column=key,
                record_id=row[key],
                message=f"{key} {row[key]!r} already exists with different content",
            )
        ]
    )


# -- consumption and overflow ------------------------------------------------------


def entitlement_tables(store: Store, entitlement_id: str) -> Tables:
    """The tables one entitlement's figures need: the entitlement, its cases, time entries, grants and
    metered events, its account, and the reference tables (plans, calendars, processes, resources).

    Raises :class:`NotFound` when the entitlement does not exist.
    """
    ent = rows(store, "entitlements", "entitlement_id", entitlement_id)
    if ent.is_empty():
        raise NotFound(f"entitlement {entitlement_id!r} does not exist")
    cases = rows(store, "cases", "entitlement_id", entitlement_id)
    entries = (
        store.query(
            "SELECT t.* EXCLUDE (extra) FROM time_entries t JOIN cases c USING (case_id) "
            "WHERE c.entitlement_id = ?",
            [entitlement_id],
        )
        if cases.height
        else None
    )
    return Tables.from_frames(
        entitlements=ent,
        cases=cases,
        time_entries=entries,
        grants=rows(store, "grants", "entitlement_id", entitlement_id),
        usage_events=rows(store, "usage_events", "entitlement_id", entitlement_id),
        accounts=rows(store, "accounts", "account_id", ent["account_id"][0]),
        **{name: store.table(name, TABLES[name].column_names) for name in _REFERENCE_TABLES},
    )


def entitlement_position(
    store: Store, entitlement_id: str, *, as_of: dt.datetime, thresholds: Thresholds | None = None
) -> dict[str, Any]:
    """One entitlement's utilization row as of a moment (reads only its own records).

    Its grants count: a top-up pack or rollover raises the allotment the
    overflow policy checks against.
    """
    from ..usage import utilization

    tables = entitlement_tables(store, entitlement_id)
    util = utilization(tables, as_of=as_of, thresholds=thresholds or Thresholds()).collect()
    return util.row(0, named=True)


def latest_recorded(store: Store, entitlement_id: str) -> dt.datetime | None:
    """The latest moment anything recorded on an entitlement consumes at (cases created or closed,
    the end of time entries' days), or None: an overflow check counts everything up to there."""
    value = store.query(
        "SELECT greatest(max(c.created_at), max(c.closed_at), "
        "max(CAST(t.entry_date + INTERVAL 1 DAY AS TIMESTAMPTZ))) "
        "FROM cases c LEFT JOIN time_entries t USING (case_id) WHERE c.entitlement_id = ?",
        [entitlement_id],
    ).item()
    return value


def local_day(moment: dt.datetime, zone: str | None) -> dt.date:
    try:
        return moment.astimezone(ZoneInfo(zone or "UTC")).date()
    except (KeyError, ValueError):
        return moment.astimezone(dt.UTC).date()


def check_overflow(position: Mapping[str, Any], *, adds: float, day: dt.date, confirm: bool) -> list[str]:
    """Apply the overflow policy; returns warnings for the result (DOMAIN.md "Overflow")."""
    in_term = position["start_date"] <= day <= position["end_date"]
    if not in_term:
        return [
            f"{day} is outside the term {position['start_date']} to {position['end_date']}: "
            "it does not consume the allotment (reported as out of term)"
        ]
    cap, remaining = position["cap"], position["remaining"]
    if cap is None or remaining is None:
        return []
    over = remaining - adds < 0 if adds > 0 else remaining <= 0
    if not over:
        return []
    unit = position["unit"]
    used = f"{position['consumed']:g} of {cap:g} {unit} used"
    label = f"{position['entitlement_id']}" + (f" ({position['name']})" if position.get("name") else "")
    if position["overflow"] == "block":
        raise OverflowBlocked(
            f"Refused: entitlement {label} has no allotment left ({used}) and its overflow policy is "
            "'block'. Renew or upgrade the entitlement, or change its overflow policy, then try again."
        )
    if position["overflow"] == "warn" and not confirm:
        raise NeedsConfirmation(
            f"Entitlement {label} has no allotment left ({used}): this will be recorded as overage. "
            "Confirm to record it anyway."
        )
    return [f"Recorded as overage on {label} ({used} before this)"]
