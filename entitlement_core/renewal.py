"""Renewal run: next-term entitlements with their anchor and rollover grants, idempotent.

DOMAIN.md "Burn rate, projection, upsell, renewal": a renewal is a **new
entitlement record** for the next term, linked by ``renewal_of``; the old
record stays for audit. Running the renewal twice creates nothing new.

A run does two things, each only where it has not been done:

1. **Renew** every entitlement whose ``end_date`` falls within the window
   (from the as-of day to ``due_within_days`` later) and that no entitlement
   names in ``renewal_of`` yet: same account, usage type, plan, process and
   settings; the next term starts the day after the old one ends and lasts as
   long (whole months stay whole months: a year stays a year across leap days); the cap is the
   plan's cap where the plan sets one, else the old cap; an anchor grant of
   that cap covers the new term.
2. **Roll over** unused balance of every ended term whose successor exists
   and has no rollover grant yet, under the plan's policy (``rollover_pct``,
   ``rollover_max``): the rollover grant is valid over the successor's term.
   Before the old term ends its unused balance is not final, so the rollover
   waits for a run after the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import polars as pl

from .staging import Tables, conform
from .store import Store
from .usage.balances import balances
from .usage.grants import rollover_quantity
from .usage.terms import entitlement_terms, known_zones, local_midnight_utc

__all__ = ["RenewalConflict", "RenewalPlan", "apply_renewals", "plan_renewals"]

_COPIED = (
    "account_id", "usage_type", "plan", "consume_on", "overflow", "process_id", "business_hours_id",
    "contact_id", "asset_id", "service_contract_id", "line_item_id",
)  # fmt: skip


_ROLLOVER_SCHEMA = {
    "grant_id": pl.String, "entitlement_id": pl.String, "resource": pl.String, "quantity": pl.Float64,
    "effective_from": pl.Datetime("us", "UTC"), "expires_at": pl.Datetime("us", "UTC"), "kind": pl.String,
}  # fmt: skip


@dataclass(frozen=True)
class RenewalPlan:
    """What a renewal run creates: entitlements and grants (frames in the native schema)."""

    entitlements: pl.DataFrame
    grants: pl.DataFrame

    @property
    def is_empty(self) -> bool:
        return self.entitlements.height == 0 and self.grants.height == 0

    def lines(self) -> list[str]:
        """One human-readable line per action."""
        out = [
            f"renew {r['renewal_of']} -> {r['entitlement_id']} ({r['start_date']} to {r['end_date']}, "
            f"{r['usage_type']}, cap {_fmt(r['cap'])})"
            for r in self.entitlements.to_dicts()
        ]
        out += [
            f"grant {r['kind']} {r['grant_id']}: {_fmt(r['quantity'])} {r['resource']} "
            f"on {r['entitlement_id']}"
            for r in self.grants.to_dicts()
        ]
        return out


def _fmt(value: float | None) -> str:
    if value is None:
        return "unlimited"
    return f"{value:g}"


def _next_term(start: pl.Expr, end: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The next term: starts the day after ``end``; a term of whole calendar months
    (a year, a quarter) stays whole months, across leap days; any other term keeps
    its number of days."""
    one = pl.duration(days=1)
    new_start = end + one
    months = (new_start.dt.year() * 12 + new_start.dt.month()) - (start.dt.year() * 12 + start.dt.month())
    by = pl.format("{}mo", months)
    whole = (months > 0) & (start.dt.offset_by(by) == new_start)
    new_end = pl.when(whole).then(new_start.dt.offset_by(by) - one).otherwise(new_start + (end - start))
    return new_start, new_end


def _renewal_id(old: pl.Expr, start: pl.Expr) -> pl.Expr:
    root = old.str.replace(r"-R\d{8}$", "")
    return pl.format("{}-R{}", root, start.dt.strftime("%Y%m%d"))


def plan_renewals(tables: Tables, *, as_of: dt.datetime, due_within_days: int) -> RenewalPlan:
    """What a renewal run would create as of a moment (pure; writes nothing)."""
    zones = known_zones(tables)
    terms = entitlement_terms(tables, as_of=as_of, zones=zones)
    renewed = tables.entitlements.select(pl.col("renewal_of").alias("entitlement_id")).drop_nulls().unique()
    plans = tables.plans.select("plan", pl.col("cap").alias("_plan_cap"), "rollover_pct", "rollover_max")
    new_start, new_end = _next_term(pl.col("start_date"), pl.col("end_date"))
    due = (
        terms.join(renewed, on="entitlement_id", how="anti")
        .filter(
            (pl.col("end_date") >= pl.col("as_of_date"))
            & (pl.col("end_date") <= pl.col("as_of_date") + pl.duration(days=due_within_days))
        )
        .join(plans, on="plan", how="left")
        .with_columns(new_start.alias("_start"), new_end.alias("_end"))
        .select(
            _renewal_id(pl.col("entitlement_id"), pl.col("_start")).alias("entitlement_id"),
            *_COPIED,
            pl.col("_start").alias("start_date"),
            pl.col("_end").alias("end_date"),
            pl.coalesce("name", "entitlement_id").alias("name"),
            pl.coalesce("_plan_cap", "cap").alias("cap"),
            pl.col("entitlement_id").alias("renewal_of"),
            "timezone",
        )
        .with_columns(
            local_midnight_utc(pl.col("start_date"), pl.col("timezone"), zones).alias("_from"),
            local_midnight_utc(pl.col("end_date") + pl.duration(days=1), pl.col("timezone"), zones).alias(
                "_to"
            ),
        )
        .collect()
    )
    new_ents = conform("entitlements", due.drop("timezone", "_from", "_to")).collect()
    anchors = due.filter(pl.col("cap").is_not_null() & pl.col("usage_type").is_in(["cases", "hours"])).select(
        (pl.col("entitlement_id") + ":anchor").alias("grant_id"),
        "entitlement_id",
        pl.col("usage_type").alias("resource"),
        pl.col("cap").alias("quantity"),
        pl.col("_from").alias("effective_from"),
        pl.col("_to").alias("expires_at"),
        pl.lit("anchor").alias("kind"),
    )
    # Explicit anchors of other resources (e.g. API calls) carry over with the same quantity.
    carried = (
        tables.grants.filter(pl.col("kind") == "anchor")
        .join(
            due.lazy().select("renewal_of", "entitlement_id", "usage_type", "_from", "_to"),
            left_on="entitlement_id",
            right_on="renewal_of",
            how="inner",
            suffix="_new",
        )
        .filter(pl.col("resource") != pl.col("usage_type"))
        .select(
            pl.format("{}:anchor:{}", "entitlement_id_new", "resource").alias("grant_id"),
            pl.col("entitlement_id_new").alias("entitlement_id"),
            "resource",
            "quantity",
            pl.col("_from").alias("effective_from"),
            pl.col("_to").alias("expires_at"),
            pl.lit("anchor").alias("kind"),
        )
        .collect()
    )
    rollovers = _all_rollovers(tables, as_of=as_of, terms=terms, plans=plans)
    grants = conform("grants", pl.concat([anchors, carried, rollovers], how="diagonal_relaxed")).collect()
    return RenewalPlan(entitlements=new_ents, grants=grants)


