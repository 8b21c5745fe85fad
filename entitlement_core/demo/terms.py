"""Entitlements of the demo world: yearly support terms, warranties and contracts.

Each account has 0-2 past yearly terms, the current one (active on
``today``) and, when it ends within 45 days, sometimes an early renewal that
has not started yet; a few accounts let their last term lapse. Each term
after the first is a renewal of the one before (``renewal_of``), starting
the day after it ends. Some accounts upgraded at a renewal (Standard to Pro,
Pro to Enterprise, Hours 20 to Hours 100).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ..staging import conform
from .calendars import BUSINESS_HOURS, PROCESSES
from .catalog import OVERFLOW, PLAN_NAMES, PLANS, USAGE_CODE, entity_ids

__all__ = ["contracts", "entitlement_facts", "entitlements_table", "warranties", "yearly_terms"]

#: The plan an upgraded account had in its first term, by tier index.
_UPGRADED_FROM = {1: 0, 2: 1, 4: 3}
_PROCESS_IDS = tuple(PROCESSES)
_BH_IDS = tuple(BUSINESS_HOURS)


def _epoch_day(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Int64)


def _not_feb_29(day: pl.Expr) -> pl.Expr:
    """Shift 29 February to 1 March, so that yearly terms keep their anniversary."""
    leap = (day.dt.month() == 2) & (day.dt.day() == 29)
    return pl.when(leap).then(day + pl.duration(days=1)).otherwise(day)


def yearly_terms(rng: np.random.Generator, acc: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Yearly support terms per account: 0-2 past terms, the current one, sometimes an early renewal."""
    n = acc.height
    into_term = rng.integers(0, 365, n)
    lapse_gap = rng.integers(1, 120, n)
    n_hist = rng.choice(3, size=n, p=(0.1, 0.45, 0.45))
    renews_early = rng.random(n) < 0.35
    today_lit = pl.lit(today)
    frame = acc.select("account_idx", "tier_idx", "region_idx", "is_lapsed", "is_upgraded").with_columns(
        into_term=into_term, lapse_gap=lapse_gap, n_hist=n_hist, renews_early=renews_early
    )
    current = (
        pl.when(pl.col("is_lapsed"))
        .then(today_lit.dt.offset_by("-1y") - pl.duration(days=pl.col("lapse_gap")))
        .otherwise(today_lit - pl.duration(days=pl.col("into_term")))
    )
    frame = frame.with_columns(current_start=_not_feb_29(current))
    current_end = pl.col("current_start").dt.offset_by("1y") - pl.duration(days=1)
    early = ~pl.col("is_lapsed") & pl.col("renews_early") & ((current_end - today_lit).dt.total_days() <= 45)
    frame = frame.with_columns(j=pl.int_ranges(-pl.col("n_hist"), early.cast(pl.Int64) + 1)).explode("j")
    upgraded = pl.col("is_upgraded") & (pl.col("j") == -pl.col("n_hist")) & (pl.col("n_hist") > 0)
    lower = pl.col("tier_idx").replace_strict(_UPGRADED_FROM, default=pl.col("tier_idx"))
    return frame.with_columns(
        start_date=pl.col("current_start").dt.offset_by(pl.format("{}y", pl.col("j"))),
        end_date=pl.col("current_start").dt.offset_by(pl.format("{}y", pl.col("j") + 1))
        - pl.duration(days=1),
        plan_idx=pl.when(upgraded).then(lower).otherwise(pl.col("tier_idx")),
        is_first=pl.col("j") == -pl.col("n_hist"),
        is_warranty=pl.lit(False),
    ).drop("current_start", "into_term", "lapse_gap", "renews_early", "n_hist")


