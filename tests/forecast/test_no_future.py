"""Property: a forecast as of T never reads what happened after T (seasonality included)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from entitlement_core.forecast import forecast, project

from .factories import ent, inputs

FIRST = dt.date(2024, 1, 1)
SPAN_DAYS = 3 * 365
HOURS = {"usage_type": "hours", "plan": "Hours 20", "cap": 20.0}
ENTITLEMENTS = [
    ent("S1", start="2024-01-01", end="2024-12-31", account_id="A1"),
    ent("S2", start="2025-01-01", end="2025-12-31", account_id="A1", renewal_of="S1"),
    ent("S3", start="2026-01-01", end="2026-12-31", account_id="A1", renewal_of="S2"),
    ent("T1", start="2024-06-01", end="2025-05-31", account_id="A2"),
    ent("T2", start="2025-06-01", end="2026-05-31", account_id="A2", renewal_of="T1"),
    ent("U1", start="2025-03-01", end="2026-02-28", account_id="A3"),
    ent("U2", start="2025-09-01", end="2026-08-31", account_id="A4"),
    ent("P1", start="2025-01-01", end="2025-12-31", account_id="A5", plan="Pro", cap=50.0),
    ent("H1", start="2025-01-01", end="2025-12-31", account_id="A6", **HOURS),
    ent("H2", start="2026-01-01", end="2026-12-31", account_id="A6", renewal_of="H1", **HOURS),
]  # fmt: skip
_TERMS = {e["entitlement_id"]: (e["start_date"], e["end_date"]) for e in ENTITLEMENTS}


def _rows(points: list[tuple[str, int, int]]) -> list[dict]:
    """Daily rows (summed per day) from (entitlement, day offset, units), kept inside each term."""
    totals: dict[tuple[str, dt.date], float] = {}
    for key, offset, units in points:
        start, end = _TERMS[key]
        when = start + dt.timedelta(days=offset % ((end - start).days + 1))
        totals[(key, when)] = totals.get((key, when), 0.0) + units
    return [
        {
            "entitlement_id": k,
            "consumed_date": d,
            "quantity": q,
            "quantity_sq": q * (1.5 if k[0] == "H" else 1),
        }
        for (k, d), q in sorted(totals.items())
    ]


points = st.lists(
    st.tuples(st.sampled_from(sorted(_TERMS)), st.integers(0, 364), st.integers(1, 4)),
    min_size=5,
    max_size=120,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=points, after=points, later=points, cut=st.integers(200, SPAN_DAYS - 60))
def test_forecast_as_of_t_ignores_everything_after_t(before, after, later, cut):
    as_of_day = FIRST + dt.timedelta(days=cut)
    as_of = dt.datetime.combine(as_of_day, dt.time.max, tzinfo=dt.UTC)
    known = [r for r in _rows(before) if r["consumed_date"] <= as_of_day]
    one = [r for r in _rows(after) if r["consumed_date"] > as_of_day]
    other = [r for r in _rows(later) if r["consumed_date"] > as_of_day]
    first = forecast(inputs(ENTITLEMENTS, known + one), as_of=as_of).collect()
    second = forecast(inputs(ENTITLEMENTS, known + other), as_of=as_of).collect()
    assert_frame_equal(first, second)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=points, after=points, cuts=st.lists(st.integers(200, SPAN_DAYS - 60), min_size=2, max_size=5))
def test_each_target_reads_only_up_to_its_own_cutoff(before, after, cuts):
    """The backtest's case: cut-offs differ per target; the earliest must not see the later data."""
    targets = pl.DataFrame(
        {
            "entitlement_id": [
                ENTITLEMENTS[k % len(ENTITLEMENTS)]["entitlement_id"] for k in range(len(cuts))
            ],
            "cutoff_date": [FIRST + dt.timedelta(days=c) for c in cuts],
        }
    )
    earliest = min(targets.get_column("cutoff_date"))
    base = [r for r in _rows(before) if r["consumed_date"] <= earliest]
    extra = [r for r in _rows(after) if r["consumed_date"] > max(targets.get_column("cutoff_date"))]
    first = project(inputs(ENTITLEMENTS, base), targets)
    second = project(inputs(ENTITLEMENTS, base + extra), targets)
    assert_frame_equal(first, second)
