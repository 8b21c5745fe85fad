"""Command-line plumbing: progress lines, stopping on a signal, and one-line failures.

What every command of :mod:`entitlement_core.cli` shares once it runs: a
progress line on standard error, Ctrl-C or SIGTERM turned into exit 130,
and any failure turned into one line and an exit code (README, "Command line").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator

from .problems import ProblemsError
from .store import StoreError

__all__ = ["Progress", "Stop", "failure"]


class Progress:
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


class Stop:
    """Ctrl-C or SIGTERM (a scheduler stopping the job) ends the command: rolled back, exit 130.

    DuckDB turns the interrupt of a running query into an error of its own;
    the flag tells that error apart from a real failure.
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        self.requested = True
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        try:
            previous = {sig: signal.signal(sig, self) for sig in (signal.SIGINT, signal.SIGTERM)}
        except ValueError:  # not the main thread
            yield
            return
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


def failure(exc: BaseException, args: argparse.Namespace) -> int:
    """The exit code of a command stopped by ``exc``, after its one line on standard error."""
    import duckdb
    import polars as pl

    if isinstance(exc, ProblemsError):
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        print(f"error: {len(exc.problems)} problem(s) found; nothing was changed", file=sys.stderr)
    elif isinstance(exc, BrokenPipeError):
        # The reader of standard output went away (`... | head`): stop quietly.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    elif isinstance(exc, StoreError | KeyError | ValueError | OSError):
        print(f"error: {_one_line(exc)}", file=sys.stderr)
    elif isinstance(exc, duckdb.Error | pl.exceptions.PolarsError | OverflowError | MemoryError):
        print(f"error: {type(exc).__name__}: {_one_line(exc)}; nothing was changed", file=sys.stderr)
    elif isinstance(exc, Exception) and not args.traceback:
        print(
            f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (run again with --traceback, "
            "and please report it)",
            file=sys.stderr,
        )
    else:
        raise exc
    return 1
