"""Property test: utilization against a deliberately simple row-by-row reference.

The reference below reads DOMAIN.md literally, one entitlement and one case
at a time, converting each moment to the entitlement's local day with
``zoneinfo``; the implementation works in UTC against per-entitlement
boundaries. Both must agree on consumed, remaining, pct_used and status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entitlement_core.settings import Thresholds
from entitlement_core.usage import utilization

from .factories import tables

ZONES = [None, "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "America/Santiago"]
BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # near the European and US DST changes
SPAN_DAYS = 70


# -- the reference ------------------------------------------------------------
def reference(
    ents: list[dict[str, Any]],
    cases: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    zone_of: dict[str, str],
    as_of: dt.datetime,
    thresholds: Thresholds,
) -> dict[str, tuple[float, float | None, float | None, str]]:
    """entitlement_id -> (consumed, remaining, pct_used, status), by plain loops."""
    out = {}
    for e in ents:
        zone = ZoneInfo(zone_of.get(e.get("business_hours_id") or "", "UTC"))
        as_of_day = as_of.astimezone(zone).date()
        consumed = 0.0
        if e["usage_type"] in ("cases", "none"):
            for c in cases:
                if c["entitlement_id"] != e["entitlement_id"]:
                    continue
                moment = c["closed_at"] if e.get("consume_on") == "closed" else c["created_at"]
                if moment is None or moment > as_of:
                    continue
                local_day = moment.astimezone(zone).date()
                if e["start_date"] <= local_day <= e["end_date"]:
                    consumed += 1
        else:
            for t in entries:
                owner = next(c for c in cases if c["case_id"] == t["case_id"])
                if owner["entitlement_id"] != e["entitlement_id"]:
                    continue
                if e["start_date"] <= t["entry_date"] <= e["end_date"] and t["entry_date"] <= as_of_day:
                    consumed += t["minutes"] / 60
        cap = None if e["usage_type"] == "none" else e["cap"]
        remaining = None if cap is None else cap - consumed
        pct = None if cap is None or cap == 0 else consumed / cap
        if as_of_day < e["start_date"]:
            status = "not_started"
        elif as_of_day > e["end_date"]:
            status = "expired"
        elif cap is None:
            status = "unlimited"
        elif remaining < -1e-9:
            status = "over_cap"
        elif abs(remaining) <= 1e-9:
            status = "exhausted"
        elif (
            pct is not None and pct >= thresholds.near_limit_pct
        ) or remaining <= thresholds.near_limit_remaining:
            status = "near_limit"
        else:
            status = "healthy"
        out[e["entitlement_id"]] = (consumed, remaining, pct, status)
    return out


# -- strategies ---------------------------------------------------------------
minutes_offset = st.one_of(
    st.integers(0, SPAN_DAYS * 24 * 60),
    # Moments on or near a UTC midnight or hour, where zones disagree on the day.
    st.tuples(
        st.integers(0, SPAN_DAYS), st.sampled_from([-61, -60, -30, -1, 0, 1, 30, 60, 180, 240, 300])
    ).map(lambda p: max(0, p[0] * 1440 + p[1])),
)


def moment(offset: int) -> dt.datetime:
    return BASE + dt.timedelta(minutes=offset)


def boundaries(ents: list[dict[str, Any]], zone_of: dict[str, str]) -> list[dt.datetime]:
    """Local midnights (as UTC) that open and close each term: where off-by-one errors live."""
    out = []
    for e in ents:
        zone = ZoneInfo(zone_of.get(e.get("business_hours_id") or "", "UTC"))
        for d in (e["start_date"], e["end_date"] + dt.timedelta(days=1)):
            out.append(dt.datetime.combine(d, dt.time(), tzinfo=zone).astimezone(dt.UTC))
    return out


ZONE_OF = {f"Z{i}": z for i, z in enumerate(ZONES) if z}
NEAR = [-3600, -60, -1, 0, 1, 60, 3599, 3600]  # seconds around a boundary


@st.composite
def scenario(draw):
    n_ent = draw(st.integers(1, 4))
    ents = []
    for i in range(n_ent):
        start = (BASE + dt.timedelta(days=draw(st.integers(-5, 40)))).date()
        usage = draw(st.sampled_from(["cases", "cases", "hours", "none"]))
        ents.append(
            {
                "entitlement_id": f"E{i}",
                "account_id": "A1",
                "usage_type": usage,
                "start_date": start,
                "end_date": start + dt.timedelta(days=draw(st.integers(0, 30))),
                "cap": draw(st.one_of(st.none(), st.integers(0, 6).map(float))),
                "consume_on": draw(st.sampled_from(["created", "closed"])),
                "business_hours_id": draw(st.sampled_from([None, "Z1", "Z2", "Z3", "Z4", "Z5"])),
            }
        )
    edges = boundaries(ents, ZONE_OF)
    near_edge = st.tuples(st.sampled_from(edges), st.sampled_from(NEAR)).map(
        lambda p: p[0] + dt.timedelta(seconds=p[1])
    )
    any_moment = st.one_of(minutes_offset.map(moment), near_edge)
    n_cases = draw(st.integers(4, 25))
    cases = []
    for j in range(n_cases):
        created = draw(any_moment)
        closed = draw(st.one_of(st.none(), any_moment.filter(lambda m, c=created: m >= c)))
        cases.append(
            {
                "case_id": f"C{j:02d}",
                "account_id": "A1",
                "entitlement_id": draw(st.sampled_from([None, *[e["entitlement_id"] for e in ents]])),
                "created_at": created,
                "closed_at": closed,
                "is_deleted": draw(st.booleans()),
            }
        )
    entries = []
    if cases:
        for k in range(draw(st.integers(2, 12))):
            entries.append(
                {
                    "time_entry_id": f"T{k:02d}",
                    "case_id": draw(st.sampled_from([c["case_id"] for c in cases])),
                    "entry_date": (BASE + dt.timedelta(days=draw(st.integers(-3, SPAN_DAYS)))).date(),
                    "minutes": float(draw(st.sampled_from([15, 30, 45, 60, 90, 120, 600]))),
                }
            )
    # The as-of moment: anywhere, near a term boundary, or exactly at / just before a case's moment.
    at_case = [m for c in cases for m in (c["created_at"], c["closed_at"]) if m is not None]
    choices = [any_moment]
    if at_case:
        choices.append(
            st.tuples(st.sampled_from(at_case), st.sampled_from([-1, 0])).map(
                lambda p: p[0] + dt.timedelta(seconds=p[1])
            )
        )
    as_of = draw(st.one_of(choices))
    thresholds = Thresholds(
        near_limit_pct=draw(st.sampled_from([0.5, 0.8, 1.0])),
        near_limit_remaining=draw(st.sampled_from([0.0, 1.0, 2.0])),
    )
    return ents, cases, entries, as_of, thresholds


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_utilization_matches_the_reference(data):
    ents, cases, entries, as_of, thresholds = data
    zone_of = ZONE_OF
    t = tables(
        entitlements=ents,
        cases=cases,
        time_entries=entries,
        business_hours=[{"business_hours_id": k, "timezone": v} for k, v in zone_of.items()],
    )
    got = {
        r["entitlement_id"]: (r["consumed"], r["remaining"], r["pct_used"], r["status"])
        for r in utilization(t, as_of=as_of, thresholds=thresholds).collect().iter_rows(named=True)
    }
    want = reference(ents, cases, entries, zone_of, as_of, thresholds)
    assert got.keys() == want.keys()
    for eid, (consumed, remaining, pct, status) in want.items():
        g_consumed, g_remaining, g_pct, g_status = got[eid]
        assert g_consumed == pytest.approx(consumed), eid
        assert (g_remaining is None) == (remaining is None), eid
        if remaining is not None:
            assert g_remaining == pytest.approx(remaining), eid
        assert (g_pct is None) == (pct is None), eid
        if pct is not None:
            assert g_pct == pytest.approx(pct), eid
        assert g_status == status, (eid, got[eid], want[eid])
