"""Calendar-minute SQL: milestone instances and compliance in one DuckDB statement each.

The baseline of ``report milestones`` and ``report compliance``, in whole
business minutes. Each calendar's open days are intervals of epoch minutes
(a weekday's hours are local times in the calendar's zone, the opening
moment of each day through DuckDB's ``timezone``: DST-correct unless the
clocks change during open hours; holidays are closed days; 24x7 is a
calendar open every minute), each with the business minutes before it.
A moment's rank is the business minutes before it (an as-of join on the
intervals); elapsed minutes are the difference of the completion's (or the
as-of moment's, in the calendar's zone, for open instances) and the
start's ranks; the target moment is the end of the business minute whose
rank is the start's plus the target. Targets resolve as the product does:
priority and origin, then priority, then origin, then any. Whole minutes
(the product is exact to the microsecond): a few instances completed within
a minute of their target differ; the benchmark compares counts, not rows.
It does not stop the clock while a case waits in a paused status (the
product does): that would only add work to the baseline, and it finds a few
more violations than the report.
"""

from __future__ import annotations

import datetime as dt

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HOURS = " UNION ALL ".join(
    f"SELECT business_hours_id, timezone, {i} AS dow, {d}_start AS opens, {d}_end AS closes "
    "FROM business_hours"
    for i, d in enumerate(_DAYS, start=1)
)

