"""Salesforce object rules: which fields feed which native columns, and the lookups between objects.

Most native columns are a copy of one standard field (:data:`STANDARD`); the
rules here cover what needs more: a name looked up in another export (account
owner from User, product from Product2, milestone from MilestoneType), a
value derived from several fields (an entitlement's usage type and cap), or
rows that multiply (recurring holidays, a holiday per business-hours
calendar). ``docs/salesforce.md`` describes every rule.
"""

from __future__ import annotations

import polars as pl

from ..schema import LATEST_DATE
from . import sf_calendar
from .mapping import SalesforceMapping
from .sf_csv import Export
from .sf_history import HISTORY_STANDARD, prepare_history
from .sf_ids import to_18

__all__ = [
    "COMMON_REFS",
    "DERIVED_SOURCES",
    "FINISH",
    "PREPARE",
    "REFS",
    "STANDARD",
    "Context",
    "number_text",
]

COMMON_REFS = ("Id", "OwnerId", "CreatedById", "LastModifiedById", "RecordTypeId", "MasterRecordId")
REFS: dict[str, tuple[str, ...]] = {
    "Account": ("ParentId", "OperatingHoursId"),
    "Contact": ("AccountId", "ReportsToId", "IndividualId"),
    "Asset": ("AccountId", "ContactId", "Product2Id", "ParentId", "RootAssetId"),
    "ServiceContract": (
        "AccountId", "ContactId", "ParentServiceContractId", "RootServiceContractId", "Pricebook2Id",
    ),
    "ContractLineItem": (
        "ServiceContractId", "Product2Id", "PricebookEntryId", "AssetId",
        "ParentContractLineItemId", "RootContractLineItemId",
    ),
    "BusinessHoursHoliday": ("BusinessHoursId", "HolidayId"),
    "SlaProcess": ("BusinessHoursId",),
    "Entitlement": (
        "AccountId", "AssetId", "BusinessHoursId", "ContractLineItemId", "ServiceContractId", "SlaProcessId",
    ),
    "Case": (
        "AccountId", "ContactId", "AssetId", "EntitlementId", "ServiceContractId", "ProductId", "ParentId",
        "SourceId", "BusinessHoursId",
    ),
    "CaseMilestone": ("CaseId", "MilestoneTypeId", "BusinessHoursId"),
    "CaseHistory": ("CaseId",),
    "CaseHistory2": ("CaseId",),
    "MilestoneTarget": ("BusinessHoursId",),
    "User": ("ManagerId", "ProfileId", "UserRoleId", "ContactId", "AccountId"),
}  # fmt: skip

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Native column <- Salesforce fields (the first non-empty one wins).
STANDARD: dict[str, dict[str, tuple[str, ...]]] = {
    "Account": {"account_id": ("Id",), "name": ("Name",), "owner": ("OwnerId",)},
    "Contact": {"contact_id": ("Id",), "account_id": ("AccountId",), "name": ("Name",), "email": ("Email",)},
    "Asset": {"asset_id": ("Id",), "account_id": ("AccountId",), "product": ("Product2Id", "Name")},
    "ServiceContract": {
        "service_contract_id": ("Id",), "account_id": ("AccountId",), "name": ("Name",),
        "start_date": ("StartDate",), "end_date": ("EndDate",),
    },
    "ContractLineItem": {
        "line_item_id": ("Id",), "service_contract_id": ("ServiceContractId",),
        "product": ("Product2Id", "PricebookEntryId"), "asset_id": ("AssetId",),
        "start_date": ("StartDate",), "end_date": ("EndDate",),
    },
    "BusinessHours": {
        "business_hours_id": ("Id",), "name": ("Name",), "timezone": ("TimeZoneSidKey",),
        **{f"{d[:3].lower()}_{e.lower()}": (f"{d}{e}Time",) for d in _DAYS for e in ("Start", "End")},
    },
    "Holiday": {"date": ("__date",), "business_hours_id": ("__business_hours_id",), "name": ("Name",)},
    "SlaProcess": {
        "process_id": ("Id",), "name": ("Name",), "version": ("VersionNumber",),
        "business_hours_id": ("BusinessHoursId",),
    },
    "MilestoneTarget": {
        "process_id": ("__process_id",), "milestone": ("__milestone",),
        "target_minutes": ("MinutesToComplete", "TargetMinutes", "target_minutes"),
        "priority": ("Priority",), "origin": ("Origin",),
        "warning_minutes": ("WarningMinutes", "warning_minutes"),
        "business_hours_id": ("BusinessHoursId", "business_hours_id"),
    },
    "Entitlement": {
        "entitlement_id": ("Id",), "account_id": ("AccountId",), "start_date": ("StartDate",),
        "end_date": ("EndDate",), "name": ("Name",), "process_id": ("SlaProcessId",),
        "business_hours_id": ("BusinessHoursId",), "asset_id": ("AssetId",),
        "service_contract_id": ("ServiceContractId",), "line_item_id": ("ContractLineItemId",),
        "crm_remaining_cases": ("RemainingCases",),
    },
    "Case": {
        "case_id": ("Id",), "account_id": ("AccountId",), "created_at": ("CreatedDate",),
        "entitlement_id": ("EntitlementId",), "contact_id": ("ContactId",), "asset_id": ("AssetId",),
        "service_contract_id": ("ServiceContractId",), "closed_at": ("ClosedDate",),
        "priority": ("Priority",), "origin": ("Origin",), "status": ("Status",), "is_deleted": ("IsDeleted",),
        "business_hours_id": ("BusinessHoursId",),
    },
    "CaseMilestone": {
        "case_id": ("CaseId",), "milestone": ("__milestone",), "started_at": ("StartDate",),
        "completed_at": ("CompletionDate",), "target_at": ("TargetDate",),
        "crm_elapsed_minutes": ("ElapsedTimeInMins",), "crm_stopped_minutes": ("StoppedTimeInMins",),
        "crm_actual_elapsed_minutes": ("ActualElapsedTimeInMins",),
    },
    **HISTORY_STANDARD,
}  # fmt: skip

