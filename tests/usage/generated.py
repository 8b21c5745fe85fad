"""A seeded synthetic data set for invariant tests (independent of the demo module).

A few hundred accounts with two yearly terms each (the second renewing the
first), mixed usage types, time zones on both sides of UTC, consume-on-closed
entitlements, deleted, unmatched and out-of-term cases, time entries and
Salesforce remaining-cases counters.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from entitlement_core.staging import Tables

ZONES = ["Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Sydney"]
PLANS = pl.DataFrame(
    {
        "plan": ["Standard", "Pro", "Enterprise", "Bank 100", "Bank 500", "Warranty"],
        "usage_type": ["cases", "cases", "cases", "hours", "hours", "none"],
        "cap": [10.0, 50.0, None, 100.0, 500.0, None],
        "annual_price": [5000.0, 20000.0, 60000.0, 15000.0, 60000.0, 0.0],
        "overage_rate": [150.0, 120.0, None, 140.0, 120.0, None],
        "near_limit_pct": [None, 0.9, None, None, None, None],
    }
)
_US_PER_DAY = 86_400_000_000


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def generate(n_accounts: int = 150, n_cases: int = 20_000, seed: int = 42) -> Tables:
    """The data set as :class:`Tables` (2 entitlements per account, 2025 and 2026 terms)."""
    rng = np.random.default_rng(seed)
    accounts = pl.DataFrame(
        {
            "account_id": _ids("A", n_accounts),
            "name": _ids("Account ", n_accounts),
            "tier": rng.choice(["Standard", "Pro", "Enterprise"], n_accounts).tolist(),
            "region": rng.choice(["EMEA", "AMER", "APAC"], n_accounts).tolist(),
            "owner": rng.choice(["ana", "ben", "chloe"], n_accounts).tolist(),
        }
    )
    business_hours = pl.DataFrame(
        {"business_hours_id": [f"BH{i}" for i in range(len(ZONES))], "name": ZONES, "timezone": ZONES}
    )
    n_ent = 2 * n_accounts
    plan_idx = np.tile(rng.choice(PLANS.height, n_accounts, p=[0.35, 0.25, 0.1, 0.1, 0.1, 0.1]), 2)
    acc = np.tile(np.arange(n_accounts), 2)
    year = np.repeat([2025, 2026], n_accounts)
    ent_ids = _ids("E", n_ent)
    bh = rng.integers(-1, len(ZONES), n_ent)
    caps = PLANS["cap"].to_list()
    # A few entitlements with their own cap (not the plan's), some zero.
    own_cap = [caps[p] for p in plan_idx]
    for i in rng.choice(n_ent, n_ent // 20, replace=False):
        own_cap[i] = float(rng.integers(0, 30))
    usage = [PLANS["usage_type"][int(p)] for p in plan_idx]
    entitlements = pl.DataFrame(
        {
            "entitlement_id": ent_ids,
            "account_id": [accounts["account_id"][int(a)] for a in acc],
            "usage_type": usage,
            "start_date": [dt.date(int(y), 1, 1) for y in year],
            "end_date": [dt.date(int(y), 12, 31) for y in year],
            "cap": pl.Series(own_cap, dtype=pl.Float64),
            "plan": [PLANS["plan"][int(p)] for p in plan_idx],
            "consume_on": rng.choice(["created", "closed"], n_ent, p=[0.8, 0.2]).tolist(),
            "overflow": rng.choice(["allow", "warn", "block"], n_ent).tolist(),
            "business_hours_id": [None if b < 0 else f"BH{b}" for b in bh],
            "renewal_of": [None] * n_accounts + ent_ids[:n_accounts],
            "crm_remaining_cases": [
                None if rng.random() < 0.7 or c is None else float(rng.integers(-5, 20)) for c in own_cap
            ],
        }
    )
    # Cases over 2025-2026 (a margin either side makes out-of-term cases), mostly on the current term.
    case_acc = rng.integers(0, n_accounts, n_cases)
    t0 = int(dt.datetime(2024, 12, 15, tzinfo=dt.UTC).timestamp() * 1e6)
    t1 = int(dt.datetime(2027, 1, 15, tzinfo=dt.UTC).timestamp() * 1e6)
    created = rng.integers(t0, t1, n_cases)
    # Land a share of cases within minutes of UTC midnights, where zones disagree on the day.
    near_midnight = rng.random(n_cases) < 0.2
    created = np.where(
        near_midnight,
        (created // _US_PER_DAY) * _US_PER_DAY + rng.integers(-3, 3, n_cases) * 3_600_000_000,
        created,
    )
    in_2026 = created >= int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp() * 1e6)
    ent_of_case = np.where(in_2026, case_acc + n_accounts, case_acc)
    unmatched = rng.random(n_cases) < 0.05
    closed = created + rng.integers(3_600_000_000, 20 * _US_PER_DAY, n_cases)
    is_open = rng.random(n_cases) < 0.1
    cases = (
        pl.DataFrame(
            {
                "case_id": _ids("C", n_cases),
                "account_id": [accounts["account_id"][int(a)] for a in case_acc],
                "entitlement_id": pl.Series(
                    [None if u else ent_ids[int(e)] for u, e in zip(unmatched, ent_of_case, strict=True)],
                    dtype=pl.String,
                ),
                "created_at": pl.Series(created).cast(pl.Datetime("us", "UTC")),
                "closed_at": pl.Series(np.where(is_open, 0, closed)).cast(pl.Datetime("us", "UTC")),
                "is_open": is_open,
                "is_deleted": rng.random(n_cases) < 0.03,
            }
        )
        .with_columns(pl.when(~pl.col("is_open")).then(pl.col("closed_at")).alias("closed_at"))
        .drop("is_open")
    )
    hours_cases = np.flatnonzero(np.array([usage[int(e)] == "hours" for e in ent_of_case]) & ~unmatched)
    per = rng.integers(1, 4, hours_cases.size)
    te_case = np.repeat(hours_cases, per)
    te_day = created[te_case] // _US_PER_DAY + rng.integers(-2, 10, te_case.size)
    time_entries = pl.DataFrame(
        {
            "time_entry_id": _ids("T", te_case.size),
            "case_id": cases["case_id"].gather(te_case),
            "entry_date": pl.Series(te_day.astype("datetime64[D]")),
            "minutes": rng.integers(5, 600, te_case.size).astype(float),
        }
    )
    return Tables.from_frames(
        accounts=accounts,
        plans=PLANS,
        business_hours=business_hours,
        entitlements=entitlements,
        cases=cases,
        time_entries=time_entries,
    ).collect_all()
