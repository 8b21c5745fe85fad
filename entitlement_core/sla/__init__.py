"""SLA: business-hours arithmetic, milestone instances and compliance marts.

DOMAIN.md, "Milestones (SLA)" is the rule book. Layers:

- :mod:`.calendar`: weekly schedules and holidays as open intervals in UTC;
- :mod:`.business_time`: business minutes between moments and targets,
  vectorised over Polars columns (:class:`BusinessCalendars`);
- :mod:`.pauses`: when a case's clock is stopped (status history, paused statuses);
- :mod:`.clock`: business time with the clock stopped in pauses (vectorised);
- :mod:`.milestones`: milestone instances as of a moment (intermediate),
  measured by :mod:`.measure`;
- :mod:`.breach`: the next breach of each open case;
- :mod:`.pause_audit`: how much SLA time was paused, where, and by which cases;
- :mod:`.compliance`: compliance (one rule, summed from the kernel's counts),
  trend, violations, at-risk lists and margins (from the histogram);
- :mod:`.reports`: the ``milestones``, ``compliance`` and ``pauses`` marts.
"""

from .breach import breach_text, next_breaches
from .business_time import BusinessCalendars, business_minutes, target_at
from .calendar import open_intervals, weekly_open_minutes, weekly_schedule
from .clock import Clock, stopped_clock
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
from .pause_audit import case_pauses, pause_share, paused_time, status_share
from .pauses import STOPPED_STATUS, paused_intervals, status_spans
from .reports import compliance_report, milestones_report, pauses_report
from .status import STATUS_ORDER, STATUSES, milestone_status

__all__ = [
    "FIRST_RESPONSE",
    "INSTANCE_SCHEMA",
    "RESOLUTION",
    "STATUSES",
    "STATUS_ORDER",
    "STOPPED_STATUS",
    "BusinessCalendars",
    "Clock",
    "at_risk_list",
    "best_targets",
    "breach_text",
    "business_minutes",
    "case_pauses",
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
    "next_breaches",
    "open_intervals",
    "pause_share",
    "paused_intervals",
    "paused_time",
    "pauses_report",
    "status_share",
    "status_spans",
    "stopped_clock",
    "target_at",
    "violations",
    "weekly_open_minutes",
    "weekly_schedule",
]