#: Ids by key prefix: SlaProcess records start with 552, MilestoneType records with 557.
_SLA_PROCESS_ID = r"^552[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"
_MILESTONE_TYPE_ID = r"^557[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"

#: Where a derived column's values come from, for error messages.
DERIVED_SOURCES = {
    "__date": "ActivityDate",
    "__business_hours_id": "BusinessHoursId",
    "__process_id": "Process",
    "__milestone": "MilestoneTypeId",
}

# -- lookups between objects ----------------------------------------------------


class Context:
    """Every export of the folder, and the lookups one object needs from another."""

    def __init__(self, exports: dict[str, Export], mapping: SalesforceMapping) -> None:
        self.exports = exports
        self.mapping = mapping
        self._milestones: pl.DataFrame | None = None

    def names(self, obj: str) -> pl.DataFrame | None:
        """``__key`` (18-char Id) -> ``__name`` of an object's records, when it was exported."""
        ex = self.exports.get(obj)
        if ex is None or not ex.has("Id"):
            return None
        name = _name_expr(ex)
        return ex.frame.select(pl.col("id").alias("__key"), name.alias("__name")).unique(
            "__key", keep="first"
        )

    def milestones(self) -> pl.DataFrame | None:
        """CaseMilestone rows with ``__milestone``: the MilestoneType name (the type's id when unknown)."""
        ex = self.exports.get("CaseMilestone")
        if ex is None:
            return None
        if self._milestones is not None:  # Case and CaseMilestone both need it: name once
            return self._milestones
        frame = ex.frame
        candidates = [pl.col(c) for c in ("milestonetype.name",) if c in frame.columns]
        types = self.names("MilestoneType")
        if types is not None and ex.has("MilestoneTypeId"):
            frame = _lookup(frame, "milestonetypeid", types, "__type_name")
            candidates.append(pl.col("__type_name"))
        if ex.has("MilestoneTypeId"):
            candidates.append(pl.col("milestonetypeid"))
        self._milestones = frame.with_columns(
            __milestone=pl.coalesce(candidates) if candidates else pl.lit(None, pl.String)
        )
        return self._milestones

    def first_responses(self) -> pl.DataFrame | None:
        """``__key`` (case id) -> ``__first_response``: the first-response milestone's earliest completion."""
        frame = self.milestones()
        if frame is None or "caseid" not in frame.columns or "completiondate" not in frame.columns:
            return None
        wanted = self.mapping.options.first_response_milestone.lower()
        return (
            frame.filter(pl.col("__milestone").str.to_lowercase() == wanted)
            .group_by(pl.col("caseid").alias("__key"))
            .agg(pl.col("completiondate").min().alias("__first_response"))
        )

    def through_year(self) -> int | None:
        """Last year recurring holidays expand into: the option, else one past the export's latest date."""
        if self.mapping.options.holidays_through_year is not None:
            return self.mapping.options.holidays_through_year
        years = []
        for obj, fields in {
            "Entitlement": ("enddate",),
            "ServiceContract": ("enddate",),
            "Case": ("createddate", "closeddate"),
        }.items():
            ex = self.exports.get(obj)
            for f in fields if ex is not None else ():
                if f in ex.frame.columns:
                    years.append(
                        ex.frame.select(pl.col(f).str.slice(0, 4).cast(pl.Int32, strict=False).max()).item()
                    )
        known = [y for y in years if y is not None]
        # Never past the last supported year: a later date is refused by the native check anyway.
        return min(max(known) + 1, LATEST_DATE.year) if known else None


