"""The utilization mart: EXAMPLES.md 1-3 and 8-10, statuses, thresholds, projections."""

from __future__ import annotations

import pytest

from entitlement_core.forecast import CUSTOM_QUOTE
from entitlement_core.reports import LEAD_COLUMNS
from entitlement_core.settings import Thresholds
from entitlement_core.usage import UTILIZATION_COLUMNS, near_limit, utilization

from .factories import DEFAULT, at, case, cases, day, ent, entry, hours_bh, one, plan, tables

JUNE = at("2026-06-01T00:00Z")


def util_row(t, as_of=JUNE, thresholds=DEFAULT, entitlement_id="E1", **kw):
    return one(utilization(t, as_of=as_of, thresholds=thresholds, **kw), value=entitlement_id)


def pick(row, *names):
    return tuple(row[n] for n in names)


@pytest.mark.parametrize(
    ("n_cases", "consumed", "remaining", "pct_used", "status"),
    [
        (9, 9.0, 1.0, 0.9, "near_limit"),  # EXAMPLES.md 1
        (8, 8.0, 2.0, 0.8, "near_limit"),  # EXAMPLES.md 2
        (10, 10.0, 0.0, 1.0, "exhausted"),  # EXAMPLES.md 3
        (11, 11.0, -1.0, 1.1, "over_cap"),  # EXAMPLES.md 3
        (7, 7.0, 3.0, 0.7, "healthy"),
        (0, 0.0, 10.0, 0.0, "healthy"),
    ],
)
def test_cases_consumption_and_status(n_cases, consumed, remaining, pct_used, status):
    # One of the cases is deleted: it still counts (rule 3).
    rows = cases(n_cases)
    if rows:
        rows[0]["is_deleted"] = True
    row = util_row(tables(entitlements=[ent()], cases=rows))
    assert pick(row, "consumed", "remaining", "status") == (consumed, remaining, status)
    assert row["pct_used"] == pytest.approx(pct_used)
    assert row["deleted_cases"] == (1 if n_cases else 0)


def test_example_1_banner():
    row = util_row(tables(entitlements=[ent()], cases=cases(9)))
    assert row["banner"] == "Customer has 1 case remaining"


def test_example_8_hours():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0)],
        cases=[case("C1", "2026-01-10T10:00Z")],
        time_entries=[
            entry("T1", "C1", "2026-02-01", 3000),
            entry("T2", "C1", "2026-03-01", 2400),
            entry("T0", "C1", "2025-12-31", 600),
        ],
    )
    row = util_row(t)
    assert pick(row, "consumed", "remaining", "pct_used", "status", "unit") == (
        90.0,
        10.0,
        0.9,
        "near_limit",
        "hours",
    )
    assert row["banner"] == "Customer has 10 hours remaining"


def test_example_9_unlimited():
    row = util_row(tables(entitlements=[ent(cap=None)], cases=cases(40)))
    assert pick(row, "consumed", "remaining", "pct_used", "status") == (40.0, None, None, "unlimited")
    assert row["banner"] == "Unlimited entitlement: 40 cases used this term"
    assert row["projected_exhaustion_date"] is None


@pytest.mark.parametrize(
    ("start", "end", "n_cases", "status"),
    [
        ("2026-09-01", "2027-08-31", 0, "not_started"),  # EXAMPLES.md 10
        ("2025-01-01", "2025-12-31", 12, "expired"),  # expired even when over cap
        ("2025-01-01", "2025-12-31", 3, "expired"),
    ],
)
def test_example_10_not_started_and_expired(start, end, n_cases, status):
    t = tables(entitlements=[ent(start=start, end=end)], cases=cases(n_cases, first="2025-02-01"))
    row = util_row(t)
    assert row["status"] == status
    assert row["consumed"] == float(n_cases if status == "expired" else 0)


def test_none_usage_type_is_unlimited_and_counts_its_cases():
    row = util_row(tables(entitlements=[ent(usage_type="none", cap=5.0)], cases=cases(7)))
    assert pick(row, "status", "cap", "consumed", "remaining", "pct_used", "unit") == (
        "unlimited",
        None,
        7.0,
        None,
        None,
        "cases",
    )


