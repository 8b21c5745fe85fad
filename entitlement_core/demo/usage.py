"""Usage management of the demo: resources, top-up packs, commitments and metered API calls.

DOMAIN.md, "Grant": an entitlement's cap is its anchor grant, packs and
rollovers are further grants. The demo adds what a support organisation
sells on top of its plans, so that balances have something to show:

- ``usage_resources``: cases, hours, API calls and US dollars, each with its unit;
- **top-up packs** (5 cases or 10 hours, bought mid-term) on about 8% of the
  current capped terms, mostly on terms that ran out, so that a pack visibly
  turns an exhausted or over-cap entitlement healthy again; a quarter of the
  packs are drawn before the anchor (explicit ``priority`` 15);
- a few **monetary commitments**: 5,000 or 10,000 USD prepaid, drawn at the
  plan's overage rate per case or hour;
- **API-call metering** for about 40% of the Enterprise accounts: an
  ``api_calls`` anchor grant of 100,000 calls per term and a few usage
  events per week inside each term, none after ``today``.

Anchor grants of caps stay implicit (the usage module derives them from
``cap``) and rollover grants are left to the renewal run, which settles them
along the renewal chains. Everything is a whole-array draw over entitlements
or days, from its own random stream, so the cases are untouched and the
chunk size plays no part.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..staging import conform
from ..usage.terms import local_midnight_utc
from .calendars import ZONES
from .catalog import PLAN_NAMES, PLANS, entity_ids
from .options import DemoOptions
from .plan import MEAN_CASE_MINUTES, CasePlan
from .world import World

__all__ = [
    "API_CALLS_PER_TERM",
    "PACK_UNITS",
    "RESOURCES",
    "planned_consumption",
    "usage_tables",
]

#: resource -> (unit, name)
RESOURCES: dict[str, tuple[str, str]] = {
    "cases": ("case", "Support cases"),
    "hours": ("hour", "Support hours"),
    "api_calls": ("call", "API calls"),
    "usd": ("USD", "US dollars"),
}
#: Units of a top-up pack, by usage code (0 cases, 1 hours).
PACK_UNITS = (5.0, 10.0)
#: Commitment amount (USD) by plan; drawn at the plan's overage rate.
_COMMITMENT_USD = {"Standard": 5_000.0, "Pro": 10_000.0, "Hours 20": 5_000.0, "Hours 100": 10_000.0}
API_CALLS_PER_TERM = 100_000.0
#: Chance of a pack for terms that ran out, are near their limit, or neither.
_P_PACK = (0.35, 0.08, 0.01)
#: Chance of a commitment for terms within and over their cap.
_P_COMMITMENT = (0.005, 0.15)
_P_PACK_FIRST = 0.25
_PACK_FIRST_PRIORITY = 15  # between rollover (10) and anchor (20): drawn before the plan's allotment
_P_METERED = 0.4
#: Chance of a metering event per day, Monday .. Sunday: about three a week.
_P_EVENT = np.array([0.55, 0.55, 0.55, 0.55, 0.55, 0.1, 0.1])
_EVENT_SIGMA = 0.45
_SECONDS_PER_DAY = 86_400
_STREAM = 4
_UTC = pl.Datetime("us", "UTC")
_KIND_ORDER = {"anchor": 0, "pack": 1, "commitment": 2}


def planned_consumption(plan: CasePlan, n_entitlements: int) -> np.ndarray:
    """Cases planned inside each entitlement's term up to ``today`` (bucket kind 0), per entitlement."""
    count = np.diff(plan.ends, prepend=0)
    inside = (plan.kind == 0) & (plan.named >= 0)
    return np.bincount(plan.named[inside], weights=count[inside], minlength=n_entitlements)


def _at_least_one(chosen: np.ndarray, candidates: np.ndarray) -> None:
    """Choose the first candidate when the draw chose none of them (the demo always shows one)."""
    if candidates.any() and not (chosen & candidates).any():
        chosen[np.flatnonzero(candidates)[0]] = True


