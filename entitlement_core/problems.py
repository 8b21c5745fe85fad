"""Structured problems: what is wrong, where, and how bad.

Validation (imports, the configuration validator, the admin form) returns
:class:`Problem` records; the CLI prints them one per line and the app shows
them as a table, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

__all__ = ["Problem", "ProblemsError", "problems_frame"]

Severity = Literal["error", "warning"]


class Problem(BaseModel):
    """One problem: the file (or table), line, column, record and reason."""

    model_config = ConfigDict(frozen=True)

    file: str | None = None
    line: int | None = None
    column: str | None = None
    record_id: str | None = None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        parts = [where] if where else []
        if self.column:
            parts.append(f"column {self.column}")
        if self.record_id:
            parts.append(f"record {self.record_id}")
        prefix = ", ".join(parts)
        return f"{self.severity}: {prefix}: {self.message}" if prefix else f"{self.severity}: {self.message}"


class ProblemsError(Exception):
    """Raised when input has errors; nothing was changed. Carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""))


def problems_frame(problems: Iterable[Problem]) -> pl.DataFrame:
    """Problems as a frame (file, line, column, record_id, message, severity) for display."""
    rows = [p.model_dump() for p in problems]
    schema = {
        "file": pl.String,
        "line": pl.Int64,
        "column": pl.String,
        "record_id": pl.String,
        "message": pl.String,
        "severity": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)
