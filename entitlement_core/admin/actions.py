"""The admin actions: create and edit entitlements; record cases and time entries.

Each action runs whole in one transaction: its checks (references, a taken
id, the overflow policy against the entitlement's balance) read the data it
writes to, while no other writer can change it. Renewals are in
:mod:`entitlement_core.renewals` (the renewal run's rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..problems import Problem, ProblemsError
from ..store import Store
from .models import (
    AdminResult,
    CaseInput,
    EntitlementInput,
    EntitlementUpdate,
    NotFound,
    TimeEntryInput,
    parse,
)
from .records import (
    check_overflow,
    entitlement_position,
    existing_or_conflict,
    latest_recorded,
    local_day,
    new_id,
    one,
    require,
    write,
)

__all__ = [
    "create_entitlement",
    "record_case",
    "record_time_entry",
    "update_entitlement",
]

# -- entitlements ------------------------------------------------------------------


def create_entitlement(
    store: Store, data: EntitlementInput | Mapping[str, Any], *, actor: str, at: dt.datetime | None = None
) -> AdminResult:
    """Create an entitlement (its usage type is permanent from here on)."""
    entry: EntitlementInput = parse(EntitlementInput, data, "entitlements")
    at = at or dt.datetime.now(dt.UTC)
    row = entry.model_dump()
    row["entitlement_id"] = entry.entitlement_id or new_id("ENT")
    with store.transaction():
        for column, table in (
            ("account_id", "accounts"),
            ("plan", "plans"),
            ("process_id", "entitlement_processes"),
            ("business_hours_id", "business_hours"),
            ("contact_id", "contacts"),
            ("asset_id", "assets"),
            ("service_contract_id", "service_contracts"),
            ("line_item_id", "contract_line_items"),
        ):
            require(store, table, row[column], column, "entitlements")
        done = existing_or_conflict(store, "entitlements", row)
        if done:
            return done
        write(store, "entitlements", row, actor=actor, action="create_entitlement", at=at)
    return AdminResult(
        "entitlements",
        row["entitlement_id"],
        True,
        f"Created entitlement {row['entitlement_id']} ({entry.usage_type})",
    )


def update_entitlement(
    store: Store,
    entitlement_id: str,
    changes: EntitlementUpdate | Mapping[str, Any],
    *,
    actor: str,
    at: dt.datetime | None = None,
) -> AdminResult:
    """Change the editable fields given in ``changes`` (never the usage type)."""
    update: EntitlementUpdate = parse(EntitlementUpdate, changes, "entitlements")
    at = at or dt.datetime.now(dt.UTC)
    with store.transaction():
        return _update(store, entitlement_id, update, actor=actor, at=at)


def _update(
    store: Store, entitlement_id: str, update: EntitlementUpdate, *, actor: str, at: dt.datetime
) -> AdminResult:
    before = one(store, "entitlements", entitlement_id)
    if before is None:
        raise NotFound(f"entitlement {entitlement_id!r} does not exist")
    fields = {k: getattr(update, k) for k in update.model_fields_set}
    require(store, "plans", fields.get("plan"), "plan", "entitlements")
    require(store, "entitlement_processes", fields.get("process_id"), "process_id", "entitlements")
    after = {**before, **fields}
    if after["usage_type"] == "none" and after["cap"] is not None:
        raise ProblemsError(
            [
                Problem(
                    file="entitlements",
                    column="cap",
                    record_id=entitlement_id,
                    message="a date-only entitlement (usage type none) has no cap",
                )
            ]
        )
    if after["end_date"] < after["start_date"]:
        raise ProblemsError(
            [
                Problem(
                    file="entitlements",
                    column="end_date",
                    record_id=entitlement_id,
                    message="end_date is before start_date",
                )
            ]
        )
    if after == before:
        return AdminResult("entitlements", entitlement_id, False, "Nothing to change")
    write(store, "entitlements", after, actor=actor, action="update_entitlement", at=at, before=before)
    return AdminResult("entitlements", entitlement_id, False, f"Updated {', '.join(sorted(fields))}")


def record_case(
    store: Store,
    data: CaseInput | Mapping[str, Any],
    *,
    actor: str,
    confirm: bool = False,
    at: dt.datetime | None = None,
) -> AdminResult:
    """Record a case naming an entitlement, respecting its overflow policy."""
    entry: CaseInput = parse(CaseInput, data, "cases")
    at = at or dt.datetime.now(dt.UTC)
    # The balance is read in the transaction that writes: two sessions recording the last case
    # of a 'block' entitlement take turns, and the second one is refused.
    with store.transaction():
        return _record_case(store, entry, actor=actor, confirm=confirm, at=at)


def _record_case(
    store: Store, entry: CaseInput, *, actor: str, confirm: bool, at: dt.datetime
) -> AdminResult:
    ent = one(store, "entitlements", entry.entitlement_id)
    if ent is None:
        raise NotFound(f"entitlement {entry.entitlement_id!r} does not exist")
    row = entry.model_dump()
    row["case_id"] = entry.case_id or new_id("CASE")
    row["account_id"] = ent["account_id"]
    row["is_deleted"] = False
    require(store, "contacts", row["contact_id"], "contact_id", "cases")
    require(store, "assets", row["asset_id"], "asset_id", "cases")
    done = existing_or_conflict(store, "cases", row)
    if done:
        return done
    # Judged with everything already recorded on it counted, whatever moments the forms carry: a
    # writer that waited behind another one sees the case that writer just recorded.
    as_of = max(at, entry.created_at, latest_recorded(store, entry.entitlement_id) or at)
    position = entitlement_position(store, entry.entitlement_id, as_of=as_of)
    adds = 1.0 if ent["usage_type"] == "cases" and ent["consume_on"] != "closed" else 0.0
    warnings = check_overflow(
        position, adds=adds, day=local_day(entry.created_at, position["timezone"]), confirm=confirm
    )
    write(store, "cases", row, actor=actor, action="record_case", at=at)
    return AdminResult(
        "cases",
        row["case_id"],
        True,
        f"Recorded case {row['case_id']} on {entry.entitlement_id}",
        tuple(warnings),
    )


def record_time_entry(
    store: Store,
    data: TimeEntryInput | Mapping[str, Any],
    *,
    actor: str,
    confirm: bool = False,
    at: dt.datetime | None = None,
) -> AdminResult:
    """Record minutes on a case; they consume the case's ``hours`` entitlement."""
    entry: TimeEntryInput = parse(TimeEntryInput, data, "time_entries")
    at = at or dt.datetime.now(dt.UTC)
    with store.transaction():
        return _record_time_entry(store, entry, actor=actor, confirm=confirm, at=at)


