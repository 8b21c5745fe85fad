"""The outbox: where each new alert goes, which run sends what, and what came of it.

- :func:`route` turns new alerts into deliveries (one per alert, transport
  and target), vectorised: the rule's ``notify`` list exploded, owners
  joined to their addresses, team addresses and a rule's own ``email`` added,
  repeats of one address dropped. Routes with nowhere to go are counted in
  notes, not queued.
- :func:`claim` marks the deliveries not sent yet as this run's (inside a
  short write transaction); a claim of a run that died (its process is gone)
  or went quiet for :data:`LEASE` is taken over.
- :func:`mark` records what the receivers said; ``sent`` is final.

Webhook targets are labels (``default``, ``rules.<id>``,
``rules.<id>.overrides[<i>]``) resolved to URLs only when sending
(:func:`webhook_urls`): the database never holds a webhook URL, which often
carries a secret.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable

import duckdb
import polars as pl

from ..settings import Settings
from .rules import RULE_IDS, RuleSet

__all__ = [
    "LEASE",
    "claim",
    "claimant",
    "default_format",
    "mark",
    "release",
    "route",
    "stale_claimants",
    "webhook_urls",
]

#: A claim older than this is taken over by the next run (its sender may be stuck on another host).
LEASE = dt.timedelta(minutes=15)

ROUTE_COLUMNS = ("alert_key", "transport", "route", "target", "format")
_ROUTE_SCHEMA = dict.fromkeys(ROUTE_COLUMNS, pl.String)


def default_format(rules: RuleSet, settings: Settings) -> str:
    """The default webhook's format: the setting, else the rules file's, else ``json``."""
    return settings.alerts_webhook_format or rules.routing.webhook_format or "json"


def webhook_urls(rules: RuleSet, settings: Settings) -> dict[str, str]:
    """Webhook label -> URL, for every webhook the rules and settings name (the setting wins for
    the default webhook over the rules file's ``routing.webhook_url``)."""
    default = settings.alerts_webhook_url or rules.routing.webhook_url
    urls = {"default": default} if default else {}
    for rule_id in RULE_IDS:
        rule = rules.rule(rule_id)
        if rule.webhook_url:
            urls[f"rules.{rule_id}"] = rule.webhook_url
        for i, override in enumerate(rule.overrides):
            if override.webhook_url:
                urls[f"rules.{rule_id}.overrides[{i}]"] = override.webhook_url
    return urls


def route(new: pl.DataFrame, rules: RuleSet, settings: Settings) -> tuple[pl.DataFrame, list[str]]:
    """Deliveries of new alerts (:data:`ROUTE_COLUMNS`), and a note per route with nowhere to go."""
    notes: list[str] = []
    base = new.select("alert_key", "rule_id", "owner", "notify", "webhook", "webhook_format", "email")
    routes = base.explode("notify").rename({"notify": "route"}).filter(pl.col("route").is_not_null())

    hooks = routes.filter(pl.col("route") == "webhook")
    known = list(webhook_urls(rules, settings))
    missing = hooks.filter(~pl.col("webhook").is_in(known))
    if missing.height:
        notes.append(
            f"{missing.height} webhook message(s) not queued: no webhook URL (set "
            "ENTITLEMENTS_ALERTS_WEBHOOK_URL, or routing.webhook_url in the rules file)"
        )
    webhooks = hooks.filter(pl.col("webhook").is_in(known)).select(
        "alert_key",
        pl.lit("webhook").alias("transport"),
        "route",
        pl.col("webhook").alias("target"),
        pl.coalesce("webhook_format", pl.lit(default_format(rules, settings))).alias("format"),
    )

    owners = pl.DataFrame(
        {"owner": list(rules.routing.owners), "target": list(rules.routing.owners.values())},
        schema={"owner": pl.String, "target": pl.String},
    )
    to_owner = routes.filter(pl.col("route") == "owner").join(owners, on="owner", how="left")
    team = pl.DataFrame({"target": list(rules.routing.team_email)}, schema={"target": pl.String})
    to_team = routes.filter(pl.col("route") == "team")
    extra = base.explode("email").filter(pl.col("email").is_not_null()).rename({"email": "target"})
    if not settings.smtp_host:
        wanted = to_owner.height + to_team.height + extra.height
        if wanted:
            notes.append(f"{wanted} email(s) not queued: SMTP is not configured (ENTITLEMENTS_SMTP_HOST)")
        emails = pl.DataFrame(schema=_ROUTE_SCHEMA)
    else:
        unknown = to_owner.filter(pl.col("target").is_null())
        if unknown.height:
            names = sorted({str(n) for n in unknown["owner"].to_list()})
            notes.append(
                f"{unknown.height} owner email(s) not queued: no address in [routing.owners] for "
                + ", ".join(names[:5])
                + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            )
        if to_team.height and team.is_empty():
            notes.append(f"{to_team.height} team email(s) not queued: routing.team_email is empty")
        emails = pl.concat(
            [
                to_owner.filter(pl.col("target").is_not_null()).select("alert_key", "route", "target"),
                to_team.join(team, how="cross").select("alert_key", "route", "target"),
                extra.select("alert_key", pl.lit("email").alias("route"), "target"),
            ]
        ).with_columns(pl.lit("email").alias("transport"), pl.lit("email").alias("format"))
    out = pl.concat([webhooks.select(ROUTE_COLUMNS), emails.select(ROUTE_COLUMNS)]).cast(_ROUTE_SCHEMA)
    # One message per alert and address, whichever routes led there (an owner who is also the team).
    out = out.unique(["alert_key", "transport", "target"], keep="first", maintain_order=True)
    return out.with_columns(
        pl.concat_str("alert_key", pl.lit("|"), "transport", pl.lit("|"), "target").alias("delivery_key")
    ), notes


def claimant() -> str:
    """This process, as its claims name it: ``host pid``."""
    return f"{socket.gethostname()} {os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def stale_claimants(claims: Iterable[str | None]) -> list[str]:
    """Claims by processes of this host that are gone (killed midway): taken over at once."""
    host = socket.gethostname()
    stale = []
    for claim in sorted({c for c in claims if c}):  # one per claiming process, not per row
        name, _, pid = claim.rpartition(" ")
        if name == host and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            stale.append(claim)
    return stale


_SENDING = (
    "delivery_key", "alert_key", "kind", "transport", "route", "target", "format", "subject", "body",
    "body_html", "attempts", "status",
)  # fmt: skip


def claim(
    con: duckdb.DuckDBPyConnection, *, by: str, now: dt.datetime, stale: list[str], limit: int | None = None
) -> pl.DataFrame:
    """Claim every delivery not sent yet that no live run holds (inside a transaction), oldest first."""
    keys = con.execute(
        "UPDATE alert_deliveries SET claimed_by = ?, claimed_at = ? WHERE status <> 'sent' AND ("
        "claimed_by IS NULL OR claimed_by = ? OR claimed_at < ? OR list_contains(?, claimed_by)) "
        "RETURNING delivery_key",
        [by, now, by, now - LEASE, stale],
    ).fetchall()
    rows = con.sql(
        f"SELECT {', '.join(_SENDING)}, created_at FROM alert_deliveries "
        "WHERE list_contains($keys, delivery_key)",
        params={"keys": [k[0] for k in keys]},
    ).to_arrow_table()
    frame = pl.from_arrow(rows)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.sort("created_at", "delivery_key")
    return frame.head(limit) if limit is not None else frame


def mark(con: duckdb.DuckDBPyConnection, results: pl.DataFrame, *, by: str, now: dt.datetime) -> None:
    """Record outcomes (``delivery_key, ok, attempts, error, at``) and renew this run's other claims."""
    con.register("_results", results.select("delivery_key", "ok", "attempts", "error", "at").to_arrow())
    try:
        con.execute(
            "UPDATE alert_deliveries AS d SET "
            "status = CASE WHEN r.ok THEN 'sent' ELSE 'failed' END, "
            "attempts = d.attempts + r.attempts, last_attempt_at = r.at, "
            "sent_at = CASE WHEN r.ok THEN r.at ELSE NULL END, "
            "last_error = CASE WHEN r.ok THEN NULL ELSE r.error END, "
            "claimed_by = NULL, claimed_at = NULL "
            "FROM _results AS r WHERE d.delivery_key = r.delivery_key AND d.status <> 'sent'"
        )
    finally:
        con.unregister("_results")
    con.execute("UPDATE alert_deliveries SET claimed_at = ? WHERE claimed_by = ?", [now, by])


def release(con: duckdb.DuckDBPyConnection, *, by: str) -> None:
    """Give back the claims of this run that were not attempted (the next run sends them)."""
    con.execute("UPDATE alert_deliveries SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ?", [by])
