"""Renewals from the admin page (entitlement_core.admin.renewal): the renewal run's rules, once."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core import admin
from entitlement_core.problems import ProblemsError
from entitlement_core.renewals import apply_renewals, plan_renewals
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

from .test_admin import ACTOR, AT, _seed

AFTER_END = dt.datetime(2027, 1, 5, tzinfo=dt.UTC)


def _grants(store: Store) -> dict[str, tuple[str, float]]:
    rows = store.query("SELECT grant_id, kind, quantity FROM grants ORDER BY grant_id").rows()
    return {gid: (kind, quantity) for gid, kind, quantity in rows}


def test_renewal_creates_the_next_term_with_its_anchor_grant_once(store: Store) -> None:
    _seed(store, cap=2, overflow="warn", cases=1)
    first = admin.renew_entitlement(store, {"entitlement_id": "E1"}, actor=ACTOR, at=AT)
    assert (first.created, first.record_id) == (True, "E1-R20270101")
    new = store.query("SELECT * FROM entitlements WHERE entitlement_id = 'E1-R20270101'").row(0, named=True)
    assert (new["renewal_of"], new["start_date"], new["end_date"]) == (
        "E1",
        dt.date(2027, 1, 1),
        dt.date(2027, 12, 31),
    )
    assert (new["usage_type"], new["account_id"], new["overflow"], new["plan"], new["cap"]) == (
        "cases",
        "A1",
        "warn",
        "Small",
        2.0,
    )
    assert _grants(store) == {"E1-R20270101:anchor": ("anchor", 2.0)}
    # The old term has not ended: its unused balance rolls over at the run after the end.
    assert "after 2026-12-31" in first.warnings[0]
    log = store.audit_entries()
    assert sorted(log["record_id"].to_list()) == ["E1-R20270101", "E1-R20270101:anchor"]
    assert set(log["action"]) == {"renew"} and set(log["actor"]) == {ACTOR}

    again = admin.renew_entitlement(store, {"entitlement_id": "E1"}, actor=ACTOR, at=AT)
    assert (again.created, again.record_id) == (False, "E1-R20270101")
    assert store.count("entitlements") == 2 and store.count("grants") == 1
    assert store.audit_entries().height == 2


@pytest.mark.parametrize(
    ("choice", "cap", "plan"),
    [
        ({}, 2.0, "Small"),  # the plan's cap
        ({"plan": "Big"}, 50.0, "Big"),  # a bigger plan: its cap
        ({"cap": 7}, 7.0, "Small"),  # a cap given replaces the plan's
        ({"plan": "Big", "cap": 30}, 30.0, "Big"),
    ],
)
def test_the_new_terms_cap_and_anchor(store: Store, choice: dict, cap: float, plan: str) -> None:
    _seed(store, cap=2, cases=2)
    result = admin.renew_entitlement(store, {"entitlement_id": "E1", **choice}, actor=ACTOR, at=AT)
    row = store.query("SELECT plan, cap FROM entitlements WHERE entitlement_id = ?", [result.record_id])
    assert row.row(0) == (plan, cap)
    assert _grants(store)[f"{result.record_id}:anchor"] == ("anchor", cap)


def test_renewing_after_the_term_ended_rolls_the_unused_balance_over(store: Store) -> None:
    _seed(store, cap=2, overflow="warn", cases=1)
    result = admin.renew_entitlement(store, {"entitlement_id": "E1"}, actor=ACTOR, at=AFTER_END)
    # Plan "Small" rolls over 50% of the unused balance: 1 unused case -> 0.5.
    assert _grants(store) == {
        "E1-R20270101:anchor": ("anchor", 2.0),
        "E1-R20270101:rollover": ("rollover", 0.5),
    }
    assert "0.5 unused cases rolled over" in result.warnings[0]


@pytest.mark.parametrize("at", [AT, AFTER_END], ids=["before-the-end", "after-the-end"])
def test_the_admin_renewal_creates_exactly_what_the_renewal_run_creates(at: dt.datetime) -> None:
    """One rule for what a renewal creates: the form and the run give the same records."""
    by_form, by_run = Store(":memory:"), Store(":memory:")
    for s in (by_form, by_run):
        _seed(s, cap=2, overflow="warn", cases=1)
    admin.renew_entitlement(by_form, {"entitlement_id": "E1"}, actor=ACTOR, at=at)
    # The run renews a term before it ends, and settles the rollover at a run after the end.
    last_day = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    for moment in (min(at, last_day), at):
        window = max((last_day.date() - moment.date()).days, 0)
        plan = plan_renewals(load_tables(by_run), as_of=moment, due_within_days=window)
        apply_renewals(by_run, plan, actor=ACTOR)
    for table, key in (("entitlements", "entitlement_id"), ("grants", "grant_id")):
        assert_frame_equal(by_form.table(table).sort(key), by_run.table(table).sort(key))


def test_the_run_after_a_form_renewal_only_settles_the_rollover(store: Store) -> None:
    _seed(store, cap=2, overflow="warn", cases=1)
    admin.renew_entitlement(store, {"entitlement_id": "E1"}, actor=ACTOR, at=AT)
    before_end = plan_renewals(load_tables(store), as_of=AT, due_within_days=90)
    assert before_end.is_empty
    after_end = plan_renewals(load_tables(store), as_of=AFTER_END, due_within_days=30)
    assert after_end.entitlements.is_empty()
    assert after_end.grants.select("grant_id", "quantity").rows() == [("E1-R20270101:rollover", 0.5)]


@pytest.mark.parametrize(
    ("start", "end", "new_start", "new_end"),
    [
        ("2026-01-01", "2026-12-31", "2027-01-01", "2027-12-31"),
        ("2026-03-15", "2027-03-14", "2027-03-15", "2028-03-14"),
        ("2027-03-01", "2028-02-29", "2028-03-01", "2029-02-28"),  # a whole year across a leap day
        ("2026-01-10", "2026-01-19", "2026-01-20", "2026-01-29"),  # not whole months: the same number of days
        ("2026-01-01", "2026-03-31", "2026-04-01", "2026-06-30"),  # a quarter stays a quarter
    ],
)
def test_the_next_term_follows_the_renewal_rules(
    store: Store, start: str, end: str, new_start: str, new_end: str
) -> None:
    _seed(store)
    with store.transaction() as con:
        con.execute(
            "UPDATE entitlements SET start_date = ?, end_date = ?",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)],
        ).fetchall()
    result = admin.renew_entitlement(store, {"entitlement_id": "E1"}, actor=ACTOR, at=AT)
    assert result.record_id == f"E1-R{new_start.replace('-', '')}"
    row = store.query("SELECT start_date, end_date FROM entitlements WHERE renewal_of = 'E1'").row(0)
    assert row == (dt.date.fromisoformat(new_start), dt.date.fromisoformat(new_end))


@pytest.mark.parametrize(
    ("data", "column"),
    [
        ({"entitlement_id": "E1", "start_date": "2027-02-01"}, "start_date"),
        ({"entitlement_id": "E1", "new_entitlement_id": "X"}, "new_entitlement_id"),
        ({"entitlement_id": "E1", "plan": "NOPE"}, "plan"),
        ({"entitlement_id": "E1", "cap": -1}, "cap"),
    ],
)
def test_only_the_plan_and_cap_can_be_chosen(store: Store, data: dict, column: str) -> None:
    _seed(store)
    with pytest.raises(ProblemsError) as err:
        admin.renew_entitlement(store, data, actor=ACTOR, at=AT)
    assert err.value.problems[0].column == column
    assert store.count("entitlements") == 1 and store.audit_entries().is_empty()


def test_a_taken_renewal_id_is_refused(store: Store) -> None:
    _seed(store)
    admin.create_entitlement(
        store,
        {
            "entitlement_id": "E1-R20270101",
            "account_id": "A1",
            "usage_type": "cases",
            "start_date": dt.date(2027, 1, 1),
            "end_date": dt.date(2027, 12, 31),
        },
        actor=ACTOR,
    )
    with pytest.raises(ProblemsError, match="already taken"):
        admin.renew_entitlement(store, {"entitlement_id": "E1"}, actor=ACTOR, at=AT)


# -- the renewal run of the admin page ---------------------------------------------


def test_a_previewed_run_is_applied_once(store: Store) -> None:
    _seed(store, cap=2, cases=1)
    preview = plan_renewals(
        load_tables(store), as_of=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), due_within_days=90
    )
    assert preview.lines() == [
        "renew E1 -> E1-R20270101 (2027-01-01 to 2027-12-31, cases, cap 2)",
        "grant anchor E1-R20270101:anchor: 2 cases on E1-R20270101",
    ]
    done = admin.apply_renewal_run(store, preview, actor=ACTOR)
    assert done.created and "1 entitlement(s) renewed, 1 grant(s) created" in done.message
    assert store.audit_entries().height == 2
    with pytest.raises(admin.AdminError, match="Preview the run again"):
        admin.apply_renewal_run(store, preview, actor=ACTOR)
    assert (store.count("entitlements"), store.count("grants"), store.audit_entries().height) == (2, 1, 2)
    again = plan_renewals(
        load_tables(store), as_of=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), due_within_days=90
    )
    assert again.is_empty
    nothing = admin.apply_renewal_run(store, again, actor=ACTOR)
    assert (nothing.created, nothing.message) == (False, "Nothing to renew")


# -- the overflow check counts grants ---------------------------------------------


def test_a_top_up_pack_lifts_a_block(store: Store) -> None:
    _seed(store, cap=2, overflow="block", cases=2)
    case = {"entitlement_id": "E1", "created_at": AT}
    with pytest.raises(admin.OverflowBlocked):
        admin.record_case(store, case, actor=ACTOR, at=AT)
    pack = pl.DataFrame(
        {
            "grant_id": ["P1"],
            "entitlement_id": ["E1"],
            "resource": ["cases"],
            "quantity": [5.0],
            "effective_from": [dt.datetime(2026, 5, 1, tzinfo=dt.UTC)],
            "kind": ["pack"],
        }
    )
    with store.transaction() as con:
        store.append(con, "grants", pack)
    position = admin.entitlement_position(store, "E1", as_of=AT)
    assert (position["cap"], position["remaining"], position["status"]) == (7.0, 5.0, "healthy")
    assert admin.record_case(store, case, actor=ACTOR, at=AT).created
