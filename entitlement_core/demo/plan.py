"""How many cases fall where: the case plan of a demo.

Cases are planned per entitlement term first, so that the current terms
show every status on purpose (healthy, near limit, exhausted, over cap),
then split into monthly *buckets*: (account, local-day window, named
entitlement, kind). Buckets are ordered by month, so case ids ascend
roughly with time. A case's bucket follows from its index alone
(``searchsorted`` on the cumulative counts), which is what lets the
generator stream any range of cases without the others.

Kinds of bucket: 0 = names its entitlement inside the term (consumes);
1 = unmatched (the account has an active entitlement but the case names
none); 2 = out of term (names the previous term's entitlement after it
ended); 3 = lapsed account (no entitlement in force, names none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .options import DemoOptions
from .world import World

__all__ = ["ENTRY_COUNT_P", "ENTRY_UNITS_P", "MEAN_CASE_MINUTES", "CasePlan", "plan_cases"]

#: Time entries per hour-bank case (1, 2 or 3) and their length in 15-minute units (1..16).
ENTRY_COUNT_P = np.array([0.5, 0.35, 0.15])
_units = np.exp(-np.arange(1, 17) / 5.0)
ENTRY_UNITS_P = _units / _units.sum()
MEAN_CASE_MINUTES = float((ENTRY_COUNT_P @ np.arange(1, 4)) * 15 * (ENTRY_UNITS_P @ np.arange(1, 17)))

_SHARE_CAPPED = 0.68  # at most this share of the cases goes to capped entitlements
_SHARE_UNMATCHED = 0.02
_SHARE_OUT_OF_TERM = 0.003
_SHARE_SMALL = 0.01  # warranty cases and lapsed-account cases, each at most


@dataclass(frozen=True)
class CasePlan:
    """Everything the case generator needs, as NumPy arrays (no per-case data).

    Per bucket: ``ends`` (cumulative case count, exclusive), ``a_day`` and
    ``b_day`` (local-day window, epoch days, inclusive), ``zone``,
    ``account``, ``named`` (entitlement index or -1), ``process``, ``kind``.
    Per entitlement: ``ent_is_hours``, ``ent_sc`` and ``ent_asset`` (-1 none).
    Per account: contact and asset row ranges. Calendars: ``cum_weights``
    (zone, day + 1) and ``utc_offsets`` (zone, day, hour) from ``first_day``.
    """

    total: int
    today_day: int
    first_day: int
    ends: np.ndarray
    a_day: np.ndarray
    b_day: np.ndarray
    zone: np.ndarray
    account: np.ndarray
    named: np.ndarray
    process: np.ndarray
    kind: np.ndarray
    ent_is_hours: np.ndarray
    ent_sc: np.ndarray
    ent_asset: np.ndarray
    contact_start: np.ndarray
    contact_n: np.ndarray
    asset_start: np.ndarray
    asset_n: np.ndarray
    cum_weights: np.ndarray
    utc_offsets: np.ndarray
    #: Salesforce-style remaining-cases counter per entitlement (NaN: none).
    crm_remaining: np.ndarray


def _cumulative(weights: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((weights.shape[0], 1)), np.cumsum(weights, axis=1)], axis=1)


def _current_counts(rng: np.random.Generator, e: dict[str, np.ndarray], elapsed: np.ndarray) -> np.ndarray:
    """Cases so far in the current terms, aiming at a mix of statuses (DOMAIN.md, "Status")."""
    n = len(elapsed)
    u, r = rng.random(n), rng.random(n)
    p_over, p_exh, p_near = 0.22 * elapsed, 0.10 * elapsed, 0.08 + 0.17 * elapsed
    status = np.select([u < p_over, u < p_over + p_exh, u < p_over + p_exh + p_near], [3, 2, 1], 0)
    status = np.where(e["is_block"] & (status == 3), 2, status)  # a blocking entitlement stops at its cap
    cap = np.nan_to_num(e["cap"])
    hours = e["usage"] == 1
    # cases: counts directly; hours: a fraction of the bank, in cases of MEAN_CASE_MINUTES each
    near_lo = np.minimum(np.ceil(e["near_pct"] * cap - 1e-9), cap - 1)
    healthy_hi = np.maximum(np.minimum(near_lo - 1, cap - 2), 0)
    healthy = np.minimum(np.round(elapsed * cap * (0.15 + 0.6 * r)), healthy_hi)
    near = near_lo + np.floor(r * np.maximum(cap - near_lo, 1))
    over = cap + np.maximum(1, np.round(cap * (0.02 + 0.28 * r)))
    n_cases = np.select([status == 3, status == 2, status == 1], [over, cap, near], healthy)
    pct = np.select(
        [status == 3, status == 2, status == 1],
        [1.03 + 0.27 * r, 0.97 + 0.03 * r, e["near_pct"] + (0.97 - e["near_pct"]) * r],
        np.minimum(elapsed * (0.15 + 0.55 * r), e["near_pct"] - 0.05),
    )
    n_hours = np.round(pct * cap * 60 / MEAN_CASE_MINUTES)
    return np.where(hours, n_hours, n_cases).astype(np.int64)


def _capped_counts(
    rng: np.random.Generator,
    e: dict[str, np.ndarray],
    has_window: np.ndarray,
    elapsed: np.ndarray,
    *,
    budget: float,
) -> np.ndarray:
    """Cases of capped entitlements (cases and hour banks) up to ``today``, within ``budget`` in all.

    Current terms aim at a status each (see :func:`_current_counts`) and come
    first: if they alone exceed the budget, whole ones are dropped at random.
    Past terms used about 80% of their cap and are thinned to what is left.
    """
    capped = ~np.isnan(e["cap"]) & (e["usage"] < 2) & has_window
    current, history = capped & e["is_current"], capped & ~e["is_current"]
    counts = np.zeros(len(elapsed), dtype=np.int64)
    counts[current] = _current_counts(rng, {k: v[current] for k, v in e.items()}, elapsed[current])
    ratio = rng.lognormal(np.log(0.8), 0.35, len(elapsed))
    ratio = np.where(e["is_block"], np.minimum(ratio, 1.0), ratio)
    per_unit = np.where(e["usage"] == 1, 60 / MEAN_CASE_MINUTES, 1.0)
    counts[history] = np.round(ratio * np.nan_to_num(e["cap"]) * per_unit * elapsed)[history]
    counts[current] = _cut(rng, counts[current], budget)
    counts[history] = _thin(rng, counts[history], budget - counts[current].sum())
    return counts


def _crm_remaining(rng: np.random.Generator, e: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
    """A CRM remaining-cases counter on a few current case entitlements, some drifted from the truth.

    Only entitlements consuming on creation qualify: their true remaining as
    of ``today`` is ``cap - counts`` exactly, so each drift is deliberate.
    """
    crm = np.full(len(counts), np.nan)
    candidates = np.flatnonzero(
        e["is_current"] & (e["usage"] == 0) & ~np.isnan(e["cap"]) & ~e["is_closed_consume"]
    )
    if len(candidates):
        pick = rng.choice(candidates, size=min(len(candidates), max(5, len(candidates) // 50)), replace=False)
        drift = rng.choice(np.array([-3, -2, -1, 0, 1, 2, 3]), size=len(pick))
        crm[pick] = e["cap"][pick] - counts[pick] + drift
    return crm


def _thin(rng: np.random.Generator, counts: np.ndarray, budget: float) -> np.ndarray:
    total = counts.sum()
    if total <= budget:
        return counts
    return rng.binomial(counts, max(budget, 0) / total)


def _cut(rng: np.random.Generator, counts: np.ndarray, budget: float) -> np.ndarray:
    """Keep whole counts in a random order while they fit the budget; zero the rest."""
    order = rng.permutation(len(counts))
    fits = np.cumsum(counts[order]) <= budget
    out = np.zeros_like(counts)
    out[order[fits]] = counts[order[fits]]
    return out


def _spread(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    return rng.multinomial(total, weights / weights.sum()).astype(np.int64)


def _pre_buckets(count: np.ndarray, columns: dict[str, np.ndarray], *, kind: int) -> dict[str, np.ndarray]:
    """The rows with a positive count, as planned buckets of one kind (before the monthly split)."""
    keep = count > 0
    out = {k: v[keep] for k, v in columns.items()}
    out.update(count=count[keep], kind=np.full(int(keep.sum()), kind))
    return out


def _split_by_month(
    rng: np.random.Generator, pre: dict[str, np.ndarray], cum: np.ndarray, first_day: int
) -> dict[str, np.ndarray]:
    """Split each planned count over the calendar months of its window, by day weight."""
    out: list[dict[str, np.ndarray]] = []
    block = 65_536
    for lo in range(0, len(pre["count"]), block):
        part = {k: v[lo : lo + block] for k, v in pre.items()}
        a, b, z = part["a_day"], part["b_day"], part["zone"]
        ma = a.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        mb = b.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        slots = ma[:, None] + np.arange(int((mb - ma).max()) + 1)[None, :]
        s_start = slots.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        s_end = (slots + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1
        w_lo = np.maximum(a[:, None], s_start) - first_day
        w_hi = np.minimum(b[:, None], s_end) - first_day
        valid = w_lo <= w_hi
        zz = np.broadcast_to(z[:, None], w_lo.shape)
        mass = np.where(valid, cum[zz, np.where(valid, w_hi + 1, 0)] - cum[zz, np.where(valid, w_lo, 0)], 0.0)
        counts = rng.multinomial(part["count"], mass / mass.sum(axis=1, keepdims=True))
        rows, cols = np.nonzero(counts)
        piece = {k: v[rows] for k, v in part.items()}
        piece.update(
            count=counts[rows, cols],
            a_day=w_lo[rows, cols] + first_day,
            b_day=w_hi[rows, cols] + first_day,
            month=slots[rows, cols],
        )
        out.append(piece)
    if not out:
        return {k: np.zeros(0, dtype=np.int64) for k in [*pre, "month"]}
    return {k: np.concatenate([p[k] for p in out]) for k in out[0]}


def plan_cases(
    world: World, options: DemoOptions, weights: np.ndarray, offsets: np.ndarray, first_day: int
) -> CasePlan:
    """Plan ``options.cases`` cases over the world's entitlements and calendars.

    Parameters
    ----------
    world
        The demo world (accounts and entitlement facts).
    options
        Size and seed.
    weights, offsets
        Day weights (zone, day) and UTC offsets (zone, day, hour) from ``first_day``.
    first_day
        Epoch day of the first calendar day covered; no window starts earlier.

    Returns
    -------
    CasePlan
        Buckets whose counts add up to exactly ``options.cases``.
    """
    rng = np.random.default_rng([options.seed, 2])
    n_total, today = options.cases, world.today_day
    ents = world.entitlements
    e = {
        c: ents[c].to_numpy()
        for c in ents.columns
        if ents[c].dtype.is_numeric() or ents[c].dtype == pl.Boolean
    }
    e["cap"] = e["cap"].astype(np.float64)
    cum = _cumulative(weights)
    a, b = e["start_day"], np.minimum(e["end_day"], today)
    has_window = a <= b
    elapsed = np.where(has_window, (b - a + 1) / (e["end_day"] - e["start_day"] + 1), 0.0)
    a_off, b_off = np.where(has_window, a - first_day, 0), np.where(has_window, b - first_day, 0)
    mass = np.where(has_window, cum[e["zone"], b_off + 1] - cum[e["zone"], a_off], 0.0)

    # 1. capped entitlements: current terms on purpose, history thinned to the budget
    counts = _capped_counts(rng, e, has_window, elapsed, budget=np.floor(_SHARE_CAPPED * n_total))
    warranty = e["is_warranty"] & has_window
    counts[warranty] = _thin(rng, rng.poisson(0.8 * elapsed[warranty] * 3), _SHARE_SMALL * n_total)
    # 2. lapsed accounts: a few cases after their last term ended
    last = (
        ents.filter(~pl.col("is_warranty")).group_by("account_idx").agg(pl.all().sort_by("start_day").last())
    )
    lapsed = last.filter(pl.col("end_day") < today).sort("account_idx")
    lapsed_counts = _thin(rng, rng.poisson(2.0, lapsed.height), _SHARE_SMALL * n_total)
    # 3. unmatched and out-of-term shares; the rest goes to unlimited (Enterprise) terms by size
    n_unmatched, n_oot = round(_SHARE_UNMATCHED * n_total), round(_SHARE_OUT_OF_TERM * n_total)
    oot_w = np.where((e["prev_idx"] >= 0) & has_window & ~e["is_warranty"], counts + 1.0, 0.0)
    if oot_w.sum() == 0:
        n_unmatched, n_oot = n_unmatched + n_oot, 0
    residual = n_total - counts.sum() - lapsed_counts.sum() - n_unmatched - n_oot
    acc = world.accounts
    unlimited_w = np.where(
        e["is_enterprise"] & has_window, mass * acc["size"].to_numpy()[e["account_idx"]], 0.0
    )
    if unlimited_w.sum() == 0:
        n_unmatched, residual = n_unmatched + residual, 0
    counts += _spread(rng, residual, unlimited_w)
    unmatched = _spread(rng, n_unmatched, np.where(has_window & ~e["is_warranty"], counts + 1.0, 0.0))
    oot = _spread(rng, n_oot, oot_w)

    # 4. buckets: split by month, ordered by month so that case ids ascend with time
    process = np.where(e["process_idx"] >= 0, e["process_idx"], e["bh_idx"])
    columns = {"a_day": a, "b_day": b, "zone": e["zone"], "account": e["account_idx"], "process": process}
    lapsed_columns = {
        "a_day": lapsed["end_day"].to_numpy() + 1,
        "b_day": np.full(lapsed.height, today),
        "zone": lapsed["zone"].to_numpy(),
        "account": lapsed["account_idx"].to_numpy(),
        "process": lapsed["process_idx"].to_numpy(),
        "named": np.full(lapsed.height, -1),
    }
    parts = [
        _pre_buckets(counts, {**columns, "named": np.arange(len(a))}, kind=0),
        _pre_buckets(unmatched, {**columns, "named": np.full(len(a), -1)}, kind=1),
        _pre_buckets(oot, {**columns, "named": e["prev_idx"]}, kind=2),
        _pre_buckets(lapsed_counts, lapsed_columns, kind=3),
    ]
    flat = {k: np.concatenate([p[k] for p in parts]).astype(np.int64) for k in parts[0]}
    buckets = _split_by_month(rng, flat, cum, first_day)
    order = np.lexsort((buckets["named"], buckets["kind"], buckets["account"], buckets["month"]))
    buckets = {k: v[order] for k, v in buckets.items()}

    return CasePlan(
        total=n_total,
        today_day=today,
        first_day=first_day,
        ends=np.cumsum(buckets["count"]),
        a_day=buckets["a_day"],
        b_day=buckets["b_day"],
        zone=buckets["zone"],
        account=buckets["account"],
        named=buckets["named"],
        process=buckets["process"],
        kind=buckets["kind"],
        ent_is_hours=e["usage"] == 1,
        ent_sc=e["sc_idx"].astype(np.int64),
        ent_asset=np.where(e["is_warranty"], e["asset_start"], -1).astype(np.int64),
        contact_start=acc["contact_start"].to_numpy(),
        contact_n=acc["contact_n"].to_numpy(),
        asset_start=acc["asset_start"].to_numpy(),
        asset_n=acc["asset_n"].to_numpy(),
        cum_weights=cum,
        utc_offsets=offsets,
        crm_remaining=_crm_remaining(rng, e, counts),
    )
