"""Admin actions: create, edit and renew entitlements, run renewals; record cases and time entries.

Each action validates its input with a frozen pydantic model, then checks
and writes in one transaction together with an audit-log entry (who, when,
what, before/after) and a data-version bump, so cached marts are recomputed.
Imports (:func:`import_files`, :func:`import_uploaded`) are audited the same
way.

Rules (DOMAIN.md):

- the usage type is chosen at creation and permanent: :class:`EntitlementUpdate`,
  the only edit path, has no ``usage_type`` field, and a renewal keeps it;
- overflow on a new case or time entry that would take an entitlement past
  its cap (a case on an exhausted entitlement): ``block`` refuses
  (:class:`OverflowBlocked`), ``warn`` needs ``confirm=True``
  (:class:`NeedsConfirmation` otherwise), ``allow`` records it as overage;
- a renewal follows the renewal run's rules (:mod:`entitlement_core.renewals`):
  a new record ``<id>-R<YYYYMMDD>`` linked by ``renewal_of`` with its anchor
  (and, once the old term ended, rollover) grant; renewing twice returns the
  existing renewal and creates nothing; a previewed renewal run is applied
  once (:func:`apply_renewal_run`);
- ids are safe to resubmit: the same id with the same content is a no-op,
  the same id with different content is refused.

Bad input raises :class:`~entitlement_core.problems.ProblemsError` naming
the table, column and record, as the importer does.
"""

from ..renewals.apply import apply_renewal_run, renew_entitlement
from ..renewals.apply import renewal_plan_of as renewal_plan
from .actions import create_entitlement, record_case, record_time_entry, update_entitlement
from .imports import import_files, import_uploaded
from .models import (
    AdminError,
    AdminResult,
    CaseInput,
    EntitlementInput,
    EntitlementUpdate,
    NeedsConfirmation,
    NotFound,
    OverflowBlocked,
    RenewalInput,
    TimeEntryInput,
)
from .records import entitlement_position, entitlement_tables, new_id

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
    "apply_renewal_run",
    "create_entitlement",
    "entitlement_position",
    "entitlement_tables",
    "import_files",
    "import_uploaded",
    "new_id",
    "record_case",
    "record_time_entry",
    "renew_entitlement",
    "renewal_plan",
    "update_entitlement",
]
