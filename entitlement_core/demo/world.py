"""The demo world: accounts, contacts, assets, plans, contracts and entitlements.

Everything here is small (one row per account, contact, asset or term), so
it is built whole; loops run over a handful of plans or calendars, never
over rows. Beside the native tables, :class:`World` keeps integer-keyed
facts (epoch day numbers, zone and process indices) that the case planner
and generator index with NumPy. Accounts: hundreds (one per 250 cases,
40,000 at most) over five tiers in fixed shares, four regions, a dozen
account managers, company names from word lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..staging import conform
from . import names
from .catalog import REGION_P, REGIONS, TIER_SHARE, TIERS, entity_ids, plans_frame
from .options import DemoOptions
from .terms import contracts, entitlement_facts, entitlements_table, warranties, yearly_terms

__all__ = ["World", "build_world", "n_accounts"]


def n_accounts(cases: int) -> int:
    """Accounts of a demo of ``cases`` cases: 200 at least, one per 250 cases, 40,000 at most."""
    return int(min(40_000, max(200, cases // 250)))


@dataclass(frozen=True)
class World:
    """The demo's small tables plus integer-keyed facts for case generation.

    ``accounts`` has one row per account (``account_idx`` = row), with
    ``tier_idx``, ``region_idx``, ``size``, ``contact_start``/``contact_n``
    and ``asset_start``/``asset_n`` (row ranges of contacts and assets).
    ``entitlements`` has one row per entitlement (``ent_idx`` = row) with
    epoch-day ``start_day``/``end_day``, ``zone``, ``process_idx`` (-1 none),
    ``usage`` (0 cases, 1 hours, 2 none), ``cap``, ``near_pct``,
    ``is_block``, ``is_closed_consume``, ``prev_idx`` (-1 none), ``sc_idx``
    (-1 none), ``is_warranty``. ``tables`` holds the native tables built so
    far (entitlements without ``crm_remaining_cases``).
    """

    today_day: int
    accounts: pl.DataFrame
    entitlements: pl.DataFrame
    tables: dict[str, pl.DataFrame]


def _accounts(rng: np.random.Generator, n: int) -> pl.DataFrame:
    counts = np.floor(np.array(TIER_SHARE) * n).astype(np.int64)
    counts[0] += n - counts.sum()
    tier = rng.permutation(np.repeat(np.arange(len(TIERS)), counts))
    region = rng.choice(len(REGIONS), size=n, p=REGION_P)
    owner_lists = [names.OWNERS[r] for r in REGIONS]
    owner_n = np.array([len(o) for o in owner_lists])
    owner_start = np.concatenate([[0], np.cumsum(owner_n)[:-1]])
    owner = owner_start[region] + np.floor(rng.random(n) * owner_n[region]).astype(np.int64)
    wa, wb, wc = names.COMPANY_WORDS_A, names.COMPANY_WORDS_B, names.COMPANY_WORDS_C
    pick = rng.choice(len(wa) * len(wb) * len(wc), size=n, replace=False)
    suffix_lists = [names.LEGAL_SUFFIX[r] for r in REGIONS]
    suffix_n = np.array([len(s) for s in suffix_lists])
    suffix_start = np.concatenate([[0], np.cumsum(suffix_n)[:-1]])
    suffix = suffix_start[region] + np.floor(rng.random(n) * suffix_n[region]).astype(np.int64)
    size = rng.lognormal(0.0, 0.6, n)
    n_contacts = rng.integers(2, 6, n) + 2 * (tier == 2)
    n_assets = rng.integers(1, 5, n)
    frame = pl.DataFrame(
        {
            "account_idx": np.arange(n),
            "tier_idx": tier,
            "region_idx": region,
            "size": size,
            "contact_n": n_contacts,
            "contact_start": np.cumsum(n_contacts) - n_contacts,
            "asset_n": n_assets,
            "asset_start": np.cumsum(n_assets) - n_assets,
            "is_lapsed": rng.random(n) < 0.04,
            "is_upgraded": rng.random(n) < 0.3,
            "is_closed_consume": rng.random(n) < 0.15,
            "overflow_idx": rng.choice(3, size=n, p=(0.3, 0.55, 0.15)),
            "has_contact_eligibility": rng.random(n) < 0.1,
            "has_warranty": rng.random(n) < 0.15,
        }
    )
    word = pl.Series(wa).gather(pick // (len(wb) * len(wc)))
    word2 = pl.Series([w.lower() for w in wb]).gather(pick // len(wc) % len(wb))
    stem = word + word2
    return frame.with_columns(
        stem=stem,
        name=pl.concat_str(
            [stem, pl.Series(wc).gather(pick % len(wc)), pl.Series(sum(suffix_lists, ())).gather(suffix)],
            separator=" ",
        ),
        owner=pl.Series(sum(owner_lists, ())).gather(owner),
    )


def _contacts(rng: np.random.Generator, acc: pl.DataFrame) -> pl.DataFrame:
    account = np.repeat(acc["account_idx"].to_numpy(), acc["contact_n"].to_numpy())
    n = len(account)
    first = pl.Series(names.FIRST_NAMES).gather(rng.integers(0, len(names.FIRST_NAMES), n))
    last = pl.Series(names.LAST_NAMES).gather(rng.integers(0, len(names.LAST_NAMES), n))
    tld = pl.Series([".com", ".eu", ".com.au", ".com.br"]).gather(acc["region_idx"].to_numpy()[account])
    domain = acc["stem"].gather(account).str.to_lowercase() + tld
    frame = pl.DataFrame({"i": np.arange(n), "a": account, "first": first, "last": last, "domain": domain})
    return frame.select(
        entity_ids("CN", pl.col("i")).alias("contact_id"),
        entity_ids("A", pl.col("a")).alias("account_id"),
        pl.concat_str(["first", "last"], separator=" ").alias("name"),
        pl.concat_str(
            [
                pl.col("first").str.to_lowercase(),
                pl.lit("."),
                pl.col("last").str.to_lowercase(),
                pl.lit("@"),
                pl.col("domain"),
            ]
        ).alias("email"),
    )


def _assets(rng: np.random.Generator, acc: pl.DataFrame) -> pl.DataFrame:
    account = np.repeat(acc["account_idx"].to_numpy(), acc["asset_n"].to_numpy())
    weights = np.array([0.22, 0.16, 0.15, 0.12, 0.11, 0.1, 0.08, 0.06])
    product = rng.choice(len(names.PRODUCTS), size=len(account), p=weights / weights.sum())
    return pl.DataFrame({"i": np.arange(len(account)), "a": account}).select(
        entity_ids("AS", pl.col("i")).alias("asset_id"),
        entity_ids("A", pl.col("a")).alias("account_id"),
        pl.Series("product", names.PRODUCTS).gather(product),
    )


def build_world(options: DemoOptions) -> World:
    """Accounts, contacts, assets, plans, contracts and entitlements of a demo.

    Parameters
    ----------
    options
        Size, seed and the demo's ``today``; the same options give the same world.

    Returns
    -------
    World
        Native tables plus integer-keyed facts for case planning.
    """
    rng = np.random.default_rng([options.seed, 1])
    acc = _accounts(rng, n_accounts(options.cases))
    terms = pl.concat(
        [yearly_terms(rng, acc, options.today), warranties(rng, acc, options.today)], how="diagonal_relaxed"
    )
    facts = entitlement_facts(terms, acc, options.today)
    links = contracts(rng, facts, acc)
    accounts_table = acc.select(
        entity_ids("A", pl.col("account_idx")).alias("account_id"),
        "name",
        pl.col("tier_idx").replace_strict(dict(enumerate(TIERS)), return_dtype=pl.String).alias("tier"),
        pl.col("region_idx").replace_strict(dict(enumerate(REGIONS)), return_dtype=pl.String).alias("region"),
        "owner",
    )
    tables = {
        "accounts": conform("accounts", accounts_table).collect(),
        "contacts": conform("contacts", _contacts(rng, acc)).collect(),
        "assets": conform("assets", _assets(rng, acc)).collect(),
        "service_contracts": conform("service_contracts", links["service_contracts"]).collect(),
        "contract_line_items": conform("contract_line_items", links["contract_line_items"]).collect(),
        "plans": plans_frame(),
        "entitlements": entitlements_table(facts, links["_line_of_ent"]),
    }
    today_day = (options.today - dt.date(1970, 1, 1)).days
    return World(today_day=today_day, accounts=acc, entitlements=facts, tables=tables)
