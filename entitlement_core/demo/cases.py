"""Cases and time entries of a demo, generated in chunks, fully vectorised.

Case ``i`` draws its randomness from a fixed position of one counter-based
stream (``_DRAWS`` uniforms from position ``i * _DRAWS`` of a PCG64 stream
advanced to it), and its bucket follows from ``i`` alone (see
:mod:`.plan`). So any chunking yields exactly the same cases, and a chunk
needs memory only for itself.

Per case: a local day drawn from the bucket's window by the day weights
(weekly pattern, seasonal swell, holidays), a local time with business-hour
peaks, converted to UTC through the calendar's offset table (DST-correct);
priority, origin, contact, asset; first response and resolution delays
(log-normal around a share of the SLA targets, so most meet them and some
do not); cases still open as of ``today`` have no ``closed_at``. Nothing is
stamped after the end of ``today`` (UTC).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from ..staging import conform
from .calendars import PRIORITIES, target_matrix
from .catalog import entity_ids
from .history import status_history
from .plan import ENTRY_COUNT_P, ENTRY_UNITS_P, CasePlan

__all__ = ["ORIGINS", "case_chunk", "iter_case_chunks"]

ORIGINS: tuple[str, ...] = ("Email", "Web", "Phone", "Chat", "Twitter")
_ORIGIN_P = np.cumsum([0.34, 0.24, 0.20, 0.16, 0.06])
_PRIORITY_P = np.cumsum([0.27, 0.45, 0.20, 0.08])
_OPEN_STATUSES = ("Working", "Waiting on Customer", "Escalated")
_OPEN_P = np.cumsum([0.55, 0.30, 0.15])
_STATUSES = ("Closed", "New", *_OPEN_STATUSES)
#: Wall-clock minutes per business minute over days, per zone (50 h, 44 h and 168 h weeks).
_WALL_FACTOR = np.array([168 / 50, 168 / 44, 1.0])
_FIRST_RESPONSE = target_matrix("First Response")
_RESOLUTION = target_matrix("Resolution")
_DRAWS = 20
_STREAM = 3
_SECONDS_PER_DAY = 86_400


def _uniforms(seed: int, start: int, n: int) -> np.ndarray:
    """Uniforms of cases ``start .. start + n - 1``: row i is case ``start + i``, whatever the chunking."""
    bit_gen = np.random.PCG64(np.random.SeedSequence([seed, _STREAM]))
    bit_gen.advance(start * _DRAWS)
    return np.random.Generator(bit_gen).random((n, _DRAWS))


def _normal(u1: np.ndarray, u2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent standard normals from two uniforms (Box-Muller)."""
    r = np.sqrt(-2.0 * np.log1p(-u1))
    return r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)


