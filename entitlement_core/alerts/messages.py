"""What an alert says: the webhook JSON, its Slack variant, the email (text and HTML), the app link.

Rendered once, when the alert is recorded: a retry sends the very same
bytes. Every message carries the alert key (``idempotency_key``; the
``Idempotency-Key`` header and the email's ``Message-ID`` too), so a
receiver can drop the repeat of an at-least-once delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from typing import Any
from urllib.parse import urlencode

import polars as pl

from .rules import RULE_TITLES

__all__ = [
    "absolute",
    "email_message",
    "link_path",
    "message_id",
    "render",
    "slack_payload",
    "webhook_payload",
]


def link_path(alert: dict[str, Any], *, as_of_date: dt.date | None = None) -> str:
    """The app page that shows the alert's record, its filters in the query (relative to the app)."""
    rule, figures = alert["rule_id"], _figures(alert)
    params: dict[str, Any]
    if rule in ("milestone_at_risk", "milestone_violated"):
        page, params = "sla", {"owner": alert.get("owner"), "tier": alert.get("tier")}
    elif rule == "renewal_due":
        days = figures.get("days_to_end")
        within = min(max(7, int(days) + 1 if isinstance(days, int | float) else 90), 365)
        page, params = "renewals", {"within": within, "owner": alert.get("owner")}
    else:
        page, params = "account", {"q": alert.get("account_id")}
    if as_of_date is not None:
        params["as_of"] = as_of_date.isoformat()
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{page}?{query}" if query else page


def absolute(app_url: str, path: str) -> str:
    return f"{app_url.rstrip('/')}/{path}"


def message_id(key: str) -> str:
    """An email ``Message-ID`` made from the alert key (the same for every retry)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@entitlements.alerts>"


def _figures(alert: dict[str, Any]) -> dict[str, Any]:
    raw = alert.get("figures")
    return json.loads(raw) if isinstance(raw, str) and raw else {}


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return None if value is None else str(value)


def _title(alert: dict[str, Any]) -> str:
    who = alert.get("account_name") or alert.get("account_id") or alert["record_id"]
    return f"{RULE_TITLES[alert['rule_id']]}: {who}"


def webhook_payload(alert: dict[str, Any], *, app_url: str) -> dict[str, Any]:
    """The webhook's JSON body: the account, the entitlement or case, the figures, the link."""
    return {
        "idempotency_key": alert["alert_key"],
        "type": "alert",
        "rule": alert["rule_id"],
        "title": _title(alert),
        "severity": alert["severity"],
        "summary": alert["summary"],
        "banner": alert.get("banner"),
        "record": {"kind": alert["record_kind"], "id": alert["record_id"]},
        "crossing_at": _iso(alert["crossing_at"]),
        "as_of": _iso(alert["as_of"]),
        "fired_at": _iso(alert["fired_at"]),
        "account": {
            "id": alert.get("account_id"),
            "name": alert.get("account_name"),
            "owner": alert.get("owner"),
            "tier": alert.get("tier"),
            "plan": alert.get("plan"),
        },
        "entitlement": {"id": alert["entitlement_id"]} if alert.get("entitlement_id") else None,
        "case": {"id": alert["case_id"], "milestone": alert.get("milestone")}
        if alert.get("case_id")
        else None,
        "figures": _figures(alert),
        "link": absolute(app_url, alert["link"]),
    }


def _slack_escape(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: dict[str, Any], *, app_url: str) -> dict[str, Any]:
    """A Slack incoming-webhook body (``text`` and ``blocks``); the key is in the context line."""
    body = webhook_payload(alert, app_url=app_url)
    lines = [f"*{_slack_escape(body['title'])}*", _slack_escape(body["summary"])]
    if body["banner"] and body["banner"] != body["summary"]:
        lines.append(f"> {_slack_escape(body['banner'])}")
    fields = [f"*Owner*\n{_slack_escape(body['account']['owner'] or '—')}"]
    if body["entitlement"]:
        fields.append(f"*Entitlement*\n{_slack_escape(body['entitlement']['id'])}")
    if body["case"]:
        fields.append(
            f"*Case*\n{_slack_escape(body['case']['id'])} · {_slack_escape(body['case']['milestone'] or '')}"
        )
    return {
        "text": f"{body['title']}: {body['summary']}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{body['link']}|Open in the app>"}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{body['severity']} · idempotency key "
                        f"`{_slack_escape(body['idempotency_key'])}`",
                    }
                ],
            },
        ],
    }


