"""The overview's figures and their change against the same figures 30 days earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from .marts import ACTIVE_STATUSES, NO_FILTERS, Filters

__all__ = ["Kpi", "kpi_tiles", "kpi_values", "month_start"]

# -- overview KPIs ---------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One overview tile: value now, the same figure 30 days earlier, and how to read the change."""

    key: str
    label: str
    value: float | None
    previous: float | None
    help: str
    is_ratio: bool = False
    #: "inverse": a rise is bad (shown red), "normal": a rise is good.
    delta_color: str = "inverse"

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:.1%}" if self.is_ratio else f"{self.value:,.0f}"

    @property
    def delta(self) -> str | None:
        if self.value is None or self.previous is None:
            return None
        change = self.value - self.previous
        if self.is_ratio:
            return f"{change * 100:+.1f} pts"
        return f"{change:+,.0f}"


def month_start(as_of: dt.datetime) -> dt.datetime:
    """The first moment of the as-of moment's calendar month: the SLA figure counts from there."""
    return as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def kpi_values(
    *,
    util: pl.DataFrame,
    unmatched: pl.DataFrame | None,
    milestones: pl.DataFrame | None,
    renewals: pl.DataFrame | None,
    as_of: dt.datetime,
    filters: Filters = NO_FILTERS,
) -> dict[str, float | None]:
    """The six overview figures as of a moment, on filtered marts.

    ``sla_compliance`` is met / (met + violated) of milestones started in
    the as-of moment's calendar month (UTC) up to the as-of moment; null
    when none is decided. Marts given as None count as unknown (null).
    """
    u = filters.apply(util)
    status = u["status"]
    values: dict[str, float | None] = {
        "active": float(status.is_in(ACTIVE_STATUSES).sum()),
        "near_limit": float((status == "near_limit").sum()),
        "exhausted": float(status.is_in(["exhausted", "over_cap"]).sum()),
        "unmatched": None if unmatched is None else float(filters.apply(unmatched).height),
        "renewals": None if renewals is None else float(filters.apply(renewals).height),
        "sla_compliance": None,
    }
    if milestones is not None:
        month = filters.apply(milestones).filter(
            pl.col("started_at").is_between(month_start(as_of), as_of, closed="both")
        )
        met = int((month["status"] == "met").sum())
        violated = int((month["status"] == "violated").sum())
        values["sla_compliance"] = met / (met + violated) if met + violated else None
    return values


_KPI_META: tuple[tuple[str, str, str, bool, str], ...] = (
    ("active", "Active entitlements", "Entitlements in their term today (any usage type).", False, "off"),
    (
        "near_limit",
        "Near limit",
        "Active entitlements at or above the near-limit threshold.",
        False,
        "inverse",
    ),
    ("exhausted", "Exhausted or over cap", "No allotment left, or more used than the cap.", False, "inverse"),
    (
        "unmatched",
        "Unmatched cases",
        "Cases of accounts with an active entitlement that name none.",
        False,
        "inverse",
    ),
    (
        "sla_compliance",
        "SLA compliance this month",
        "Milestones met / (met + violated), started this month.",
        True,
        "normal",
    ),
    ("renewals", "Renewals due in 90 days", "Entitlements whose term ends within 90 days.", False, "off"),
)


def kpi_tiles(current: Mapping[str, float | None], previous: Mapping[str, float | None]) -> list[Kpi]:
    """The overview tiles: each figure with its change against 30 days earlier."""
    return [
        Kpi(key, label, current.get(key), previous.get(key), help_text, is_ratio, color)
        for key, label, help_text, is_ratio, color in _KPI_META
    ]
