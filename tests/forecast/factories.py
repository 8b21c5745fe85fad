"""Small forecasting worlds: entitlements, daily consumption and plans as frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from entitlement_core.forecast import ForecastInputs

UTC = dt.UTC


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def end_of(text: str) -> dt.datetime:
    """The last moment of a UTC day: the as-of moment of "as of that day"."""
    return dt.datetime.combine(day(text), dt.time.max, tzinfo=UTC)


def ent(
    entitlement_id: str,
    *,
    start: str = "2026-01-01",
    end: str = "2026-12-31",
    cap: float | None = 10.0,
    plan: str | None = "Standard",
    usage_type: str = "cases",
    account_id: str = "A1",
    **more: Any,
) -> dict[str, Any]:
    return {
        "entitlement_id": entitlement_id,
        "account_id": account_id,
        "usage_type": usage_type,
        "plan": plan,
        "cap": cap,
        "start_date": day(start),
        "end_date": day(end),
        "timezone": "UTC",
        **more,
    }


def steady(entitlement_id: str, first: str, last: str, per_day: float, *, seed: int = 0) -> list[dict]:
    """Poisson consumption at ``per_day`` on every day from ``first`` to ``last`` (seeded)."""
    days = pl.date_range(day(first), day(last), eager=True)
    counts = np.random.default_rng(seed).poisson(per_day, days.len()).astype(float)
    return [
        {"entitlement_id": entitlement_id, "consumed_date": d, "quantity": c, "quantity_sq": c}
        for d, c in zip(days.to_list(), counts.tolist(), strict=True)
        if c > 0
    ]


def every_nth(entitlement_id: str, first: str, last: str, step: int, quantity: float = 1.0) -> list[dict]:
    """``quantity`` on every ``step``-th day from ``first`` to ``last`` (deterministic)."""
    days = pl.date_range(day(first), day(last), interval=f"{step}d", eager=True)
    return [
        {
            "entitlement_id": entitlement_id,
            "consumed_date": d,
            "quantity": quantity,
            "quantity_sq": quantity**2,
        }
        for d in days.to_list()
    ]


PLANS = [
    {"plan": "Standard", "usage_type": "cases", "cap": 10.0, "annual_price": 4800.0},
    {"plan": "Pro", "usage_type": "cases", "cap": 50.0, "annual_price": 18000.0},
    {"plan": "Enterprise", "usage_type": "cases", "cap": None, "annual_price": 60000.0},
    {"plan": "Hours 20", "usage_type": "hours", "cap": 20.0, "annual_price": 3600.0},
    {"plan": "Hours 100", "usage_type": "hours", "cap": 100.0, "annual_price": 15000.0},
]


def inputs(
    entitlements: Iterable[dict], daily: Iterable[dict] = (), plans: Iterable[dict] | None = None
) -> ForecastInputs:
    daily = list(daily)
    schema = {"entitlement_id": pl.String, "consumed_date": pl.Date, "quantity": pl.Float64,
              "quantity_sq": pl.Float64}  # fmt: skip
    return ForecastInputs.from_frames(
        daily=pl.DataFrame(daily, schema=schema),
        entitlements=pl.DataFrame(list(entitlements)),
        plans=pl.DataFrame(PLANS if plans is None else list(plans)),
    )


def cohort(n: int, per_day: float, *, plan: str = "Standard", prefix: str = "C", **more: Any) -> tuple:
    """``n`` completed 2025 terms of a plan (accounts of their own), each at ``per_day``."""
    ents = [ent(f"{prefix}{k}", start="2025-01-01", end="2025-12-31", plan=plan, account_id=f"{prefix}A{k}",
                **more) for k in range(n)]  # fmt: skip
    daily = [
        row for k in range(n) for row in steady(f"{prefix}{k}", "2025-01-01", "2025-12-31", per_day, seed=k)
    ]
    return ents, daily
