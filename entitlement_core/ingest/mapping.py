"""The Salesforce mapping file: custom fields and objects onto native tables.

Standard Salesforce objects and fields map onto the native tables by fixed
rules (``docs/salesforce.md``). What Salesforce has no standard field for
(hours banks, time entries, plans, milestone targets, account tier) lives in
custom fields and objects that differ per org; a TOML mapping file names them::

    [fields.Entitlement]                      # custom fields on a standard object
    Usage_Type__c = "usage_type"
    Hours_Cap__c = "hours_cap"                # a value makes it an hours bank

    [objects.Time_Entry__c]                   # a custom object -> a native table
    table = "time_entries"
    [objects.Time_Entry__c.fields]
    Id = "time_entry_id"
    Case__c = "case_id"
    Hours__c = { column = "minutes", unit = "hours" }   # hours -> minutes

    [[targets]]                               # entitlement-process milestone targets
    process = "Standard Support"
    milestone = "First Response"
    target_minutes = 240

``docs/salesforce-mapping.example.toml`` is the annotated example.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..problems import Problem, ProblemsError
from ..schema import TABLES

__all__ = [
    "STANDARD_OBJECTS",
    "FieldMap",
    "MapOptions",
    "ObjectMap",
    "SalesforceMapping",
    "TargetEntry",
    "load_mapping",
]

#: Standard objects read from an export folder and the native table each feeds
#: (None: a lookup only, e.g. User names account owners). ``MilestoneTarget``
#: is not a Salesforce object: it is the documented export of process targets.
STANDARD_OBJECTS: dict[str, str | None] = {
    "Account": "accounts",
    "Contact": "contacts",
    "Asset": "assets",
    "ServiceContract": "service_contracts",
    "ContractLineItem": "contract_line_items",
    "BusinessHours": "business_hours",
    "Holiday": "holidays",
    "SlaProcess": "entitlement_processes",
    "MilestoneTarget": "milestone_targets",
    "Entitlement": "entitlements",
    "Case": "cases",
    "CaseMilestone": "case_milestones",
    "CaseHistory": "case_status_history",
    "CaseHistory2": "case_status_history",
    "BusinessHoursHoliday": None,
    "MilestoneType": None,
    "User": None,
    "Product2": None,
}

#: Columns a mapped field may feed besides the table's own columns.
PSEUDO_COLUMNS: dict[str, tuple[str, ...]] = {"entitlements": ("hours_cap",)}

#: Native columns holding minutes: the only ones a ``unit`` conversion may feed.
MINUTE_COLUMNS = ("minutes", "target_minutes", "warning_minutes")

_CANONICAL = {name.lower(): name for name in STANDARD_OBJECTS}
_KEY_PATH = re.compile(r"^([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*): (.+)$", re.DOTALL)


class FieldMap(BaseModel):
    """Where one Salesforce field goes: a native column, with optional value transforms.

    ``unit`` converts a duration into minutes (``hours`` x 60, ``days`` x 1440);
    ``values`` rewrites picklist values (keys match case-insensitively), e.g.
    ``{ "Hour Bank" = "hours" }``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    unit: Literal["minutes", "hours", "days"] | None = None
    values: dict[str, str] = Field(default_factory=dict)


def _field_maps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ({"column": v} if isinstance(v, str) else v) for k, v in value.items()}
    return value


def _check_columns(table: str, fields: dict[str, FieldMap], prefix: str) -> None:
    """Raise ``ValueError("<key path>: <reason>")`` for a target that is not a column of ``table``."""
    allowed = TABLES[table].column_names + PSEUDO_COLUMNS.get(table, ())
    for sf_field, target in fields.items():
        if target.column not in allowed:
            raise ValueError(
                f"{prefix}.{sf_field}: {target.column!r} is not a column of {table} "
                f"(columns: {', '.join(allowed)})"
            )
        if target.unit is not None and target.column not in MINUTE_COLUMNS:
            raise ValueError(f"{prefix}.{sf_field}: unit applies only to {', '.join(MINUTE_COLUMNS)}")


