"""What a renewal run creates: next-term entitlements with their anchor and rollover grants (pure).

A run does two things, each only where it has not been done (idempotent):

1. **Renew** every entitlement due for renewal (:func:`~.rules.is_due`)
   and not already renewed (:func:`~.rules.renewed_by`): same account,
   usage type, plan, process and settings; the next term
   (:func:`~.rules.next_term`); the cap is the plan's cap where the plan sets
   one, else the old cap; an anchor grant of that cap covers the new term;
   explicit anchors of other resources (API calls, say) carry over.
2. **Roll over** unused balance of every ended term whose plan has a
   rollover policy (:func:`~.rules.has_rollover_policy`) and whose successor
   exists and has no rollover grant yet: the rollover grant is valid over
   the successor's term. Before the old term ends its unused balance is not
   final, so the rollover waits for a run after the end; a rollover into a
   term that has itself ended adds to that term's unused balance, so whole
   chains are settled.

:func:`plan_renewals` does both for a whole database or for the
entitlements named (``entitlement_ids``, the admin form's single renewal:
:func:`renewal_plan`). Nothing here writes: :mod:`.apply` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from ..asof import AsOfLike, as_of_value
from ..kernels.ledger import QUANTITY
from ..kernels.zones import local_midnight_utc
from ..staging import Tables, conform
from ..usage.terms import entitlement_terms, known_zones
from .rules import has_rollover_policy, is_due, next_term, renewal_id, renewed_by, rollover_quantity

__all__ = ["RenewalPlan", "plan_renewals", "renewal_plan"]

_COPIED = (
    "account_id", "usage_type", "plan", "consume_on", "overflow", "process_id", "business_hours_id",
    "contact_id", "asset_id", "service_contract_id", "line_item_id",
)  # fmt: skip

_ROLLOVER_SCHEMA = {
    "grant_id": pl.String, "entitlement_id": pl.String, "resource": pl.String, "quantity": QUANTITY,
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


def _fmt(value: Any) -> str:
    if value is None:
        return "unlimited"
    return f"{float(value):g}"


def _only(frame: pl.LazyFrame, ids: Sequence[str] | None, column: str = "entitlement_id") -> pl.LazyFrame:
    return frame if ids is None else frame.filter(pl.col(column).is_in(list(ids)))


def plan_renewals(
    tables: Tables,
    *,
    as_of: AsOfLike,
    due_within_days: int,
    entitlement_ids: Sequence[str] | None = None,
) -> RenewalPlan:
    """What a renewal run would create as of a moment (pure; writes nothing).

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of value (a date: the end of that day in each entitlement's zone).
    due_within_days
        Renew terms ending within this many days of the as-of day.
    entitlement_ids
        Only these entitlements are renewed, and only their ended terms
        rolled over (default: every entitlement).
    """
    as_of = as_of_value(as_of)
    zones = known_zones(tables)
    terms = entitlement_terms(tables, as_of=as_of, zones=zones)
    plans = tables.plans.select("plan", pl.col("cap").alias("_plan_cap"), "rollover_pct", "rollover_max")
    new_start, new_end = next_term(pl.col("start_date"), pl.col("end_date"))
    due = (
        _only(terms, entitlement_ids)
        .join(renewed_by(tables.entitlements), on="entitlement_id", how="anti")
        .filter(is_due(due_within_days))
        .join(plans, on="plan", how="left")
        .with_columns(new_start.alias("_start"), new_end.alias("_end"))
        .select(
            renewal_id(pl.col("entitlement_id"), pl.col("_start")).alias("entitlement_id"),
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
    rollovers = _all_rollovers(tables, as_of=as_of, plans=plans, entitlement_ids=entitlement_ids)
    grants = conform("grants", pl.concat([anchors, carried, rollovers], how="diagonal_relaxed")).collect()
    return RenewalPlan(entitlements=new_ents, grants=grants)


def _all_rollovers(
    tables: Tables, *, as_of: AsOfLike, plans: pl.LazyFrame, entitlement_ids: Sequence[str] | None
) -> pl.DataFrame:
    """Rollovers along whole renewal chains: a rollover into a term that has itself
    ended adds to that term's unused balance, so settle chains until nothing changes."""
    planned = pl.DataFrame(schema=_ROLLOVER_SCHEMA)
    for _ in range(50):  # bounded by the longest renewal chain
        grants = pl.concat([tables.grants, conform("grants", planned)], how="vertical_relaxed")
        found = _rollovers(
            replace(tables, grants=grants), as_of=as_of, plans=plans, entitlement_ids=entitlement_ids
        )
        if found.height == 0:
            break
        planned = pl.concat([planned, found.select(list(_ROLLOVER_SCHEMA))])
    return planned


def _rollovers(
    tables: Tables, *, as_of: AsOfLike, plans: pl.LazyFrame, entitlement_ids: Sequence[str] | None
) -> pl.DataFrame:
    """Rollover grants owed to successors of ended terms that have none yet."""
    from ..basis import Basis
    from ..usage.balances import balances

    terms = entitlement_terms(tables, as_of=as_of, zones=known_zones(tables))
    old = (
        _only(terms, entitlement_ids)
        .filter(pl.col("end_utc") <= pl.col("as_of_at"))
        .join(plans, on="plan", how="inner")
        .filter(has_rollover_policy())
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
    # Only the owing entitlements' grants are drawn down: their own records decide their balance.
    ids = owed.get_column("entitlement_id").implode()
    subset = replace(tables, entitlements=tables.entitlements.filter(pl.col("entitlement_id").is_in(ids)))
    per_grant, _ = balances(Basis(subset, as_of=as_of))
    # Unused at the end of the old term: the balance its grants had when they expired with it.
    unused = (
        per_grant.join(owed.select("entitlement_id", "usage_type"), on="entitlement_id", how="inner")
        .filter(pl.col("resource") == pl.col("usage_type"))
        .group_by("entitlement_id", "usage_type")
        .agg(pl.col("breakage").sum().alias("unused_base"))
    )
    # Base units (minutes for hours) back to the resource's unit, exactly.
    factor = pl.when(pl.col("usage_type") == "hours").then(60).otherwise(1).cast(QUANTITY)
    return (
        owed.join(unused.drop("usage_type"), on="entitlement_id", how="left")
        .with_columns(
            rollover_quantity(
                pl.col("unused_base").fill_null(0) / factor, pl.col("rollover_pct"), pl.col("rollover_max")
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


# -- one entitlement (the admin form) -------------------------------------------------


def _with_choices(tables: Tables, plan: str | None, cap: float | None, old: Mapping[str, Any]) -> Tables:
    """The entitlement as the new term should see it: the chosen plan, and a given cap in place of
    the plan's (the renewal rule takes the plan's cap first, then the entitlement's)."""
    ents, plans = tables.entitlements, tables.plans
    if plan is not None:
        ents = ents.with_columns(pl.lit(plan, dtype=pl.String).alias("plan"))
    if cap is not None and old["usage_type"] != "none":
        value = pl.lit(cap, dtype=pl.Float64)
        chosen = plan or old["plan"]
        ents = ents.with_columns(value.alias("cap"))
        plans = plans.with_columns(
            pl.when(pl.col("plan") == chosen).then(value).otherwise(pl.col("cap")).alias("cap")
        )
    return replace(tables, entitlements=ents, plans=plans)


def _settled_rollover(tables: Tables, plan: RenewalPlan, old_id: str, *, at: dt.datetime) -> pl.DataFrame:
    """The rollover grant the new term is owed as of ``at`` (none before the old term ends)."""
    later = replace(
        tables,
        entitlements=pl.concat([tables.entitlements, plan.entitlements.lazy()], how="vertical_relaxed"),
        grants=pl.concat([tables.grants, plan.grants.lazy()], how="vertical_relaxed"),
    )
    settled = plan_renewals(later, as_of=at, due_within_days=0, entitlement_ids=[old_id]).grants
    new_ids = plan.entitlements.get_column("entitlement_id").implode()
    return settled.filter((pl.col("kind") == "rollover") & pl.col("entitlement_id").is_in(new_ids))


def renewal_plan(
    tables: Tables,
    entitlement_id: str,
    *,
    at: dt.datetime,
    plan: str | None = None,
    cap: float | None = None,
) -> RenewalPlan:
    """What renewing one entitlement creates, by the renewal run's rules (writes nothing).

    The run's plan (:func:`plan_renewals` with ``entitlement_ids``), as of
    a moment at which its term is due (``at``, or its last day when the term
    has already ended), with the chosen ``plan`` and ``cap``. When the old
    term has ended by ``at``, the rollover grant the plan's policy owes is
    included. An entitlement that is already renewed gives an empty plan.
    """
    ents = tables.entitlements.filter(pl.col("entitlement_id") == entitlement_id).collect()
    if ents.height == 0:
        raise KeyError(f"entitlement {entitlement_id!r} does not exist")
    old = ents.row(0, named=True)
    # Due "now" for the run's window: as of ``at``, or of the last day once the term has ended.
    moment = min(at, dt.datetime.combine(old["end_date"], dt.time.min, tzinfo=dt.UTC))
    window = max((old["end_date"] - moment.date()).days, 0) + 2
    chosen = _with_choices(tables, plan, cap, old)
    result = plan_renewals(chosen, as_of=moment, due_within_days=window, entitlement_ids=[entitlement_id])
    if result.entitlements.height != 1:
        return result
    rollover = _settled_rollover(tables, result, entitlement_id, at=at)
    if rollover.height:
        result = RenewalPlan(
            result.entitlements, pl.concat([result.grants, rollover], how="vertical_relaxed")
        )
    return result
