"""Writing renewals: a plan in one audited transaction, the admin form's renewal, a previewed run.

:func:`apply_renewals` writes a :class:`~.plan.RenewalPlan` (entitlements,
then grants, an audit entry per record, a data-version bump) in one
transaction, deciding "already renewed" inside it. The admin form renews
one entitlement (:func:`renew_entitlement`, the run's rules on its own
records, choosing the plan and the cap of the new term) and applies a
previewed run (:func:`apply_renewal_run`). Both are idempotent: an
entitlement already renewed is left alone, and a preview is refused once
the data has moved on (its records exist).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from ..problems import Problem, ProblemsError
from .plan import RenewalPlan, renewal_plan
from .rules import has_rollover_policy, renewed_by

if TYPE_CHECKING:
    from ..admin.models import AdminResult, RenewalInput
    from ..store import Store

__all__ = ["RenewalConflict", "apply_renewal_run", "apply_renewals", "renew_entitlement", "renewal_plan_of"]


class RenewalConflict(Exception):
    """Records of a renewal plan exist already (found in the transaction that would write them)."""


def _not_yet_applied(store: Store, plan: RenewalPlan) -> RenewalPlan:
    """The part of ``plan`` nobody applied yet, read in the caller's transaction: entitlements
    already renewed meanwhile (:func:`~.rules.renewed_by`), or whose new id is taken, and grants that
    exist are left out."""
    ents, grants = plan.entitlements, plan.grants
    links = store.table("entitlements", ["entitlement_id", "renewal_of"])
    renewed = renewed_by(links).collect().get_column("entitlement_id")
    existing = store.query(
        "SELECT grant_id FROM grants WHERE list_contains(?, grant_id)", [grants["grant_id"].to_list()]
    )
    left = ents.filter(
        ~pl.col("entitlement_id").is_in(links["entitlement_id"].implode())
        & ~pl.col("renewal_of").is_in(renewed.implode())
    )
    dropped = ents.join(left.select("entitlement_id"), on="entitlement_id", how="anti")["entitlement_id"]
    kept_grants = grants.filter(
        ~pl.col("grant_id").is_in(existing["grant_id"].implode())
        & ~pl.col("entitlement_id").is_in(dropped.implode())
    )
    return RenewalPlan(left, kept_grants)


def apply_renewals(store: Store, plan: RenewalPlan, *, actor: str, strict: bool = False) -> RenewalPlan:
    """Write a renewal plan in one transaction, with an audit entry per record; returns what it wrote.

    "Already renewed" is decided inside the transaction that writes, so two
    runs at once (a scheduled ``renew`` and the admin page) never renew an
    entitlement twice: what the other one applied first is left out, or,
    with ``strict``, the whole plan is refused (:class:`RenewalConflict`)
    and nothing is written.
    """
    if plan.is_empty:
        return plan
    with store.transaction() as con:
        todo = _not_yet_applied(store, plan)
        if strict and (todo.entitlements.height, todo.grants.height) != (
            plan.entitlements.height,
            plan.grants.height,
        ):
            raise RenewalConflict("some of these renewals exist already")
        if todo.is_empty:
            return todo
        _ensure_resources(store, con, todo.grants)
        if todo.entitlements.height:
            store.append(con, "entitlements", todo.entitlements)
        if todo.grants.height:
            store.append(con, "grants", todo.grants)
        for table, frame, key in (
            ("entitlements", todo.entitlements, "entitlement_id"),
            ("grants", todo.grants, "grant_id"),
        ):
            for row in frame.to_dicts():
                store.audit(
                    con,
                    actor=actor,
                    action="renew",
                    table_name=table,
                    record_id=row[key],
                    before=None,
                    after=row,
                )
        store.bump_data_version(con)
    return todo


def _ensure_resources(store: Store, con: object, grants: pl.DataFrame) -> None:
    """Grants name a usage resource: make sure the built-in ones exist."""
    if grants.height == 0:
        return
    known = set(store.table("usage_resources", ["resource"])["resource"].to_list())
    units = {"cases": "case", "hours": "hour"}
    missing = [r for r in grants["resource"].unique().to_list() if r not in known and r in units]
    if missing:
        store.append(
            con,  # type: ignore[arg-type]
            "usage_resources",
            pl.DataFrame({"resource": missing, "unit": [units[r] for r in missing], "name": missing}),
        )


def _renewed_by(store: Store, entitlement_id: str) -> str | None:
    """The entitlement renewing ``entitlement_id``, if any (:func:`~.rules.renewed_by`)."""
    links = store.table("entitlements", ["entitlement_id", "renewal_of"])
    found = renewed_by(links).filter(pl.col("entitlement_id") == entitlement_id).collect()
    return found["renewed_by_id"][0] if found.height else None


def renewal_plan_of(
    store: Store, data: RenewalInput | Mapping[str, Any], *, at: dt.datetime | None = None
) -> RenewalPlan:
    """What renewing one entitlement creates (:func:`~.plan.renewal_plan` on its own records).

    An entitlement that is already renewed gives an empty plan.

    Raises
    ------
    NotFound
        The entitlement does not exist.
    ProblemsError
        The chosen plan does not exist, or the input is invalid.
    """
    from ..admin.models import AdminError, RenewalInput, parse
    from ..admin.records import entitlement_tables, require

    entry: RenewalInput = parse(RenewalInput, data, "entitlements")
    at = at or dt.datetime.now(dt.UTC)
    tables = entitlement_tables(store, entry.entitlement_id)
    require(store, "plans", entry.plan, "plan", "entitlements")
    if _renewed_by(store, entry.entitlement_id) is not None:
        return RenewalPlan(tables.entitlements.clear().collect(), tables.grants.clear().collect())
    plan = renewal_plan(tables, entry.entitlement_id, at=at, plan=entry.plan, cap=entry.cap)
    if plan.entitlements.height != 1:
        raise AdminError(f"entitlement {entry.entitlement_id!r} cannot be renewed")
    return plan


def _rollover_note(store: Store, old: Mapping[str, Any], plan: RenewalPlan, *, at: dt.datetime) -> str | None:
    from ..admin.records import one

    rolled = plan.grants.filter(pl.col("kind") == "rollover")
    if rolled.height:
        r = rolled.row(0, named=True)
        return f"{float(r['quantity']):g} unused {r['resource']} rolled over (grant {r['grant_id']})"
    policy = one(store, "plans", old["plan"]) if old["plan"] else None
    has_policy = policy is not None and pl.DataFrame([policy]).select(has_rollover_policy()).item()
    if has_policy and at.date() <= old["end_date"]:
        return (
            f"Plan {old['plan']} rolls unused balance over: the renewal run after {old['end_date']} "
            "adds it to the new term as a rollover grant."
        )
    return None


def renew_entitlement(
    store: Store, data: RenewalInput | Mapping[str, Any], *, actor: str, at: dt.datetime | None = None
) -> AdminResult:
    """Create the next term of one entitlement (idempotent), as the renewal run would.

    See :func:`renewal_plan_of` for what is created; every record is written
    in one transaction with its audit entry (action ``renew``). Renewing an
    entitlement that is already renewed returns its renewal and creates
    nothing.
    """
    from ..admin.models import AdminError, AdminResult, RenewalInput, parse
    from ..admin.records import one

    entry: RenewalInput = parse(RenewalInput, data, "entitlements")
    at = at or dt.datetime.now(dt.UTC)
    renewal = _renewed_by(store, entry.entitlement_id)
    if renewal is not None:
        return AdminResult(
            "entitlements", renewal, False, f"{entry.entitlement_id} is already renewed by {renewal}"
        )
    plan = renewal_plan_of(store, entry, at=at)
    new = plan.entitlements.row(0, named=True)
    if one(store, "entitlements", new["entitlement_id"]) is not None:
        raise ProblemsError(
            [
                Problem(
                    file="entitlements",
                    column="entitlement_id",
                    record_id=new["entitlement_id"],
                    message=f"the renewal's id {new['entitlement_id']!r} is already taken by another "
                    "entitlement",
                )
            ]
        )
    old = one(store, "entitlements", entry.entitlement_id) or {}
    try:
        apply_renewals(store, plan, actor=actor, strict=True)
    except RenewalConflict:  # renewed meanwhile by another session or job: nothing was written
        renewal = _renewed_by(store, entry.entitlement_id)
        if renewal is not None:
            return AdminResult(
                "entitlements", renewal, False, f"{entry.entitlement_id} is already renewed by {renewal}"
            )
        raise AdminError(
            f"Nothing was changed: records of the renewal of {entry.entitlement_id} exist already."
        ) from None
    cap = "unlimited" if new["cap"] is None else f"cap {float(new['cap']):g}"
    note = _rollover_note(store, old, plan, at=at)
    return AdminResult(
        "entitlements",
        new["entitlement_id"],
        True,
        f"Renewed {entry.entitlement_id} as {new['entitlement_id']} "
        f"({new['start_date']} to {new['end_date']}, {cap})",
        (note,) if note else (),
    )


def _already_applied(store: Store, plan: RenewalPlan) -> int:
    """Records of ``plan`` (or renewals of its entitlements) that exist already."""
    ents = plan.entitlements
    found = store.query(
        "SELECT (SELECT count(*) FROM entitlements WHERE list_contains(?, entitlement_id) "
        "OR list_contains(?, renewal_of)) + (SELECT count(*) FROM grants WHERE list_contains(?, grant_id))",
        [
            ents["entitlement_id"].to_list(),
            ents["renewal_of"].drop_nulls().to_list(),
            plan.grants["grant_id"].to_list(),
        ],
    )
    return int(found.item())


def apply_renewal_run(store: Store, plan: RenewalPlan, *, actor: str) -> AdminResult:
    """Write a previewed renewal run (:func:`~.plan.plan_renewals`), audited.

    A preview whose records exist already (it was applied, or the data moved
    on since) is refused with :class:`~entitlement_core.admin.AdminError` and
    nothing changes; an empty plan does nothing.
    """
    from ..admin.models import AdminError, AdminResult

    if plan.is_empty:
        return AdminResult("entitlements", "", False, "Nothing to renew")
    if _already_applied(store, plan):
        raise AdminError(
            "Nothing was changed: some of these renewals exist already (the run was applied, or the data "
            "changed since the preview). Preview the run again."
        )
    try:
        apply_renewals(store, plan, actor=actor, strict=True)
    except RenewalConflict:
        raise AdminError(
            "Nothing was changed: some of these renewals exist already (the run was applied, or the data "
            "changed since the preview). Preview the run again."
        ) from None
    n, m = plan.entitlements.height, plan.grants.height
    first = plan.entitlements["entitlement_id"][0] if n else plan.grants["grant_id"][0]
    return AdminResult(
        "entitlements", first, True, f"Renewal run: {n} entitlement(s) renewed, {m} grant(s) created"
    )