class ObjectMap(BaseModel):
    """A custom object exported to ``<Object>.csv`` (or ``file``), feeding one native table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    file: str | None = None
    fields: dict[str, FieldMap]

    @field_validator("fields", mode="before")
    @classmethod
    def _fields_shorthand(cls, value: Any) -> Any:
        return _field_maps(value)

    @model_validator(mode="after")
    def _known_columns(self) -> ObjectMap:
        if self.table not in TABLES:
            raise ValueError(f"table: {self.table!r} is not a native table (tables: {', '.join(TABLES)})")
        _check_columns(self.table, self.fields, "fields")
        return self


class TargetEntry(BaseModel):
    """One milestone target of an entitlement process (process by SlaProcess Id or Name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    process: str
    milestone: str
    target_minutes: int = Field(ge=0)
    priority: str | None = None
    origin: str | None = None
    warning_minutes: int | None = Field(default=None, ge=0)
    business_hours_id: str | None = None


class MapOptions(BaseModel):
    """Choices the rules leave open."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: MilestoneType name whose CaseMilestone completion is a case's first response.
    first_response_milestone: str = "First Response"
    #: Last year recurring holidays are expanded into (default: from the export's dates).
    holidays_through_year: int | None = Field(default=None, ge=1900, le=2199)


class SalesforceMapping(BaseModel):
    """A parsed mapping file. The empty mapping applies the standard rules only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Export file name per object when it is not ``<Object>.csv``.
    files: dict[str, str] = Field(default_factory=dict)
    #: Custom (or overriding) fields of standard objects: object -> field -> column.
    fields: dict[str, dict[str, FieldMap]] = Field(default_factory=dict)
    #: Custom objects: object API name -> native table and fields.
    objects: dict[str, ObjectMap] = Field(default_factory=dict)
    targets: tuple[TargetEntry, ...] = ()
    #: Rows of the native ``plans`` table (plans have no Salesforce object).
    plans: tuple[dict[str, str | int | float | bool], ...] = ()
    options: MapOptions = Field(default_factory=MapOptions)
    #: Name of the mapping file (problems name it) and the lines of its list entries.
    source: str = "mapping"
    target_lines: tuple[int | None, ...] = ()
    plan_lines: tuple[int | None, ...] = ()

    @field_validator("fields", mode="before")
    @classmethod
    def _fields_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for obj, fields in value.items():
            canonical = _CANONICAL.get(str(obj).lower())
            if canonical is None:
                raise ValueError(
                    f"{obj}: not a standard object read from exports; a custom object goes under "
                    f"[objects.{obj}] (standard objects: {', '.join(STANDARD_OBJECTS)})"
                )
            out[canonical] = _field_maps(fields)
        return out

    @field_validator("files", mode="before")
    @classmethod
    def _files_canonical(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_CANONICAL.get(str(k).lower(), k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> SalesforceMapping:
        for obj, fields in self.fields.items():
            table = STANDARD_OBJECTS[obj]
            if table is None:
                raise ValueError(f"fields.{obj}: {obj} feeds no native table; its fields cannot be mapped")
            _check_columns(table, fields, f"fields.{obj}")
        for obj in self.objects:
            if obj.lower() in _CANONICAL:
                raise ValueError(
                    f"objects.{obj}: a standard object; map its custom fields under [fields.{obj}]"
                )
        plan_columns = TABLES["plans"].column_names
        for i, row in enumerate(self.plans):
            unknown = sorted(set(row) - set(plan_columns))
            if unknown:
                raise ValueError(
                    f"plans.{i}: unknown column(s) {', '.join(unknown)} (columns: {', '.join(plan_columns)})"
                )
        return self

    def fields_of(self, obj: str) -> dict[str, FieldMap]:
        """Mapped fields of an object (standard or custom), keyed by field name."""
        if obj in self.objects:
            return self.objects[obj].fields
        return self.fields.get(obj, {})


def _entry_lines(text: str, name: str) -> tuple[int, ...]:
    """Line numbers of the ``[[name]]`` headers, in order."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
    return tuple(i for i, line in enumerate(text.splitlines(), start=1) if pattern.match(line))


def _line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Best-effort line of a key path: the last key assigned after its table header."""
    lines = text.splitlines()
    if len(loc) >= 2 and isinstance(loc[1], int):
        # An entry of a [[list]]: its n-th header, then the key after it.
        headers = _entry_lines(text, str(loc[0]))
        if loc[1] >= len(headers):
            return None
        if len(loc) == 2:
            return headers[loc[1]]
        assign = re.compile(rf"^\s*\"?{re.escape(str(loc[2]))}\"?\s*=")
        start = headers[loc[1]]
        return next((i + 1 for i in range(start, len(lines)) if assign.match(lines[i])), headers[loc[1]])
    keys = [str(k) for k in loc if not isinstance(k, int)]
    if not keys:
        return None
    start, depth = 0, 0
    for size in range(len(keys), 0, -1):
        header = re.compile(
            r"^\s*\[\[?\s*" + r"\s*\.\s*".join(re.escape(k) for k in keys[:size]) + r"\s*\]\]?"
        )
        hits = [i for i, line in enumerate(lines) if header.match(line)]
        if hits:
            if size == len(keys):
                return hits[0] + 1
            start, depth = hits[0], size
            break
    # The deepest key written as an assignment after the header (inline tables hold the rest).
    for key in reversed(keys[depth:]):
        assign = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        found = next((i + 1 for i in range(start, len(lines)) if assign.match(lines[i])), None)
        if found is not None:
            return found
    return start + 1 if depth else None


def load_mapping(path: Path) -> SalesforceMapping:
    """Read and check a TOML mapping file.

    Parameters
    ----------
    path
        The mapping file (``--mapping FILE.toml``).

    Returns
    -------
    SalesforceMapping

    Raises
    ------
    ProblemsError
        The file is missing, is not TOML, or names an unknown object, table,
        column or option; each problem names the file, the key and (where it
        can be found) the line.
    """
    path = Path(path)
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ProblemsError(
            [Problem(file=name, message=f"cannot read mapping file: {exc.strerror or exc}")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProblemsError([Problem(file=name, message="mapping file is not UTF-8 text")]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise ProblemsError([Problem(file=name, line=line, message=f"not valid TOML: {exc}")]) from exc
    reserved = {"source", "target_lines", "plan_lines"} & set(data)
    if reserved:
        key = sorted(reserved)[0]
        raise ProblemsError(
            [Problem(file=name, column=key, line=_line_of(text, (key,)), message="unknown key")]
        )
    data.update(
        source=name, target_lines=_entry_lines(text, "targets"), plan_lines=_entry_lines(text, "plans")
    )
    try:
        return SalesforceMapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc: tuple[str | int, ...] = tuple(err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            # Checks that span several keys put the key path first: "fields.Case.X__c: reason".
            found = _KEY_PATH.match(message)
            if found:
                loc += tuple(int(p) if p.isdigit() else p for p in found.group(1).split("."))
                message = found.group(2)
            key = ".".join(str(p) for p in loc) or None
            problems.append(Problem(file=name, line=_line_of(text, loc), column=key, message=message))
        raise ProblemsError(problems) from exc
