"""The forecaster's inputs from the native tables: daily consumption, allotment, renewal chains."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.forecast import ForecastInputs, forecast_inputs
from entitlement_core.settings import Thresholds
from entitlement_core.usage import utilization
from tests.usage.factories import at, case, ent, entry, plan, tables

D = dt.date


def world(grants: list[dict] | None = None):
    return tables(
        plans=[plan("Standard", cap=10.0), plan("Hours 20", usage_type="hours", cap=20.0)],
        business_hours=[{"business_hours_id": "TYO", "timezone": "Asia/Tokyo"}],
        entitlements=[
            ent("E0", start="2025-01-01", end="2025-12-31"),
            ent("E1", start="2026-01-01", end="2026-12-31", renewal_of="E0", business_hours_id="TYO"),
            ent("CL", consume_on="closed", account_id="A2"),
            ent("H1", usage_type="hours", cap=20.0, plan="Hours 20", account_id="A3"),
        ],
        cases=[
            case("C1", "2026-03-01T16:00Z", entitlement_id="E1"),  # 01:00 on 2 March in Tokyo
            case("C2", "2026-03-01T10:00Z", entitlement_id="E1"),
            case("C3", "2026-03-01T10:30Z", entitlement_id="E1", is_deleted=True),
            case("C4", "2026-02-01T10:00Z", entitlement_id="CL", closed="2026-02-03T10:00Z"),
            case("C5", "2026-02-01T10:00Z", entitlement_id="CL"),  # open: not consumed yet
            case("C6", "2026-02-01T10:00Z", entitlement_id="H1"),
            case("C7", "2026-02-01T11:00Z", entitlement_id="H1"),
            case("C8", "2026-06-20T10:00Z", entitlement_id="E1"),  # after the as-of moment
        ],
        time_entries=[
            entry("T1", "C6", "2026-02-02", 90),
            entry("T2", "C6", "2026-02-02", 30),
            entry("T3", "C7", "2026-02-02", 60),
            entry("T4", "C7", "2026-02-05", 45),
        ],
        grants=grants or [],
    )


AS_OF = at("2026-06-01T00:00Z")


def daily_of(inputs: ForecastInputs) -> dict[tuple[str, dt.date], tuple[float, float]]:
    return {
        (r["entitlement_id"], r["consumed_date"]): (r["quantity"], r["quantity_sq"])
        for r in inputs.daily.iter_rows(named=True)
    }


def test_daily_consumption_follows_the_ledger_in_local_days():
    daily = daily_of(forecast_inputs(world(), as_of=AS_OF))
    assert daily[("E1", D(2026, 3, 1))] == (2.0, 2.0)  # deleted cases count
    assert daily[("E1", D(2026, 3, 2))] == (1.0, 1.0)  # Tokyo's next day
    assert daily[("CL", D(2026, 2, 3))] == (1.0, 1.0)  # consumed when closed; the open case not yet
    # Hours: per case and day, C6 has 2 h and C7 1 h on 2 February: quantity 3, squares 4 + 1.
    assert daily[("H1", D(2026, 2, 2))] == (3.0, 5.0)
    assert daily[("H1", D(2026, 2, 5))] == (0.75, 0.5625)
    assert not any(d > D(2026, 6, 1) for _, d in daily)
    assert len(daily) == 5


def test_daily_totals_agree_with_utilization():
    data = world()
    inputs = forecast_inputs(data, as_of=AS_OF)
    totals = inputs.daily.group_by("entitlement_id").agg(pl.col("quantity").sum())
    util = utilization(data, as_of=AS_OF, thresholds=Thresholds()).collect()
    joined = util.select("entitlement_id", "consumed").join(totals, on="entitlement_id", how="left")
    assert joined.select((pl.col("consumed") - pl.col("quantity").fill_null(0)).abs().max()).item() < 1e-9


def test_terms_zones_allotment_and_chains():
    pack = {"grant_id": "P1", "entitlement_id": "E1", "resource": "cases", "quantity": 5.0,
            "effective_from": at("2026-02-01"), "kind": "pack"}  # fmt: skip
    ents = forecast_inputs(world([pack]), as_of=AS_OF).entitlements
    row = {r["entitlement_id"]: r for r in ents.iter_rows(named=True)}
    assert row["E1"]["timezone"] == "Asia/Tokyo" and row["E0"]["timezone"] == "UTC"
    assert (row["E1"]["cap"], row["E1"]["allotment"]) == (10.0, 15.0)  # the pack adds to the allotment
    assert (row["E0"]["cap"], row["E0"]["allotment"]) == (10.0, 10.0)
    assert (row["E1"]["chain_root_id"], row["E1"]["term_index"]) == ("E0", 2)
    assert (row["E0"]["chain_root_id"], row["E0"]["term_index"]) == ("E0", 1)


def test_from_frames_fills_what_is_not_given():
    inputs = ForecastInputs.from_frames(
        entitlements=pl.DataFrame(
            {
                "entitlement_id": ["A", "B"],
                "usage_type": ["cases", "cases"],
                "cap": [10.0, None],
                "start_date": [D(2026, 1, 1)] * 2,
                "end_date": [D(2026, 12, 31)] * 2,
                "renewal_of": [None, "A"],
            }
        )
    )
    assert inputs.entitlements.get_column("allotment").to_list() == [10.0, None]
    assert inputs.entitlements.get_column("term_index").to_list() == [1, 2]
    assert inputs.daily.height == 0 and inputs.plans.height == 0


def test_duplicate_entitlements_are_refused():
    frame = pl.DataFrame({"entitlement_id": ["A", "A"], "usage_type": ["cases"] * 2})
    with pytest.raises(ValueError, match=r"entitlement_id.*repeated: A"):
        ForecastInputs.from_frames(entitlements=frame)
