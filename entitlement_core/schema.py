"""The native tables: one specification drives the DDL, the import and staging.

Each table of the native import format (DOMAIN.md, "Native import format")
is a :class:`TableSpec`: its columns with their logical types, which are
required, the key it is upserted by, the foreign keys checked on import and
the values an enumerated column may take. The store builds its DDL from these
specs and the importer validates against them, so the two cannot drift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DUCKDB_TYPES",
    "EARLIEST_DATE",
    "IMPORT_ORDER",
    "LATEST_DATE",
    "MINUTES_LIMIT",
    "QUANTITY_LIMIT",
    "TABLES",
    "ColumnSpec",
    "ForeignKey",
    "LogicalType",
    "TableSpec",
    "never_imported_message",
    "table_spec",
]

LogicalType = Literal["text", "int", "float", "decimal", "bool", "date", "timestamp", "hhmm"]

#: How each logical type is stored. Timestamps are UTC instants; ``hhmm`` is a
#: local wall-clock time of a weekly schedule, ``HH:MM`` with ``24:00`` allowed;
#: ``decimal`` is an exact number (money, and grant and metered quantities, which
#: may be money) with 6 decimals, below 10^12.
DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "decimal": "DECIMAL(18,6)",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "hhmm": "VARCHAR",
}


#: What the arithmetic holds (DOMAIN.md "Values the importer refuses"): caps, quantities,
#: prices and counters stay below 10^12 in absolute value, minutes below 10^9, and every
#: date and timestamp (UTC) falls on a day from 1900-01-01 to 2199-12-31.
QUANTITY_LIMIT = 1e12
MINUTES_LIMIT = 1e9
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: LogicalType = "text"
    required: bool = False
    #: Allowed values (compared case-insensitively, stored lower-case).
    choices: tuple[str, ...] | None = None
    #: Value stored when the cell is empty.
    default: str | bool | None = None
    #: Smallest allowed value for numbers.
    minimum: float | None = None
    #: Numbers must stay below this in absolute value (None: anything the type holds).
    limit: float | None = None


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: Pairs (earlier, later) where later must not be before earlier.
    ordered: tuple[tuple[str, str], ...] = ()
    description: str = ""
    extra_columns: bool = field(default=True)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type: LogicalType = "text", **kw: object) -> ColumnSpec:
    if type in ("float", "decimal"):
        kw.setdefault("limit", QUANTITY_LIMIT)
    return ColumnSpec(name, type, **kw)  # type: ignore[arg-type]


def _minutes(name: str, type: LogicalType = "int", **kw: object) -> ColumnSpec:
    """A duration in minutes: never negative, below :data:`MINUTES_LIMIT`."""
    return _c(name, type, minimum=0, limit=MINUTES_LIMIT, **kw)


USAGE_TYPES = ("cases", "hours", "none")
GRANT_KINDS = ("anchor", "pack", "rollover", "commitment")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "accounts",
        (
            _c("account_id", required=True),
            _c("name", required=True),
            _c("tier"),
            _c("region"),
            _c("owner"),
        ),
        key=("account_id",),
        description="Customers, with tier, region and account owner.",
    ),
    TableSpec(
        "contacts",
        (
            _c("contact_id", required=True),
            _c("account_id", required=True),
            _c("name"),
            _c("email"),
        ),
        key=("contact_id",),
        foreign_keys=(ForeignKey("account_id", "accounts", "account_id"),),
    ),
    TableSpec(
        "assets",
        (_c("asset_id", required=True), _c("account_id", required=True), _c("product")),
        key=("asset_id",),
        foreign_keys=(ForeignKey("account_id", "accounts", "account_id"),),
    ),
    TableSpec(
        "service_contracts",
        (
            _c("service_contract_id", required=True),
            _c("account_id", required=True),
            _c("name"),
            _c("start_date", "date"),
            _c("end_date", "date"),
        ),
        key=("service_contract_id",),
        foreign_keys=(ForeignKey("account_id", "accounts", "account_id"),),
        ordered=(("start_date", "end_date"),),
    ),
    TableSpec(
        "contract_line_items",
        (
            _c("line_item_id", required=True),
            _c("service_contract_id", required=True),
            _c("product"),
            _c("asset_id"),
            _c("start_date", "date"),
            _c("end_date", "date"),
        ),
        key=("line_item_id",),
        foreign_keys=(
            ForeignKey("service_contract_id", "service_contracts", "service_contract_id"),
            ForeignKey("asset_id", "assets", "asset_id"),
        ),
        ordered=(("start_date", "end_date"),),
    ),
    TableSpec(
        "plans",
        (
            _c("plan", required=True),
            _c("usage_type", required=True, choices=USAGE_TYPES),
            _c("cap", "float", minimum=0),
            _c("annual_price", "decimal", minimum=0),
            _c("overage_rate", "decimal", minimum=0),
            _c("rollover_pct", "float", minimum=0),
            _c("rollover_max", "float", minimum=0),
            _c("near_limit_pct", "float", minimum=0),
            _c("near_limit_remaining", "float", minimum=0),
        ),
        key=("plan",),
        description="Catalogue of plans: cap, price, overage rate, per-plan thresholds.",
    ),
    TableSpec(
        "business_hours",
        (
            _c("business_hours_id", required=True),
            _c("name"),
            _c("timezone", required=True),
            *(_c(f"{d}_{edge}", "hhmm") for d in _DAYS for edge in ("start", "end")),
        ),
        key=("business_hours_id",),
        description="Weekly schedules in a named time zone; empty = closed that day.",
    ),
    TableSpec(
        "holidays",
        (_c("business_hours_id", required=True), _c("date", "date", required=True), _c("name")),
        key=("business_hours_id", "date"),
        foreign_keys=(ForeignKey("business_hours_id", "business_hours", "business_hours_id"),),
    ),
    TableSpec(
        "entitlement_processes",
        (
            _c("process_id", required=True),
            _c("name", required=True),
            _c("version", "int", minimum=0),
            _c("business_hours_id"),
            # Case statuses that stop the milestone clock, ``;``-separated ("Waiting on Customer;On Hold").
            _c("paused_statuses"),
        ),
        key=("process_id",),
        foreign_keys=(ForeignKey("business_hours_id", "business_hours", "business_hours_id"),),
    ),
    TableSpec(
        "milestone_targets",
        (
            _c("process_id", required=True),
            _c("milestone", required=True),
            _minutes("target_minutes", required=True),
            _c("priority"),
            _c("origin"),
            _minutes("warning_minutes"),
            # A milestone measured in other business hours than its process's (e.g. 24x7 resolution).
            _c("business_hours_id"),
        ),
        key=("process_id", "milestone", "priority", "origin"),
        foreign_keys=(
            ForeignKey("process_id", "entitlement_processes", "process_id"),
            ForeignKey("business_hours_id", "business_hours", "business_hours_id"),
        ),
    ),
    TableSpec(
        "entitlements",
        (
            _c("entitlement_id", required=True),
            _c("account_id", required=True),
            _c("usage_type", required=True, choices=USAGE_TYPES),
            _c("start_date", "date", required=True),
            _c("end_date", "date", required=True),
            _c("name"),
            _c("cap", "float", minimum=0),
            _c("plan"),
            _c("consume_on", choices=("created", "closed"), default="created"),
            _c("overflow", choices=("allow", "warn", "block"), default="warn"),
            _c("process_id"),
            _c("business_hours_id"),
            _c("contact_id"),
            _c("asset_id"),
            _c("service_contract_id"),
            _c("line_item_id"),
            _c("renewal_of"),
            # Salesforce's editable RemainingCases counter, kept for reconciliation.
            _c("crm_remaining_cases", "float"),
        ),
        key=("entitlement_id",),
        foreign_keys=(
            ForeignKey("account_id", "accounts", "account_id"),
            ForeignKey("plan", "plans", "plan"),
            ForeignKey("process_id", "entitlement_processes", "process_id"),
            ForeignKey("business_hours_id", "business_hours", "business_hours_id"),
            ForeignKey("contact_id", "contacts", "contact_id"),
            ForeignKey("asset_id", "assets", "asset_id"),
            ForeignKey("service_contract_id", "service_contracts", "service_contract_id"),
            ForeignKey("line_item_id", "contract_line_items", "line_item_id"),
            ForeignKey("renewal_of", "entitlements", "entitlement_id"),
        ),
        ordered=(("start_date", "end_date"),),
        description="Usage-based entitlements; usage_type is permanent.",
    ),
    TableSpec(
        "cases",
        (
            _c("case_id", required=True),
            _c("account_id", required=True),
            _c("created_at", "timestamp", required=True),
            _c("entitlement_id"),
            _c("contact_id"),
            _c("asset_id"),
            _c("service_contract_id"),
            _c("closed_at", "timestamp"),
            _c("first_response_at", "timestamp"),
            _c("priority"),
            _c("origin"),
            _c("status"),
            _c("is_deleted", "bool", default=False),
            _c("business_hours_id"),
        ),
        key=("case_id",),
        foreign_keys=(
            ForeignKey("account_id", "accounts", "account_id"),
            ForeignKey("entitlement_id", "entitlements", "entitlement_id"),
            ForeignKey("contact_id", "contacts", "contact_id"),
            ForeignKey("asset_id", "assets", "asset_id"),
            ForeignKey("service_contract_id", "service_contracts", "service_contract_id"),
            ForeignKey("business_hours_id", "business_hours", "business_hours_id"),
        ),
        ordered=(("created_at", "closed_at"), ("created_at", "first_response_at")),
    ),
    TableSpec(
        "case_status_history",
        (
            _c("case_id", required=True),
            _c("status", required=True),
            _c("changed_at", "timestamp", required=True),
        ),
        key=("case_id", "changed_at", "status"),
        foreign_keys=(ForeignKey("case_id", "cases", "case_id"),),
        description="A case's status over time: each row holds from changed_at until the next change.",
    ),
    TableSpec(
        "time_entries",
        (
            _c("time_entry_id", required=True),
            _c("case_id", required=True),
            _c("entry_date", "date", required=True),
            _minutes("minutes", "float", required=True),
        ),
        key=("time_entry_id",),
        foreign_keys=(ForeignKey("case_id", "cases", "case_id"),),
    ),
    TableSpec(
        "case_milestones",
        (
            _c("case_id", required=True),
            _c("milestone", required=True),
            _c("started_at", "timestamp", required=True),
            _minutes("target_minutes"),
            _c("completed_at", "timestamp"),
            # The target moment the source system recorded (Salesforce TargetDate): the target of record.
            _c("target_at", "timestamp"),
            # Salesforce's own clock figures (ElapsedTimeInMins, StoppedTimeInMins,
            # ActualElapsedTimeInMins), kept as exported.
            _minutes("crm_elapsed_minutes", "float"),
            _minutes("crm_stopped_minutes", "float"),
            _minutes("crm_actual_elapsed_minutes", "float"),
        ),
        key=("case_id", "milestone", "started_at"),
        foreign_keys=(ForeignKey("case_id", "cases", "case_id"),),
        ordered=(("started_at", "completed_at"),),
    ),
    TableSpec(
        "usage_resources",
        (_c("resource", required=True), _c("unit"), _c("name")),
        key=("resource",),
        description="Metered resources and their unit of measure (cases, hours, api_calls, usd ...).",
    ),
    TableSpec(
        "grants",
        (
            _c("grant_id", required=True),
            _c("entitlement_id", required=True),
            _c("resource", required=True),
            _c("quantity", "decimal", required=True, minimum=0),
            _c("effective_from", "timestamp", required=True),
            _c("expires_at", "timestamp"),
            _c("kind", required=True, choices=GRANT_KINDS),
            _c("priority", "int", default=None),
            _c("unit_rate", "decimal", minimum=0),
            _c("source_grant_id"),
        ),
        key=("grant_id",),
        foreign_keys=(
            ForeignKey("entitlement_id", "entitlements", "entitlement_id"),
            ForeignKey("resource", "usage_resources", "resource"),
            ForeignKey("source_grant_id", "grants", "grant_id"),
        ),
        ordered=(("effective_from", "expires_at"),),
        description="Quantities of a resource valid for a period: anchor, top-up pack, rollover, commitment.",
    ),
    TableSpec(
        "usage_events",
        (
            _c("event_id", required=True),
            _c("account_id", required=True),
            _c("entitlement_id"),
            _c("resource", required=True),
            _c("occurred_at", "timestamp", required=True),
            _c("quantity", "decimal", required=True, minimum=0),
        ),
        key=("event_id",),
        foreign_keys=(
            ForeignKey("account_id", "accounts", "account_id"),
            ForeignKey("entitlement_id", "entitlements", "entitlement_id"),
            ForeignKey("resource", "usage_resources", "resource"),
        ),
        description="Metered usage beyond cases and time entries (API calls, tokens, spend).",
    ),
)

#: Every native table by name, in dependency order (parents before children).
TABLES: dict[str, TableSpec] = {spec.name: spec for spec in _SPECS}
IMPORT_ORDER: tuple[str, ...] = tuple(TABLES)


def table_spec(name: str) -> TableSpec:
    """Return the spec of a native table, or raise ``KeyError`` naming the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None


def never_imported_message(table: str, fk: ForeignKey, count: int) -> str:
    """What a reference to a table holding no rows at all means (DOMAIN.md "References").

    >>> never_imported_message("cases", TABLES["cases"].foreign_keys[2], 1204)
    '1,204 cases name contacts that were never imported (kept as ids)'
    """
    noun = _PLURAL.get(table, table.replace("_", " ")) if count != 1 else _SINGULAR[table]
    verb = "name" if count != 1 else "names"
    text = f"{count:,} {noun} {verb} {fk.table.replace('_', ' ')} that were never imported"
    if fk.table == "plans":
        return (
            f"{text}: a plan is then a name only (near-limit thresholds from the settings, "
            "no overage rate, no recommended plan)"
        )
    return f"{text} (kept as ids)"


_SINGULAR = {name: name.removesuffix("s").replace("_", " ") for name in TABLES}
_SINGULAR |= {
    "time_entries": "time entry",
    "case_status_history": "case status change",
    "business_hours": "business-hours calendar",
    "entitlement_processes": "entitlement process",
    "usage_resources": "usage resource",
}
_PLURAL = {"case_status_history": "case status changes", "business_hours": "business-hours calendars"}