def _name_expr(ex: Export) -> pl.Expr:
    parts = [pl.col(c) for c in ("firstname", "lastname") if c in ex.frame.columns]
    full = pl.concat_str(parts, separator=" ", ignore_nulls=True) if parts else pl.lit(None, pl.String)
    name = pl.col("name") if ex.has("Name") else pl.lit(None, pl.String)
    return pl.coalesce(name, pl.when(full.str.len_bytes() > 0).then(full))


def _lookup(frame: pl.DataFrame, key: str, names: pl.DataFrame, alias: str) -> pl.DataFrame:
    """Left-join ``names`` on ``frame[key]``, adding ``alias``; order and row count are kept."""
    return frame.join(
        names.rename({"__name": alias}), left_on=key, right_on="__key", how="left", maintain_order="left"
    )


def number_text(number: pl.Expr) -> pl.Expr:
    """A number as text, without ``.0`` when whole (so int columns accept it).

    Beyond what a float holds exactly (2**53) the number stays as written in float form, so
    the column's own bounds check refuses it with its line and field.
    """
    return (
        pl.when((number == number.round()) & (number.abs() < 2.0**53))
        .then(number.round().cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(number.cast(pl.String))
    )


# -- object rules that need more than a field copy ---------------------------------


def _prepare_account(ex: Export, ctx: Context) -> pl.DataFrame:
    users = ctx.names("User")
    if users is None or not ex.has("OwnerId"):
        return ex.frame
    return _lookup(ex.frame, "ownerid", users, "__owner_name")


def _prepare_product(ex: Export, ctx: Context) -> pl.DataFrame:
    products = ctx.names("Product2")
    if products is None or not ex.has("Product2Id"):
        return ex.frame
    return _lookup(ex.frame, "product2id", products, "__product_name")


def _prepare_case(ex: Export, ctx: Context) -> pl.DataFrame:
    first = ctx.first_responses()
    if first is None or not ex.has("Id"):
        return ex.frame
    return ex.frame.join(first, left_on="id", right_on="__key", how="left", maintain_order="left")


def _prepare_case_milestone(ex: Export, ctx: Context) -> pl.DataFrame:
    frame = ctx.milestones()
    assert frame is not None
    return frame


def _prepare_holiday(ex: Export, ctx: Context) -> pl.DataFrame:
    dated = sf_calendar.holiday_dates(ex.frame, through_year=ctx.through_year())
    junction = ctx.exports.get("BusinessHoursHoliday")
    if (
        junction is not None
        and {"holidayid", "businesshoursid"} <= set(junction.frame.columns)
        and ex.has("Id")
    ):
        links = junction.frame.select(
            pl.col("holidayid"), pl.col("businesshoursid").alias("__business_hours_id")
        )
        linked = dated.join(links, left_on="id", right_on="holidayid", how="inner", maintain_order="left")
    else:
        # No junction export: every holiday closes every business-hours calendar.
        calendars = ctx.exports["BusinessHours"].frame
        ids = pl.col("id") if "id" in calendars.columns else pl.lit(None, pl.String)
        hours = calendars.select(ids.alias("__business_hours_id")).drop_nulls().unique(maintain_order=True)
        linked = dated.join(hours, how="cross", maintain_order="left")
    return linked.unique(["__business_hours_id", "__date"], keep="first", maintain_order=True)


def _prepare_target(ex: Export, ctx: Context) -> pl.DataFrame:
    frame = ex.frame
    process_cols = ex.present(("Process", "SlaProcessId", "SlaProcess", "EntitlementProcess", "process_id"))
    milestone_cols = ex.present(("Milestone", "MilestoneName", "MilestoneType", "MilestoneTypeId"))
    process = pl.coalesce([pl.col(c) for c in process_cols]) if process_cols else pl.lit(None, pl.String)
    milestone = (
        pl.coalesce([pl.col(c) for c in milestone_cols]) if milestone_cols else pl.lit(None, pl.String)
    )
    # A process is named by its Id (15 or 18 characters) or its Name / NameNorm (every version).
    frame = frame.with_columns(
        __process=process,
        __milestone=milestone,
        __process_id=pl.when(process.str.contains(_SLA_PROCESS_ID)).then(to_18(process)),
    )
    processes = ctx.exports.get("SlaProcess")
    if processes is not None and processes.has("Id"):
        names = pl.concat(
            processes.frame.select(pl.col(c).str.to_lowercase().alias("__key"), pl.col("id").alias("__pid"))
            for c in ("name", "namenorm")
            if c in processes.frame.columns
        ).unique(maintain_order=True)
        frame = frame.join(
            names,
            left_on=pl.col("__process").str.to_lowercase(),
            right_on="__key",
            how="left",
            maintain_order="left",
        ).with_columns(__process_id=pl.coalesce("__process_id", "__pid"))
    types = ctx.names("MilestoneType")
    if types is not None:
        # A milestone named by its MilestoneType Id takes the type's Name.
        type_id = pl.when(pl.col("__milestone").str.contains(_MILESTONE_TYPE_ID)).then(
            to_18(pl.col("__milestone"))
        )
        frame = _lookup(frame.with_columns(__type_id=type_id), "__type_id", types, "__type_name")
        frame = frame.with_columns(__milestone=pl.coalesce("__type_name", "__milestone"))
    # Unresolved names stay as written: the native check reports the missing process.
    return frame.with_columns(__process_id=pl.coalesce("__process_id", "__process"))


PREPARE = {
    "Account": _prepare_account,
    "Asset": _prepare_product,
    "ContractLineItem": _prepare_product,
    "Case": _prepare_case,
    "CaseMilestone": _prepare_case_milestone,
    "Holiday": _prepare_holiday,
    "MilestoneTarget": _prepare_target,
    "CaseHistory": prepare_history,
    "CaseHistory2": prepare_history,
}


def _finish_account(ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]) -> None:
    if "__owner_name" in ex.frame.columns and "owner" in columns:
        columns["owner"] = pl.coalesce("__owner_name", columns["owner"])


