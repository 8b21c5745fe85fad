"""SLA: business-hours arithmetic, milestone instances and compliance marts.

DOMAIN.md, "Milestones (SLA)" is the rule book. Layers:

- :mod:`.calendar`: weekly schedules and holidays as open intervals in UTC;
- :mod:`.business_time`: business minutes between moments and targets,
  vectorised over Polars columns (:class:`BusinessCalendars`);
- :mod:`.milestones`: milestone instances as of a moment (intermediate);
- :mod:`.compliance`: compliance (one rule, summed from the kernel's counts),
  trend, violations, at-risk lists and margins (from the histogram);
- :mod:`.reports`: the ``milestones`` and ``compliance`` marts.
"""

from .business_time import BusinessCalendars, business_minutes, target_at
from .calendar import open_intervals, weekly_open_minutes, weekly_schedule
from .compliance import (
    at_risk_list,
    compliance,
    compliance_ratio,
    compliance_trend,
    from_counts,
    margin_distribution,
    margin_stats,
    margin_summary,
    violations,
)
from .milestones import FIRST_RESPONSE, INSTANCE_SCHEMA, RESOLUTION, best_targets, milestone_instances
from .reports import compliance_report, milestones_report
from .status import STATUS_ORDER, milestone_status

__all__ = [
    "FIRST_RESPONSE",
    "INSTANCE_SCHEMA",
    "RESOLUTION",
    "STATUS_ORDER",
    "BusinessCalendars",
    "at_risk_list",
    "best_targets",
    "business_minutes",
    "compliance",
    "compliance_ratio",
    "compliance_report",
    "compliance_trend",
    "from_counts",
    "margin_distribution",
    "margin_stats",
    "margin_summary",
    "milestone_instances",
    "milestone_status",
    "milestones_report",
    "open_intervals",
    "target_at",
    "violations",
    "weekly_open_minutes",
    "weekly_schedule",
]
