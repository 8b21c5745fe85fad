"""``alerts digest``: print, write or send the weekly digest of each account owner.

Sending goes through the outbox like an alert: the email is recorded first
(key ``digest:<owner>@<ISO week>``, so a second ``--send`` in the same week
sends nothing new), then delivered, then marked sent.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import polars as pl

from ..asof import AsOf, as_of_value
from ..settings import Settings
from ..staging import load_tables
from ..store import Store, StoreError
from .digest import DIGEST_REPORTS, Digest, build_digests
from .evaluation import run_reports
from .rules import RuleSet
from .runner import EXIT_DELIVERY_FAILED, _stamp, deliver_pending

__all__ = ["enqueue_digests", "run_digest"]


def _slug(owner: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", owner).strip("-").lower() or "owner"


def enqueue_digests(store: Store, digests: list[Digest], addresses: dict[str, str]) -> list[str]:
    """Record the digest emails not recorded yet for their week; returns the owners queued now."""
    rows = [
        {"delivery_key": f"{d.key}|email|{addresses[d.owner]}", "alert_key": d.key, "kind": "digest",
         "transport": "email", "route": "digest", "target": addresses[d.owner], "format": "email",
         "subject": d.subject, "body": d.markdown, "body_html": d.html, "owner": d.owner}
        for d in digests if d.owner in addresses
    ]  # fmt: skip
    if not rows:
        return []
    frame = pl.DataFrame(rows)
    with store.transaction() as con:
        con.register("_digests", frame.to_arrow())
        try:
            queued = con.execute(
                "INSERT INTO alert_deliveries (delivery_key, alert_key, kind, transport, route, target, "
                "format, subject, body, body_html, status, attempts, created_at) "
                "SELECT delivery_key, alert_key, kind, transport, route, target, format, subject, body, "
                "body_html, 'pending', 0, ? FROM _digests ON CONFLICT DO NOTHING RETURNING alert_key",
                [dt.datetime.now(dt.UTC)],
            ).fetchall()
        finally:
            con.unregister("_digests")
    keys = {row[0] for row in queued}
    return [row["owner"] for row in rows if row["alert_key"] in keys]


def run_digest(
    store: Store,
    rules: RuleSet,
    settings: Settings,
    *,
    as_of: dt.datetime | AsOf,
    owners: list[str] | None = None,
    send: bool = False,
    out: Path | None = None,
) -> int:
    """Build the digests; print them (Markdown), write them to ``out``, or send them. Exit code."""
    if send and not settings.smtp_host:
        raise StoreError('--send needs an SMTP server: set ENTITLEMENTS_SMTP_HOST (README, "Alerts")')
    if out is not None and not out.is_dir():
        raise StoreError(f"{out}: no such folder")
    with store.reading() as snap:
        tables = load_tables(snap).collect_all()
    window = settings.model_copy(update={"renewal_window_days": rules.digest.renewals_within_days})
    reports = run_reports(tables, list(DIGEST_REPORTS), as_of=as_of, settings=window)
    as_of = as_of_value(as_of).moment_in("UTC")  # a date: the reports per zone, the digest's week in UTC
    digests = build_digests(reports, rules.digest, as_of=as_of, app_url=settings.app_url, owners=owners)
    known = set(reports["utilization"]["owner"].drop_nulls().to_list())
    for owner in sorted(set(owners or ()) - known):
        print(f"warning: no entitlement has the owner {owner!r}; the digest says so", file=sys.stderr)
    if out is not None:
        for d in digests:
            (out / f"{_slug(d.owner)}-{d.week}.md").write_text(d.markdown, encoding="utf-8")
            (out / f"{_slug(d.owner)}-{d.week}.html").write_text(d.html, encoding="utf-8")
        print(f"wrote {2 * len(digests)} file(s) to {out}", file=sys.stderr)
    if not send:
        if out is None:
            print("\n---\n\n".join(d.markdown for d in digests), end="")
        return 0
    addresses = dict(rules.routing.owners)
    missing = [d.owner for d in digests if d.owner not in addresses]
    if missing:
        print(
            f"warning: {len(missing)} owner(s) without an address in [routing.owners] get no digest: "
            + ", ".join(missing[:10])
            + (" ..." if len(missing) > 10 else ""),
            file=sys.stderr,
        )
    queued = set(enqueue_digests(store, digests, addresses))
    for d in digests:
        if d.owner in addresses:
            state = "queued" if d.owner in queued else "already queued for this week (not sent again)"
            print(f"{_stamp()} digest {d.key} to {addresses[d.owner]}: {state}", flush=True)
    done = deliver_pending(store, rules, settings)
    print(f"{_stamp()} alerts digest {digests[0].week if digests else ''}: {len(queued)} queued, "
          f"{done.sent} delivered, {done.failed} failed", flush=True)  # fmt: skip
    if done.interrupted:
        return 130
    return EXIT_DELIVERY_FAILED if done.failed else 0
