"""Kernels: the row-proportional steps, shaped to run on slices of the data anywhere.

Every step whose cost grows with the cases is a :class:`Kernel`: three pure
functions of Polars frames,

- ``kernel(slice, context, as_of) -> partial``: a partial result with a
  fixed schema (:attr:`Kernel.schema`), computed from one slice of the rows;
- ``combine(parts) -> partial``: partial results merged (sums for additive
  kernels, concatenation for row kernels);
- ``finish(combined, context) -> result``: what the intermediate layer keeps.

The ``context`` is small (one row per entitlement or per milestone group,
plus a day table) and goes to every worker with the slice. Each kernel
states its partition contract (:attr:`Kernel.partition`): ``any row
slice`` (the rows may be cut anywhere) or ``whole entitlements per slice``
(all rows of an entitlement in one slice). Locally the whole data is one
slice: ``finish(combine([kernel(whole)]))``, :func:`run_local`, the one
code path both engines share.

Kernels import only Polars and PyArrow (no database, no validation
models), so an engine's workers need nothing else.

- :mod:`.ledger`: the consumption ledger's units, one row per case or time
  entry that consumed (a row-local map: any row slice);
- :mod:`.consumption`: units per entitlement per local day (additive);
- :mod:`.rows`: the few order-dependent rows (the moment each cap was
  reached, overage units, drawdown inputs of entitlements with grants);
- :mod:`.compliance`: milestone counts per group per day, margin histogram.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

__all__ = ["ANY_ROWS", "WHOLE_ENTITLEMENTS", "Kernel", "Partition", "run_local"]

Partition = Literal["any row slice", "whole entitlements per slice"]
ANY_ROWS: Partition = "any row slice"
WHOLE_ENTITLEMENTS: Partition = "whole entitlements per slice"

Frame = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class Kernel:
    """A row-proportional step as kernel, combine and finish (see the module notes)."""

    name: str
    partition: Partition
    #: Columns and types of every partial result.
    schema: dict[str, pl.DataType]
    kernel: Callable[[Frame, Any, Any], pl.DataFrame]
    combine: Callable[[Sequence[pl.DataFrame]], pl.DataFrame]
    finish: Callable[[pl.DataFrame, Any], Any]
    grain: str = ""

    def empty(self) -> pl.DataFrame:
        """A partial with no rows (the result of an empty slice)."""
        return pl.DataFrame(schema=self.schema)


def run_local(kernel: Kernel, rows: Frame, context: Any, as_of: Any) -> Any:
    """The local engine: the whole data is one slice, ``finish(combine([kernel(whole)]))``."""
    return kernel.finish(kernel.combine([kernel.kernel(rows, context, as_of)]), context)


def conform_partial(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with exactly the partial's columns, in order and typed."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
