"""Command line: ``python -m entitlement_core COMMAND`` (DOMAIN.md "Command line (v1)").

Every command takes ``--db PATH`` and ``--wait SECONDS`` (before or after
the command name) and ``--help``. Arguments are checked before the database
is touched. Exit codes (README, "Command line"): 0 done; 1 the input, the
data or the database stopped it (one line per problem on standard error,
nothing changed); 2 used wrongly (a usage line and the reason); 3 ``alerts``:
some deliveries failed (recorded, retried at the next run); 130 interrupted
(Ctrl-C, or SIGTERM from a scheduler).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .asof import AS_OF_RANGE, AsOf, parse_as_of_text
from .cli_runtime import Progress, Stop, failure
from .settings import load_settings
from .store import Store

__all__ = ["AS_OF_RANGE", "DEMO_TODAY_RANGE", "main", "parse_as_of"]

#: Days the demo's "today" may be (its terms reach years around it).
DEMO_TODAY_RANGE = AS_OF_RANGE


def parse_as_of(text: str | None, *, now: dt.datetime | None = None) -> AsOf:
    """The as-of value of ``--as-of`` (:func:`~entitlement_core.asof.parse_as_of_text`); none: now.

    >>> parse_as_of("2026-06-01")
    AsOf(moment=None, day=datetime.date(2026, 6, 1))
    """
    if text is None:
        return AsOf.at(now or dt.datetime.now(dt.UTC))
    try:
        return parse_as_of_text(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of {exc}") from None


def _demo_today(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--today {text!r} is not a date (YYYY-MM-DD)") from None
    low, high = DEMO_TODAY_RANGE
    if not low <= day <= high:
        raise argparse.ArgumentTypeError(f"--today {text!r} is outside {low} to {high}")
    return day


def _at_least(minimum: float, kind: type = int) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__} number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is below {minimum:g}")
        return value

    return parse


def _horizons(text: str) -> tuple[int, ...]:
    from .forecast.backtest import parse_horizons

    try:
        return parse_horizons(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid {os.getuid()}" if hasattr(os, "getuid") else "cli"


# -- commands ------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace, store: Store) -> int:
    from .demo import build_demo

    today = args.today or dt.datetime.now(dt.UTC).date()
    # Built beside the database and put in its place only when finished: a build stopped
    # midway (Ctrl-C, a kill) leaves the database as it was.
    with store.rebuilding() as fresh:
        summary = build_demo(
            fresh,
            cases=args.cases,
            seed=args.seed,
            today=today,
            progress=Progress(),
            seasonality=args.seasonality,
        )
    print(f"demo database {store.path}: {summary}")
    return 0


def _cmd_import(args: argparse.Namespace, store: Store) -> int:
    from .admin import import_files

    if args.format == "aggregates":
        from .cli_scale import import_aggregates_command

        return import_aggregates_command(args, store)

    result = import_files(
        store,
        Path(args.path),
        actor=_actor(),
        format=args.format,
        mapping=Path(args.mapping) if args.mapping else None,
        encoding=args.encoding,
        progress=Progress(),
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
    # Tables are scanned lazily: the snapshot stays open until the report is written.
    with store.reading() as snap:
        tables = load_tables(snap)
        if tables.aggregates is not None and not args.as_of_given:
            args.as_of = tables.aggregates.as_of  # an aggregates store answers as of its aggregation
        frame = run_report(args.name, tables, as_of=args.as_of, settings=settings, **options)
        write_frame(frame, args.out, args.format)
    if args.out not in (None, "-"):
        print(f"wrote {frame.height} rows to {args.out}", file=sys.stderr)
    return 0


def _cmd_validate(args: argparse.Namespace, store: Store) -> int:
    from .checks import check_configuration, problems_of
    from .staging import load_tables

    with store.reading() as snap:
        found = check_configuration(load_tables(snap))
    for problem in problems_of(found):
        print(str(problem))
    errors = found.filter(found["severity"] == "error").height
    warnings = found.height - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _cmd_renew(args: argparse.Namespace, store: Store) -> int:
    from .renewals import apply_renewals, plan_renewals
    from .staging import load_tables

    with store.reading() as snap:
        plan = plan_renewals(load_tables(snap), as_of=args.as_of, due_within_days=args.due_within)
    if args.dry_run:
        for line in plan.lines():
            print("would " + line)
    done = plan if args.dry_run else apply_renewals(store, plan, actor=_actor())
    if not args.dry_run:
        for line in done.lines():
            print(line)
    if plan.is_empty:
        print("nothing to renew", file=sys.stderr)
    elif not args.dry_run:
        skipped = plan.entitlements.height - done.entitlements.height
        print(
            f"renewed {done.entitlements.height} entitlement(s), {done.grants.height} grant(s) created"
            + (f"; {skipped} renewed meanwhile by another run, left alone" if skipped else ""),
            file=sys.stderr,
        )
    return 0


def _cmd_backup(args: argparse.Namespace, store: Store) -> int:
    from .backup import backup

    target = backup(store, args.file)
    print(f"backed up {store.path} to {target} ({target.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


def _cmd_restore(args: argparse.Namespace, store: Store) -> int:
    from .backup import restore

    saved = restore(store, args.file)
    print(f"restored {store.path} from {args.file}", file=sys.stderr)
    if saved is not None:
        print(f"the content it replaced is saved in {saved}", file=sys.stderr)
    return 0


def _cmd_hash_password(args: argparse.Namespace, store: None) -> int:
    import getpass

    from .auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("New admin password: ")
        if getpass.getpass("The same again: ") != password:
            print("error: the two passwords differ; nothing was made", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        print("error: the password needs at least 8 characters", file=sys.stderr)
        return 1
    print(hash_password(password))
    print("Set it as ENTITLEMENTS_ADMIN_PASSWORD_HASH and restart the app.", file=sys.stderr)
    return 0


# -- arguments -----------------------------------------------------------------------


def _globals(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    """``--db`` and ``--wait``, accepted before and after the command name."""
    default = argparse.SUPPRESS if sub else None
    suffix = "" if sub else "_main"
    parser.add_argument(
        "--db",
        dest="db" + suffix,
        default=default,
        metavar="PATH",
        help="database file (default: ENTITLEMENTS_DB_PATH, else data/entitlements.duckdb)",
    )
    parser.add_argument(
        "--wait",
        dest="wait" + suffix,
        default=default,
        type=_at_least(0, float),
        metavar="SECONDS",
        help="how long to wait while another process uses the database (default 30)",
    )


def _parser() -> argparse.ArgumentParser:
    from .reports import REPORT_NAMES

    common = argparse.ArgumentParser(add_help=False)
    _globals(common, sub=True)
    parser = argparse.ArgumentParser(
        prog="python -m entitlement_core",
        description="Entitlement analytics: build, import and report on usage-based entitlements and SLAs.",
        epilog="Exit codes: 0 done, 1 stopped by a problem (nothing changed), 2 used wrongly, "
        "3 alerts: some deliveries failed (retried at the next run), 130 interrupted.",
    )
    _globals(parser, sub=False)
    parser.add_argument("--traceback", action="store_true", help="show the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, run: Any, help: str, *, needs_db: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(run=run, needs_db=needs_db)
        return p

    demo = command("demo", _cmd_demo, "build a realistic demo database (replaces its data)")
    demo.add_argument("--cases", type=_at_least(0), default=50_000, help="number of cases (default 50000)")
    demo.add_argument("--seed", type=_at_least(0), default=7, help="random seed (default 7)")
    demo.add_argument(
        "--today", type=_demo_today, metavar="DATE", help="the demo's 'today' (default: today, UTC)"
    )
    demo.add_argument(
        "--no-seasonality", dest="seasonality", action="store_false", help="spread cases evenly over the days"
    )

    imp = command("import", _cmd_import, "import a folder or files (all or nothing)", needs_db=False)
    imp.add_argument("path", help="folder of CSV/Parquet files, or one file")
    imp.add_argument(
        "--format",
        choices=["native", "salesforce", "aggregates"],
        help="input format (default: detected); aggregates: the output of `aggregate`, replacing the data",
    )
    imp.add_argument(
        "--mapping", metavar="FILE", help="Salesforce mapping file (TOML) for custom objects/fields"
    )
    imp.add_argument(
        "--encoding",
        choices=["utf-8", "cp1252", "latin-1"],
        help="text encoding of the CSV files (default: UTF-8, else Windows-1252; a byte-order mark wins)",
    )

    rep = command("report", _cmd_report, "write a report as CSV, Parquet or JSON")
    rep.add_argument("name", choices=REPORT_NAMES, metavar="NAME", help=", ".join(REPORT_NAMES))
    rep.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        metavar="TIMESTAMP",
        help="as-of moment: an ISO 8601 timestamp (one moment, UTC unless it names an offset), or a date "
        "(the end of that day in each entitlement's time zone); default now",
    )
    rep.add_argument("--out", metavar="FILE", help="output file, or - for standard output (default -)")
    rep.add_argument("--format", choices=["csv", "parquet", "json"], default="csv")
    rep.add_argument(
        "--horizons",
        type=_horizons,
        metavar="DAYS",
        help="forecast-backtest: days before each term's end to predict from (default 30,90,180)",
    )

    command("validate", _cmd_validate, "list configuration and data problems")

    ren = command("renew", _cmd_renew, "renewal run: next-term entitlements (idempotent)")
    ren.add_argument(
        "--due-within",
        type=_at_least(0),
        required=True,
        metavar="DAYS",
        help="renew terms ending within DAYS",
    )
    ren.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        metavar="TIMESTAMP",
        help="as-of moment or date (as for report; default now)",
    )
    ren.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")

    bak = command("backup", _cmd_backup, "write a consistent copy of the database to a new file")
    bak.add_argument("file", metavar="FILE", help="the backup file to create")
    res = command(
        "restore",
        _cmd_restore,
        "replace the database with a backup (the replaced content is backed up first)",
        needs_db=False,
    )
    res.add_argument("file", metavar="FILE", help="a backup made by `backup`")
    command(
        "hash-password",
        _cmd_hash_password,
        "make a salted hash of an admin password (reads it from the terminal or standard input)",
        needs_db=False,
    )
    from .alerts.cli import add_alerts_commands

    add_alerts_commands(sub, common, parse_as_of)
    from .cli_scale import add_scale_commands

    add_scale_commands(sub, common, parse_as_of)
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Settle the global options and check the arguments, before anything is touched."""
    for name in ("db", "wait"):
        before, after = getattr(args, f"{name}_main"), getattr(args, name, None)
        if before is not None and after is not None and before != after:
            parser.error(f"--{name} is given twice, with different values ({before} and {after})")
        setattr(args, name, after if after is not None else before)
    args.as_of_given = getattr(args, "as_of", None) is not None
    if getattr(args, "as_of", "absent") is None:
        args.as_of = parse_as_of(None)
    if args.command == "report" and args.format == "parquet" and args.out in (None, "-"):
        parser.error("--format parquet needs --out FILE")
    if getattr(args, "horizons", None) is not None and args.name != "forecast-backtest":
        parser.error("--horizons applies to the forecast-backtest report only")
    if args.command == "backup" and not Path(args.file).resolve().parent.is_dir():
        parser.error(f"{args.file}: its folder does not exist")


