"""When a case's clock is stopped: paused intervals from the status history (DOMAIN.md, "Paused clocks").

A process names the case statuses that stop its milestones' clocks
(``entitlement_processes.paused_statuses``, ``;``-separated, e.g.
``Waiting on Customer;On Hold``). A case's status over time comes from
``case_status_history``: each row holds from its ``changed_at`` until the
case's next row; before its first row the case is in no paused status.

Rules, where the contract is silent
-----------------------------------
- Statuses compare as the process names them, ignoring letter case,
  leading and trailing spaces and runs of inner spaces: ``waiting on
  customer `` in the history matches ``Waiting on Customer`` in the
  process. Empty entries of the list (``;;``) name nothing.
- The status of a case is paused or not according to the process of the
  entitlement the case names (a status may stop the clock in one process
  and not in another).
- Several rows of one case at the same moment: the data cannot say which
  came last, so the clock is stopped from that moment when any of them is
  a paused status (a stop recorded together with another change is never
  lost); the others last no time.
- :data:`STOPPED_STATUS` stops the clock in every process: the Salesforce
  import writes it for a case stopped at export time (``Case.IsStopped``,
  from its ``StopStartDate``); it holds until the case's next status change.
- Consecutive paused statuses (Waiting on Customer, then On Hold) are one
  pause: the clock stays stopped across the change.

Examples
--------
History ``New`` 09:00, ``Waiting on Customer`` 10:00, ``Working`` 12:00,
``On Hold`` 14:00, ``Waiting on Customer`` 15:00, in a process pausing on
``Waiting on Customer;On Hold``: pauses 10:00-12:00 and 14:00 onwards
(still paused).
"""

from __future__ import annotations

import polars as pl

from ..staging import Tables

__all__ = [
    "STOPPED_STATUS",
    "case_processes",
    "paused_intervals",
    "paused_status_keys",
    "status_key",
    "status_spans",
]

#: The status the Salesforce import writes for a case stopped at export time (stops every process).
STOPPED_STATUS = "Stopped (IsStopped)"
_UTC = pl.Datetime("us", "UTC")


def status_key(expr: pl.Expr) -> pl.Expr:
    """A status as compared: runs of spaces as one, trimmed, lower case."""
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def paused_status_keys(processes: pl.LazyFrame) -> pl.LazyFrame:
    """The statuses that stop each process's clock.

    Grain: one row per process and paused status (``process_id``,
    ``status_key``, see :func:`status_key`); a process naming none has no
    row.
    """
    return (
        processes.select("process_id", pl.col("paused_statuses").str.split(";").alias("status_key"))
        .explode("status_key")
        .with_columns(status_key(pl.col("status_key")))
        .filter(pl.col("status_key").is_not_null() & (pl.col("status_key") != ""))
        .unique()
    )


def case_processes(tables: Tables) -> pl.LazyFrame:
    """The process of each case: the process of the entitlement it names.

    Grain: one row per case whose entitlement has a process.
    """
    entitlements = tables.entitlements.select("entitlement_id", "process_id").filter(
        pl.col("process_id").is_not_null()
    )
    return (
        tables.cases.select("case_id", "entitlement_id")
        .join(entitlements, on="entitlement_id")
        .select("case_id", "process_id")
    )


