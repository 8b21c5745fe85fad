"""Consumption rules (DOMAIN.md, "Consumption rules"): what enters the ledger."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.kernels.rows import consumption_order
from entitlement_core.usage.ledger import LEDGER_COLUMNS, consumption_ledger

from .factories import at, basis, case, day, ent, entry, hours_bh, tables


def ledger(t, as_of) -> pl.DataFrame:
    """The ledger in consumption order (it comes unordered)."""
    return consumption_ledger(basis(t, as_of)).sort(
        "entitlement_id", "consumed_at", "case_id", "time_entry_id", nulls_last=True
    )


def ledger_ids(t, as_of: str) -> list[str]:
    return ledger(t, at(as_of)).get_column("case_id").to_list()


@pytest.mark.parametrize(
    ("created", "closed", "consume_on", "as_of", "counts"),
    [
        # Rule 1/2: created inside the term counts (default consume_on = created).
        ("2026-03-01T10:00Z", None, "created", "2026-06-01T00:00Z", True),
        # Before the start / after the end of the term.
        ("2025-12-31T23:59:59Z", None, "created", "2026-06-01T00:00Z", False),
        ("2027-01-01T00:00Z", None, "created", "2027-02-01T00:00Z", False),
        # The last moment of the term counts (end_date inclusive).
        ("2026-12-31T23:59:59Z", None, "created", "2027-02-01T00:00Z", True),
        # Rule 6: after the as-of moment does not count.
        ("2026-07-01T00:00Z", None, "created", "2026-06-01T00:00Z", False),
        # EXAMPLES.md 7: exactly at the as-of moment counts, a second later does not.
        ("2026-05-01T09:00:00Z", None, "created", "2026-05-01T09:00:00Z", True),
        ("2026-05-01T09:00:00Z", None, "created", "2026-05-01T08:59:59Z", False),
        # EXAMPLES.md 4: consume on closed; closed after the term ends.
        ("2026-12-30T10:00Z", "2027-01-02T10:00Z", "closed", "2027-01-05T00:00Z", False),
        # EXAMPLES.md 5: consume on closed; still open.
        ("2026-03-01T10:00Z", None, "closed", "2026-06-01T00:00Z", False),
        # Consume on closed: created before the term, closed inside it counts.
        ("2025-12-20T10:00Z", "2026-01-03T10:00Z", "closed", "2026-06-01T00:00Z", True),
        # Consume on closed: closed after the as-of moment has not consumed yet.
        ("2026-05-20T10:00Z", "2026-06-02T10:00Z", "closed", "2026-06-01T00:00Z", False),
        ("2026-05-20T10:00Z", "2026-06-02T10:00Z", "closed", "2026-06-02T10:00Z", True),
        # Consume on created ignores closed_at.
        ("2026-12-30T10:00Z", "2027-01-02T10:00Z", "created", "2027-01-05T00:00Z", True),
    ],
)
def test_case_consumption_moment(created, closed, consume_on, as_of, counts):
    t = tables(entitlements=[ent(consume_on=consume_on)], cases=[case("C1", created, closed=closed)])
    assert ledger_ids(t, as_of) == (["C1"] if counts else [])


@pytest.mark.parametrize(
    ("zone", "start", "created", "counts"),
    [
        # EXAMPLES.md 6: 2026-03-31T22:30Z is 00:30 CEST on April 1 in Berlin.
        ("Europe/Berlin", "2026-04-01", "2026-03-31T22:30Z", True),
        ("Europe/Berlin", "2026-04-01", "2026-03-31T21:59:59Z", False),
        ("Europe/Berlin", "2026-04-01", "2026-03-31T22:00Z", True),
        # Winter (CET, +1): the term starts at 23:00Z the day before.
        ("Europe/Berlin", "2026-01-01", "2025-12-31T23:00Z", True),
        ("Europe/Berlin", "2026-01-01", "2025-12-31T22:59Z", False),
        # Negative offset (EDT, -4): the term starts at 04:00Z.
        ("America/New_York", "2026-04-01", "2026-04-01T03:59Z", False),
        ("America/New_York", "2026-04-01", "2026-04-01T04:00Z", True),
        # UTC when the entitlement has no business hours.
        (None, "2026-04-01", "2026-03-31T23:59:59Z", False),
        (None, "2026-04-01", "2026-04-01T00:00Z", True),
    ],
)
def test_term_start_in_entitlement_zone(zone, start, created, counts):
    bh = [hours_bh("BH", zone)] if zone else []
    t = tables(
        entitlements=[ent(start=start, business_hours_id="BH" if zone else None)],
        business_hours=bh,
        cases=[case("C1", created)],
    )
    assert ledger_ids(t, "2026-12-01T00:00Z") == (["C1"] if counts else [])


@pytest.mark.parametrize(
    ("zone", "created", "counts"),
    [
        # Term ends 2026-06-30: local midnight after it is 22:00Z in Berlin (CEST) ...
        ("Europe/Berlin", "2026-06-30T21:59:59Z", True),
        ("Europe/Berlin", "2026-06-30T22:00Z", False),
        # ... and 04:00Z on July 1 in New York (EDT).
        ("America/New_York", "2026-07-01T03:59:59Z", True),
        ("America/New_York", "2026-07-01T04:00Z", False),
    ],
)
def test_term_end_in_entitlement_zone(zone, created, counts):
    t = tables(
        entitlements=[ent(end="2026-06-30", business_hours_id="BH")],
        business_hours=[hours_bh("BH", zone)],
        cases=[case("C1", created)],
    )
    assert ledger_ids(t, "2026-12-01T00:00Z") == (["C1"] if counts else [])


def test_zone_falls_back_to_the_process_business_hours():
    t = tables(
        entitlements=[ent(start="2026-04-01", process_id="P1")],
        entitlement_processes=[{"process_id": "P1", "name": "Standard SLA", "business_hours_id": "BH"}],
        business_hours=[hours_bh("BH", "Europe/Berlin")],
        cases=[case("C1", "2026-03-31T22:30Z")],
    )
    assert ledger_ids(t, "2026-06-01T00:00Z") == ["C1"]


def test_own_business_hours_win_over_the_process_ones():
    t = tables(
        entitlements=[ent(start="2026-04-01", process_id="P1", business_hours_id="NY")],
        entitlement_processes=[{"process_id": "P1", "name": "Standard SLA", "business_hours_id": "BER"}],
        business_hours=[hours_bh("BER", "Europe/Berlin"), hours_bh("NY", "America/New_York")],
        cases=[case("C1", "2026-03-31T22:30Z")],
    )
    assert ledger_ids(t, "2026-06-01T00:00Z") == []


def test_unknown_zone_name_is_treated_as_utc():
    t = tables(
        entitlements=[ent(start="2026-04-01", business_hours_id="BH")],
        business_hours=[hours_bh("BH", "Mars/Olympus_Mons")],
        cases=[case("C1", "2026-03-31T22:30Z"), case("C2", "2026-04-01T00:00Z")],
    )
    assert ledger_ids(t, "2026-06-01T00:00Z") == ["C2"]


def test_deleted_cases_still_consume_and_are_flagged():
    t = tables(
        entitlements=[ent()],
        cases=[case("C1", "2026-02-01T10:00Z", is_deleted=True), case("C2", "2026-02-02T10:00Z")],
    )
    out = ledger(t, at("2026-06-01T00:00Z"))
    assert out.get_column("case_id").to_list() == ["C1", "C2"]
    assert out.get_column("is_deleted").to_list() == [True, False]


def test_cases_naming_no_or_another_entitlement_do_not_consume():
    t = tables(
        entitlements=[ent("E1"), ent("E2")],
        cases=[
            case("C1", "2026-02-01T10:00Z", entitlement_id=None),
            case("C2", "2026-02-01T10:00Z", entitlement_id="E2"),
        ],
    )
    out = ledger(t, at("2026-06-01T00:00Z"))
    assert out.select("entitlement_id", "case_id").rows() == [("E2", "C2")]


def test_hours_ledger_from_time_entries():
    """EXAMPLES.md 8: entries of 3000 and 2400 minutes in term, 600 minutes before it."""
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0)],
        cases=[case("C1", "2025-12-20T10:00Z")],  # the case's own date does not matter
        time_entries=[
            entry("T1", "C1", "2026-02-01", 3000),
            entry("T2", "C1", "2026-03-01", 2400),
            entry("T0", "C1", "2025-12-31", 600),
        ],
    )
    out = ledger(t, at("2026-06-01T00:00Z"))
    expected = pl.DataFrame(
        {
            "entitlement_id": ["E1", "E1"],
            "usage_type": ["hours", "hours"],
            "source": ["time_entry", "time_entry"],
            "case_id": ["C1", "C1"],
            "time_entry_id": ["T1", "T2"],
            "consumed_at": [at("2026-02-01"), at("2026-03-01")],
            "consumed_date": [day("2026-02-01"), day("2026-03-01")],
            "quantity": [50.0, 40.0],
            "is_deleted": [False, False],
        },
        schema_overrides={"consumed_at": pl.Datetime("us", "UTC")},
    )
    assert out.columns == list(LEDGER_COLUMNS)
    assert_frame_equal(out, expected)


@pytest.mark.parametrize(
    ("zone", "as_of", "entry_date", "counts"),
    [
        # An entry dated on the as-of day counts; the day after does not.
        (None, "2026-06-01T00:00Z", "2026-06-01", True),
        (None, "2026-06-01T23:59Z", "2026-06-02", False),
        # The as-of day is local: 2026-06-01T23:00Z is already June 2 in Berlin ...
        ("Europe/Berlin", "2026-06-01T23:00Z", "2026-06-02", True),
        # ... and still May 31 in New York at 2026-06-01T03:00Z.
        ("America/New_York", "2026-06-01T03:00Z", "2026-06-01", False),
        ("America/New_York", "2026-06-01T03:00Z", "2026-05-31", True),
    ],
)
def test_time_entry_after_the_as_of_day_does_not_count(zone, as_of, entry_date, counts):
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0, business_hours_id="BH" if zone else None)],
        business_hours=[hours_bh("BH", zone)] if zone else [],
        cases=[case("C1", "2026-05-01T10:00Z")],
        time_entries=[entry("T1", "C1", entry_date, 90)],
    )
    out = consumption_ledger(basis(t, at(as_of)))
    assert out.height == (1 if counts else 0)


def test_time_entry_moment_is_local_midnight_of_its_day():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=100.0, business_hours_id="BH")],
        business_hours=[hours_bh("BH", "Europe/Berlin")],
        cases=[case("C1", "2026-05-01T10:00Z")],
        time_entries=[entry("T1", "C1", "2026-07-01", 30)],
    )
    row = consumption_ledger(basis(t, at("2026-08-01"))).row(0, named=True)
    assert row["consumed_at"] == at("2026-06-30T22:00Z")
    assert row["consumed_date"] == day("2026-07-01")
    assert row["quantity"] == 0.5


def test_entries_of_deleted_cases_count_and_cases_of_hours_entitlements_do_not():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=10.0)],
        cases=[case("C1", "2026-05-01T10:00Z", is_deleted=True)],
        time_entries=[entry("T1", "C1", "2026-05-02", 120)],
    )
    out = consumption_ledger(basis(t, at("2026-06-01")))
    assert out.select("source", "quantity", "is_deleted").rows() == [("time_entry", 2.0, True)]


def test_time_entries_on_a_cases_entitlement_do_not_count_as_hours():
    t = tables(
        entitlements=[ent(usage_type="cases")],
        cases=[case("C1", "2026-05-01T10:00Z")],
        time_entries=[entry("T1", "C1", "2026-05-02", 120)],
    )
    out = consumption_ledger(basis(t, at("2026-06-01")))
    assert out.select("source", "quantity").rows() == [("case", 1.0)]


def test_none_entitlements_list_their_cases():
    t = tables(entitlements=[ent(usage_type="none", cap=None)], cases=[case("C1", "2026-05-01T10:00Z")])
    out = consumption_ledger(basis(t, at("2026-06-01")))
    assert out.select("usage_type", "source", "case_id").rows() == [("none", "case", "C1")]


@pytest.mark.parametrize(
    ("zone", "created", "local_day"),
    [
        ("Europe/Berlin", "2026-03-28T23:30Z", "2026-03-29"),  # CET: 00:30
        ("Europe/Berlin", "2026-03-29T21:59Z", "2026-03-29"),  # CEST from 01:00Z: 23:59
        ("Europe/Berlin", "2026-03-29T22:00Z", "2026-03-30"),
        ("America/New_York", "2026-11-01T04:30Z", "2026-11-01"),  # 00:30 EDT, DST ends that night
        ("America/New_York", "2026-11-02T04:59Z", "2026-11-01"),  # 23:59 EST
        ("America/Sao_Paulo", "2026-02-01T02:59Z", "2026-01-31"),
        ("Asia/Kolkata", "2026-02-01T18:30Z", "2026-02-02"),
        # Santiago springs forward at local midnight on 2026-09-06: that day starts at 01:00 (-03).
        ("America/Santiago", "2026-09-06T03:59Z", "2026-09-05"),
        ("America/Santiago", "2026-09-06T04:00Z", "2026-09-06"),
    ],
)
def test_consumed_date_is_the_local_day(zone, created, local_day):
    t = tables(
        entitlements=[ent(business_hours_id="BH")],
        business_hours=[hours_bh("BH", zone)],
        cases=[case("C1", created)],
    )
    out = consumption_ledger(basis(t, at("2026-12-01")))
    assert out.get_column("consumed_date").to_list() == [day(local_day)]


def test_naive_as_of_is_refused():
    t = tables(entitlements=[ent()])
    with pytest.raises(ValueError, match="timezone-aware"):
        basis(t, dt.datetime(2026, 6, 1))


def test_running_totals_order_by_consumption_moment_then_case():
    t = tables(
        entitlements=[ent(usage_type="hours", cap=10.0), ent("E2")],
        cases=[
            case("C2", "2026-02-01T10:00Z", entitlement_id="E2"),
            case("C1", "2026-02-01T10:00Z", entitlement_id="E2"),
            case("C0", "2026-03-01T10:00Z", entitlement_id="E2"),
            case("H2", "2026-02-01T10:00Z"),
            case("H1", "2026-02-01T10:00Z"),
        ],
        time_entries=[
            entry("T9", "H1", "2026-02-02", 60),
            entry("T1", "H2", "2026-02-02", 30),
            entry("T3", "H1", "2026-02-01", 90),
            entry("T2", "H1", "2026-02-02", 60),
        ],
    )
    b = basis(t, "2026-06-01")
    units = b.units_of(b.terms["_ent"]).join(b.terms.select("_ent", "entitlement_id", "factor"), on="_ent")
    out = consumption_order(units).with_columns(
        (pl.col("quantity").cum_sum().over("_ent") / pl.col("factor"))
        .cast(pl.Float64)
        .alias("running_quantity"),
        pl.int_range(1, pl.len() + 1).over("_ent").alias("unit_index"),
    )
    assert out.select(
        "entitlement_id", "case_id", "time_entry_id", "running_quantity", "unit_index"
    ).rows() == [
        ("E1", "H1", "T3", 1.5, 1),
        ("E1", "H1", "T2", 2.5, 2),
        ("E1", "H1", "T9", 3.5, 3),
        ("E1", "H2", "T1", 4.0, 4),
        ("E2", "C1", None, 1.0, 1),
        ("E2", "C2", None, 2.0, 2),
        ("E2", "C0", None, 3.0, 3),
    ]