def _missing(args: argparse.Namespace, path: Path) -> str | None:
    """Why the command cannot run on this database file (None: it can)."""
    if args.command == "import" and not Path(args.path).exists():
        return f"{args.path}: no such file or folder"
    if args.command == "restore" and not Path(args.file).is_file():
        return f"{args.file}: no such file"
    if args.needs_db and args.command != "demo" and not path.exists():
        return f"database {path} does not exist: build one with `demo` or `import` files first"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    stop = Stop()
    try:
        with stop.installed():
            code = _run(args)
            sys.stdout.flush()
            return code
    except BaseException as exc:
        if stop.requested or isinstance(exc, KeyboardInterrupt):
            print("error: interrupted; nothing was changed", file=sys.stderr)
            return 130
        return failure(exc, args)


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "prepare", None):
        args.prepare(args)  # e.g. the alert rules file, read before the database is touched
    if args.command == "hash-password" or getattr(args, "no_store", False):
        return int(args.run(args, None))
    settings = load_settings(db_path=args.db)
    path = Path(settings.db_path)
    reason = _missing(args, path)
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    wait = args.wait if args.wait is not None else settings.db_wait_seconds
    store = Store(path, wait=wait)
    try:
        if args.command not in ("demo", "restore") and store.demo_build_unfinished():
            print(
                f"warning: the demo build in {store.path} did not finish; its data is partial "
                "(run `demo` again)",
                file=sys.stderr,
            )
        return int(args.run(args, store))
    finally:
        store.close()