def status_spans(tables: Tables) -> pl.LazyFrame:
    """The status-history rows of the cases that may have paused, with when each ends and whether it
    stops the clock.

    Grain: one row per ``case_status_history`` row of a case whose
    entitlement has a process and whose history names a status some
    process pauses on (other cases never pause: their rows are left out),
    sorted by case and moment. Columns: ``case_id``, ``process_id``,
    ``status``, ``from_at`` (its ``changed_at``), ``to_at`` (the case's
    next row; null for the last), ``is_paused``. Rows of one case at the
    same moment come non-paused first, so a paused one holds after them
    (see the module's rules).
    """
    history = tables.case_status_history.select("case_id", "status", pl.col("changed_at").alias("from_at"))
    paused = paused_status_keys(tables.entitlement_processes)
    # The statuses written that some process pauses on, decided once per distinct text.
    keys = history.select("status").unique().with_columns(status_key(pl.col("status")).alias("status_key"))
    anywhere = keys.filter(
        pl.col("status_key").is_in(paused.select("status_key").collect().to_series().implode())
        | (pl.col("status") == STOPPED_STATUS)
    )
    maybe = history.join(anywhere.select("status"), on="status", how="semi").select("case_id").unique()
    cases = case_processes(tables).join(maybe, on="case_id", how="semi")
    rows = history.join(cases, on="case_id", maintain_order="left")
    # Paused or not, once per (process, status written), joined back to the rows.
    combos = (
        rows.select("process_id", "status")
        .unique()
        .join(keys, on="status", how="left")
        .join(paused.with_columns(pl.lit(True).alias("_named")), on=["process_id", "status_key"], how="left")
        .select(
            "process_id",
            "status",
            (pl.col("_named").fill_null(False) | (pl.col("status") == STOPPED_STATUS)).alias("is_paused"),
        )
    )
    spans = rows.join(combos, on=["process_id", "status"], how="left", maintain_order="left").collect()
    if not _in_order(spans):
        spans = spans.sort("case_id", "from_at", "is_paused", "status")
    same_case = pl.col("case_id") == pl.col("case_id").shift(-1)
    return spans.lazy().select(
        "case_id",
        "process_id",
        "status",
        "from_at",
        pl.when(same_case).then(pl.col("from_at").shift(-1)).alias("to_at"),
        "is_paused",
    )


def _in_order(spans: pl.DataFrame) -> bool:
    """Whether the rows are already by case, moment, and non-paused first at one moment (stored
    histories usually are: then no sort is needed)."""
    case, at, paused = pl.col("case_id"), pl.col("from_at"), pl.col("is_paused").cast(pl.Int8)
    same_case = case == case.shift(1)
    same_at = same_case & (at == at.shift(1))
    ordered = (
        (case > case.shift(1)) | (same_case & (at > at.shift(1))) | (same_at & (paused >= paused.shift(1)))
    )
    # At one moment two rows of the same kind: their order decides nothing for the clock but the audit
    # by status, so they are sorted by status too.
    ties = same_at & (paused == paused.shift(1))
    return bool(spans.select((ordered.fill_null(True) & ~ties.fill_null(False)).all()).item())


def paused_intervals(spans: pl.LazyFrame) -> pl.LazyFrame:
    """The intervals in which each case's clock is stopped (consecutive paused statuses merged).

    Grain: one row per pause of a case, sorted by case and start:
    ``case_id``, ``paused_from``, ``paused_to`` (null: still paused at the
    last row of the history). Takes :func:`status_spans`.

    Examples
    --------
    Spans Waiting on Customer 10:00-11:00 (paused), On Hold 11:00-12:00
    (paused), Working 12:00-: one pause 10:00-12:00.
    """
    new_case = pl.col("case_id") != pl.col("case_id").shift(1)
    last_of_case = pl.col("case_id") != pl.col("case_id").shift(-1)
    paused = pl.col("is_paused")
    starts = paused & (new_case | ~paused.shift(1)).fill_null(True)
    ends = paused & (last_of_case | ~paused.shift(-1)).fill_null(True)
    marked = spans.select("case_id", "from_at", "to_at", starts.alias("_starts"), ends.alias("_ends"))
    # Runs alternate start, end, start, end ... in order, so the k-th start pairs with the k-th end.
    first = marked.filter("_starts").select("case_id", pl.col("from_at").alias("paused_from"))
    last = marked.filter("_ends").select(pl.col("to_at").alias("paused_to"))
    return pl.concat([first, last], how="horizontal")
