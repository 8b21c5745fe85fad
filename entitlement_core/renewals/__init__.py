"""Renewals: the rules, the plan of a renewal run, and how it is written (DOMAIN.md "renewal").

- :mod:`.rules`: due for renewal, already renewed, has a rollover policy, the
  next term, the renewal's id, renewal chains: each rule written once;
- :mod:`.plan`: what a run creates (:func:`plan_renewals`; one entitlement
  with the admin form's choices: :func:`renewal_plan`), pure;
- :mod:`.apply`: writing a plan in one audited transaction
  (:func:`apply_renewals`), the admin form's renewal and a previewed run;
- :mod:`.due`: the renewals-due and renewal-history marts.
"""

from .apply import RenewalConflict, apply_renewal_run, apply_renewals, renew_entitlement, renewal_plan_of
from .due import renewal_history, renewals_due
from .plan import RenewalPlan, plan_renewals, renewal_plan
from .rules import has_rollover_policy, is_due, next_term, renewal_chains, renewal_id, renewed_by

__all__ = [
    "RenewalConflict",
    "RenewalPlan",
    "apply_renewal_run",
    "apply_renewals",
    "has_rollover_policy",
    "is_due",
    "next_term",
    "plan_renewals",
    "renew_entitlement",
    "renewal_chains",
    "renewal_history",
    "renewal_id",
    "renewal_plan",
    "renewal_plan_of",
    "renewals_due",
    "renewed_by",
]
