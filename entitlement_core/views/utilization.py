"""The Utilization page's view model: every entitlement, searchable; a burn-down; the exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..filters import NO_FILTERS, Filters
from ..usage.trends import burndown
from ..usage.utilization import STATUS_ORDER
from .common import filtered, forecasted

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "EXCEPTIONS",
    "SEARCHED_COLUMNS",
    "UtilizationView",
    "default_statuses",
    "entitlement_burndown",
    "search",
    "utilization_view",
]

#: Columns an entitlement search looks in.
SEARCHED_COLUMNS = ("entitlement_id", "name", "account_name", "account_id", "owner")
#: The exception marts shown under the table, in tab order.
EXCEPTIONS = ("unmatched-cases", "out-of-term-cases", "overage-summary")


def search(frame: pl.DataFrame, query: str | None, columns: Sequence[str] = SEARCHED_COLUMNS) -> pl.DataFrame:
    """Rows where any of ``columns`` contains ``query`` (case-insensitive, literal); all rows when empty."""
    needle = (query or "").strip().lower()
    if not needle:
        return frame
    present = [c for c in columns if c in frame.columns]
    return frame.filter(
        pl.any_horizontal(
            pl.col(c).cast(pl.String).fill_null("").str.to_lowercase().str.contains(needle, literal=True)
            for c in present
        )
    )


def default_statuses(present: Sequence[str]) -> list[str]:
    """The statuses selected at first: every status present but expired and not started."""
    return [s for s in present if s not in ("expired", "not_started")]


@dataclass(frozen=True)
class UtilizationView:
    """What the Utilization page draws."""

    #: Every entitlement matching the filters (one row each).
    all: pl.DataFrame
    #: The statuses present, worst first.
    statuses: list[str]
    #: The rows shown: the chosen statuses and the search, fullest first.
    table: pl.DataFrame
    #: Capped entitlements of the table that can be burned down.
    burnable: pl.DataFrame
    #: Exception marts by name (filtered).
    exceptions: dict[str, pl.DataFrame]


def utilization_view(
    basis: Basis,
    *,
    filters: Filters = NO_FILTERS,
    statuses: Sequence[str] | None = None,
    query: str | None = None,
) -> UtilizationView:
    """The page's rows: ``statuses`` (default: :func:`default_statuses`) and ``query`` applied."""
    util = forecasted(basis, filters)
    present = [s for s in STATUS_ORDER if s in set(util["status"].to_list())]
    chosen = list(statuses) if statuses else present
    table = search(util.filter(pl.col("status").is_in(chosen)), query).sort(
        ["pct_used", "entitlement_id"], descending=[True, False], nulls_last=True
    )
    burnable = table.filter(pl.col("cap").is_not_null() & (pl.col("status") != "not_started"))
    return UtilizationView(
        all=util,
        statuses=present,
        table=table,
        burnable=burnable,
        exceptions={name: filtered(basis, name, filters) for name in EXCEPTIONS},
    )


def entitlement_burndown(basis: Basis, entitlement_id: str) -> pl.DataFrame:
    """One entitlement's day-by-day consumption and projection (:func:`~..usage.trends.burndown`)."""
    return basis.once(("burndown", entitlement_id), lambda: burndown(basis, entitlement_id))
