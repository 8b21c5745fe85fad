"""Command line: ``python -m entitlement_core COMMAND`` (DOMAIN.md "Command line (v1)").

Every command takes ``--db PATH`` and ``--help``; it exits 0 on success and
non-zero with a one-line reason on standard error otherwise (1: the input or
data has problems, 2: the command was used wrongly).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .problems import ProblemsError
from .settings import load_settings
from .store import Store, StoreError

__all__ = ["main", "parse_as_of"]


def parse_as_of(text: str | None, *, now: dt.datetime | None = None) -> dt.datetime:
    """The as-of moment: an ISO timestamp (UTC unless it names an offset), or a date
    meaning the end of that day in UTC; default now.

    >>> parse_as_of("2026-06-01").isoformat()
    '2026-06-01T23:59:59.999999+00:00'
    """
    if text is None:
        return now or dt.datetime.now(dt.UTC)
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of {text!r} is not a date (YYYY-MM-DD) or ISO 8601 timestamp"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _horizons(text: str) -> tuple[int, ...]:
    from .forecast.backtest import parse_horizons

    try:
        return parse_horizons(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Progress:
    """Progress on standard error: a rewriting line on a terminal, plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last = ""

    def __call__(self, done: int, total: int, message: str) -> None:
        pct = f"{100 * done / total:3.0f}%" if total else ""
        line = f"[{time.perf_counter() - self.started:6.1f}s] {pct} {message}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(len(self.last)))
            if done >= total:
                sys.stderr.write("\n")
        elif time.perf_counter() - self.started > 2:
            # Plain lines only for work long enough to need them (logs stay quiet).
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self.last = line


def _cmd_demo(args: argparse.Namespace, store: Store) -> int:
    from .demo import build_demo

    today = dt.date.fromisoformat(args.today) if args.today else dt.datetime.now(dt.UTC).date()
    summary = build_demo(
        store,
        cases=args.cases,
        seed=args.seed,
        today=today,
        progress=_Progress(),
        seasonality=args.seasonality,
    )
    print(f"demo database {store.path}: {summary}")
    return 0


def _cmd_import(args: argparse.Namespace, store: Store) -> int:
    from .ingest import import_path

    result = import_path(
        store,
        Path(args.path),
        format=args.format,
        mapping=Path(args.mapping) if args.mapping else None,
        encoding=args.encoding,
        progress=_Progress(),
    )
    print(result.summary())
    for f in result.files:
        read_as = f" ({f.encoding})" if f.encoding else ""
        print(
            f"  {f.file} -> {f.table}: {f.rows_read} read, {f.rows_added} added, {f.rows_updated} updated"
            + read_as
        )
    for warning in result.warnings:
        print(str(warning), file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace, store: Store) -> int:
    from .export import write_frame
    from .reports import run_report
    from .staging import load_tables

    settings = load_settings()
    options = {} if args.horizons is None else {"horizons": args.horizons}
    frame = run_report(args.name, load_tables(store), as_of=args.as_of, settings=settings, **options)
    write_frame(frame, args.out, args.format)
    if args.out not in (None, "-"):
        print(f"wrote {frame.height} rows to {args.out}", file=sys.stderr)
    return 0