def _local_day(plan: CasePlan, bucket: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of a local day inside each bucket's window, by the zone's day weights."""
    cum = plan.cum_weights
    width = cum.shape[1]
    stride = cum[:, -1].max() + 1.0
    flat = (cum + stride * np.arange(cum.shape[0])[:, None]).ravel()
    z = plan.zone[bucket]
    a = plan.a_day[bucket] - plan.first_day
    b = plan.b_day[bucket] - plan.first_day
    lo, hi = cum[z, a], cum[z, b + 1]
    pos = np.searchsorted(flat, lo + u * (hi - lo) + stride * z, side="left")
    return np.clip(pos - z * width - 1, a, b)


def _local_seconds(z: np.ndarray, weekday: np.ndarray, u: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Seconds after local midnight: morning and afternoon peaks, some at any hour."""
    p_any = np.where(z == 2, 0.45, np.where(weekday >= 5, 0.5, 0.12))
    anytime = u < p_any
    v = (u - p_any) / (1 - p_any)
    peak = np.where(v < 0.55, 630 + 100 * normal, 870 + 110 * normal)
    minutes = np.where(anytime, u / p_any * 1440, peak)
    return np.floor(np.clip(minutes, 0, 1439.99) * 60).astype(np.int64)


def case_chunk(
    plan: CasePlan, seed: int, start: int, stop: int, entry_offset: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Cases ``start .. stop - 1`` (0-based), their time entries and status histories.

    Parameters
    ----------
    plan
        The case plan.
    seed
        The demo's seed.
    start, stop
        Case index range.
    entry_offset
        Time entries already generated for earlier cases (their ids continue from it).

    Returns
    -------
    tuple of pl.DataFrame
        ``cases``, ``time_entries`` and ``case_status_history`` rows in the native schema
        (the histories: :mod:`.history`).
    """
    n = stop - start
    u = _uniforms(seed, start, n)
    bucket = np.searchsorted(plan.ends, np.arange(start, stop), side="right")
    z, acc, named, proc = plan.zone[bucket], plan.account[bucket], plan.named[bucket], plan.process[bucket]

    day_off = _local_day(plan, bucket, u[:, 0])
    day = day_off + plan.first_day
    weekday = (day + 3) % 7  # epoch day 0 was a Thursday; Monday = 0
    time_normal, _ = _normal(u[:, 2], u[:, 3])
    local_sec = _local_seconds(z, weekday, u[:, 1], time_normal)
    offset_min = plan.utc_offsets[z, day_off, local_sec // 3600]
    created = day * _SECONDS_PER_DAY + local_sec - offset_min * 60
    cutoff = (plan.today_day + 1) * _SECONDS_PER_DAY - 1
    # Evening cases of "today" west of UTC would land tomorrow: move them earlier the same local day.
    created = np.where(created > cutoff, created - 12 * 3600, created)

    priority = np.searchsorted(_PRIORITY_P, u[:, 4], side="right").clip(0, 3)
    origin = np.searchsorted(_ORIGIN_P, u[:, 5], side="right").clip(0, len(ORIGINS) - 1)
    has_contact = u[:, 6] < 0.92
    contact = plan.contact_start[acc] + np.floor(u[:, 6] / 0.92 * plan.contact_n[acc]).astype(np.int64)
    has_asset = u[:, 7] < 0.6
    asset = plan.asset_start[acc] + np.floor(u[:, 7] / 0.6 * plan.asset_n[acc]).astype(np.int64)
    warranty_asset = np.where(named >= 0, plan.ent_asset[np.maximum(named, 0)], -1)
    asset = np.where(warranty_asset >= 0, warranty_asset, np.where(has_asset, asset, -1))
    contract = np.where(named >= 0, plan.ent_sc[np.maximum(named, 0)], -1)
    is_deleted = u[:, 8] < 0.01

    z1, z2 = _normal(u[:, 9], u[:, 10])
    chat = origin == ORIGINS.index("Chat")
    fr_biz = _FIRST_RESPONSE[proc, priority] * np.exp(np.log(0.35) + 0.85 * z1) * np.where(chat, 0.25, 1.0)
    res_biz = _RESOLUTION[proc, priority] * np.exp(np.log(0.45) + 0.8 * z2)
    factor = _WALL_FACTOR[z]
    # Short delays mostly fall inside one working day; long ones span nights and weekends.
    fr_wall = fr_biz * (1 + (factor - 1) * (1 - np.exp(-fr_biz / 600)))
    res_wall = np.maximum(res_biz * (1 + (factor - 1) * (1 - np.exp(-res_biz / 600))), fr_wall + 5)
    first_response = created + np.round(fr_wall * 60).astype(np.int64)
    closed = created + np.round(res_wall * 60).astype(np.int64)
    has_response = first_response <= cutoff
    is_closed = (closed <= cutoff) & (u[:, 11] >= 0.004)  # a few stay open for ever (backlog)
    open_status = 2 + np.searchsorted(_OPEN_P, u[:, 12], side="right").clip(0, 2)
    status = np.where(is_closed, 0, np.where(has_response, open_status, 1))

    cases = pl.DataFrame(
        {
            "i": np.arange(start, stop, dtype=np.int64),
            "acc": acc,
            "named": named,
            "contact": np.where(has_contact, contact, -1),
            "asset": asset,
            "sc": contract,
            "created": created * 1_000_000,
            "closed": np.where(is_closed, closed, -1) * 1_000_000,
            "fr": np.where(has_response, first_response, -1) * 1_000_000,
            "priority": pl.Series(PRIORITIES).gather(priority),
            "origin": pl.Series(ORIGINS).gather(origin),
            "status": pl.Series(_STATUSES).gather(status),
            "is_deleted": is_deleted,
        }
    )
    utc = pl.Datetime("us", "UTC")
    cases = cases.select(
        entity_ids("C", pl.col("i")).alias("case_id"),
        entity_ids("A", pl.col("acc")).alias("account_id"),
        pl.col("created").cast(utc).alias("created_at"),
        pl.when(pl.col("named") >= 0).then(entity_ids("E", pl.col("named"))).alias("entitlement_id"),
        pl.when(pl.col("contact") >= 0).then(entity_ids("CN", pl.col("contact"))).alias("contact_id"),
        pl.when(pl.col("asset") >= 0).then(entity_ids("AS", pl.col("asset"))).alias("asset_id"),
        pl.when(pl.col("sc") >= 0).then(entity_ids("SC", pl.col("sc"))).alias("service_contract_id"),
        pl.when(pl.col("closed") >= 0).then(pl.col("closed").cast(utc)).alias("closed_at"),
        pl.when(pl.col("fr") >= 0).then(pl.col("fr").cast(utc)).alias("first_response_at"),
        "priority",
        "origin",
        "status",
        "is_deleted",
    )

    # Time entries: cases naming an hour bank log 1-3 entries of 15-240 minutes.
    is_hours = (named >= 0) & plan.ent_is_hours[np.maximum(named, 0)]
    n_entries = np.where(is_hours, 1 + np.searchsorted(np.cumsum(ENTRY_COUNT_P), u[:, 13], side="right"), 0)
    rows, k = np.nonzero(np.arange(3)[None, :] < np.minimum(n_entries, 3)[:, None])
    units = 1 + np.searchsorted(np.cumsum(ENTRY_UNITS_P), u[rows, 14 + k], side="right").clip(0, 15)
    work_end = np.where(is_closed, closed, cutoff)[rows]
    span_days = np.maximum(work_end - created[rows], 0) // _SECONDS_PER_DAY
    entry_day = np.minimum(
        day[rows] + np.floor(u[rows, 17 + k] * (span_days + 1)).astype(np.int64), plan.today_day
    )
    entries = pl.DataFrame(
        {
            "i": entry_offset + np.arange(len(rows), dtype=np.int64),
            "case": rows + start,
            "day": entry_day.astype(np.int32),
            "minutes": (15 * units).astype(np.float64),
        }
    ).select(
        entity_ids("T", pl.col("i")).alias("time_entry_id"),
        entity_ids("C", pl.col("case")).alias("case_id"),
        pl.col("day").cast(pl.Date).alias("entry_date"),
        "minutes",
    )
    history = status_history(
        seed,
        start,
        np.where(has_response, first_response, -1),
        np.where(is_closed, closed, -1),
        pl.Series(_STATUSES).gather(status),
        cutoff,
    )
    return conform("cases", cases).collect(), conform("time_entries", entries).collect(), history


def iter_case_chunks(
    plan: CasePlan, seed: int, chunk_size: int
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]:
    """Yield ``(cases, time_entries, case_status_history)`` frames, ``chunk_size`` cases a chunk."""
    entry_offset = 0
    for start in range(0, plan.total, chunk_size):
        chunk = case_chunk(plan, seed, start, min(plan.total, start + chunk_size), entry_offset)
        entry_offset += chunk[1].height
        yield chunk
