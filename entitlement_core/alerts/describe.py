"""``alerts rules``: the effective rules, routes and delivery settings, in words."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from ..reports import run_report
from ..settings import Settings
from ..staging import Tables
from .conditions import Capabilities, capabilities
from .outbox import default_format, webhook_urls
from .rules import MATCH_FIELDS, RULE_IDS, RULE_SEVERITY, RuleSet, rule_params

__all__ = ["describe_rules", "redact", "report_capabilities"]

_COMMON = ("enabled", "notify", "webhook_url", "webhook_format", "email")


def redact(url: str) -> str:
    """A webhook URL without its path and query (they often hold a secret)."""
    parts = urlsplit(url)
    rest = "…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{parts.netloc}/{rest}"


def report_capabilities(settings: Settings) -> Capabilities:
    """What this version's reports carry, from their columns on no data (through the registry)."""
    empty = Tables.from_frames()
    as_of = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    columns = {
        name: tuple(run_report(name, empty, as_of=as_of, settings=settings).columns)
        for name in ("utilization", "milestones")
    }
    return capabilities(columns)


def _condition(rule_id: str, rule: Any, settings: Settings) -> str:
    if rule_id == "near_limit":
        return (
            f"an active entitlement becomes near limit (pct_used >= {settings.near_limit_pct:g} or remaining "
            f"<= {settings.near_limit_remaining:g} unit(s); a plan's own thresholds win)"
        )
    if rule_id == "exhausted":
        return "an active entitlement becomes exhausted (remaining = 0)"
    if rule_id == "over_cap":
        return "an active entitlement goes over its cap (remaining < 0)"
    if rule_id == "projected_run_out":
        within = f" within {rule.within_days} days" if rule.within_days is not None else ""
        return (
            "an active entitlement (healthy or near limit) is projected to run out before its term ends"
            f"{within} (run-out probability >= {rule.min_probability:g} where the report carries one)"
        )
    if rule_id == "milestone_at_risk":
        if rule.minutes_before is None:
            return (
                "an open milestone enters its at-risk window (the last "
                f"{settings.at_risk_fraction:.0%} of its target, or the target's warning_minutes)"
            )
        return f"an open milestone is {rule.minutes_before:g} business minutes or less from its target"
    if rule_id == "milestone_violated":
        return (
            f"a milestone passes its target (violated) within the last {rule.lookback_hours:g} hours "
            "(older violations never alert)"
        )
    if rule_id == "case_paused":
        return (
            f"an open case's milestone clock is paused and has been paused for {rule.threshold_minutes:g} "
            "business minutes or more"
        )
    if rule_id == "renewal_due":
        return f"an entitlement's term ends within {rule.within_days} days and it is not renewed yet"
    return (
        f"an account has cases created in the last {rule.lookback_days} days that name no entitlement "
        "while one was active (fires again when a newer one appears)"
    )


def _value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _routes(rule_id: str, rule: Any, rules: RuleSet, settings: Settings) -> str:
    hooks = webhook_urls(rules, settings)
    parts = []
    for channel in rule.notify:
        if channel == "webhook":
            label = f"rules.{rule_id}" if rule.webhook_url else "default"
            fmt = rule.webhook_format or (default_format(rules, settings) if label == "default" else "json")
            parts.append(
                f"webhook {redact(hooks[label])} ({fmt})" if label in hooks else "webhook (no URL set)"
            )
        elif channel == "owner":
            parts.append(f"owner ({len(rules.routing.owners)} owner(s) with an address)")
        else:
            parts.append("team " + (", ".join(rules.routing.team_email) or "(no team_email set)"))
    parts += [f"email {address}" for address in rule.email]
    return ", ".join(parts) or "the feed only"


def describe_rules(rules: RuleSet, settings: Settings, *, source: str) -> list[str]:
    """Every rule with its condition (thresholds resolved), routes and overrides; then delivery."""
    caps = report_capabilities(settings)
    lines = [f"Alert rules from {source}", ""]
    for rule_id in RULE_IDS:
        rule = rules.rule(rule_id)
        state = "enabled" if rule.enabled else "disabled"
        if rule_id == "case_paused" and not caps.paused_clocks:
            state += ", unavailable in this version"
        lines.append(f"{rule_id} · {RULE_SEVERITY[rule_id]} · {state}")
        lines.append(f"  when: {_condition(rule_id, rule, settings)}")
        lines.append(f"  notify: {_routes(rule_id, rule, rules, settings)}; always the Alerts page")
        for i, override in enumerate(rule.overrides):
            match = " and ".join(
                f"{name} {' or '.join(getattr(override, name))}"
                for name in MATCH_FIELDS
                if getattr(override, name) is not None
            )
            sets = ", ".join(
                f"{name} = {_value(getattr(override, name))}"
                for name in rule_params(rule_id)
                if getattr(override, name) is not None
            )
            lines.append(f"  override {i + 1} ({match}): {sets or 'nothing'}")
        if rule_id == "case_paused" and not caps.paused_clocks:
            lines.append(f"  note: {caps.notes[0]}")
        if rule_id == "projected_run_out" and caps.probability_column is None:
            lines.append(f"  note: {caps.notes[-1]}")
    hooks = webhook_urls(rules, settings)
    smtp = (
        f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security}), from {settings.smtp_from}"
        if settings.smtp_host
        else "not configured (ENTITLEMENTS_SMTP_HOST): email routes are skipped"
    )
    owners = sorted(rules.routing.owners)
    digest = rules.digest
    lines += [
        "",
        "Delivery",
        "  default webhook: "
        + (
            f"{redact(hooks['default'])} ({default_format(rules, settings)})"
            if "default" in hooks
            else "none"
        )
        + (
            " (ENTITLEMENTS_ALERTS_WEBHOOK_URL)"
            if settings.alerts_webhook_url
            else " (routing.webhook_url)"
            if rules.routing.webhook_url
            else " (set ENTITLEMENTS_ALERTS_WEBHOOK_URL or routing.webhook_url)"
        ),
        f"  team email: {', '.join(rules.routing.team_email) or 'none'}",
        f"  owners with an address: {len(owners)}" + (f" ({', '.join(owners)})" if owners else ""),
        f"  SMTP: {smtp}",
        f"  attempts per run: {settings.alerts_attempts}, timeout {settings.alerts_timeout_seconds:g} s",
        f"  links to: {settings.app_url}",
        f"Digest: renewals within {digest.renewals_within_days} days, milestones breached in the last "
        f"{digest.breached_days} days, at most {digest.max_rows} rows per section",
    ]
    return lines
