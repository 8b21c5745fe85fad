"""The in-app feed of alerts (newest first, filtered) and acknowledging alerts (audited).

Reads are one read-only snapshot; acknowledging is a write of a signed-in
admin: one transaction that sets ``acknowledged_at``/``acknowledged_by`` and
writes an audit-log entry per alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from ..store import Store
from .rules import RULE_TITLES

__all__ = ["FEED_COLUMNS", "acknowledge", "feed", "feed_owners"]

#: Columns of :func:`feed`, in display order.
FEED_COLUMNS = (
    "fired_at", "rule", "severity", "account_name", "owner", "tier", "record_kind", "record_id", "summary",
    "banner", "state", "acknowledged_by", "delivery", "link", "alert_key", "rule_id", "account_id",
    "acknowledged_at", "cleared_at", "failed",
)  # fmt: skip

_SQL = """
SELECT a.alert_key, a.rule_id, a.severity, a.fired_at, a.account_id, a.account_name, a.owner, a.tier,
       a.record_kind, a.record_id, a.summary, a.banner, a.link, a.cleared_at, a.acknowledged_at,
       a.acknowledged_by,
       count(d.delivery_key) FILTER (WHERE d.status = 'sent') AS sent,
       count(d.delivery_key) FILTER (WHERE d.status = 'failed') AS failed,
       count(d.delivery_key) FILTER (WHERE d.status = 'pending') AS pending
FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_key = a.alert_key
WHERE (len($rules) = 0 OR list_contains($rules, a.rule_id))
  AND (len($owners) = 0 OR list_contains($owners, a.owner))
  AND (len($tiers) = 0 OR list_contains($tiers, a.tier))
  AND ($acknowledged OR a.acknowledged_at IS NULL)
  AND ($cleared OR a.cleared_at IS NULL)
GROUP BY ALL
ORDER BY a.fired_at DESC, a.alert_key
LIMIT $limit
"""


def feed(
    store: Store,
    *,
    rules: Sequence[str] = (),
    owners: Sequence[str] = (),
    tiers: Sequence[str] = (),
    acknowledged: bool = True,
    cleared: bool = True,
    limit: int = 1000,
) -> pl.DataFrame:
    """Alerts, newest first (grain: one row per alert), with their state and deliveries.

    ``state`` is ``active`` while the condition holds, ``cleared`` once it
    cleared (the rule re-armed); ``delivery`` counts the messages sent,
    failed (retried at the next run) and pending.
    """
    params = {
        "rules": list(rules),
        "owners": list(owners),
        "tiers": list(tiers),
        "acknowledged": acknowledged,
        "cleared": cleared,
        "limit": limit,
    }
    rows = store.query(_SQL, params)
    titles = pl.DataFrame({"rule_id": list(RULE_TITLES), "rule": list(RULE_TITLES.values())})
    parts = [
        pl.when(pl.col(name) > 0).then(pl.concat_str(pl.col(name).cast(pl.String), pl.lit(f" {name}")))
        for name in ("sent", "failed", "pending")
    ]
    return (
        rows.join(titles, on="rule_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("cleared_at").is_null())
            .then(pl.lit("active"))
            .otherwise(pl.lit("cleared"))
            .alias("state"),
            pl.concat_str(parts, separator=", ", ignore_nulls=True).fill_null("").alias("delivery"),
        )
        .with_columns(
            pl.when(pl.col("delivery") == "")
            .then(pl.lit("feed only"))
            .otherwise("delivery")
            .alias("delivery")
        )
        .select(FEED_COLUMNS)
    )


def feed_owners(store: Store) -> list[str]:
    """The owners that alerts name (for a filter)."""
    return store.query("SELECT DISTINCT owner FROM alerts WHERE owner IS NOT NULL ORDER BY 1")[
        "owner"
    ].to_list()


def acknowledge(store: Store, keys: Sequence[str], *, actor: str) -> int:
    """Acknowledge alerts (those not acknowledged yet) as ``actor``; audited. Returns how many."""
    if not keys:
        return 0
    at = dt.datetime.now(dt.UTC)
    with store.transaction() as con:
        pending = store.query(
            "SELECT alert_key FROM alerts WHERE acknowledged_at IS NULL AND list_contains(?, alert_key) "
            "ORDER BY alert_key",
            [list(keys)],
        )["alert_key"].to_list()
        if not pending:
            return 0
        con.execute(
            "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE list_contains(?, alert_key)",
            [at, actor, pending],
        )
        for key in pending:  # one audit entry per alert the admin chose
            store.audit(
                con,
                actor=actor,
                action="acknowledge",
                table_name="alerts",
                record_id=key,
                before={"acknowledged_at": None},
                after={"acknowledged_at": at.isoformat(), "acknowledged_by": actor},
                at=at,
            )
    return len(pending)