def _all_rollovers(
    tables: Tables, *, as_of: dt.datetime, terms: pl.LazyFrame, plans: pl.LazyFrame
) -> pl.DataFrame:
    """Rollovers along whole renewal chains: a rollover into a term that has itself
    ended adds to that term's unused balance, so settle chains until nothing changes."""
    planned = pl.DataFrame(schema=_ROLLOVER_SCHEMA)
    for _ in range(50):  # bounded by the longest renewal chain
        grants = pl.concat([tables.grants, conform("grants", planned)], how="vertical_relaxed")
        found = _rollovers(replace(tables, grants=grants), as_of=as_of, terms=terms, plans=plans)
        if found.height == 0:
            break
        planned = pl.concat([planned, found.select(list(_ROLLOVER_SCHEMA))])
    return planned


def _rollovers(
    tables: Tables, *, as_of: dt.datetime, terms: pl.LazyFrame, plans: pl.LazyFrame
) -> pl.DataFrame:
    """Rollover grants owed to successors of ended terms that have none yet."""
    old = (
        terms.filter(pl.col("end_utc") <= as_of)
        .join(plans, on="plan", how="inner")
        .filter(pl.col("rollover_pct").is_not_null() | pl.col("rollover_max").is_not_null())
    )
    successors = terms.filter(pl.col("renewal_of").is_not_null()).select(
        pl.col("entitlement_id").alias("successor_id"),
        pl.col("renewal_of").alias("entitlement_id"),
        pl.col("start_utc").alias("_from"),
        pl.col("end_utc").alias("_to"),
    )
    has_rollover = tables.grants.filter(pl.col("kind") == "rollover").select(
        pl.col("entitlement_id").alias("successor_id")
    )
    owed = (
        old.join(successors, on="entitlement_id", how="inner")
        .join(has_rollover, on="successor_id", how="anti")
        .select(
            "entitlement_id", "successor_id", "usage_type", "rollover_pct", "rollover_max", "_from", "_to"
        )
        .collect()
    )
    if owed.height == 0:
        return pl.DataFrame(schema=_ROLLOVER_SCHEMA)
    per_grant, _ = balances(tables, as_of=as_of)
    # Unused at the end of the old term: the balance its grants had when they expired with it.
    unused = (
        per_grant.join(owed.select("entitlement_id", "usage_type"), on="entitlement_id", how="inner")
        .filter(pl.col("resource") == pl.col("usage_type"))
        .group_by("entitlement_id")
        .agg(pl.col("breakage").sum().alias("unused"))
    )
    return (
        owed.join(unused, on="entitlement_id", how="left")
        .with_columns(
            rollover_quantity(
                pl.col("unused").fill_null(0.0), pl.col("rollover_pct"), pl.col("rollover_max")
            ).alias("quantity")
        )
        .filter(pl.col("quantity") > 0)
        .select(
            (pl.col("successor_id") + ":rollover").alias("grant_id"),
            pl.col("successor_id").alias("entitlement_id"),
            pl.col("usage_type").alias("resource"),
            "quantity",
            pl.col("_from").alias("effective_from"),
            pl.col("_to").alias("expires_at"),
            pl.lit("rollover").alias("kind"),
        )
    )


class RenewalConflict(Exception):
    """Records of a renewal plan exist already (found in the transaction that would write them)."""


def _not_yet_applied(store: Store, plan: RenewalPlan) -> RenewalPlan:
    """The part of ``plan`` nobody applied yet, read in the caller's transaction: entitlements
    another run renewed meanwhile (or whose new id is taken) and grants that exist are left out."""
    ents, grants = plan.entitlements, plan.grants
    taken = store.query(
        "SELECT entitlement_id, renewal_of FROM entitlements "
        "WHERE list_contains(?, entitlement_id) OR list_contains(?, renewal_of)",
        [ents["entitlement_id"].to_list(), ents["renewal_of"].drop_nulls().to_list()],
    )
    existing = store.query(
        "SELECT grant_id FROM grants WHERE list_contains(?, grant_id)", [grants["grant_id"].to_list()]
    )
    left = ents.filter(
        ~pl.col("entitlement_id").is_in(taken["entitlement_id"].implode())
        & ~pl.col("renewal_of").is_in(taken["renewal_of"].drop_nulls().implode())
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
