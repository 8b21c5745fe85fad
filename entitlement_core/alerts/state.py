"""Alert state: which conditions are active, what fires now, what re-arms; recorded in one transaction.

Once per crossing: a condition fires when it holds and no active alert of
the same rule, record and episode exists (an anti-join of the conditions
against the active alerts); an active alert whose condition no longer holds
is cleared (the other anti-join), which re-arms the rule for that record.

The alert key (the idempotency key receivers see) is
``<rule>:<record>@<crossing moment>``: stable across runs and retries, and
new for every crossing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from ..session import Session
from .conditions import CONDITION_COLUMNS
from .rules import RULE_IDS, RULE_SEVERITY

__all__ = ["ALERT_COLUMNS", "Diff", "State", "diff", "read_state", "record"]

_RECORD = ["rule_id", "record_id", "episode"]

#: Columns of a new alert as :func:`record` writes it (``alerts`` table; ``link`` added by the run).
ALERT_COLUMNS = (
    "alert_key", "rule_id", "record_kind", "record_id", "episode", "crossing_at", "as_of", "fired_at",
    "run_id", "severity", "account_id", "account_name", "owner", "tier", "plan", "entitlement_id", "case_id",
    "milestone", "banner", "summary", "link", "figures",
)  # fmt: skip

DELIVERY_COLUMNS = (
    "delivery_key", "alert_key", "kind", "transport", "route", "target", "format", "subject", "body",
    "body_html",
)  # fmt: skip


@dataclass(frozen=True)
class State:
    """What the database holds of earlier runs (read from one snapshot)."""

    #: Active alerts: ``alert_key, rule_id, record_id, episode, account_id, summary``.
    active: pl.DataFrame
    #: Deliveries not sent yet: ``delivery_key, status, claimed_by, claimed_at``.
    unsent: pl.DataFrame


@dataclass(frozen=True)
class Diff:
    """New crossings (with their keys) and active alerts whose condition cleared."""

    new: pl.DataFrame
    cleared: pl.DataFrame


def read_state(snap: Session) -> State:
    active = snap.query(
        "SELECT alert_key, rule_id, record_id, episode, record_kind, account_id, summary "
        "FROM alerts WHERE cleared_at IS NULL"
    )
    unsent = snap.query(
        "SELECT delivery_key, status, claimed_by, claimed_at FROM alert_deliveries WHERE status <> 'sent'"
    )
    return State(active, unsent)


def diff(
    conditions: pl.DataFrame, state: State, *, as_of: dt.datetime, run_id: str, fired_at: dt.datetime
) -> Diff:
    """New crossings and cleared alerts: anti-joins both ways on (rule, record, episode).

    A new crossing's moment is the one its data gives (``crossing_at``: a
    violated target, the newest unmatched case), else the moment a run first
    saw it (``fired_at``, never an as-of: a condition that clears and holds
    again gets a new key even when runs replay the same as-of).
    """
    active = state.active.select(_RECORD).cast(pl.String)
    crossing = pl.coalesce(pl.col("crossing_at"), pl.lit(fired_at).dt.convert_time_zone("UTC"))
    severity = pl.DataFrame({"rule_id": list(RULE_SEVERITY), "severity": list(RULE_SEVERITY.values())})
    new = (
        conditions.lazy()
        .join(active.lazy(), on=_RECORD, how="anti")
        .with_columns(crossing.dt.cast_time_unit("us").alias("crossing_at"))
        .with_columns(
            pl.concat_str(
                "rule_id",
                pl.lit(":"),
                "record_id",
                pl.lit("@"),
                pl.col("crossing_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ"),
            ).alias("alert_key"),
            pl.lit(as_of).dt.convert_time_zone("UTC").dt.cast_time_unit("us").alias("as_of"),
            pl.lit(fired_at).dt.convert_time_zone("UTC").dt.cast_time_unit("us").alias("fired_at"),
            pl.lit(run_id).alias("run_id"),
        )
        .join(severity.lazy(), on="rule_id", how="left")
        .collect()
    )
    cleared = state.active.join(conditions.select(_RECORD), on=_RECORD, how="anti").sort(
        "rule_id", "record_id"
    )
    extras = ("alert_key", "as_of", "fired_at", "run_id", "severity")
    order = pl.DataFrame({"rule_id": list(RULE_IDS), "_order": range(len(RULE_IDS))})
    new = new.join(order, on="rule_id", how="left").sort("_order", "account_id", "record_id", "episode")
    return Diff(new.select(*extras, *CONDITION_COLUMNS), cleared)


def record(
    con: duckdb.DuckDBPyConnection,
    new: pl.DataFrame,
    deliveries: pl.DataFrame,
    cleared: pl.DataFrame,
    *,
    at: dt.datetime,
) -> list[str]:
    """Write new alerts with their deliveries, and clear re-armed ones (inside one transaction).

    A crossing another run recorded meanwhile (same rule, record and episode,
    still active; or the same key) is left alone, with its deliveries: so two
    runs at once fire it once. Returns the keys of the alerts written.
    """
    con.register("_new_alerts", new.select(ALERT_COLUMNS).to_arrow())
    con.register("_new_deliveries", deliveries.select(DELIVERY_COLUMNS).to_arrow())
    con.register("_cleared", cleared.select("alert_key").to_arrow())
    try:
        con.execute(
            "UPDATE alerts SET cleared_at = ? WHERE cleared_at IS NULL "
            "AND alert_key IN (SELECT alert_key FROM _cleared)",
            [at],
        )
        columns = ", ".join(ALERT_COLUMNS)
        inserted = con.execute(
            f"INSERT INTO alerts ({columns}) SELECT {columns} FROM _new_alerts n WHERE NOT EXISTS ("
            "SELECT 1 FROM alerts a WHERE a.alert_key = n.alert_key OR (a.cleared_at IS NULL "
            "AND a.rule_id = n.rule_id AND a.record_id = n.record_id AND a.episode = n.episode)"
            ") RETURNING alert_key"
        ).fetchall()
        keys = [row[0] for row in inserted]
        con.register(
            "_inserted", pl.DataFrame({"alert_key": keys}, schema={"alert_key": pl.String}).to_arrow()
        )
        dcols = ", ".join(DELIVERY_COLUMNS)
        con.execute(
            f"INSERT INTO alert_deliveries ({dcols}, status, attempts, created_at) "
            f"SELECT {dcols}, 'pending', 0, ? FROM _new_deliveries "
            "WHERE alert_key IN (SELECT alert_key FROM _inserted) ON CONFLICT DO NOTHING",
            [at],
        )
    finally:
        for view in ("_new_alerts", "_new_deliveries", "_cleared", "_inserted"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(view)
    return keys