def _cmd_validate(args: argparse.Namespace, store: Store) -> int:
    from .checks import check_configuration, problems_of
    from .staging import load_tables

    found = check_configuration(load_tables(store))
    for problem in problems_of(found):
        print(str(problem))
    errors = found.filter(found["severity"] == "error").height
    warnings = found.height - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _cmd_renew(args: argparse.Namespace, store: Store) -> int:
    import getpass

    from .renewal import apply_renewals, plan_renewals
    from .staging import load_tables

    plan = plan_renewals(load_tables(store), as_of=args.as_of, due_within_days=args.due_within)
    for line in plan.lines():
        print(("would " if args.dry_run else "") + line)
    if plan.is_empty:
        print("nothing to renew", file=sys.stderr)
    elif not args.dry_run:
        apply_renewals(store, plan, actor=f"cli:{getpass.getuser()}")
        print(
            f"renewed {plan.entitlements.height} entitlement(s), {plan.grants.height} grant(s) created",
            file=sys.stderr,
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    from .reports import REPORT_NAMES

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", help="database file (default: data/entitlements.duckdb)")
    parser = argparse.ArgumentParser(
        prog="python -m entitlement_core",
        description="Entitlement analytics: build, import and report on usage-based entitlements and SLAs.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo", parents=[common], help="build a realistic demo database (replaces its data)"
    )
    demo.add_argument("--cases", type=int, default=50_000, help="number of cases (default 50000)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--today", metavar="DATE", help="the demo's 'today' (default: today, UTC)")
    demo.add_argument(
        "--no-seasonality", dest="seasonality", action="store_false", help="spread cases evenly over the days"
    )
    demo.set_defaults(run=_cmd_demo)

    imp = sub.add_parser("import", parents=[common], help="import a folder or files (all or nothing)")
    imp.add_argument("path", help="folder of CSV/Parquet files, or one file")
    imp.add_argument("--format", choices=["native", "salesforce"], help="input format (default: detected)")
    imp.add_argument(
        "--mapping", metavar="FILE", help="Salesforce mapping file (TOML) for custom objects/fields"
    )
    imp.add_argument(
        "--encoding",
        choices=["utf-8", "cp1252", "latin-1"],
        help="text encoding of the CSV files (default: UTF-8, else Windows-1252; a byte-order mark wins)",
    )
    imp.set_defaults(run=_cmd_import)

    rep = sub.add_parser("report", parents=[common], help="write a report as CSV, Parquet or JSON")
    rep.add_argument("name", choices=REPORT_NAMES, metavar="NAME", help=", ".join(REPORT_NAMES))
    rep.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        metavar="TIMESTAMP",
        help="as-of moment (ISO 8601; a date means the end of that day, UTC; default now)",
    )
    rep.add_argument("--out", metavar="FILE", help="output file, or - for standard output (default -)")
    rep.add_argument("--format", choices=["csv", "parquet", "json"], default="csv")
    rep.add_argument(
        "--horizons",
        type=_horizons,
        metavar="DAYS",
        help="forecast-backtest: days before each term's end to predict from (default 30,90,180)",
    )
    rep.set_defaults(run=_cmd_report)

    val = sub.add_parser("validate", parents=[common], help="list configuration and data problems")
    val.set_defaults(run=_cmd_validate)

    ren = sub.add_parser("renew", parents=[common], help="renewal run: next-term entitlements (idempotent)")
    ren.add_argument(
        "--due-within", type=int, required=True, metavar="DAYS", help="renew terms ending within DAYS"
    )
    ren.add_argument(
        "--as-of", type=parse_as_of, default=None, metavar="TIMESTAMP", help="as-of moment (default now)"
    )
    ren.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")
    ren.set_defaults(run=_cmd_renew)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "as_of", "absent") is None:
        args.as_of = parse_as_of(None)
    if getattr(args, "format", None) == "parquet" and args.command == "report" and args.out in (None, "-"):
        parser.error("--format parquet needs --out FILE")
    if getattr(args, "horizons", None) is not None and args.name != "forecast-backtest":
        parser.error("--horizons applies to the forecast-backtest report only")
    try:
        settings = load_settings(db_path=args.db)
        with Store(settings.db_path) as store:
            if args.command != "demo" and store.demo_build_unfinished():
                print(
                    f"warning: the demo build in {store.path} did not finish; its data is partial "
                    "(run `demo` again)",
                    file=sys.stderr,
                )
            return int(args.run(args, store))
    except ProblemsError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        print(f"error: {len(exc.problems)} problem(s) found; nothing was changed", file=sys.stderr)
        return 1
    except (StoreError, KeyError, ValueError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was changed", file=sys.stderr)
        return 130
