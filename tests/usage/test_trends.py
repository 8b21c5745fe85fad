"""Weekly consumption and the burndown of one entitlement."""

from __future__ import annotations

import polars as pl
import pytest

from entitlement_core.usage import burndown, weekly_consumption

from .factories import at, basis, case, day, ent, entry, hours_bh, tables


def test_weekly_consumption_by_entitlement_uses_local_days():
    t = tables(
        entitlements=[ent("E1", business_hours_id="BH"), ent("E2", usage_type="hours", cap=50.0)],
        business_hours=[hours_bh("BH", "Europe/Berlin")],
        cases=[
            case("C1", "2026-02-02T10:00Z"),  # Monday
            case("C2", "2026-02-08T10:00Z"),  # Sunday: same week
            case("C3", "2026-02-08T23:30Z"),  # 00:30 Monday Feb 9 in Berlin: next week
            case("H1", "2026-02-01T10:00Z", entitlement_id="E2"),
        ],
        time_entries=[entry("T1", "H1", "2026-02-03", 90), entry("T2", "H1", "2026-02-04", 30)],
    )
    out = weekly_consumption(basis(t, at("2026-06-01")))
    assert out.select("week_start_date", "entitlement_id", "unit", "consumed", "units").rows() == [
        (day("2026-02-02"), "E1", "cases", 2.0, 2),
        (day("2026-02-02"), "E2", "hours", 2.0, 2),
        (day("2026-02-09"), "E1", "cases", 1.0, 1),
    ]


def test_weekly_consumption_by_tier():
    t = tables(
        accounts=[
            {"account_id": "A1", "name": "Acme", "tier": "Pro"},
            {"account_id": "A2", "name": "Beta", "tier": "Standard"},
        ],
        entitlements=[ent("E1"), ent("E2", account_id="A2"), ent("E3")],
        cases=[
            case("C1", "2026-02-02T10:00Z"),
            case("C2", "2026-02-03T10:00Z", entitlement_id="E3"),
            case("C3", "2026-02-03T10:00Z", entitlement_id="E2", account_id="A2"),
        ],
    )
    out = weekly_consumption(basis(t, at("2026-06-01")), by="tier")
    assert out.select("week_start_date", "tier", "unit", "consumed").rows() == [
        (day("2026-02-02"), "Pro", "cases", 2.0),
        (day("2026-02-02"), "Standard", "cases", 1.0),
    ]


def test_weekly_consumption_rejects_unknown_grouping():
    with pytest.raises(ValueError, match="by must be"):
        weekly_consumption(basis(tables(entitlements=[ent()]), at("2026-06-01")), by="region")  # type: ignore[arg-type]


def test_burndown():
    """Term Jan 1-10, cap 10: 4 cases on Jan 2 and 2 on Jan 4; as of Jan 5 the burn rate is 6/5 a day."""
    t = tables(
        entitlements=[ent(start="2026-01-01", end="2026-01-10"), ent("E2")],
        cases=[
            *[case(f"A{i}", "2026-01-02T10:00Z") for i in range(4)],
            *[case(f"B{i}", "2026-01-04T10:00Z") for i in range(2)],
            case("X1", "2026-01-03T10:00Z", entitlement_id="E2"),
        ],
    )
    out = burndown(basis(t, at("2026-01-05T12:00Z")), "E1")
    assert out.get_column("date").to_list() == [day(f"2026-01-{d:02d}") for d in range(1, 11)]
    assert out.get_column("consumed").to_list() == [0.0, 4.0, 4.0, 6.0, 6.0, None, None, None, None, None]
    assert out.get_column("remaining").to_list() == [10.0, 6.0, 6.0, 4.0, 4.0, None, None, None, None, None]
    assert out.get_column("projected_consumed").to_list() == pytest.approx(
        [None, None, None, None, 6.0, 7.2, 8.4, 9.6, 10.8, 12.0], nan_ok=True
    )
    assert out.get_column("projected_remaining").to_list()[-1] == pytest.approx(-2.0)
    assert out.get_column("is_projection").sum() == 5
    assert set(out.get_column("cap").to_list()) == {10.0}


def test_burndown_band_is_the_forecasts_from_the_as_of_day_to_the_end():
    """The band starts at what was consumed, widens to the end, and ends at the forecast's interval."""
    t = tables(
        entitlements=[ent(start="2026-01-01", end="2026-01-10"), ent("E2")],
        cases=[
            *[case(f"A{i}", "2026-01-02T10:00Z") for i in range(4)],
            *[case(f"B{i}", "2026-01-04T10:00Z") for i in range(2)],
        ],
    )
    b = basis(t, at("2026-01-05T12:00Z"))
    out = burndown(b, "E1")
    band = out.filter(pl.col("band_p10").is_not_null())
    assert band.get_column("date").to_list() == [day(f"2026-01-{d:02d}") for d in range(5, 11)]
    first, last = band.row(0, named=True), band.row(-1, named=True)
    assert first["band_p10"] == first["band_p90"] == first["expected_consumed"] == 6.0
    assert last["band_p10"] <= last["expected_consumed"] <= last["band_p90"]
    assert (band.get_column("band_p90") - band.get_column("band_p10")).is_sorted()
    assert out.filter(pl.col("date") < day("2026-01-05")).get_column("band_p10").null_count() == 4
    fc = b.mart("forecast").filter(pl.col("entitlement_id") == "E1").row(0, named=True)
    assert (last["band_p10"], last["band_p90"]) == pytest.approx((fc["projected_p10"], fc["projected_p90"]))
    assert last["expected_consumed"] == pytest.approx(fc["projected_at_end"])


def test_burndown_of_an_unknown_entitlement_is_empty():
    out = burndown(basis(tables(entitlements=[ent()]), at("2026-06-01")), "nope")
    assert out.height == 0
    assert "projected_consumed" in out.columns
