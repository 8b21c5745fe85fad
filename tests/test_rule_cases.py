"""Rule cases the suite once missed: each fails on the wrong behaviour it is named after.

1. The most specific target ranks priority before origin.
2. The Overview's compliance divides by met + violated only.
3. Grants are drawn by priority before expiry.
4. A milestone starting exactly at the as-of moment counts.
5. A recommended plan may equal projected usage (a cap covers usage it equals).
6. Two plans of the same cap are broken by price.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core import views
from entitlement_core.basis import Basis
from entitlement_core.sla import milestone_instances
from entitlement_core.staging import Tables, conform
from entitlement_core.usage.grants import drawdown, effective_grants

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- 1. target specificity: priority before origin ----------------------------------------------


def _targets(rows: list[tuple[str | None, str | None, int]]) -> dict:
    return {
        "process_id": ["P"] * len(rows),
        "milestone": ["First Response"] * len(rows),
        "priority": [r[0] for r in rows],
        "origin": [r[1] for r in rows],
        "target_minutes": [r[2] for r in rows],
    }


@pytest.mark.parametrize(
    ("targets", "priority", "origin", "minutes"),
    [
        # No target names both: the priority target is more specific than the origin one.
        ([(None, None, 240), ("High", None, 60), (None, "Chat", 30)], "High", "Chat", 60),
        ([(None, None, 240), ("High", None, 90), (None, "Chat", 20)], "High", "Chat", 90),
        # Only one of them matches: that one.
        ([(None, None, 240), ("High", None, 60), (None, "Chat", 30)], "Low", "Chat", 30),
        ([(None, None, 240), ("High", None, 60), (None, "Chat", 30)], "High", "Email", 60),
        # Both named: that wins over either alone.
        (
            [(None, None, 240), ("High", None, 60), (None, "Chat", 30), ("High", "Chat", 15)],
            "High",
            "Chat",
            15,
        ),
    ],
)
def test_the_most_specific_target_ranks_priority_before_origin(targets, priority, origin, minutes) -> None:
    tables = Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["P"], "name": ["SLA"]},
        milestone_targets=_targets(targets),
        entitlements={
            "entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["cases"], "process_id": ["P"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)],
        },
        cases={
            "case_id": ["C"], "account_id": ["A"], "entitlement_id": ["E"],
            "created_at": [at("2026-06-01T09:00")],
            "priority": [priority], "origin": [origin],
        },
    )  # fmt: skip
    got = milestone_instances(tables, as_of=at("2026-06-01T10:00")).collect()
    assert got.filter(pl.col("milestone") == "First Response")["target_minutes"].to_list() == [minutes]


# -- 2. the Overview's compliance: met / (met + violated) ---------------------------------------


MET, LATE, OPEN, AT_RISK = (0, 30), (0, 90), (90, None), (70, None)


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        # Per case: (minutes after 08:00 it was created, minutes after that it was answered or None).
        # First Response target 60 minutes, 24x7, as of 10:00.
        ([MET, MET, LATE], 2 / 3),  # 2 met, 1 violated
        ([MET, MET, LATE, OPEN, OPEN, AT_RISK], 2 / 3),  # open and at-risk ones do not count
        ([MET, OPEN], 1.0),
        ([OPEN, AT_RISK], None),  # nothing decided
    ],
)
def test_overview_compliance_divides_by_met_and_violated_only(cases, expected) -> None:
    n = len(cases)
    start = at("2026-06-10T08:00")
    created = [start + dt.timedelta(minutes=c) for c, _ in cases]
    tables = Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["P"], "name": ["SLA"]},
        milestone_targets=_targets([(None, None, 60)]),
        entitlements={
            "entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["cases"], "process_id": ["P"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)],
        },
        cases={
            "case_id": [f"C{i}" for i in range(n)], "account_id": ["A"] * n, "entitlement_id": ["E"] * n,
            "created_at": created,
            "first_response_at": [None if r is None else c + dt.timedelta(minutes=r)
                                  for c, (_, r) in zip(created, cases, strict=True)],
        },
    )  # fmt: skip
    b = Basis(tables, as_of=at("2026-06-10T10:00"))
    statuses = b.instances.filter(pl.col("milestone") == "First Response")["status"].to_list()
    assert sorted(statuses) == sorted(
        {MET: "met", LATE: "violated", OPEN: "open", AT_RISK: "at_risk"}[c] for c in cases
    )
    got = views.kpi_values(b)["sla_compliance"]
    assert got == (pytest.approx(expected) if expected is not None else None)
    # The SLA page and the compliance report divide the same way.
    assert views.sla_view(b).compliance_all == got


# -- 3. grants are drawn by priority before expiry ----------------------------------------------


@pytest.mark.parametrize(
    ("grants", "drawn_first"),
    [
        # (grant, priority, expires): the lower priority number is drawn first, whatever expires sooner.
        ([("A", 1, "2026-12-01"), ("B", 2, "2026-07-01")], "A"),
        ([("A", 2, "2026-12-01"), ("B", 1, "2026-07-01")], "B"),
        # Equal priority: the earlier expiry first.
        ([("A", 1, "2026-12-01"), ("B", 1, "2026-07-01")], "B"),
    ],
)
def test_grants_are_drawn_by_priority_before_expiry(grants, drawn_first) -> None:
    rows = conform(
        "grants",
        pl.DataFrame(
            {
                "grant_id": [g[0] for g in grants], "entitlement_id": ["E"] * len(grants),
                "resource": ["cases"] * len(grants), "quantity": [5.0] * len(grants),
                "effective_from": [at("2026-01-01")] * len(grants), "expires_at": [at(g[2]) for g in grants],
                "kind": ["pack"] * len(grants), "priority": [g[1] for g in grants],
            }
        ),
    )  # fmt: skip
    terms = pl.LazyFrame(
        {"entitlement_id": ["E"], "usage_type": ["cases"], "cap": [None], "start_utc": [at("2026-01-01")],
         "end_utc": [at("2027-01-01")]},
        schema_overrides={"cap": pl.Float64},
    )  # fmt: skip
    ledger = pl.LazyFrame(
        {"entitlement_id": ["E"], "resource": ["cases"], "consumed_at": [at("2026-03-01")], "quantity": [1.0]}
    )
    per_grant, _ = drawdown(effective_grants(rows, terms), ledger, as_of=at("2026-03-02"))
    drawn = {r["grant_id"]: r["drawn"] for r in per_grant.iter_rows(named=True)}
    assert drawn[drawn_first] == 1
    assert sum(drawn.values()) == 1


# -- 4. a milestone starting exactly at the as-of moment counts -----------------------------------


@pytest.mark.parametrize(
    ("as_of", "instances"),
    [
        ("2026-06-01T09:00:00", 1),  # started exactly now: it exists (DOMAIN.md rule 8)
        ("2026-06-01T09:00:01", 1),
        ("2026-06-01T08:59:59", 0),  # started after the as-of moment: not yet
    ],
)
def test_a_milestone_starting_exactly_at_the_as_of_moment_counts(as_of, instances) -> None:
    tables = Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        entitlement_processes={"process_id": ["P"], "name": ["SLA"]},
        milestone_targets=_targets([(None, None, 60)]),
        entitlements={
            "entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["cases"], "process_id": ["P"],
            "start_date": [dt.date(2026, 1, 1)], "end_date": [dt.date(2026, 12, 31)],
        },
        cases={"case_id": ["C"], "account_id": ["A"], "entitlement_id": ["E"],
               "created_at": [at("2026-06-01T09:00:00")]},
    )  # fmt: skip
    got = milestone_instances(tables, as_of=at(as_of)).collect()
    assert got.filter(pl.col("milestone") == "First Response").height == instances
    if instances:
        assert got["status"][0] == "open"


# -- 5 and 6. the recommended plan -------------------------------------------------------------------


def _recommended(plans: dict, cases: int, cap: float = 10.0) -> str | None:
    """Cap 10, a whole 2026 term as of its end: projected annual usage = the cases consumed."""
    tables = Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        plans=plans,
        entitlements={
            "entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["cases"], "cap": [cap],
            "plan": [plans["plan"][0]], "start_date": [dt.date(2025, 1, 1)],
            "end_date": [dt.date(2025, 12, 31)],
        },
        cases={"case_id": [f"C{i}" for i in range(cases)], "account_id": ["A"] * cases,
               "entitlement_id": ["E"] * cases,
               "created_at": [at("2025-01-01T10:00") + dt.timedelta(days=i) for i in range(cases)]},
    )  # fmt: skip
    util = Basis(tables, as_of=dt.date(2025, 12, 31)).mart("utilization").row(0, named=True)
    assert util["projected_annual_usage"] == cases
    return util["recommended_plan"]


@pytest.mark.parametrize(
    ("caps", "cases", "expected"),
    [
        ((10, 30, 50), 30, "P30"),  # projected usage 30: the 30 plan covers it exactly
        ((10, 30, 50), 31, "P50"),
        ((10, 29, 50), 29, "P29"),
        ((10, 12, 50), 12, "P12"),
    ],
)
def test_a_recommended_plan_may_equal_projected_usage(caps, cases, expected) -> None:
    plans = {
        "plan": [f"P{c}" for c in caps], "usage_type": ["cases"] * len(caps), "cap": [float(c) for c in caps],
        "annual_price": [100.0 * c for c in caps],
    }  # fmt: skip
    assert _recommended(plans, cases) == expected


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        ((900.0, 500.0), "Beta"),  # same cap: the cheaper plan, though "Alpha" sorts first
        ((500.0, 900.0), "Alpha"),
        ((700.0, 700.0), "Alpha"),  # same price too: by name
    ],
)
def test_two_plans_of_the_same_cap_are_broken_by_price(prices, expected) -> None:
    plans = {
        "plan": ["Start", "Alpha", "Beta"], "usage_type": ["cases"] * 3, "cap": [10.0, 50.0, 50.0],
        "annual_price": [100.0, *prices],
    }  # fmt: skip
    assert _recommended(plans, 30) == expected
