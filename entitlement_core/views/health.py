"""The Data page's health view: configuration checks and the data checks the marts answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["DATA_CHECKS", "data_health"]

#: Data checks answered by marts: (mart, severity, what it means).
DATA_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "unmatched-cases",
        "warning",
        "Cases of entitled accounts naming no entitlement (consumption is missed)",
    ),
    ("out-of-term-cases", "warning", "Cases naming an entitlement outside its term (they consume nothing)"),
    ("overage-summary", "warning", "Entitlements with overage (consumption no grant covers)"),
    ("reconciliation", "warning", "Entitlements whose Salesforce counter disagrees with the rules"),
)


def data_health(basis: Basis) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The current data's problems: a summary (one row per check) and the problem records.

    The summary lists every configuration check of
    :mod:`entitlement_core.checks` (with 0 when it passes) and the data
    checks of :data:`DATA_CHECKS`, counted on the same marts the other pages
    show (unmatched and out-of-term cases, overage, Salesforce counter
    disagreements).
    """
    from ..checks import CHECKS, check_configuration

    found = check_configuration(basis.tables)
    counts = found.group_by("check").agg(pl.len().alias("records"))
    config = (
        pl.DataFrame(
            {
                "check": [ch.name for ch in CHECKS],
                "severity": [ch.severity for ch in CHECKS],
                "table": [ch.table for ch in CHECKS],
            }
        )
        .join(counts, on="check", how="left")
        .with_columns(pl.col("records").fill_null(0).cast(pl.Int64), pl.lit("configuration").alias("kind"))
    )
    data = pl.DataFrame(
        [
            {
                "check": about,
                "severity": severity,
                "table": name,
                "records": basis.mart(name).height,
                "kind": "data",
            }
            for name, severity, about in DATA_CHECKS
        ],
        schema={
            "check": pl.String,
            "severity": pl.String,
            "table": pl.String,
            "records": pl.Int64,
            "kind": pl.String,
        },
    )
    summary = pl.concat([config.select(data.columns), data], how="vertical").with_columns(
        (pl.col("records") == 0).alias("is_ok")
    )
    return summary.sort(["is_ok", "severity", "check"]), found
