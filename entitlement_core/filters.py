"""Filters: the sidebar's selections (tier, region, owner, plan, usage type) and how any frame takes them.

A :class:`Filters` value is hashable (the app caches on it) and applies to
any frame that carries the dimension columns; :func:`with_dims` attaches
them to a mart by its entitlement (or, failing that, its account).
Account-level dimensions are tier, region and owner; plan and usage type
belong to the entitlement (:func:`Filters.split`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields

import polars as pl

from .staging import Tables

__all__ = [
    "ACCOUNT_DIMENSIONS",
    "DIMENSIONS",
    "NO_FILTERS",
    "Filters",
    "entitlement_dims",
    "filter_options",
    "with_dims",
]

#: Filter dimensions shared by every page, in sidebar order.
DIMENSIONS: tuple[str, ...] = ("tier", "region", "owner", "plan", "usage_type")
#: Filter dimensions that belong to the account (the rest belong to the entitlement).
ACCOUNT_DIMENSIONS: tuple[str, ...] = ("tier", "region", "owner")


@dataclass(frozen=True)
class Filters:
    """Selected values per dimension; an empty selection means "all"."""

    tier: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    usage_type: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Mapping[str, Sequence[str] | None]) -> Filters:
        return cls(**{d: tuple(sorted(values.get(d) or ())) for d in DIMENSIONS})

    @property
    def is_active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def expr(self, columns: Sequence[str]) -> pl.Expr:
        """The filter as a predicate over ``columns``; a selected dimension they lack drops every row."""
        pred = pl.lit(True)
        for dim in DIMENSIONS:
            chosen = getattr(self, dim)
            if chosen:
                pred = pred & (pl.col(dim).is_in(list(chosen)) if dim in columns else pl.lit(False))
        return pred

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(self.expr(frame.columns)) if self.is_active else frame

    def split(self) -> tuple[Filters, dict[str, tuple[str, ...]]]:
        """The account-level part, and the entitlement-level part as mart parameters (plan, usage_type)."""
        account = Filters(**{d: getattr(self, d) for d in ACCOUNT_DIMENSIONS})
        return account, {"plan": self.plan, "usage_type": self.usage_type}

    @property
    def summary(self) -> str:
        """One line naming the active selections (or "All accounts")."""
        return self.summary_with(str)

    def summary_with(self, escape: Callable[[object], str]) -> str:
        """:attr:`summary` with each chosen value passed through ``escape`` (a page's Markdown escaper)."""
        active = [
            f"{d.replace('_', ' ')}: {', '.join(escape(x) for x in v)}"
            for d in DIMENSIONS
            if (v := getattr(self, d))
        ]
        return "; ".join(active) if active else "All accounts"


#: No filter: every row.
NO_FILTERS = Filters()


def filter_options(tables: Tables) -> dict[str, list[str]]:
    """Choices of each filter: values present in accounts, plans and entitlements."""
    accounts = tables.accounts.select("tier", "region", "owner").collect()
    plans = pl.concat(
        [tables.plans.select("plan"), tables.entitlements.select("plan")], how="vertical"
    ).collect()
    usage = tables.entitlements.select("usage_type").collect()
    values = {
        "tier": accounts["tier"],
        "region": accounts["region"],
        "owner": accounts["owner"],
        "plan": plans["plan"],
        "usage_type": usage["usage_type"],
    }
    return {k: sorted(v.drop_nulls().unique().to_list()) for k, v in values.items()}


def entitlement_dims(tables: Tables) -> pl.DataFrame:
    """Dimensions of each entitlement (grain: one row per entitlement)."""
    accounts = tables.accounts.select(
        "account_id", pl.col("name").alias("account_name"), "tier", "region", "owner"
    )
    return (
        tables.entitlements.select("entitlement_id", "account_id", "plan", "usage_type", "process_id")
        .join(accounts, on="account_id", how="left")
        .collect()
    )


def with_dims(frame: pl.DataFrame, dims: pl.DataFrame, *, key: str | None = "entitlement_id") -> pl.DataFrame:
    """``frame`` with the dimension columns it lacks, joined from ``dims`` on ``key``.

    Rows without an entitlement take the account's tier, region and owner
    (through ``account_id``) so account-level filters still apply.
    """
    have = set(frame.columns)
    missing = [c for c in (*DIMENSIONS, "account_name") if c not in have]
    if not missing:
        return frame
    if key is not None and key in have:
        right = dims.select(pl.col("entitlement_id").alias(key), *missing).unique(key)
        out = frame.join(right, on=key, how="left")
    else:
        out = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    account_level = [c for c in missing if c in ("tier", "region", "owner", "account_name")]
    if "account_id" in have and account_level:
        acc = dims.select("account_id", *[pl.col(c).alias(f"_acc_{c}") for c in account_level]).unique(
            "account_id"
        )
        out = (
            out.join(acc, on="account_id", how="left")
            .with_columns(pl.coalesce(c, f"_acc_{c}").alias(c) for c in account_level)
            .drop(f"_acc_{c}" for c in account_level)
        )
    return out
