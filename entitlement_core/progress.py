"""Progress of long commands on standard error (``demo``, ``import``)."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


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