@pytest.mark.parametrize(
    ("zone", "as_of", "status", "as_of_date"),
    [
        # The as-of day is the as-of moment's day in the entitlement's zone.
        (None, "2026-06-30T23:59:59Z", "healthy", "2026-06-30"),
        (None, "2026-07-01T00:00Z", "expired", "2026-07-01"),
        ("Europe/Berlin", "2026-06-30T21:59Z", "healthy", "2026-06-30"),
        ("Europe/Berlin", "2026-06-30T22:00Z", "expired", "2026-07-01"),
        ("America/New_York", "2026-07-01T03:59Z", "healthy", "2026-06-30"),
        ("America/New_York", "2026-07-01T04:00Z", "expired", "2026-07-01"),
        ("America/New_York", "2026-01-01T04:59Z", "not_started", "2025-12-31"),
        ("America/New_York", "2026-01-01T05:00Z", "healthy", "2026-01-01"),
    ],
)
def test_status_uses_the_local_as_of_day(zone, as_of, status, as_of_date):
    t = tables(
        entitlements=[ent(end="2026-06-30", business_hours_id="BH" if zone else None)],
        business_hours=[hours_bh("BH", zone)] if zone else [],
    )
    row = util_row(t, as_of=at(as_of))
    assert (row["status"], row["as_of_date"]) == (status, day(as_of_date))
    assert row["timezone"] == (zone or "UTC")


@pytest.mark.parametrize(
    ("thresholds", "plan_row", "n_cases", "status"),
    [
        (Thresholds(), None, 7, "healthy"),
        # Settings thresholds.
        (Thresholds(near_limit_pct=0.7), None, 7, "near_limit"),
        (Thresholds(near_limit_remaining=3), None, 7, "near_limit"),
        (Thresholds(near_limit_remaining=0), None, 9, "near_limit"),  # pct 0.9 still triggers
        (Thresholds(near_limit_pct=1.0, near_limit_remaining=0), None, 9, "healthy"),
        # A plan's own thresholds win where set, the settings fill the rest.
        (Thresholds(), plan("Std", near_limit_pct=0.5), 5, "near_limit"),
        (Thresholds(), plan("Std", near_limit_pct=0.5), 4, "healthy"),
        (Thresholds(), plan("Std", near_limit_remaining=4.0), 6, "near_limit"),
        (Thresholds(near_limit_pct=0.5), plan("Std", near_limit_pct=0.95), 9, "near_limit"),  # remaining 1
        (Thresholds(near_limit_pct=0.5), plan("Std", near_limit_pct=0.95), 8, "healthy"),
    ],
)
def test_near_limit_thresholds(thresholds, plan_row, n_cases, status):
    t = tables(
        entitlements=[ent(plan="Std" if plan_row else None)],
        plans=[plan_row] if plan_row else [],
        cases=cases(n_cases),
    )
    assert util_row(t, thresholds=thresholds)["status"] == status


def test_effective_thresholds_are_reported():
    t = tables(entitlements=[ent(plan="Std")], plans=[plan("Std", near_limit_pct=0.5)])
    row = util_row(t, thresholds=Thresholds(near_limit_remaining=2))
    assert pick(row, "near_limit_pct", "near_limit_remaining") == (0.5, 2.0)


def test_only_the_entitlements_own_cap_counts():
    t = tables(entitlements=[ent(cap=None, plan="Std")], plans=[plan("Std", cap=10.0)], cases=cases(12))
    assert util_row(t)["status"] == "unlimited"


def test_cap_zero():
    row = util_row(tables(entitlements=[ent(cap=0.0)]))
    assert pick(row, "consumed", "remaining", "pct_used", "status") == (0.0, 0.0, None, "exhausted")
    assert row["projected_exhaustion_date"] == day("2026-01-01")


def test_burn_rate_and_projection():
    """6 cases in the first 73 days of a 365-day term, as of day 73 (2026-03-14)."""
    t = tables(entitlements=[ent()], cases=cases(6, first="2026-01-05"))
    row = util_row(t, as_of=at("2026-03-14T12:00Z"))
    assert pick(row, "term_days", "days_left") == (365, 292)
    assert row["burn_rate_per_day"] == pytest.approx(6 / 73, abs=1e-6)
    assert row["projected_at_end"] == pytest.approx(30.0)
    assert row["projected_shortfall"] == pytest.approx(20.0)
    # remaining 4 at 6/73 a day: 48.7 days, so the 49th day after the as-of day.
    assert row["projected_exhaustion_date"] == day("2026-05-02")


def test_burn_window_is_trailing_and_clipped():
    # 9 cases in February; as of June 1 the 90-day window (Mar 4 - Jun 1) saw none.
    t = tables(entitlements=[ent()], cases=cases(9))
    row = util_row(t)
    assert pick(row, "burn_rate_per_day", "projected_at_end", "projected_exhaustion_date") == (0.0, 9.0, None)
    # A 120-day window reaches back to Feb 2: 8 cases in 120 days.
    row = util_row(t, burn_window_days=120)
    assert row["burn_rate_per_day"] == pytest.approx(8 / 120, abs=1e-6)


