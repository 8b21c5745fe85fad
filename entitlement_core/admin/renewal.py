"""Renewals from the admin page: one entitlement, or a whole previewed renewal run.

There is one rule for what a renewal creates, the renewal run's
(:mod:`entitlement_core.renewal`, DOMAIN.md "Burn rate, projection, upsell,
renewal"): a new entitlement ``<id>-R<YYYYMMDD>`` (the new start day) for
the next term, linked by ``renewal_of``, the plan's cap (else the old cap),
an anchor grant of that cap over the new term, explicit anchors of other
resources carried over, and a rollover grant of the unused balance under the
plan's policy once the old term has ended. The admin form renews a single
entitlement by running exactly that plan on the entitlement's own records;
its only choices are the plan and the cap of the new term.

Both are idempotent: an entitlement that is already renewed is left alone,
and a previewed run is refused once the data has moved on (its records
exist), so applying a preview twice creates nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from ..problems import Problem, ProblemsError
from ..renewal import RenewalConflict, RenewalPlan, apply_renewals, plan_renewals
from ..staging import Tables
from ..store import Store
from .models import AdminError, AdminResult, RenewalInput, parse
from .records import entitlement_tables, one, require, rows

__all__ = ["apply_renewal_run", "renew_entitlement", "renewal_plan"]


def _with_choices(tables: Tables, entry: RenewalInput, old: Mapping[str, Any]) -> Tables:
    """The entitlement as the new term should see it: the chosen plan, and a given cap in place of
    the plan's (the renewal rule takes the plan's cap first, then the entitlement's)."""
    ents, plans = tables.entitlements, tables.plans
    if entry.plan is not None:
        ents = ents.with_columns(pl.lit(entry.plan, dtype=pl.String).alias("plan"))
    if entry.cap is not None and old["usage_type"] != "none":
        cap = pl.lit(entry.cap, dtype=pl.Float64)
        chosen = entry.plan or old["plan"]
        ents = ents.with_columns(cap.alias("cap"))
        plans = plans.with_columns(
            pl.when(pl.col("plan") == chosen).then(cap).otherwise(pl.col("cap")).alias("cap")
        )
    return replace(tables, entitlements=ents, plans=plans)


def _settled_rollover(tables: Tables, plan: RenewalPlan, *, at: dt.datetime) -> pl.DataFrame:
    """The rollover grant the new term is owed as of ``at`` (none before the old term ends)."""
    later = replace(
        tables,
        entitlements=pl.concat([tables.entitlements, plan.entitlements.lazy()], how="vertical_relaxed"),
        grants=pl.concat([tables.grants, plan.grants.lazy()], how="vertical_relaxed"),
    )
    new_ids = plan.entitlements.get_column("entitlement_id").implode()
    settled = plan_renewals(later, as_of=at, due_within_days=0).grants
    return settled.filter((pl.col("kind") == "rollover") & pl.col("entitlement_id").is_in(new_ids))


def renewal_plan(
    store: Store, data: RenewalInput | Mapping[str, Any], *, at: dt.datetime | None = None
) -> RenewalPlan:
    """What renewing one entitlement creates, by the renewal run's rules (writes nothing).

    The run's plan is computed on the entitlement's own records, as of a
    moment at which its term is due (``at``, or its last day when the term
    has already ended), with the chosen plan and cap. When the old term has
    ended by ``at``, the rollover grant the plan's policy owes is included.
    An entitlement that is already renewed gives an empty plan.

    Raises
    ------
    NotFound
        The entitlement does not exist.
    ProblemsError
        The chosen plan does not exist, or the input is invalid.
    """
    entry: RenewalInput = parse(RenewalInput, data, "entitlements")
    at = at or dt.datetime.now(dt.UTC)
    tables = entitlement_tables(store, entry.entitlement_id)
    require(store, "plans", entry.plan, "plan", "entitlements")
    if rows(store, "entitlements", "renewal_of", entry.entitlement_id).height:
        return RenewalPlan(tables.entitlements.clear().collect(), tables.grants.clear().collect())
    old = tables.entitlements.collect().row(0, named=True)
    # Due "now" for the run's window: as of ``at``, or of the last day once the term has ended.
    moment = min(at, dt.datetime.combine(old["end_date"], dt.time.min, tzinfo=dt.UTC))
    window = max((old["end_date"] - moment.date()).days, 0) + 2
    plan = plan_renewals(_with_choices(tables, entry, old), as_of=moment, due_within_days=window)
    if plan.entitlements.height != 1:
        raise AdminError(f"entitlement {entry.entitlement_id!r} cannot be renewed")
    rollover = _settled_rollover(tables, plan, at=at)
    if rollover.height:
        plan = RenewalPlan(plan.entitlements, pl.concat([plan.grants, rollover], how="vertical_relaxed"))
    return plan


def _rollover_note(store: Store, old: Mapping[str, Any], plan: RenewalPlan, *, at: dt.datetime) -> str | None:
    rolled = plan.grants.filter(pl.col("kind") == "rollover")
    if rolled.height:
        r = rolled.row(0, named=True)
        return f"{r['quantity']:g} unused {r['resource']} rolled over (grant {r['grant_id']})"
    policy = one(store, "plans", old["plan"]) if old["plan"] else None
    has_policy = policy is not None and any(policy[k] is not None for k in ("rollover_pct", "rollover_max"))
    if has_policy and at.date() <= old["end_date"]:
        return (
            f"Plan {old['plan']} rolls unused balance over: the renewal run after {old['end_date']} "
            "adds it to the new term as a rollover grant."
        )
    return None


def _already_renewed(store: Store, entitlement_id: str) -> AdminResult | None:
    existing = rows(store, "entitlements", "renewal_of", entitlement_id)
    if not existing.height:
        return None
    rid = existing["entitlement_id"][0]
    return AdminResult("entitlements", rid, False, f"{entitlement_id} is already renewed by {rid}")


def renew_entitlement(
    store: Store, data: RenewalInput | Mapping[str, Any], *, actor: str, at: dt.datetime | None = None
) -> AdminResult:
    """Create the next term of one entitlement (idempotent), as the renewal run would.

    See :func:`renewal_plan` for what is created; every record is written in
    one transaction with its audit entry (action ``renew``). Renewing an
    entitlement that is already renewed returns its renewal and creates
    nothing.
    """
    entry: RenewalInput = parse(RenewalInput, data, "entitlements")
    at = at or dt.datetime.now(dt.UTC)
    done = _already_renewed(store, entry.entitlement_id)
    if done:
        return done
    plan = renewal_plan(store, entry, at=at)
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
        done = _already_renewed(store, entry.entitlement_id)
        if done:
            return done
        raise AdminError(
            f"Nothing was changed: records of the renewal of {entry.entitlement_id} exist already."
        ) from None
    cap = "unlimited" if new["cap"] is None else f"cap {new['cap']:g}"
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
    """Write a previewed renewal run (:func:`~entitlement_core.renewal.plan_renewals`), audited.

    A preview whose records exist already (it was applied, or the data moved
    on since) is refused with :class:`AdminError` and nothing changes; an
    empty plan does nothing.
    """
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
