"""Overage: the consumption beyond an entitlement's cap, listed and priced.

DOMAIN.md, "Overflow": cases beyond the cap are overage cases: counted,
listed, priced where the plan has an overage rate.

- Units are taken in consumption order: consumption moment, then
  ``case_id``, then ``time_entry_id``. With a cap of N cases, the (N+1)-th
  case onwards is overage.
- For ``hours`` the overage quantity is the hours beyond the cap, attributed
  to the time entries that crossed it: the entry that crosses the cap
  carries only its part beyond it.
- ``overage_amount = overage_quantity * overage_rate`` of the entitlement's
  plan; null when the plan has no rate (or there is no plan).
- Unlimited and date-only (``none``) entitlements have no overage. The
  overflow policy (allow / warn / block) does not change the figures: it
  says what the support process does with new cases, and is reported
  alongside.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..staging import Tables
from .ledger import consumption_units, running_totals
from .terms import check_as_of, entitlement_terms, known_zones, with_local_date

__all__ = ["OVERAGE_COLUMNS", "overage_cases", "overage_summary"]

OVERAGE_COLUMNS = (
    "entitlement_id", "account_id", "plan", "usage_type", "unit", "cap", "overage_index", "source",
    "case_id", "time_entry_id", "consumed_at", "consumed_date", "quantity", "running_quantity",
    "overage_quantity", "overage_rate", "overage_amount", "is_deleted", "overflow",
)  # fmt: skip


def overage_cases(tables: Tables, *, as_of: dt.datetime) -> pl.LazyFrame:
    """Every unit of consumption beyond its entitlement's cap, as of a moment.

    Grain: one row per overage unit (a case, or a time entry for ``hours``).

    Parameters
    ----------
    tables
        The native tables.
    as_of
        The as-of moment (timezone-aware).

    Returns
    -------
    pl.LazyFrame
        :data:`OVERAGE_COLUMNS`; ``overage_index`` numbers the overage units
        of an entitlement from 1 in consumption order, ``running_quantity``
        is the total consumed up to and including the row.

    Examples
    --------
    Cap 10 and 12 cases in term: the 11th and 12th cases (by consumption
    moment, then ``case_id``) are overage, priced at the plan's rate each.
    An hours entitlement with cap 100 and entries of 60, 30 and 20 hours:
    the third entry crosses the cap and carries 10 overage hours.
    """
    as_of = check_as_of(as_of)
    zones = known_zones(tables)
    terms = _capped_terms(tables, as_of, zones)
    keep = ("account_id", "plan", "overflow", "timezone", "start_date", "start_utc")
    beyond = _beyond_cap(tables, terms, as_of=as_of, zones=zones, keep=keep)
    dated = with_local_date(
        beyond.rename({"consumed_date": "_entry_date"}),
        "consumed_at",
        "_case_date",
        zones,
        anchor=("start_date", "start_utc"),
    ).with_columns(pl.coalesce("_entry_date", "_case_date").alias("consumed_date"))
    rates = tables.plans.select("plan", "overage_rate")
    return (
        dated.join(rates, on="plan", how="left", maintain_order="left")
        .with_columns(
            (pl.col("overage_quantity") * pl.col("overage_rate")).round(6).alias("overage_amount"),
            pl.when(pl.col("usage_type") == "hours")
            .then(pl.lit("hours"))
            .otherwise(pl.lit("cases"))
            .alias("unit"),
        )
        .select(OVERAGE_COLUMNS)
    )


def _capped_terms(tables: Tables, as_of: dt.datetime, zones: list[str]) -> pl.LazyFrame:
    """Capped ``cases`` and ``hours`` entitlements (few rows: materialised once)."""
    return (
        entitlement_terms(tables, as_of=as_of, zones=zones)
        .filter(pl.col("cap").is_not_null() & pl.col("usage_type").is_in(["cases", "hours"]))
        .collect()
        .lazy()
    )


def _beyond_cap(
    tables: Tables, terms: pl.LazyFrame, *, as_of: dt.datetime, zones: list[str], keep: tuple[str, ...]
) -> pl.LazyFrame:
    """The units beyond the cap, with ``running_quantity``, ``overage_quantity``, ``overage_index``.

    A first, narrow pass finds the entitlements over their cap; only their
    units are then listed and ordered, the ordering running on a narrow frame
    (keys and quantities) joined back by row.
    """
    over = (
        consumption_units(tables, terms, as_of=as_of, zones=zones, keep=("cap",))
        .group_by("_ent")
        .agg(pl.col("quantity").sum().round(9).alias("_consumed"), pl.col("cap").first())
        .filter(pl.col("_consumed") > pl.col("cap"))
        .select("_ent")
        .collect()
    )
    over_terms = terms.join(over.lazy(), on="_ent", how="semi")
    # Materialised once: the ordering below and the join back both read it.
    subset = (
        consumption_units(
            tables, over_terms, as_of=as_of, zones=zones, keep=tuple(dict.fromkeys(("cap", *keep)))
        )
        .with_row_index("_row")
        .collect()
    )
    order = (
        # Sorted eagerly: the frame is in memory already.
        running_totals(
            subset.select("_row", "_ent", "consumed_at", "case_id", "time_entry_id", "quantity", "cap")
        )
        .lazy()
        .filter(pl.col("running_quantity") > pl.col("cap"))
        .with_columns(
            # The crossing unit carries only its part beyond the cap.
            pl.min_horizontal(pl.col("quantity"), pl.col("running_quantity") - pl.col("cap"))
            .round(9)
            .alias("overage_quantity"),
            pl.int_range(1, pl.len() + 1).over("_ent").alias("overage_index"),
        )
        .select("_row", "running_quantity", "overage_quantity", "overage_index")
    )
    # In consumption order: the listing needs no sort of its wide rows.
    return order.join(subset.lazy(), on="_row", how="inner", maintain_order="left")


def overage_summary(tables: Tables, *, as_of: dt.datetime) -> pl.LazyFrame:
    """Overage per entitlement, as of a moment.

    Grain: one row per entitlement with consumption beyond its cap.

    Returns
    -------
    pl.LazyFrame
        ``entitlement_id, account_id, account_name, owner, plan, usage_type,
        unit, cap, consumed, overage_units`` (consumed - cap),
        ``overage_count`` (overage cases or time entries),
        ``overage_rate, overage_amount, overflow``, largest amount first.
    """
    as_of = check_as_of(as_of)
    zones = known_zones(tables)
    terms = _capped_terms(tables, as_of, zones)
    beyond = _beyond_cap(tables, terms, as_of=as_of, zones=zones, keep=())
    per = beyond.group_by("_ent").agg(
        pl.col("running_quantity").max().alias("consumed"),
        pl.col("overage_quantity").sum().round(9).alias("overage_units"),
        pl.len().cast(pl.Int64).alias("overage_count"),
    )
    accounts = tables.accounts.select("account_id", pl.col("name").alias("account_name"), "owner")
    rates = tables.plans.select("plan", "overage_rate")
    return (
        terms.join(per, on="_ent", how="inner")
        .join(rates, on="plan", how="left")
        .join(accounts, on="account_id", how="left")
        .with_columns(
            (pl.col("overage_units") * pl.col("overage_rate")).round(6).alias("overage_amount"),
            pl.when(pl.col("usage_type") == "hours")
            .then(pl.lit("hours"))
            .otherwise(pl.lit("cases"))
            .alias("unit"),
        )
        .select(
            "entitlement_id",
            "account_id",
            "account_name",
            "owner",
            "plan",
            "usage_type",
            "unit",
            "cap",
            "consumed",
            "overage_units",
            "overage_count",
            "overage_rate",
            "overage_amount",
            "overflow",
        )
        .sort(
            ["overage_amount", "overage_units", "entitlement_id"],
            descending=[True, True, False],
            nulls_last=True,
        )
    )