def test_projection_beyond_the_term_is_not_an_exhaustion_date():
    # 1 case in 10 days: 0.1 a day; remaining 9 needs 90 days but 20 are left.
    t = tables(entitlements=[ent(start="2026-05-23", end="2026-06-21")], cases=cases(1, first="2026-05-25"))
    row = util_row(t)
    assert row["burn_rate_per_day"] == pytest.approx(0.1)
    assert row["days_left"] == 20
    assert row["projected_at_end"] == pytest.approx(3.0)
    assert row["projected_exhaustion_date"] is None


def test_not_started_and_expired_projections():
    t = tables(
        entitlements=[
            ent("E1", start="2026-09-01", end="2027-08-31"),
            ent("E2", start="2025-01-01", end="2025-12-31"),
        ],
        cases=cases(3, first="2025-06-01", entitlement_id="E2"),
    )
    future = util_row(t)
    assert pick(future, "burn_rate_per_day", "projected_at_end", "days_left") == (None, None, 365)
    past = util_row(t, entitlement_id="E2")
    assert pick(past, "days_left", "projected_at_end", "burn_rate_per_day") == (0, 3.0, None)


def test_exhaustion_date_of_an_exhausted_entitlement_is_when_it_reached_the_cap():
    t = tables(
        entitlements=[ent(cap=3.0, business_hours_id="BH")],
        business_hours=[hours_bh("BH", "Europe/Berlin")],
        cases=[
            case("C1", "2026-02-01T10:00Z"),
            case("C2", "2026-02-02T10:00Z"),
            case("C3", "2026-02-02T23:30Z"),  # 00:30 on Feb 3 in Berlin
            case("C4", "2026-02-05T10:00Z"),
        ],
    )
    row = util_row(t)
    assert pick(row, "status", "remaining", "projected_exhaustion_date") == (
        "over_cap",
        -1.0,
        day("2026-02-03"),
    )


def test_exhaustion_date_for_hours():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0)],
        cases=[case("C1", "2026-02-01T10:00Z")],
        time_entries=[entry("T1", "C1", "2026-03-01", 3600), entry("T2", "C1", "2026-03-05", 3000)],
    )
    row = util_row(t)
    assert pick(row, "status", "remaining", "projected_exhaustion_date") == (
        "over_cap",
        -10.0,
        day("2026-03-05"),
    )


@pytest.mark.parametrize(
    ("setup", "banner"),
    [
        (dict(n=3), "Customer has 7 cases remaining"),
        (dict(n=9), "Customer has 1 case remaining"),
        (dict(n=10), "Entitlement exhausted: 0 cases remaining. Offer an upgrade (recommended: Pro)"),
        (dict(n=12), "Entitlement over cap: 2 cases over the limit. Offer an upgrade (recommended: Pro)"),
        (
            dict(n=10, overflow="block"),
            "Entitlement exhausted: 0 cases remaining. New cases are blocked. "
            "Offer an upgrade (recommended: Pro)",
        ),
        (dict(n=10, plans=False), "Entitlement exhausted: 0 cases remaining. Offer a larger allotment"),
        (
            dict(n=12, plans_=["Standard"]),
            "Entitlement over cap: 2 cases over the limit. No larger plan: offer a custom quote",
        ),
        (dict(n=1, cap=None), "Unlimited entitlement: 1 case used this term"),
        (dict(n=0, start="2026-09-01"), "Entitlement not started: the term begins 2026-09-01"),
        (dict(n=0, start="2025-01-01", end="2025-12-31"), "Entitlement expired on 2025-12-31"),
    ],
)
def test_banner(setup, banner):
    e = ent(
        cap=setup.get("cap", 10.0),
        plan="Standard",
        overflow=setup.get("overflow", "warn"),
        start=setup.get("start", "2026-01-01"),
        end=setup.get("end", "2026-12-31"),
    )
    plans = [plan("Standard", cap=10.0), plan("Pro", cap=50.0)] if setup.get("plans", True) else []
    plans = [p for p in plans if p["plan"] in setup.get("plans_", ("Standard", "Pro"))]
    t = tables(entitlements=[e], plans=plans, cases=cases(setup["n"]))
    assert util_row(t)["banner"] == banner
    assert not util_row(t)["banner"].endswith("Offer an upgrade")


@pytest.mark.parametrize(
    ("minutes", "plans", "recommended", "ending"),
    [
        # 110 hours used of 100 by March: only larger hours plans qualify; none here.
        (6600, [("Hours 100", 100.0)], CUSTOM_QUOTE, "No larger plan: offer a custom quote"),
        (6600, [("Hours 100", 100.0), ("Hours 1000", 1000.0)], "Hours 1000",
         "Offer an upgrade (recommended: Hours 1000)"),
    ],
)  # fmt: skip
def test_an_hour_bank_over_its_cap_is_offered_an_hours_plan_or_a_custom_quote(
    minutes, plans, recommended, ending
):
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0, plan="Hours 100")],
        plans=[plan("Standard", cap=10.0), *[plan(n, cap=c, usage_type="hours") for n, c in plans]],
        cases=[case("C1", "2026-02-01T10:00Z")],
        time_entries=[entry("T1", "C1", "2026-02-02", minutes)],
    )
    row = util_row(t)
    assert row["status"] == "over_cap"
    assert row["recommended_plan"] == recommended
    assert row["banner"].endswith(ending)