def _finish_contact(ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]) -> None:
    name = _name_expr(ex)
    columns["name"] = pl.coalesce(columns["name"], name) if "name" in columns else name
    sources.setdefault("name", ex.header("firstname") if ex.has("FirstName") else "Name")


def _finish_product(ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]) -> None:
    if "__product_name" in ex.frame.columns:
        columns["product"] = pl.coalesce("__product_name", columns["product"])


def _finish_business_hours(
    ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]
) -> None:
    for day in _DAYS:
        start, end = f"{day[:3].lower()}_start", f"{day[:3].lower()}_end"
        if start in columns or end in columns:
            columns[start], columns[end] = sf_calendar.opening_hours(
                columns.get(start, pl.lit(None, pl.String)), columns.get(end, pl.lit(None, pl.String))
            )


def _finish_entitlement(
    ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]
) -> None:
    """Term, usage type and cap.

    Salesforce leaves EndDate empty for an entitlement that never ends: its
    term runs to the last supported day. An empty StartDate is the day the
    record was created. (A field missing from the export is still reported.)
    Usage type and cap: a mapped usage type, else an hours bank, else
    per-incident cases, else none.
    """
    none = pl.lit(None, pl.String)
    if "end_date" in columns:
        columns["end_date"] = pl.coalesce(columns["end_date"], pl.lit(LATEST_DATE.isoformat()))
    if "start_date" in columns and ex.has("CreatedDate"):
        columns["start_date"] = pl.coalesce(columns["start_date"], pl.col("createddate").str.slice(0, 10))
    hours_cap = columns.pop("hours_cap", none)
    per_incident = (
        pl.col("isperincident").str.strip_chars().str.to_lowercase().is_in(["true", "1"])
        if ex.has("IsPerIncident")
        else pl.lit(False)
    )
    standard = pl.when(hours_cap.is_not_null()).then(pl.lit("hours")).when(per_incident).then(pl.lit("cases"))
    usage = pl.coalesce(columns.get("usage_type", none), standard.otherwise(pl.lit("none")))
    kind = usage.str.strip_chars().str.to_lowercase()
    per_case = pl.col("casesperentitlement") if ex.has("CasesPerEntitlement") else none
    cap_rule = pl.when(kind == "cases").then(per_case).when(kind == "hours").then(hours_cap)
    columns["usage_type"] = usage
    columns["cap"] = pl.coalesce(columns.get("cap", none), cap_rule)
    sources.setdefault("usage_type", "IsPerIncident")
    sources.setdefault("cap", "CasesPerEntitlement")