def _term_bounds(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``term_from`` and ``term_to``: the term as UTC instants (local midnights, DOMAIN.md rule 5)."""
    zone = pl.col("zone").replace_strict(dict(enumerate(ZONES)), return_dtype=pl.String)
    return frame.with_columns(
        local_midnight_utc(pl.col("start_date"), zone, ZONES).alias("term_from"),
        local_midnight_utc(pl.col("end_date") + pl.duration(days=1), zone, ZONES).alias("term_to"),
    )


def _seconds(column: str) -> pl.Expr:
    return (pl.col(column) * 1_000_000).cast(_UTC)


def _packs_and_commitments(
    rng: np.random.Generator, e: pl.DataFrame, planned: np.ndarray, plan: CasePlan
) -> pl.DataFrame:
    """Top-up packs and commitments on current capped terms started at least two days ago.

    Terms with a CRM remaining-cases counter are left alone: their counter
    knows the cap only, and its deliberate drifts are what reconciliation shows.
    """
    n, today = e.height, plan.today_day
    usage, cap = e["usage"].to_numpy(), e["cap"].fill_null(np.nan).to_numpy()
    start = e["start_day"].to_numpy()
    u = rng.random((n, 5))
    eligible = (
        e["is_current"].to_numpy()
        & (usage < 2)
        & ~np.isnan(cap)
        & (start < today - 1)
        & np.isnan(plan.crm_remaining)
    )
    used = np.where(usage == 1, planned * MEAN_CASE_MINUTES / 60, planned) / np.where(np.isnan(cap), 1, cap)
    ran_out = eligible & (used >= np.where(usage == 1, 0.97, 1.0))
    near = eligible & (used >= 0.8)
    pack = eligible & (u[:, 0] < np.select([ran_out, near], _P_PACK[:2], _P_PACK[2]))
    # A pack that turns a term over its cap healthy again: cases counted on creation (all of
    # them inside the term by today), fewer over the cap than the pack holds.
    count_over = planned - np.nan_to_num(cap)
    shows = eligible & (usage == 0) & ~e["is_closed_consume"].to_numpy() & (count_over > 0)
    _at_least_one(pack, shows & (count_over < PACK_UNITS[0]))
    # Commitments go mostly to terms over their cap, where money is drawn.
    commitment = eligible & (u[:, 1] < np.where(used > 1.0, _P_COMMITMENT[1], _P_COMMITMENT[0]))
    _at_least_one(commitment, eligible & (used > 1.0))
    # Packs are bought on a day strictly between the term's start and today, mostly late when it ran out.
    elapsed = today - 1 - start
    frac = np.where(ran_out, 0.5 + 0.5 * u[:, 2], u[:, 2])
    bought_day = start + 1 + np.floor(frac * np.maximum(elapsed, 1)).astype(np.int64)
    bought_sec = bought_day * _SECONDS_PER_DAY + 13 * 3_600 + np.floor(u[:, 3] * 4 * 3_600).astype(np.int64)
    facts = e.select("ent_idx", "plan_idx", "usage", "zone", "start_date", "end_date").with_columns(
        bought=bought_sec, pack_first=u[:, 4] < _P_PACK_FIRST
    )
    plan_name = pl.col("plan_idx").replace_strict(dict(enumerate(PLAN_NAMES)), return_dtype=pl.String)
    rate = {name: v[3] for name, v in PLANS.items() if v[3] is not None}
    resource = pl.when(pl.col("usage") == 1).then(pl.lit("hours")).otherwise(pl.lit("cases"))
    packs = facts.filter(pl.Series(pack)).select(
        "ent_idx",
        "zone",
        "start_date",
        "end_date",
        resource.alias("resource"),
        pl.col("usage")
        .replace_strict(dict(enumerate(PACK_UNITS)), return_dtype=pl.Float64)
        .alias("quantity"),
        _seconds("bought").alias("effective_from"),
        pl.lit("pack").alias("kind"),
        pl.when(pl.col("pack_first")).then(pl.lit(_PACK_FIRST_PRIORITY)).alias("priority"),
    )
    commitments = facts.filter(pl.Series(commitment)).select(
        "ent_idx",
        "zone",
        "start_date",
        "end_date",
        resource.alias("resource"),
        plan_name.replace_strict(_COMMITMENT_USD, return_dtype=pl.Float64).alias("quantity"),
        pl.lit("commitment").alias("kind"),
        plan_name.replace_strict(rate, return_dtype=pl.Float64).alias("unit_rate"),
    )
    return pl.concat([packs, commitments], how="diagonal_relaxed")


def _metered_terms(rng: np.random.Generator, world: World) -> pl.DataFrame:
    """Enterprise terms of the accounts whose API calls are metered, each with a daily call rate.

    At least one Enterprise account is metered when there is any. The rate
    centres on 85% of the 100,000 calls a year, so some terms run over.
    """
    acc = world.accounts
    enterprise = acc["tier_idx"].to_numpy() == PLAN_NAMES.index("Enterprise")
    metered = enterprise & (rng.random(acc.height) < _P_METERED)
    if enterprise.any() and not metered.any():
        metered[np.flatnonzero(enterprise)[0]] = True
    e = world.entitlements
    rate = API_CALLS_PER_TERM / 365 * rng.lognormal(np.log(0.85), 0.3, e.height)
    return e.with_columns(calls_per_day=rate).filter(
        pl.col("is_enterprise") & pl.Series(metered[e["account_idx"].to_numpy()])
    )


def _api_events(rng: np.random.Generator, terms: pl.DataFrame, plan: CasePlan) -> pl.DataFrame:
    """A few API-call events a week per metered term, from its start to ``today``.

    One row per (term, day) is drawn, kept with the weekday's event chance;
    the time is 08:00-20:00 local, made UTC through the calendar's offsets
    (DST-correct) and never after the end of ``today``.
    """
    today = plan.today_day
    started = terms.filter(pl.col("start_day") <= today)
    a = started["start_day"].to_numpy()
    n_days = np.minimum(started["end_day"].to_numpy(), today) - a + 1
    first = np.cumsum(n_days) - n_days
    term = np.repeat(np.arange(started.height), n_days)
    day = a[term] + np.arange(int(n_days.sum())) - first[term]
    u = rng.random((len(day), 2))
    weekday = (day + 3) % 7  # epoch day 0 was a Thursday; Monday = 0
    keep = u[:, 0] < _P_EVENT[weekday]
    term, day, u = term[keep], day[keep], u[keep]
    zone = started["zone"].to_numpy()[term]
    local_sec = (8 * 3_600 + np.floor(u[:, 1] * 12 * 3_600)).astype(np.int64)
    offset_min = plan.utc_offsets[zone, day - plan.first_day, local_sec // 3_600]
    cutoff = (today + 1) * _SECONDS_PER_DAY - 1
    at = np.minimum(day * _SECONDS_PER_DAY + local_sec - offset_min * 60, cutoff)
    # A week's calls spread over its events (about three), with log-normal noise.
    per_event = started["calls_per_day"].to_numpy()[term] * 7 / (_P_EVENT.sum())
    noise = rng.lognormal(-(_EVENT_SIGMA**2) / 2, _EVENT_SIGMA, len(day))  # mean 1
    calls = np.maximum(np.round(per_event * noise), 1.0)
    frame = pl.DataFrame(
        {
            "i": np.arange(len(day), dtype=np.int64),
            "account_idx": started["account_idx"].to_numpy()[term],
            "ent_idx": started["ent_idx"].to_numpy()[term],
            "at": at,
            "quantity": calls,
        }
    )
    events = frame.select(
        entity_ids("UE", pl.col("i")).alias("event_id"),
        entity_ids("A", pl.col("account_idx")).alias("account_id"),
        entity_ids("E", pl.col("ent_idx")).alias("entitlement_id"),
        pl.lit("api_calls").alias("resource"),
        _seconds("at").alias("occurred_at"),
        "quantity",
    )
    return conform("usage_events", events).collect()


def usage_tables(world: World, plan: CasePlan, options: DemoOptions) -> dict[str, pl.DataFrame]:
    """The usage-management tables of a demo: resources, grants and metered events.

    Parameters
    ----------
    world
        The demo world (entitlement facts and accounts).
    plan
        The case plan: which terms ran out by ``today`` follows from it.
    options
        The seed (a stream of its own: cases and the world are unchanged).

    Returns
    -------
    dict of str to pl.DataFrame
        ``usage_resources``, ``grants`` and ``usage_events`` in the native schema.
    """
    rng = np.random.default_rng([options.seed, _STREAM])
    ents = world.entitlements
    planned = planned_consumption(plan, ents.height)
    bought = _packs_and_commitments(rng, ents, planned, plan)
    metered = _metered_terms(rng, world)
    anchors = metered.select(
        "ent_idx",
        "zone",
        "start_date",
        "end_date",
        pl.lit("api_calls").alias("resource"),
        pl.lit(API_CALLS_PER_TERM).alias("quantity"),
        pl.lit("anchor").alias("kind"),
    )
    # Packs start when bought; anchors and commitments with the term; all expire with it.
    grants = _term_bounds(pl.concat([anchors, bought], how="diagonal_relaxed"))
    grants = (
        grants.with_columns(
            pl.coalesce("effective_from", "term_from").alias("effective_from"),
            pl.col("term_to").alias("expires_at"),
            pl.col("kind").replace_strict(_KIND_ORDER, return_dtype=pl.Int64).alias("_order"),
        )
        .sort("ent_idx", "_order", "resource")
        .with_row_index("g")
        .with_columns(
            entity_ids("G", pl.col("g").cast(pl.Int64)).alias("grant_id"),
            entity_ids("E", pl.col("ent_idx")).alias("entitlement_id"),
        )
    )
    resources = {
        "resource": list(RESOURCES),
        "unit": [v[0] for v in RESOURCES.values()],
        "name": [v[1] for v in RESOURCES.values()],
    }
    return {
        "usage_resources": conform("usage_resources", resources).collect(),
        "grants": conform("grants", grants).collect(),
        "usage_events": _api_events(rng, metered, plan),
    }
