"""The ``alerts`` command group: ``alerts run``, ``alerts rules``, ``alerts digest``.

Registered by :mod:`entitlement_core.cli`. The rules file is read and
checked before the database is touched (a bad file: exit 1, one line per
problem naming the file, line and key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..asof import AsOf
from ..settings import Settings, load_settings
from ..store import Store

__all__ = ["add_alerts_commands"]


def _prepare(args: argparse.Namespace) -> None:
    """Read the rules file (``--rules``, else the setting) before anything else."""
    from .rules import load_rules

    settings = load_settings(db_path=args.db)
    args.alert_settings = settings
    args.alert_rules = load_rules(args.rules or settings.alerts_rules)


def _as_of(args: argparse.Namespace) -> tuple[dt.datetime | AsOf, bool]:
    explicit = args.alerts_as_of is not None
    return (args.alerts_as_of if explicit else dt.datetime.now(dt.UTC)), explicit


def _cmd_run(args: argparse.Namespace, store: Store) -> int:
    from .runner import run_alerts

    as_of, explicit = _as_of(args)
    return run_alerts(
        store,
        args.alert_rules,
        args.alert_settings,
        as_of=as_of,
        explicit_as_of=explicit,
        dry_run=args.dry_run,
    )


def _cmd_rules(args: argparse.Namespace, store: None) -> int:
    from .describe import describe_rules

    for line in describe_rules(args.alert_rules, args.alert_settings, source=_source(args)):
        print(line)
    return 0


def _source(args: argparse.Namespace) -> str:
    if args.rules:
        return f"{args.rules} (--rules)"
    settings: Settings = args.alert_settings
    return f"{settings.alerts_rules} (ENTITLEMENTS_ALERTS_RULES)"


def _cmd_digest(args: argparse.Namespace, store: Store) -> int:
    from .digest_job import run_digest

    as_of, _ = _as_of(args)
    return run_digest(
        store,
        args.alert_rules,
        args.alert_settings,
        as_of=as_of,
        owners=args.owner or None,
        send=args.send,
        out=Path(args.out) if args.out else None,
    )


def add_alerts_commands(sub: Any, common: argparse.ArgumentParser, as_of_type: Any) -> None:
    """Add ``alerts`` (with ``run``, ``rules`` and ``digest``) to the command line's subparsers."""
    group = sub.add_parser(
        "alerts",
        parents=[common],
        help="alert rules, the alert job and the weekly digest",
        description="Alerts: evaluate the rules and deliver what fired (run), print the effective rules "
        "(rules), the weekly digest per account owner (digest). Exit codes: 0 done, 1 stopped by a "
        "problem, 2 used wrongly, 3 some deliveries failed (recorded; retried at the next run), "
        "130 interrupted.",
    )
    inner = group.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)

    def action(name: str, run: Any, help: str, *, needs_db: bool = True) -> argparse.ArgumentParser:
        p = inner.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(run=run, needs_db=needs_db, no_store=not needs_db, prepare=_prepare)
        p.add_argument("--rules", metavar="FILE", help="rules file (default: ENTITLEMENTS_ALERTS_RULES)")
        return p

    def as_of(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--as-of",
            dest="alerts_as_of",
            type=as_of_type,
            default=None,
            metavar="TIMESTAMP",
            help="as-of moment (ISO 8601; a date means the end of that day, UTC; default now)",
        )

    run = action(
        "run",
        _cmd_run,
        "evaluate the rules, record what fired (once per crossing) and deliver it; exit 3 when some "
        "deliveries failed (they are retried at the next run)",
    )
    as_of(run)
    run.add_argument("--dry-run", action="store_true", help="print what would fire; change and send nothing")
    action(
        "rules", _cmd_rules, "print the effective alert rules, routes and delivery settings", needs_db=False
    )
    digest = action(
        "digest",
        _cmd_digest,
        "the weekly digest per account owner, as Markdown (or --send it as email, once per owner and week)",
    )
    as_of(digest)
    digest.add_argument("--owner", action="append", metavar="NAME", help="only this owner (repeatable)")
    digest.add_argument("--send", action="store_true", help="email it to each owner in [routing.owners]")
    digest.add_argument("--out", metavar="DIR", help="also write <owner>.md and <owner>.html into DIR")


def print_err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