def _finish_case(ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]) -> None:
    if "__first_response" in ex.frame.columns:
        mapped = columns.get("first_response_at", pl.lit(None, pl.String))
        columns["first_response_at"] = pl.coalesce(mapped, "__first_response")
        sources.setdefault("first_response_at", "CaseMilestone.CompletionDate")


def _finish_case_milestone(
    ex: Export, ctx: Context, columns: dict[str, pl.Expr], sources: dict[str, str]
) -> None:
    """Target minutes: TargetResponseInMins, else hours x 60, else days x 1440 (rounded)."""
    parts = []
    for sf_field, factor in (
        ("targetresponseinmins", 1),
        ("targetresponseinhrs", 60),
        ("targetresponseindays", 1440),
    ):
        if sf_field in ex.frame.columns:
            number = (pl.col(sf_field).str.strip_chars().cast(pl.Float64, strict=False) * factor).round()
            parts.append(pl.when(number.is_null()).then(pl.col(sf_field)).otherwise(number_text(number)))
    if parts:
        standard = pl.coalesce(parts)
        columns["target_minutes"] = (
            pl.coalesce(columns["target_minutes"], standard) if "target_minutes" in columns else standard
        )
        sources.setdefault("target_minutes", "TargetResponseInMins")


FINISH = {
    "Account": _finish_account,
    "Contact": _finish_contact,
    "Asset": _finish_product,
    "ContractLineItem": _finish_product,
    "BusinessHours": _finish_business_hours,
    "Entitlement": _finish_entitlement,
    "Case": _finish_case,
    "CaseMilestone": _finish_case_milestone,
}