INSTANCES_SQL = f"""
WITH hours AS (
    SELECT business_hours_id AS bh, timezone AS tz, dow,
           (split_part(opens, ':', 1)::INT * 60 + split_part(opens, ':', 2)::INT) AS open_min,
           (split_part(closes, ':', 1)::INT * 60 + split_part(closes, ':', 2)::INT) AS close_min
    FROM ({_HOURS}) WHERE opens IS NOT NULL AND closes IS NOT NULL
),
span AS (
    SELECT (min(created_at) - INTERVAL 2 DAY)::DATE AS first_day, ($as_of_date::DATE + 120) AS last_day
    FROM cases
),
days AS (
    SELECT h.bh, timezone(h.tz, d::TIMESTAMP + to_minutes(h.open_min)) AS opens_at, h.open_min, h.close_min
    FROM span, range(span.first_day, span.last_day, INTERVAL 1 DAY) t(d)
    JOIN hours h ON h.dow = isodow(d)
    ANTI JOIN holidays x ON x.business_hours_id = h.bh AND x.date = d::DATE
),
-- Per calendar and open day: the epoch minute it opens, its length, business minutes before it,
-- and the epoch minute the next open day opens.
spans AS MATERIALIZED (
    SELECT bh, open_at, len, sum(len) OVER w - len AS before,
           coalesce(lead(open_at) OVER w, open_at + len) AS next_at
    FROM (SELECT bh, (epoch(opens_at) // 60)::BIGINT AS open_at, close_min - open_min AS len FROM days)
    WINDOW w AS (PARTITION BY bh ORDER BY open_at)
),
zones AS MATERIALIZED (
    SELECT business_hours_id AS bh, timezone(timezone, ($as_of_date::DATE + 1)::TIMESTAMP) AS as_of_at
    FROM business_hours
),
ctx AS (
    SELECT c.case_id, c.entitlement_id, c.account_id, c.priority, c.origin, c.created_at,
           c.first_response_at, c.closed_at, e.process_id,
           coalesce(p.business_hours_id, e.business_hours_id) AS bh
    FROM cases c JOIN entitlements e USING (entitlement_id)
    LEFT JOIN entitlement_processes p USING (process_id)
    WHERE e.process_id IS NOT NULL
),
kinds AS (
    SELECT * FROM (VALUES ('First Response'), ('Resolution')) k(milestone)
),
targets AS (
    SELECT process_id, milestone, lower(trim(priority)) AS pr, lower(trim(origin)) AS og,
           min(target_minutes) AS target_minutes, min(warning_minutes) AS warning_minutes
    FROM milestone_targets GROUP BY ALL
),
inst AS (
    SELECT x.*, k.milestone,
           CASE k.milestone WHEN 'First Response' THEN x.first_response_at ELSE x.closed_at END AS done_at,
           coalesce(t0.target_minutes, t1.target_minutes, t2.target_minutes, t3.target_minutes) AS target,
           CASE WHEN t0.target_minutes IS NOT NULL THEN t0.warning_minutes
                WHEN t1.target_minutes IS NOT NULL THEN t1.warning_minutes
                WHEN t2.target_minutes IS NOT NULL THEN t2.warning_minutes
                ELSE t3.warning_minutes END AS warning,
           coalesce(z.as_of_at, timezone('UTC', ($as_of_date::DATE + 1)::TIMESTAMP)) AS as_of_at
    FROM ctx x CROSS JOIN kinds k
    LEFT JOIN zones z ON z.bh = x.bh
    LEFT JOIN targets t0 ON t0.process_id = x.process_id AND t0.milestone = k.milestone
         AND t0.pr = lower(trim(x.priority)) AND t0.og = lower(trim(x.origin))
    LEFT JOIN targets t1 ON t1.process_id = x.process_id AND t1.milestone = k.milestone
         AND t1.pr = lower(trim(x.priority)) AND t1.og IS NULL
    LEFT JOIN targets t2 ON t2.process_id = x.process_id AND t2.milestone = k.milestone
         AND t2.pr IS NULL AND t2.og = lower(trim(x.origin))
    LEFT JOIN targets t3 ON t3.process_id = x.process_id AND t3.milestone = k.milestone
         AND t3.pr IS NULL AND t3.og IS NULL
),
live AS (
    SELECT *, CASE WHEN done_at < as_of_at THEN done_at END AS completed_at,
           least(coalesce(done_at, as_of_at), as_of_at) AS until_at
    FROM inst WHERE target IS NOT NULL AND created_at < as_of_at
),
ranked AS (
    SELECT l.*, coalesce(s.before + least(epoch(l.created_at)::BIGINT // 60 - s.open_at, s.len), 0) AS n_start
    FROM live l ASOF LEFT JOIN spans s ON s.bh = l.bh AND epoch(l.created_at)::BIGINT // 60 >= s.open_at
),
measured AS (
    SELECT r.*, coalesce(u.before + least(epoch(r.until_at)::BIGINT // 60 - u.open_at, u.len), 0) - r.n_start
           AS elapsed_minutes, r.n_start + r.target - 1 AS n_target
    FROM ranked r ASOF LEFT JOIN spans u ON u.bh = r.bh AND epoch(r.until_at)::BIGINT // 60 >= u.open_at
)
SELECT m.case_id, m.milestone, m.created_at AS started_at,
       to_timestamp((t.open_at + m.n_target - t.before + 1) * 60) AS target_at, m.completed_at,
       m.target AS target_minutes,
       m.elapsed_minutes,
       CASE WHEN m.completed_at IS NOT NULL AND m.elapsed_minutes <= m.target THEN 'met'
            WHEN m.elapsed_minutes > m.target THEN 'violated'
            WHEN m.target - m.elapsed_minutes <= coalesce(m.warning, m.target * $at_risk) THEN 'at_risk'
            ELSE 'open' END AS status,
       m.target - m.elapsed_minutes AS margin_minutes,
       m.entitlement_id, m.account_id, m.process_id, m.bh AS business_hours_id, m.priority, m.origin
FROM measured m ASOF LEFT JOIN spans t ON t.bh = m.bh AND m.n_target >= t.before
"""

COMPLIANCE_SQL = f"""
WITH instances AS ({INSTANCES_SQL})
SELECT milestone, priority,
       count(*) FILTER (status = 'met') AS met,
       count(*) FILTER (status = 'violated') AS violated,
       count(*) FILTER (status = 'at_risk') AS at_risk,
       count(*) FILTER (status = 'open') AS open,
       CASE WHEN count(*) FILTER (status IN ('met', 'violated')) > 0
            THEN count(*) FILTER (status = 'met') / count(*) FILTER (status IN ('met', 'violated')) END
            AS compliance,
       median(margin_minutes) FILTER (status IN ('met', 'violated')) AS median_margin_minutes
FROM instances GROUP BY ALL ORDER BY ALL NULLS LAST
"""


def params(as_of_date: dt.date, at_risk_fraction: float = 0.25) -> dict[str, object]:
    """The statements' parameters: the as-of date (the end of that day in each calendar's zone)."""
    return {"as_of_date": as_of_date, "at_risk": at_risk_fraction}