def warranties(rng: np.random.Generator, acc: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Three-year hardware warranties on an account's first asset (usage type ``none``)."""
    chosen = acc.filter(pl.col("has_warranty")).select("account_idx", "tier_idx", "region_idx")
    age = rng.integers(0, 1000, chosen.height)
    start = _not_feb_29(pl.lit(today) - pl.duration(days=pl.Series(age)))
    return chosen.with_columns(
        start_date=start,
        plan_idx=pl.lit(PLAN_NAMES.index("Warranty"), dtype=pl.Int64),
        is_first=pl.lit(True),
        is_warranty=pl.lit(True),
        j=pl.lit(0, dtype=pl.Int64),
    ).with_columns(end_date=pl.col("start_date").dt.offset_by("3y") - pl.duration(days=1))


def entitlement_facts(terms: pl.DataFrame, acc: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    usage = pl.Series([USAGE_CODE[v[0]] for v in PLANS.values()])
    caps = pl.Series([v[1] for v in PLANS.values()], dtype=pl.Float64)
    near = pl.Series([v[6] if v[6] is not None else 0.8 for v in PLANS.values()])
    enterprise = PLAN_NAMES.index("Enterprise")
    facts = (
        terms.sort("account_idx", "is_warranty", "start_date")
        .with_row_index("ent_idx")
        .with_columns(pl.col("ent_idx").cast(pl.Int64))
        .join(
            acc.select(
                "account_idx",
                "is_closed_consume",
                "overflow_idx",
                "has_contact_eligibility",
                "contact_start",
                "asset_start",
            ),
            on="account_idx",
            how="left",
            maintain_order="left",
        )
    )
    # NA and LATAM are served from the Americas process, EMEA and APAC from EMEA; Enterprise is Premier.
    regional = pl.when(pl.col("region_idx").is_in([0, 3])).then(0).otherwise(1)
    process = pl.when(pl.col("plan_idx") == enterprise).then(2).otherwise(regional)
    u = pl.col("plan_idx").replace_strict(dict(enumerate(usage)), return_dtype=pl.Int64)
    is_term = ~pl.col("is_warranty")
    today_lit = pl.lit(today)
    return facts.with_columns(
        start_day=_epoch_day("start_date"),
        end_day=_epoch_day("end_date"),
        usage=u,
        cap=pl.col("plan_idx").replace_strict(dict(enumerate(caps)), return_dtype=pl.Float64),
        near_pct=pl.col("plan_idx").replace_strict(dict(enumerate(near)), return_dtype=pl.Float64),
        process_idx=pl.when(is_term).then(process).otherwise(-1).cast(pl.Int64),
        bh_idx=pl.when(is_term).then(process).otherwise(regional).cast(pl.Int64),
        is_block=(pl.col("overflow_idx") == 2) & is_term,
        is_closed_consume=pl.col("is_closed_consume") & (u == 0),
        prev_idx=pl.when(is_term & ~pl.col("is_first"))
        .then(pl.col("ent_idx").shift(1).over("account_idx"))
        .otherwise(-1)
        .cast(pl.Int64),
        is_current=(pl.col("start_date") <= today_lit) & (pl.col("end_date") >= today_lit),
        is_enterprise=pl.col("plan_idx") == enterprise,
    ).with_columns(
        zone=pl.col("bh_idx").replace_strict(
            {i: BUSINESS_HOURS[b][1] for i, b in enumerate(_BH_IDS)}, return_dtype=pl.Int64
        ),
        sc_idx=pl.when(pl.col("is_enterprise")).then(pl.col("is_enterprise").cum_sum() - 1).otherwise(-1),
    )


def contracts(rng: np.random.Generator, facts: pl.DataFrame, acc: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """One service contract per Enterprise term; line items per asset for the current ones."""
    sc = facts.filter(pl.col("sc_idx") >= 0)
    contracts = sc.select(
        entity_ids("SC", pl.col("sc_idx")).alias("service_contract_id"),
        entity_ids("A", pl.col("account_idx")).alias("account_id"),
        pl.format("Enterprise Agreement {}", pl.col("start_date").dt.year()).alias("name"),
        "start_date",
        "end_date",
    )
    current = sc.filter(pl.col("is_current")).join(
        acc.select("account_idx", "asset_start", "asset_n"), on="account_idx", how="left", suffix="_acc"
    )
    items = (
        current.with_columns(k=pl.int_ranges(0, pl.col("asset_n")))
        .explode("k")
        .with_row_index("li_idx")
        .with_columns(asset_idx=pl.col("asset_start_acc") + pl.col("k"))
    )
    items = items.with_columns(pl.col("li_idx").cast(pl.Int64))
    line_items = items.select(
        entity_ids("LI", pl.col("li_idx")).alias("line_item_id"),
        entity_ids("SC", pl.col("sc_idx")).alias("service_contract_id"),
        entity_ids("AS", pl.col("asset_idx")).alias("asset_id"),
        "start_date",
        "end_date",
    )
    first_item = items.filter(pl.col("k") == 0).select("ent_idx", "li_idx")
    first_item = first_item.filter(pl.Series(rng.random(first_item.height) < 0.25))
    return {"service_contracts": contracts, "contract_line_items": line_items, "_line_of_ent": first_item}


def entitlements_table(facts: pl.DataFrame, line_of_ent: pl.DataFrame) -> pl.DataFrame:
    plan = pl.col("plan_idx").replace_strict(dict(enumerate(PLAN_NAMES)), return_dtype=pl.String)
    usage = pl.col("usage").replace_strict({v: k for k, v in USAGE_CODE.items()}, return_dtype=pl.String)
    year = pl.col("start_date").dt.year()
    term_name = pl.format("{} Support {}/{}", plan, year, ((year + 1) % 100).cast(pl.String).str.zfill(2))
    asset = entity_ids("AS", pl.col("asset_start"))
    frame = facts.join(line_of_ent, on="ent_idx", how="left", maintain_order="left").select(
        entity_ids("E", pl.col("ent_idx")).alias("entitlement_id"),
        entity_ids("A", pl.col("account_idx")).alias("account_id"),
        usage.alias("usage_type"),
        "start_date",
        "end_date",
        pl.when(pl.col("is_warranty")).then(pl.lit("Hardware Warranty")).otherwise(term_name).alias("name"),
        "cap",
        plan.alias("plan"),
        pl.when(pl.col("is_closed_consume"))
        .then(pl.lit("closed"))
        .otherwise(pl.lit("created"))
        .alias("consume_on"),
        pl.when(pl.col("is_warranty"))
        .then(pl.lit("allow"))
        .otherwise(pl.col("overflow_idx").replace_strict(dict(enumerate(OVERFLOW)), return_dtype=pl.String))
        .alias("overflow"),
        pl.when(pl.col("process_idx") >= 0)
        .then(pl.col("process_idx").replace_strict(dict(enumerate(_PROCESS_IDS)), return_dtype=pl.String))
        .alias("process_id"),
        pl.col("bh_idx")
        .replace_strict(dict(enumerate(_BH_IDS)), return_dtype=pl.String)
        .alias("business_hours_id"),
        pl.when(pl.col("has_contact_eligibility") & ~pl.col("is_warranty"))
        .then(entity_ids("CN", pl.col("contact_start")))
        .alias("contact_id"),
        pl.when(pl.col("is_warranty")).then(asset).alias("asset_id"),
        pl.when(pl.col("sc_idx") >= 0).then(entity_ids("SC", pl.col("sc_idx"))).alias("service_contract_id"),
        pl.when(pl.col("li_idx").is_not_null())
        .then(entity_ids("LI", pl.col("li_idx").cast(pl.Int64)))
        .alias("line_item_id"),
        pl.when(pl.col("prev_idx") >= 0).then(entity_ids("E", pl.col("prev_idx"))).alias("renewal_of"),
    )
    return conform("entitlements", frame).collect()
