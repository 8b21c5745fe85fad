"""The Account page's view model: find a customer, their eligibility now, cases, the next SLA breach,
consumption and grants.

Everything comes from the shared marts (one intermediate layer for the
whole data), restricted to the account: the same figures as every other
page, nothing computed twice.

Eligibility (DOMAIN.md "Status"): a customer is entitled to support when
it has an entitlement in its term as of the as-of day (any status but
``not_started`` and ``expired``); the agent banner says what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from ..staging import Tables

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["AccountView", "account_view", "eligible", "search_accounts"]

#: Statuses of an entitlement outside its term: it gives no right to support.
_OUT_OF_TERM = ("not_started", "expired")


def eligible() -> pl.Expr:
    """The entitlement gives the right to support as of the as-of day: it is inside its term."""
    return ~pl.col("status").is_in(_OUT_OF_TERM)


def search_accounts(tables: Tables, query: str, *, limit: int = 50) -> pl.DataFrame:
    """Accounts whose id or name, or whose contact (name, email) or asset (id, product), matches ``query``.

    Grain: one row per account and way it matched (``matched_on``, ``match``),
    case-insensitive substring search, best (exact id) first.
    """
    q = query.strip().lower()
    schema = {"account_id": pl.String, "matched_on": pl.String, "match": pl.String}
    if not q:
        return pl.DataFrame(schema=schema)

    def hits(frame: pl.LazyFrame, label: str, cols: Sequence[str]) -> pl.LazyFrame:
        parts = [
            frame.filter(pl.col(c).str.to_lowercase().str.contains(q, literal=True)).select(
                "account_id",
                pl.lit(f"{label} {c.replace('_', ' ')}").alias("matched_on"),
                pl.col(c).alias("match"),
            )
            for c in cols
        ]
        return pl.concat(parts, how="vertical")

    found = pl.concat(
        [
            hits(tables.accounts, "account", ("account_id", "name")),
            hits(tables.contacts, "contact", ("contact_id", "name", "email")),
            hits(tables.assets, "asset", ("asset_id", "product")),
        ],
        how="vertical",
    )
    names = tables.accounts.select(
        "account_id", pl.col("name").alias("account_name"), "tier", "region", "owner"
    )
    return (
        found.with_columns(
            (pl.col("match").str.to_lowercase() == q).alias("_exact"),
            pl.col("matched_on").str.starts_with("account").alias("_account"),
        )
        .join(names, on="account_id", how="left")
        .sort(
            ["_exact", "_account", "account_name", "matched_on"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
        .unique(["account_id", "matched_on"], maintain_order=True)
        .head(limit)
        .drop("_exact", "_account")
        .collect()
    )


@dataclass(frozen=True)
class AccountView:
    """What the Account page draws for one account."""

    info: dict[str, Any]
    #: Entitlements giving the right to support now, with their SLA process name.
    eligible: pl.DataFrame
    #: Every entitlement of the account (any status), latest end first.
    entitlements: pl.DataFrame
    grants: pl.DataFrame
    cases: pl.DataFrame
    case_count: int
    weekly: pl.DataFrame
    reconciliation: pl.DataFrame
    counters: int
    #: The next breach of each of the account's open cases, soonest first (the ``next-breaches`` mart).
    breaches: pl.DataFrame

    @property
    def next_breach(self) -> dict[str, Any] | None:
        """The account's soonest next breach (None when no case has a running milestone)."""
        return self.breaches.row(0, named=True) if self.breaches.height else None


def account_view(basis: Basis, account_id: str, *, case_rows: int = 500) -> AccountView:
    """The account's eligibility, entitlements, grants, newest cases, consumption and reconciliation."""
    tables = basis.tables
    accounts = tables.accounts.filter(pl.col("account_id") == account_id).collect()
    info = accounts.row(0, named=True) if accounts.height else {"account_id": account_id, "name": None}
    from ..usage.utilization import utilization_forecast

    # The banner offers the plan every page recommends (the forecast's).
    util = utilization_forecast(basis).filter(pl.col("account_id") == account_id)
    ids = util.get_column("entitlement_id").implode()
    processes = tables.entitlement_processes.select("process_id", pl.col("name").alias("process_name"))
    ents = tables.entitlements.select("entitlement_id", "process_id")
    active = (
        util.lazy()
        .filter(eligible())
        .join(ents, on="entitlement_id", how="left")
        .join(processes, on="process_id", how="left")
        .collect()
    )
    cases = tables.cases.filter(pl.col("account_id") == account_id)
    newest, count = pl.collect_all(
        [cases.sort("created_at", descending=True).head(case_rows), cases.select(pl.len())]
    )
    weekly = basis.mart("weekly-consumption").filter(pl.col("entitlement_id").is_in(ids))
    return AccountView(
        info=info,
        eligible=active,
        entitlements=util.sort("end_date", descending=True),
        grants=basis.mart("grant-balances").filter(pl.col("entitlement_id").is_in(ids)),
        cases=newest,
        case_count=int(count.item()),
        weekly=weekly,
        reconciliation=basis.mart("reconciliation").filter(pl.col("entitlement_id").is_in(ids)),
        counters=util.filter(pl.col("crm_remaining_cases").is_not_null()).height,
        breaches=basis.mart("next-breaches").filter(pl.col("account_id") == account_id),
    )
