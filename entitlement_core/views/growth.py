"""The Upsell and Renewals pages' view models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..filters import NO_FILTERS, Filters
from ..forecast.plans import CUSTOM_QUOTE
from .common import filtered

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = [
    "RENEWAL_EXPORT_COLUMNS",
    "UNITS",
    "UPSELL_EXPORT_COLUMNS",
    "UPSELL_SHOWN",
    "RenewalsView",
    "UpsellView",
    "different_plan",
    "interval_text",
    "renewal_advice",
    "renewal_chain",
    "renewals_view",
    "upsell_view",
]

#: The upsell download's columns: the forecast's expected figures, the 10-90 interval and the
#: probability, each quantity in the row's ``unit``.
UPSELL_EXPORT_COLUMNS = (
    "rank", "status", "account_name", "entitlement_id", "owner", "plan", "unit", "pct_used", "cap",
    "consumed", "expected_at_end", "projected_p10", "projected_p90", "prob_run_out", "expected_shortfall",
    "expected_run_out_date", "recommended_plan", "upsell_reason",
)  # fmt: skip
#: The columns of the Upsell page's ranked table.
UPSELL_SHOWN = (
    "rank", "status", "account_name", "entitlement_id", "owner", "plan", "unit", "pct_used",
    "expected_shortfall", "interval", "prob_run_out", "recommended_plan", "upsell_reason",
)  # fmt: skip
#: The units a total is kept apart in (cases and hours are never added up).
UNITS = ("cases", "hours")
#: The renewals export carries exactly the rows shown, in this order.
RENEWAL_EXPORT_COLUMNS = ("entitlement_id", "account_id", "account_name", "owner", "tier", "region", "plan",
                          "usage_type", "end_date", "days_to_end", "status", "cap", "consumed", "pct_used",
                          "projected_at_end", "previous_pct_used", "recommended_plan", "is_renewed",
                          "renewed_by_id", "unit", "expected_at_end", "projected_p10", "projected_p90",
                          "prob_run_out")  # fmt: skip


@dataclass(frozen=True)
class UpsellView:
    """What the Upsell page draws."""

    #: Ranked candidates (``rank`` order), with ``interval``: the 10-90 interval as text in the unit.
    candidates: pl.DataFrame
    owners: list[str]
    #: One row per (owner, unit): ``candidates`` and ``expected_shortfall`` in that unit.
    by_owner: pl.DataFrame
    exhausted: int
    accounts: int
    #: Expected shortfall per unit (``{"cases": .., "hours": ..}``), every unit present, 0 when none.
    at_stake: dict[str, float]
    #: Expected shortfall priced at each plan's overage rate (money; plans without a rate count 0).
    overage_at_stake: float


def interval_text() -> pl.Expr:
    """The 10-90 interval of projected consumption at the end, as read on a page: ``"12 - 19 cases"``."""
    digits = pl.when(pl.col("unit") == "hours").then(1).otherwise(0)
    low = (
        pl.when(digits == 1)
        .then(pl.col("projected_p10").round(1))
        .otherwise(pl.col("projected_p10").round(0))
    )
    high = (
        pl.when(digits == 1)
        .then(pl.col("projected_p90").round(1))
        .otherwise(pl.col("projected_p90").round(0))
    )
    show = lambda e: pl.when(digits == 1).then(e.cast(pl.String)).otherwise(e.cast(pl.Int64).cast(pl.String))  # noqa: E731
    return pl.concat_str(show(low), pl.lit(" - "), show(high), pl.lit(" "), pl.col("unit")).alias("interval")


def upsell_view(basis: Basis, *, filters: Filters = NO_FILTERS, owner: str | None = None) -> UpsellView:
    """Upsell candidates (of one account owner when given), ranked, with the totals per unit.

    Totals are expected values (``expected_shortfall``) and are kept per
    unit: cases and hours are never added up. ``overage_at_stake`` prices
    each candidate's expected shortfall at its plan's overage rate (plans
    without a rate count 0).
    """
    candidates = filtered(basis, "upsell", filters)
    owners = sorted(candidates["owner"].drop_nulls().unique().to_list())
    if owner:
        candidates = candidates.filter(pl.col("owner") == owner)
    candidates = candidates.sort("rank").with_columns(interval_text())
    stake = (pl.col("expected_shortfall") * pl.col("overage_rate")).sum()
    by_owner = (
        candidates.group_by("owner", "unit")
        .agg(pl.len().alias("candidates"), pl.col("expected_shortfall").sum())
        .sort(["unit", "expected_shortfall", "owner"], descending=[False, True, False], nulls_last=True)
    )
    per_unit = dict(candidates.group_by("unit").agg(pl.col("expected_shortfall").sum()).iter_rows())
    return UpsellView(
        candidates=candidates,
        owners=owners,
        by_owner=by_owner,
        exhausted=int(candidates["status"].is_in(["exhausted", "over_cap"]).sum()),
        accounts=candidates["account_id"].n_unique(),
        at_stake={unit: float(per_unit.get(unit) or 0.0) for unit in UNITS},
        overage_at_stake=float(candidates.select(stake).item() or 0),
    )


def different_plan() -> pl.Expr:
    """The recommended plan differs from the current one (the renewal should change plan)."""
    return pl.col("recommended_plan").is_not_null() & (
        pl.col("recommended_plan") != pl.col("plan").fill_null("")
    )


@dataclass(frozen=True)
class RenewalsView:
    """What the Renewals page draws."""

    rows: pl.DataFrame
    due: int
    not_renewed: int
    different_plan: int
    within_30_days: int


def renewals_view(basis: Basis, *, filters: Filters = NO_FILTERS, within_days: int = 90) -> RenewalsView:
    """Terms ending within ``within_days`` (soonest first), with the tiles' counts."""
    due = filtered(basis, "renewals", filters, within_days=within_days)
    rows = due.sort(["days_to_end", "entitlement_id"]).select(
        [c for c in RENEWAL_EXPORT_COLUMNS if c in due.columns]
    )
    return RenewalsView(
        rows=rows,
        due=due.height,
        not_renewed=due.filter(~pl.col("is_renewed")).height,
        different_plan=due.filter(different_plan()).height,
        within_30_days=due.filter(pl.col("days_to_end") <= 30).height,
    )


