"""Plotly figures for the app: plain functions of (small, aggregated) frames.

Every chart takes a Polars frame and returns a :class:`plotly.graph_objects.Figure`,
so it is tested without Streamlit. One colour per status everywhere
(:data:`STATUS_COLORS` for entitlements, :data:`MILESTONE_COLORS` for SLA
milestones), titles say what is shown, axes carry units, hover text names
the record and its figures.
"""

from .revenue import (
    GRANT_KIND_COLORS,
    GRANT_STATE_COLORS,
    commitment_chart,
    monthly_overage,
    overage_revenue_chart,
)
from .sla import (
    compliance_heatmap,
    compliance_trend_chart,
    margin_chart,
    pause_status_chart,
    pause_trend_chart,
)
from .style import (
    MILESTONE_COLORS,
    MILESTONE_LABELS,
    PRIORITY_ORDER,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_ORDER,
    status_label,
)
from .usage import (
    UTIL_BUCKETS,
    burndown_chart,
    consumption_chart,
    renewal_history_chart,
    shortfall_chart,
    utilization_buckets,
    utilization_heatmap,
    utilization_histogram,
)

__all__ = [
    "GRANT_KIND_COLORS",
    "GRANT_STATE_COLORS",
    "MILESTONE_COLORS",
    "MILESTONE_LABELS",
    "PRIORITY_ORDER",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "STATUS_ORDER",
    "UTIL_BUCKETS",
    "burndown_chart",
    "commitment_chart",
    "compliance_heatmap",
    "compliance_trend_chart",
    "consumption_chart",
    "margin_chart",
    "monthly_overage",
    "overage_revenue_chart",
    "pause_status_chart",
    "pause_trend_chart",
    "renewal_history_chart",
    "shortfall_chart",
    "status_label",
    "utilization_buckets",
    "utilization_heatmap",
    "utilization_histogram",
]
