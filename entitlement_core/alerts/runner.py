"""The alert job: evaluate, record, send, record again; one log line per action.

The order is what makes a crash safe (an outbox):

1. read one snapshot and evaluate (:func:`~.evaluation.evaluate`), holding nothing;
2. one short write transaction: the new alerts, their deliveries (rendered
   in full) and the cleared alerts, and a claim on every delivery not sent
   yet;
3. send, holding no database (network waits never block the app or other
   jobs);
4. short write transactions recording what was sent (about once a second,
   and at the end).

A crash after 2 loses nothing: the next run sends what was not recorded as
sent. A crash between a send and its record (3-4) sends that message again
at the next run, with the same idempotency key: delivery is at least once,
and receivers drop repeats by the key.

Exit codes: 0 every delivery due was sent; 3 some failed (recorded, retried
at the next run); 130 interrupted (what was sent is recorded).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ..asof import AsOf, as_of_value
from ..settings import Settings
from ..store import Store
from .delivery import Sender
from .evaluation import Evaluation, evaluate, rule_counts
from .messages import render
from .outbox import claim, claimant, mark, release, stale_claimants, webhook_urls
from .rules import RuleSet
from .state import record

__all__ = ["EXIT_DELIVERY_FAILED", "Delivered", "deliver_pending", "dry_run_lines", "run_alerts"]

#: Exit code of a run where some deliveries failed (recorded; retried at the next run).
EXIT_DELIVERY_FAILED = 3
#: Test hook: seconds to wait after each send, before recording it (to kill the job there).
PAUSE_AFTER_SEND = "ENTITLEMENTS_ALERTS_PAUSE_AFTER_SEND"

Log = Callable[[str], None]


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _print(line: str) -> None:
    print(line, flush=True)


def _destinations(routes: pl.DataFrame) -> pl.DataFrame:
    """``alert_key, destinations`` (``webhook default, email a@b``)."""
    return routes.group_by("alert_key").agg(
        pl.concat_str("transport", pl.lit(" "), "target").sort().str.join(", ").alias("destinations")
    )


def _alert_lines(new: pl.DataFrame, routes: pl.DataFrame, verb: str, *, with_key: bool) -> list[str]:
    """One line per alert, built column-wise."""
    if new.is_empty():
        return []
    frame = new.join(_destinations(routes), on="alert_key", how="left", maintain_order="left")
    line = pl.concat_str(
        pl.lit(verb + " "), "rule_id", pl.lit(" "), "record_kind", pl.lit(" "), "record_id",
        pl.lit(" · "), pl.coalesce("account_name", pl.lit("?")),
        pl.lit(" ("), pl.coalesce("account_id", pl.lit("?")),
        pl.lit(") · owner "), pl.coalesce("owner", pl.lit("—")), pl.lit(": "), "summary",
        pl.lit(" -> "), pl.coalesce("destinations", pl.lit("feed only")),
        *([pl.lit(" [key "), "alert_key", pl.lit("]")] if with_key else []),
    )  # fmt: skip
    return frame.select(line.alias("line"))["line"].to_list()


def _cleared_lines(cleared: pl.DataFrame, verb: str) -> list[str]:
    if cleared.is_empty():
        return []
    line = pl.concat_str(
        pl.lit(verb + " "), "rule_id", pl.lit(" "), "record_kind", pl.lit(" "), "record_id",
        pl.lit(" · "), pl.coalesce("account_id", pl.lit("?")), pl.lit(": condition cleared"),
    )  # fmt: skip
    return cleared.select(line.alias("line"))["line"].to_list()


def dry_run_lines(ev: Evaluation, *, as_of_text: str) -> list[str]:
    """What a run would do, sorted, one line per alert, and a summary (no clock reading in it)."""
    lines = _alert_lines(ev.new, ev.routes, "would fire", with_key=False)
    lines += _cleared_lines(ev.cleared, "would re-arm")
    pending = ev.state.unsent.height
    counts = rule_counts(ev.new)
    lines.append(
        f"dry run as of {as_of_text}: {ev.new.height} alert(s) would fire"
        + (f" ({counts})" if counts else "")
        + f", {ev.cleared.height} would re-arm, {ev.routes.height} message(s) would be queued, "
        f"{pending} earlier delivery(ies) would be retried; nothing was changed"
    )
    return lines


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0
    interrupted: bool = False


def _flush(store: Store, results: list[dict[str, object]], *, by: str) -> None:
    if not results:
        return
    frame = pl.DataFrame(
        results,
        schema={
            "delivery_key": pl.String, "ok": pl.Boolean, "attempts": pl.Int32, "error": pl.String,
            "at": pl.Datetime("us", "UTC"),
        },
    )  # fmt: skip
    with store.transaction() as con:
        mark(con, frame, by=by, now=dt.datetime.now(dt.UTC))
    results.clear()


def _send_all(store: Store, claimed: pl.DataFrame, sender: Sender, *, by: str, log: Log) -> Delivered:
    done = Delivered()
    pause = float(os.environ.get(PAUSE_AFTER_SEND) or 0)
    results: list[dict[str, object]] = []
    last_flush = time.monotonic()
    try:
        for delivery in claimed.iter_rows(named=True):  # one network send per row: I/O, not analytics
            outcome = sender.send(delivery)
            results.append(
                {"delivery_key": delivery["delivery_key"], "ok": outcome.ok, "attempts": outcome.attempts,
                 "error": outcome.error, "at": dt.datetime.now(dt.UTC)}
            )  # fmt: skip
            what = f"{delivery['kind']} {delivery['alert_key']}"
            where = f"{delivery['transport']} {delivery['target']}"
            if outcome.ok:
                done.sent += 1
                log(f"{_stamp()} delivered {what} to {where} ({outcome.detail})")
                if pause:
                    print(f"paused after sending {delivery['delivery_key']}", file=sys.stderr, flush=True)
                    time.sleep(pause)
            else:
                done.failed += 1
                log(
                    f"{_stamp()} failed {what} to {where}: {outcome.error} "
                    f"({outcome.attempts} attempt(s) in this run; retried at the next run)"
                )
            if time.monotonic() - last_flush >= 1.0:
                _flush(store, results, by=by)
                last_flush = time.monotonic()
    except KeyboardInterrupt:
        done.interrupted = True
    finally:
        sender.close()
        _flush(store, results, by=by)
        with store.transaction() as con:
            release(con, by=by)
    return done


def deliver_pending(
    store: Store,
    rules: RuleSet,
    settings: Settings,
    *,
    log: Log = _print,
    claimed: pl.DataFrame | None = None,
) -> Delivered:
    """Send every delivery not sent yet that no live run holds, and record the outcomes."""
    by = claimant()
    if claimed is None:
        with store.reading() as snap:
            unsent = snap.query("SELECT DISTINCT claimed_by FROM alert_deliveries WHERE status <> 'sent'")
        with store.transaction() as con:
            claimed = claim(
                con, by=by, now=dt.datetime.now(dt.UTC), stale=stale_claimants(unsent["claimed_by"])
            )
    if claimed.is_empty():
        return Delivered()
    return _send_all(store, claimed, Sender(settings, webhook_urls(rules, settings)), by=by, log=log)


def run_alerts(
    store: Store,
    rules: RuleSet,
    settings: Settings,
    *,
    as_of: dt.datetime | AsOf,
    explicit_as_of: bool = False,
    dry_run: bool = False,
    log: Log = _print,
    warn: Log | None = None,
) -> int:
    """``alerts run``: evaluate, record and deliver; returns the exit code (0, 3 or 130)."""
    warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
    as_of_text = str(as_of_value(as_of)).replace("+00:00", "Z") if explicit_as_of else "now"
    ev = evaluate(store, rules, settings, as_of=as_of, explicit_as_of=explicit_as_of)
    for note in ev.notes:
        warn(f"note: {note}")
    if dry_run:
        for line in dry_run_lines(ev, as_of_text=as_of_text):
            log(line)
        return 0
    rendered = render(ev.new, ev.routes, app_url=settings.app_url)
    by = claimant()
    stale = stale_claimants(ev.state.unsent["claimed_by"])
    with store.transaction() as con:
        keys = record(con, ev.new, rendered, ev.cleared, at=ev.fired_at)
        claimed = claim(con, by=by, now=dt.datetime.now(dt.UTC), stale=stale)
    fired = ev.new.filter(pl.col("alert_key").is_in(keys))
    for line in _alert_lines(fired, ev.routes, f"{_stamp()} fired", with_key=True):
        log(line)
    for line in _cleared_lines(ev.cleared, f"{_stamp()} re-armed"):
        log(line)
    held = ev.state.unsent.filter(~pl.col("delivery_key").is_in(claimed["delivery_key"].implode())).height
    done = deliver_pending(store, rules, settings, log=log, claimed=claimed)
    skipped = ev.new.height - fired.height
    log(
        f"{_stamp()} alerts run as of {as_of_text}: {fired.height} fired"
        + (f" ({rule_counts(fired)})" if fired.height else "")
        + f", {ev.cleared.height} re-armed, {done.sent} delivered, {done.failed} failed"
        + (f", {skipped} recorded meanwhile by another run" if skipped else "")
        + (f", {held} held by another run" if held else "")
    )
    if done.interrupted:
        warn("error: interrupted; what was sent is recorded, the rest is sent at the next run")
        return 130
    return EXIT_DELIVERY_FAILED if done.failed else 0
