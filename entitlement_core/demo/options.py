"""Options and summary of a demo build."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["DEFAULT_CHUNK_SIZE", "MAX_CASES", "DemoOptions", "DemoSummary"]

#: Case ids have eight digits (``C00000001``).
MAX_CASES = 99_999_999
#: Cases generated and appended per step: bounds the memory of large builds.
DEFAULT_CHUNK_SIZE = 250_000


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    """What to build: same options, same data (``today`` is explicit, never the clock).

    ``chunk_size`` changes only how the cases are streamed, never their content.
    ``seasonality`` False spreads cases evenly over the days (no weekly
    pattern, no yearly swell, no quiet holidays): a world without calendar
    patterns, to see what a forecaster gains from them.
    """

    today: dt.date
    cases: int = 50_000
    seed: int = 7
    chunk_size: int = DEFAULT_CHUNK_SIZE
    seasonality: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.cases <= MAX_CASES:
            raise ValueError(f"cases must be between 0 and {MAX_CASES:,}, got {self.cases:,}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size}")
        if isinstance(self.today, dt.datetime) or not isinstance(self.today, dt.date):
            raise TypeError(f"today must be a datetime.date, got {type(self.today).__name__}")


@dataclass(frozen=True)
class DemoSummary:
    """What a build wrote: rows per native table, the options used and the time taken."""

    options: DemoOptions
    counts: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    @property
    def cases(self) -> int:
        return self.counts.get("cases", 0)

    def __str__(self) -> str:
        tables = ", ".join(f"{n:,} {name}" for name, n in self.counts.items() if n)
        o = self.options
        flat = "" if o.seasonality else ", no seasonality"
        return f"{tables} (seed {o.seed}, today {o.today.isoformat()}{flat}) in {self.elapsed_seconds:.1f} s"
