"""Salesforce case status history: CaseHistory, CaseHistory2 and stopped cases onto ``case_status_history``.

- ``CaseHistory`` (field history, ``Field``/``OldValue``/``NewValue``/
  ``CreatedDate``): each row whose ``Field`` is ``Status`` is a change to
  ``NewValue`` at ``CreatedDate``. The status a case had before its first
  change is that change's ``OldValue``: it becomes a row at the case's
  creation (the history's ``created`` row, else ``Case.CreatedDate``), so a
  case created in a paused status is paused from the start.
- ``CaseHistory2`` (API 59.0+, one row per status or owner change):
  ``Status`` from ``CreatedDate`` (else ``LastModifiedDate``); an export
  in the field-history shape (``Field``, ``NewValue``) reads as
  CaseHistory. Rows that repeat a CaseHistory row of the same folder (same
  case, status and moment) are left out: both objects record the same
  change.
- ``Case.IsStopped`` true with a ``StopStartDate``: the case's milestones
  were stopped at export time; a row with the status
  :data:`~entitlement_core.sla.pauses.STOPPED_STATUS` at ``StopStartDate``
  stops its clock in every process (until its next status change).

Same-moment changes of one case are kept as they are (the clock rule for
them is in :mod:`entitlement_core.sla.pauses`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..sla.pauses import STOPPED_STATUS
from .raw import LINE
from .sf_csv import Export

if TYPE_CHECKING:
    from .sf_objects import Context

__all__ = ["HISTORY_STANDARD", "STOPS", "history_sources", "prepare_history", "stopped_cases"]

#: The pseudo-object of stopped cases (rows of the Case export that feed ``case_status_history``).
STOPS = "Case (IsStopped)"

#: Native column <- derived column of each history object.
HISTORY_STANDARD: dict[str, dict[str, tuple[str, ...]]] = {
    obj: {"case_id": ("CaseId",), "status": ("__status",), "changed_at": ("__changed_at",)}
    for obj in ("CaseHistory", "CaseHistory2")
} | {STOPS: {"case_id": ("Id",), "status": ("__status",), "changed_at": ("StopStartDate",)}}


def history_sources(ex: Export) -> dict[str, str]:
    """Where the derived columns of a history export come from, for messages."""
    if ex.object == STOPS:
        return {"__status": "IsStopped"}
    if ex.object == "CaseHistory2" and not ex.has("Field"):
        moment = ex.present(("CreatedDate", "LastModifiedDate"))
        return {
            "__status": ex.header("status"),
            "__changed_at": ex.header(moment[0]) if moment else "CreatedDate",
        }
    return {"__status": ex.header("newvalue"), "__changed_at": ex.header("createddate")}


def _field_is(name: str) -> pl.Expr:
    return pl.col("field").str.strip_chars().str.to_lowercase() == name


def _changes(ex: Export, ctx: Context) -> pl.DataFrame:
    """Field-history rows whose Field is Status, plus each case's status before its first change."""
    frame = ex.frame
    if not {"field", "newvalue", "createddate", "caseid"} <= set(frame.columns):
        # Missing fields: pass the rows on so the native check names the missing values.
        return frame.with_columns(
            __status=pl.col("newvalue") if "newvalue" in frame.columns else pl.lit(None, pl.String),
            __changed_at=pl.col("createddate") if "createddate" in frame.columns else pl.lit(None, pl.String),
        )
    changes = frame.filter(_field_is("status")).with_columns(
        __status=pl.col("newvalue"), __changed_at=pl.col("createddate")
    )
    if "oldvalue" not in frame.columns:
        return changes
    created = (
        frame.filter(_field_is("created")).group_by("caseid").agg(pl.col("createddate").min().alias("__at"))
    )
    cases = ctx.exports.get("Case")
    if cases is not None and {"id", "createddate"} <= set(cases.frame.columns):
        from_case = cases.frame.select(pl.col("id").alias("caseid"), pl.col("createddate").alias("__case_at"))
        created = created.join(from_case, on="caseid", how="full", coalesce=True).select(
            "caseid", pl.coalesce("__at", "__case_at").alias("__at")
        )
    # The earliest change of each case (the file's own order breaks ties), and the status before it.
    first = (
        changes.with_columns(pl.int_range(pl.len()).alias("__order"))
        .sort("caseid", "__changed_at", "__order")
        .unique("caseid", keep="first", maintain_order=True)
        .join(created, on="caseid", how="inner")
        .filter(pl.col("oldvalue").is_not_null() & (pl.col("oldvalue").str.strip_chars() != ""))
        .filter(pl.col("__at").is_not_null() & (pl.col("__at") != pl.col("__changed_at")))
        .with_columns(__status=pl.col("oldvalue"), __changed_at=pl.col("__at"))
        .drop("__order", "__at")
    )
    return pl.concat([first, changes], how="diagonal_relaxed")


def _snapshots(ex: Export) -> pl.DataFrame:
    """CaseHistory2's own shape: the case's Status from the row's moment on."""
    moment = ex.present(("CreatedDate", "LastModifiedDate"))
    return ex.frame.with_columns(
        __status=pl.col("status") if ex.has("Status") else pl.lit(None, pl.String),
        __changed_at=pl.coalesce([pl.col(c) for c in moment]) if moment else pl.lit(None, pl.String),
    )


def prepare_history(ex: Export, ctx: Context) -> pl.DataFrame:
    """The rows of a CaseHistory or CaseHistory2 export that feed ``case_status_history``."""
    frame = _changes(ex, ctx) if ex.has("Field") or ex.object == "CaseHistory" else _snapshots(ex)
    if ex.object != "CaseHistory2" or "CaseHistory" not in ctx.exports:
        return frame
    other = prepare_history(ctx.exports["CaseHistory"], ctx)
    if "caseid" not in other.columns or "caseid" not in frame.columns:
        return frame
    seen = other.select("caseid", "__status", "__changed_at").unique()
    return frame.join(seen, on=["caseid", "__status", "__changed_at"], how="anti", nulls_equal=True)


def stopped_cases(cases: Export) -> Export | None:
    """The Case rows stopped at export time (IsStopped true, with a StopStartDate), as a history export."""
    if not (cases.has("IsStopped") and cases.has("StopStartDate") and cases.has("Id")):
        return None
    stopped = pl.col("isstopped").str.strip_chars().str.to_lowercase().is_in(["true", "1"])
    since = pl.col("stopstartdate").str.strip_chars()
    frame = cases.frame.filter(stopped & since.is_not_null() & (since != "")).select(
        "id", "stopstartdate", "isstopped", pl.lit(STOPPED_STATUS).alias("__status"), LINE
    )
    if frame.is_empty():
        return None
    headers = {k: v for k, v in cases.headers.items() if k in ("id", "stopstartdate", "isstopped")}
    return Export(STOPS, cases.source, cases.sha256, frame, headers, encoding=cases.encoding)
