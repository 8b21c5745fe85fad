"""Admin inputs (frozen pydantic models), errors and results.

Validation errors become :class:`~entitlement_core.problems.ProblemsError`
naming the table and column, as the importer reports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from ..problems import Problem, ProblemsError

__all__ = [
    "AdminError",
    "AdminResult",
    "CaseInput",
    "EntitlementInput",
    "EntitlementUpdate",
    "NeedsConfirmation",
    "NotFound",
    "OverflowBlocked",
    "RenewalInput",
    "TimeEntryInput",
    "parse",
]

_Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


# -- errors and results -------------------------------------------------------------


class AdminError(Exception):
    """An admin action that was refused; the message says why and what to do."""


class NotFound(AdminError):
    """The record an action refers to does not exist."""


class OverflowBlocked(AdminError):
    """The entitlement's overflow policy is ``block`` and it has no allotment left."""


class NeedsConfirmation(AdminError):
    """The overflow policy is ``warn``: repeat the action with ``confirm=True`` to record overage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AdminResult:
    """What an action did: the record, whether it was created (False: already there)."""

    table: str
    record_id: str
    created: bool
    message: str
    warnings: tuple[str, ...] = ()


# -- input models ---------------------------------------------------------------------


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class EntitlementInput(_Input):
    """A new entitlement (native ``entitlements`` columns)."""

    entitlement_id: _Id | None = None
    account_id: _Id
    usage_type: Literal["cases", "hours", "none"]
    start_date: dt.date
    end_date: dt.date
    name: _Text | None = None
    cap: float | None = Field(None, ge=0)
    plan: _Id | None = None
    consume_on: Literal["created", "closed"] = "created"
    overflow: Literal["allow", "warn", "block"] = "warn"
    process_id: _Id | None = None
    business_hours_id: _Id | None = None
    contact_id: _Id | None = None
    asset_id: _Id | None = None
    service_contract_id: _Id | None = None
    line_item_id: _Id | None = None

    @_model_validator(mode="after")
    def _consistent(self) -> EntitlementInput:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if self.usage_type == "none" and self.cap is not None:
            raise ValueError("a date-only entitlement (usage type none) has no cap")
        return self


class EntitlementUpdate(_Input):
    """The editable fields of an entitlement. ``usage_type`` is permanent and not here."""

    name: _Text | None = None
    cap: float | None = Field(None, ge=0)
    plan: _Id | None = None
    end_date: dt.date | None = None
    overflow: Literal["allow", "warn", "block"] | None = None
    process_id: _Id | None = None


class CaseInput(_Input):
    """A new case against an entitlement (the account comes from the entitlement)."""

    case_id: _Id | None = None
    entitlement_id: _Id
    created_at: dt.datetime
    priority: _Text | None = None
    origin: _Text | None = None
    status: _Text | None = "New"
    contact_id: _Id | None = None
    asset_id: _Id | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class TimeEntryInput(_Input):
    """Minutes worked on a case (they consume an ``hours`` entitlement the case names)."""

    time_entry_id: _Id | None = None
    case_id: _Id
    entry_date: dt.date
    minutes: float = Field(gt=0, le=24 * 60 * 31)


class RenewalInput(_Input):
    """Renew an entitlement for its next term: the plan and cap may change, nothing else.

    The new record's id and term follow the renewal rules
    (:mod:`entitlement_core.renewals`): ``<id>-R<YYYYMMDD>``, starting the day
    after the old term ends and lasting as long. An empty ``plan`` keeps the
    current plan; an empty ``cap`` takes the plan's cap, else the current cap.
    """

    entitlement_id: _Id
    cap: float | None = Field(None, ge=0)
    plan: _Id | None = None


def parse(model: type[_Input], data: _Input | Mapping[str, Any], table: str) -> Any:
    if isinstance(data, model):
        return data
    raw = data.model_dump() if isinstance(data, BaseModel) else dict(data)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            column = ".".join(str(p) for p in err["loc"]) or None
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"{column} cannot be set here"
                if column == "usage_type":
                    message = "the usage type is permanent: it cannot be changed after creation"
            problems.append(Problem(file=table, column=column, message=message))
        raise ProblemsError(problems) from None