def _record_time_entry(
    store: Store, entry: TimeEntryInput, *, actor: str, confirm: bool, at: dt.datetime
) -> AdminResult:
    case = one(store, "cases", entry.case_id)
    if case is None:
        raise NotFound(f"case {entry.case_id!r} does not exist")
    row = entry.model_dump()
    row["time_entry_id"] = entry.time_entry_id or new_id("TE")
    done = existing_or_conflict(store, "time_entries", row)
    if done:
        return done
    warnings: list[str] = []
    if case["entitlement_id"] is None:
        warnings.append(f"case {entry.case_id} names no entitlement: these minutes consume nothing")
    else:
        ent = one(store, "entitlements", case["entitlement_id"])
        if ent is not None and ent["usage_type"] == "hours":
            moment = dt.datetime.combine(entry.entry_date, dt.time.max, tzinfo=dt.UTC)
            latest = latest_recorded(store, ent["entitlement_id"]) or at
            position = entitlement_position(store, ent["entitlement_id"], as_of=max(at, moment, latest))
            warnings = check_overflow(
                position, adds=entry.minutes / 60.0, day=entry.entry_date, confirm=confirm
            )
        elif ent is not None:
            warnings.append(f"entitlement {ent['entitlement_id']} counts {ent['usage_type']}, not hours")
    write(store, "time_entries", row, actor=actor, action="record_time_entry", at=at)
    return AdminResult(
        "time_entries",
        row["time_entry_id"],
        True,
        f"Recorded {entry.minutes:g} minutes on case {entry.case_id}",
        tuple(warnings),
    )
