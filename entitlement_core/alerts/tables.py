"""The alert tables: one row per crossing (the state of every rule and record), and the outbox.

- ``alerts``: one row per crossing of a rule by a record (grain:
  ``alert_key``). A row whose ``cleared_at`` is empty is an active
  condition: the rule does not fire again for that record and episode
  until the condition clears (``cleared_at`` is set: it re-arms).
- ``alert_deliveries``: the outbox, one row per message to send (grain:
  ``delivery_key``: the alert, how and where). Written in the same
  transaction as its alert, before anything is sent; marked ``sent`` after
  the receiver accepted it. ``claimed_by`` names the run sending it.

The store's migrations create them (:data:`entitlement_core.store.MIGRATIONS`).
"""

from __future__ import annotations

import duckdb

__all__ = ["ALERT_TABLES", "create_alert_tables"]

ALERT_TABLES = ("alerts", "alert_deliveries")

_ALERTS = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_key VARCHAR PRIMARY KEY,
    rule_id VARCHAR NOT NULL,
    record_kind VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    episode VARCHAR NOT NULL,
    crossing_at TIMESTAMPTZ NOT NULL,
    as_of TIMESTAMPTZ NOT NULL,
    fired_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    cleared_at TIMESTAMPTZ,
    severity VARCHAR,
    account_id VARCHAR,
    account_name VARCHAR,
    owner VARCHAR,
    tier VARCHAR,
    plan VARCHAR,
    entitlement_id VARCHAR,
    case_id VARCHAR,
    milestone VARCHAR,
    banner VARCHAR,
    summary VARCHAR,
    link VARCHAR,
    figures JSON,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by VARCHAR
)
"""

_DELIVERIES = """
CREATE TABLE IF NOT EXISTS alert_deliveries (
    delivery_key VARCHAR PRIMARY KEY,
    alert_key VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    transport VARCHAR NOT NULL,
    route VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    subject VARCHAR,
    body VARCHAR NOT NULL,
    body_html VARCHAR,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_attempt_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    last_error VARCHAR,
    claimed_by VARCHAR,
    claimed_at TIMESTAMPTZ
)
"""


def create_alert_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the alert tables (inside the migration's transaction)."""
    con.execute(_ALERTS)
    con.execute(_DELIVERIES)
    con.execute("CREATE INDEX IF NOT EXISTS alerts_by_record ON alerts (rule_id, record_id)")
    con.execute("CREATE INDEX IF NOT EXISTS deliveries_by_alert ON alert_deliveries (alert_key)")