@pytest.mark.parametrize(
    ("minutes", "banner"),
    [
        (5250, "Customer has 12.5 hours remaining"),
        (5940, "Customer has 1 hour remaining"),
        (5985, "Customer has 0.25 hours remaining"),
    ],
)
def test_hours_banner(minutes, banner):
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0)],
        cases=[case("C1", "2026-02-01T10:00Z")],
        time_entries=[entry("T1", "C1", "2026-02-02", minutes)],
    )
    assert util_row(t)["banner"] == banner


@pytest.mark.parametrize(
    ("usage", "n", "plans", "recommended"),
    [
        # Exhausted on Standard (10): the next plan up that covers a year at this pace.
        (
            "cases",
            10,
            [plan("Standard", cap=10.0), plan("Pro", cap=50.0), plan("Enterprise", cap=None)],
            "Pro",
        ),
        # Projected annual usage beyond every capped plan: the unlimited plan.
        (
            "cases",
            60,
            [plan("Standard", cap=10.0), plan("Pro", cap=50.0), plan("Enterprise", cap=None)],
            "Enterprise",
        ),
        # Beyond every plan and no unlimited one: said plainly, never an empty cell.
        ("cases", 60, [plan("Standard", cap=10.0), plan("Pro", cap=50.0)], "no larger plan: custom quote"),
        # Only plans of the same usage type qualify (the hours bank does not answer a cases term).
        (
            "cases",
            10,
            [plan("Standard", cap=10.0), plan("Bank", usage_type="hours", cap=500.0)],
            "no larger plan: custom quote",
        ),
        # No plan of its usage type at all: a custom quote too; no plans at all: nothing to recommend.
        ("cases", 10, [plan("Bank", usage_type="hours", cap=500.0)], "no larger plan: custom quote"),
        ("cases", 10, [], None),
        # Healthy and well within its cap: the smallest plan covering its pace.
        ("cases", 2, [plan("Standard", cap=10.0), plan("Pro", cap=50.0)], "Standard"),
    ],
)
def test_recommended_plan(usage, n, plans, recommended):
    t = tables(entitlements=[ent(usage_type=usage, plan="Standard")], plans=plans, cases=cases(n))
    assert util_row(t)["recommended_plan"] == recommended


def test_columns_and_one_row_per_entitlement():
    t = tables(
        entitlements=[
            ent("E1"),
            ent("E2", usage_type="hours", cap=5.0),
            ent("E3", usage_type="none", cap=None),
        ],
        accounts=[{"account_id": "A1", "name": "Acme", "tier": "Pro", "region": "EMEA", "owner": "ana"}],
    )
    out = utilization(t, as_of=JUNE, thresholds=DEFAULT).collect()
    assert out.columns == list(UTILIZATION_COLUMNS)
    assert out.columns[: len(LEAD_COLUMNS)] != list(LEAD_COLUMNS)  # the mart has names first
    assert set(LEAD_COLUMNS) <= set(out.columns)
    assert out.get_column("entitlement_id").to_list() == ["E1", "E2", "E3"]
    assert out.get_column("account_name").to_list() == ["Acme"] * 3
    assert out.get_column("owner").to_list() == ["ana"] * 3


def test_near_limit_lists_the_worst_first():
    t = tables(
        entitlements=[ent(f"E{i}") for i in range(1, 7)],
        cases=[
            *cases(9, entitlement_id="E1", prefix="A"),  # near_limit, remaining 1
            *cases(12, entitlement_id="E2", prefix="B"),  # over_cap, -2
            *cases(10, entitlement_id="E3", prefix="C"),  # exhausted
            *cases(8, entitlement_id="E4", prefix="D"),  # near_limit, remaining 2
            *cases(3, entitlement_id="E5", prefix="F"),  # healthy: not listed
            *cases(11, entitlement_id="E6", prefix="G"),  # over_cap, -1
        ],
    )
    out = near_limit(utilization(t, as_of=JUNE, thresholds=DEFAULT)).collect()
    assert out.select("entitlement_id", "status").rows() == [
        ("E2", "over_cap"),
        ("E6", "over_cap"),
        ("E3", "exhausted"),
        ("E1", "near_limit"),
        ("E4", "near_limit"),
    ]


def test_invalid_burn_window_is_refused():
    with pytest.raises(ValueError, match="burn_window_days"):
        utilization(tables(entitlements=[ent()]), as_of=JUNE, thresholds=DEFAULT, burn_window_days=0)
