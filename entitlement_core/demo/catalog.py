"""The demo's catalogue: regions, tiers, plans and the id scheme.

Ids are zero-padded and follow row order: accounts ``A00042``,
entitlements ``E000123`` (by account, then term start), contacts
``CN0000001``, assets ``AS0000001``, service contracts ``SC00001``, line
items ``LI000001``, cases ``C00000001``, time entries ``T000000001``,
grants ``G0000001``, usage events ``UE000000001``.
"""

from __future__ import annotations

import polars as pl

from ..staging import conform

__all__ = [
    "OVERFLOW",
    "PLANS",
    "PLAN_NAMES",
    "REGIONS",
    "REGION_P",
    "TIERS",
    "TIER_SHARE",
    "USAGE_CODE",
    "entity_ids",
    "plans_frame",
]

REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC", "LATAM")
REGION_P = (0.45, 0.30, 0.15, 0.10)

_Opt = float | None
#: plan -> (usage_type, cap, annual_price, overage_rate, rollover_pct, rollover_max,
#: near_limit_pct, near_limit_remaining). Hour banks roll a quarter of the unused hours over, capped.
PLANS: dict[str, tuple[str, _Opt, float, _Opt, _Opt, _Opt, _Opt, _Opt]] = {
    "Standard": ("cases", 10.0, 4_800.0, 250.0, None, None, None, None),
    "Pro": ("cases", 50.0, 18_000.0, 200.0, None, None, 0.9, None),
    "Enterprise": ("cases", None, 60_000.0, None, None, None, None, None),
    "Hours 20": ("hours", 20.0, 3_600.0, 190.0, 0.25, 5.0, None, None),
    "Hours 100": ("hours", 100.0, 15_000.0, 160.0, 0.25, 20.0, None, 10.0),
    "Warranty": ("none", None, 0.0, None, None, None, None, None),
}
PLAN_NAMES = tuple(PLANS)
#: Account tiers (the first five plans) and their share of accounts.
TIERS: tuple[str, ...] = PLAN_NAMES[:5]
TIER_SHARE = (0.38, 0.28, 0.10, 0.14, 0.10)
USAGE_CODE = {"cases": 0, "hours": 1, "none": 2}
OVERFLOW = ("allow", "warn", "block")
#: Digits of each id; sizes stay below 10**width (cases: DemoOptions caps them).
_ID_WIDTH = {"A": 5, "E": 6, "CN": 7, "AS": 7, "SC": 5, "LI": 6, "C": 8, "T": 9, "G": 7, "UE": 9}


def entity_ids(prefix: str, index: pl.Expr) -> pl.Expr:
    """Zero-padded ids from 0-based row indices: ``entity_ids("A", 41) -> "A00042"``."""
    width = _ID_WIDTH[prefix]
    # 10**width + n prints as "1" and n zero-padded to width digits (twice as fast as zfill)
    digits = (index + 1 + 10**width).cast(pl.String).str.slice(1)
    return pl.concat_str([pl.lit(prefix), digits])


def plans_frame() -> pl.DataFrame:
    """The ``plans`` table: one row per plan of :data:`PLANS`."""
    cols = (
        "usage_type",
        "cap",
        "annual_price",
        "overage_rate",
        "rollover_pct",
        "rollover_max",
        "near_limit_pct",
        "near_limit_remaining",
    )
    data: dict[str, list[object]] = {"plan": list(PLANS)}
    for i, c in enumerate(cols):
        data[c] = [v[i] for v in PLANS.values()]
    return conform("plans", data).collect()