def renewal_chain(basis: Basis, entitlement_id: str) -> pl.DataFrame:
    """Every term of the renewal chain of ``entitlement_id``, first term first, labelled for a chart."""
    history = basis.mart("renewal-history")
    root = history.filter(pl.col("entitlement_id") == entitlement_id)["chain_root_id"]
    chain = history.filter(pl.col("chain_root_id") == root[0]) if root.len() else history.clear()
    label = pl.format("{}<br>{}", pl.col("start_date").dt.strftime("%b %Y"), pl.col("entitlement_id"))
    return chain.sort("term_index").with_columns(label.alias("term_label"))


def renewal_advice(row: dict, escape: Callable[[object], str] = str) -> tuple[str, str] | None:
    """What to tell a renewal planner about one due row: (kind, Markdown sentence).

    ``kind`` is ``upgrade`` or ``keep``.

    ``escape`` turns a plan name into literal Markdown text (the page passes its escaper).
    """
    recommended = row.get("recommended_plan")
    if not recommended:
        return None
    if recommended == CUSTOM_QUOTE:
        current = escape(row["plan"]) if row.get("plan") else "the current allotment"
        return "upgrade", f"No larger plan covers projected usage (beyond {current}): prepare a custom quote."
    if recommended != row.get("plan"):
        current = escape(row["plan"]) if row.get("plan") else "the current allotment"
        return (
            "upgrade",
            f"Recommend renewing onto **{escape(recommended)}** (projected usage exceeds {current}).",
        )
    return "keep", f"**{escape(recommended)}** still covers projected usage."