def _figure_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value[:20]) + (
            f" (+{len(value) - 20} more)" if len(value) > 20 else ""
        )
    return "—" if value is None else str(value)


def email_message(alert: dict[str, Any], *, app_url: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an alert email."""
    body = webhook_payload(alert, app_url=app_url)
    account = body["account"]
    subject = f"[{body['severity']}] {body['title']} ({alert['record_id']})"
    facts = [
        ("Account", f"{account['name'] or '—'} ({account['id'] or '—'})"),
        ("Owner", account["owner"] or "—"),
        ("Tier / plan", f"{account['tier'] or '—'} / {account['plan'] or '—'}"),
    ]
    if body["entitlement"]:
        facts.append(("Entitlement", body["entitlement"]["id"]))
    if body["case"]:
        facts.append(("Case", f"{body['case']['id']} · {body['case']['milestone'] or ''}"))
    facts += [(name.replace("_", " "), _figure_text(value)) for name, value in body["figures"].items()]
    footer = f"Alert key {body['idempotency_key']} · crossed {body['crossing_at']} · as of {body['as_of']}"
    text = "\n".join(
        [
            body["title"],
            "",
            body["summary"],
            *([body["banner"]] if body["banner"] and body["banner"] != body["summary"] else []),
            "",
            *(f"{name}: {value}" for name, value in facts),
            "",
            f"Open in the app: {body['link']}",
            "",
            footer,
        ]
    )
    e = html.escape
    rows = "".join(
        f'<tr><th style="text-align:left;padding:2px 12px 2px 0">{e(name)}</th><td>{e(value)}</td></tr>'
        for name, value in facts
    )
    banner = (
        f'<p style="padding:8px;background:#fff4e5;border-left:4px solid #f59e0b">{e(body["banner"])}</p>'
        if body["banner"] and body["banner"] != body["summary"]
        else ""
    )
    page = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{e(body['title'])}</h2><p>{e(body['summary'])}</p>{banner}"
        f"<table>{rows}</table>"
        f'<p><a href="{e(body["link"], quote=True)}">Open in the app</a></p>'
        f'<p style="color:#666;font-size:small">{e(footer)}</p></body></html>'
    )
    return subject, text, page


def render(alerts: pl.DataFrame, routes: pl.DataFrame, *, app_url: str) -> pl.DataFrame:
    """The message of every delivery (``subject, body, body_html``), rendered from its alert."""
    by_key = {row["alert_key"]: row for row in alerts.iter_rows(named=True)}
    subjects, bodies, pages = [], [], []
    for delivery in routes.iter_rows(named=True):  # one message per delivery: output, not analytics
        alert, fmt = by_key[delivery["alert_key"]], delivery["format"]
        if fmt == "email":
            subject, text, page = email_message(alert, app_url=app_url)
        else:
            payload = (
                slack_payload(alert, app_url=app_url)
                if fmt == "slack"
                else webhook_payload(alert, app_url=app_url)
            )
            subject, text, page = None, json.dumps(payload, ensure_ascii=False, sort_keys=False), None
        subjects.append(subject)
        bodies.append(text)
        pages.append(page)
    return routes.with_columns(
        pl.Series("subject", subjects, dtype=pl.String),
        pl.Series("body", bodies, dtype=pl.String),
        pl.Series("body_html", pages, dtype=pl.String),
        pl.lit("alert").alias("kind"),
    )
