"""Admin actions (entitlement_core.admin): validation, audit, overflow policy, ids."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from entitlement_core import admin
from entitlement_core.problems import ProblemsError
from entitlement_core.staging import conform
from entitlement_core.store import Store

AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
ACTOR = "Dana (password)"


def _seed(
    store: Store,
    *,
    cap: float | None = 2,
    overflow: str = "block",
    usage_type: str = "cases",
    cases: int = 0,
    minutes: float = 0,
) -> None:
    """One account, two plans and entitlement E1 (term 2026) with ``cases`` cases before AT."""
    frames = {
        "accounts": {
            "account_id": ["A1"],
            "name": ["Acme"],
            "tier": ["Pro"],
            "region": ["EMEA"],
            "owner": ["Olu"],
        },
        "plans": {
            "plan": ["Small", "Big"],
            "usage_type": [usage_type] * 2,
            "cap": [2.0, 50.0],
            "rollover_pct": [0.5, None],
        },
        "entitlements": {
            "entitlement_id": ["E1"],
            "account_id": ["A1"],
            "usage_type": [usage_type],
            "start_date": [dt.date(2026, 1, 1)],
            "end_date": [dt.date(2026, 12, 31)],
            "cap": [cap],
            "plan": ["Small"],
            "overflow": [overflow],
            "name": ["Acme support"],
        },
        "cases": {
            "case_id": [f"C{i}" for i in range(cases)],
            "account_id": ["A1"] * cases,
            "entitlement_id": ["E1"] * cases,
            "created_at": [dt.datetime(2026, 3, 1, tzinfo=dt.UTC)] * cases,
        },
        "time_entries": {
            "time_entry_id": ["T0"] if minutes else [],
            "case_id": ["C0"] if minutes else [],
            "entry_date": [dt.date(2026, 3, 2)] if minutes else [],
            "minutes": [minutes] if minutes else [],
        },
    }
    with store.transaction() as con:
        for table, data in frames.items():
            store.append(con, table, conform(table, data).collect())


def _count(store: Store, table: str) -> int:
    return store.count(table)


NEW = {
    "entitlement_id": "E2",
    "account_id": "A1",
    "usage_type": "hours",
    "start_date": dt.date(2026, 7, 1),
    "end_date": dt.date(2027, 6, 30),
    "cap": 100,
    "name": "Hours bank",
    "overflow": "warn",
}


def test_create_writes_the_row_and_an_audit_entry(store: Store) -> None:
    _seed(store)
    version = store.data_version()
    result = admin.create_entitlement(store, NEW, actor=ACTOR, at=AT)
    assert (result.record_id, result.created) == ("E2", True)
    row = store.query("SELECT * FROM entitlements WHERE entitlement_id = 'E2'").row(0, named=True)
    assert (row["usage_type"], row["cap"], row["overflow"], row["consume_on"]) == (
        "hours",
        100.0,
        "warn",
        "created",
    )
    log = store.audit_entries()
    assert log.height == 1
    entry = log.row(0, named=True)
    assert (entry["actor"], entry["action"], entry["table_name"], entry["record_id"]) == (
        ACTOR,
        "create_entitlement",
        "entitlements",
        "E2",
    )
    assert entry["occurred_at"] == AT
    assert entry["before"] is None
    assert json.loads(entry["after"])["usage_type"] == "hours"
    assert store.data_version() == version + 1


def test_generated_ids_are_unique(store: Store) -> None:
    _seed(store)
    ids = {
        admin.create_entitlement(store, {**NEW, "entitlement_id": None}, actor=ACTOR).record_id
        for _ in range(3)
    }
    assert len(ids) == 3
    assert all(i.startswith("ENT-") for i in ids)


def test_resubmitting_the_same_id_is_a_no_op_and_different_content_is_refused(store: Store) -> None:
    _seed(store)
    admin.create_entitlement(store, NEW, actor=ACTOR, at=AT)
    again = admin.create_entitlement(store, NEW, actor=ACTOR, at=AT)
    assert again.created is False
    assert _count(store, "entitlements") == 2
    assert store.audit_entries().height == 1
    with pytest.raises(ProblemsError) as err:
        admin.create_entitlement(store, {**NEW, "cap": 5}, actor=ACTOR, at=AT)
    assert err.value.problems[0].column == "entitlement_id"


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"end_date": dt.date(2026, 1, 1)}, None),
        ({"account_id": "NOPE"}, "account_id"),
        ({"plan": "NOPE"}, "plan"),
        ({"usage_type": "none"}, None),
        ({"usage_type": "tokens"}, "usage_type"),
        ({"cap": -1}, "cap"),
        ({"account_id": "  "}, "account_id"),
    ],
)
def test_invalid_entitlements_are_refused_and_nothing_changes(
    store: Store, change: dict, column: str | None
) -> None:
    _seed(store)
    with pytest.raises(ProblemsError) as err:
        admin.create_entitlement(store, {**NEW, **change}, actor=ACTOR, at=AT)
    assert err.value.problems
    if column:
        assert err.value.problems[0].column == column
    assert _count(store, "entitlements") == 1
    assert store.audit_entries().is_empty()


def test_usage_type_cannot_be_edited(store: Store) -> None:
    _seed(store)
    assert "usage_type" not in admin.EntitlementUpdate.model_fields
    with pytest.raises(ProblemsError) as err:
        admin.update_entitlement(store, "E1", {"usage_type": "hours"}, actor=ACTOR)
    assert err.value.problems[0].column == "usage_type"
    assert "permanent" in err.value.problems[0].message
    assert store.query("SELECT usage_type FROM entitlements").item() == "cases"


def test_edit_changes_only_the_given_fields_and_audits_them(store: Store) -> None:
    _seed(store)
    result = admin.update_entitlement(
        store, "E1", {"overflow": "allow", "name": "Renamed"}, actor=ACTOR, at=AT
    )
    assert "overflow" in result.message
    row = store.query("SELECT * FROM entitlements").row(0, named=True)
    assert (row["overflow"], row["name"], row["cap"], row["usage_type"]) == ("allow", "Renamed", 2.0, "cases")
    entry = store.audit_entries().row(0, named=True)
    assert json.loads(entry["before"]) == {"name": "Acme support", "overflow": "block"}
    assert json.loads(entry["after"]) == {"name": "Renamed", "overflow": "allow"}


@pytest.mark.parametrize(
    ("overflow", "used", "confirm", "outcome"),
    [
        ("block", 1, False, "recorded"),  # one left: the case takes the last unit
        ("block", 2, False, admin.OverflowBlocked),
        ("block", 3, True, admin.OverflowBlocked),  # confirming does not lift a block
        ("warn", 1, False, "recorded"),
        ("warn", 2, False, admin.NeedsConfirmation),
        ("warn", 2, True, "overage"),
        ("allow", 2, False, "overage"),
    ],
)
def test_overflow_policy_on_a_new_case(
    store: Store, overflow: str, used: int, confirm: bool, outcome: object
) -> None:
    _seed(store, cap=2, overflow=overflow, cases=used)
    case = {"entitlement_id": "E1", "created_at": AT, "priority": "High"}
    if isinstance(outcome, type):
        with pytest.raises(outcome) as err:
            admin.record_case(store, case, actor=ACTOR, confirm=confirm, at=AT)
        assert "E1" in str(err.value)
        assert _count(store, "cases") == used
        assert store.audit_entries().is_empty()
        return
    result = admin.record_case(store, case, actor=ACTOR, confirm=confirm, at=AT)
    assert result.created
    assert _count(store, "cases") == used + 1
    assert any("overage" in w for w in result.warnings) == (outcome == "overage")
    row = store.query("SELECT account_id, is_deleted FROM cases WHERE case_id = ?", [result.record_id])
    assert row.row(0) == ("A1", False)


def test_a_writer_whose_form_carries_an_earlier_moment_still_sees_the_last_case(store: Store) -> None:
    """Two sessions send the last case of a 'block' entitlement; the one whose form was sent first
    gets the write lock second: the case already recorded counts, whatever moments the forms carry."""
    _seed(store, cap=2, overflow="block", cases=1)
    first_sent = AT - dt.timedelta(seconds=1)
    admin.record_case(store, {"entitlement_id": "E1", "created_at": AT}, actor=ACTOR, at=AT)
    with pytest.raises(admin.OverflowBlocked):
        admin.record_case(
            store, {"entitlement_id": "E1", "created_at": first_sent}, actor=ACTOR, at=first_sent
        )
    assert _count(store, "cases") == 2


def test_blocked_message_is_clear(store: Store) -> None:
    _seed(store, cap=2, overflow="block", cases=2)
    with pytest.raises(admin.OverflowBlocked, match=r"no allotment left \(2 of 2 cases used\).*'block'"):
        admin.record_case(store, {"entitlement_id": "E1", "created_at": AT}, actor=ACTOR, at=AT)


def test_a_case_outside_the_term_is_not_blocked_but_warned(store: Store) -> None:
    _seed(store, cap=2, overflow="block", cases=2)
    late = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    result = admin.record_case(store, {"entitlement_id": "E1", "created_at": late}, actor=ACTOR, at=late)
    assert "outside the term" in result.warnings[0]


def test_unlimited_entitlements_never_overflow(store: Store) -> None:
    _seed(store, cap=None, overflow="block", cases=40)
    assert admin.record_case(store, {"entitlement_id": "E1", "created_at": AT}, actor=ACTOR, at=AT).created


@pytest.mark.parametrize(
    ("overflow", "minutes", "confirm", "outcome"),
    [
        ("block", 30, False, "recorded"),  # 1.5 of 2 hours used, 0.5 h entry fits exactly
        ("block", 31, False, admin.OverflowBlocked),
        ("warn", 60, False, admin.NeedsConfirmation),
        ("warn", 60, True, "recorded"),
        ("allow", 600, False, "recorded"),
    ],
)
def test_overflow_policy_on_time_entries(
    store: Store, overflow: str, minutes: float, confirm: bool, outcome: object
) -> None:
    _seed(store, cap=2, overflow=overflow, usage_type="hours", cases=1, minutes=90)
    entry = {"case_id": "C0", "entry_date": dt.date(2026, 5, 31), "minutes": minutes}
    if isinstance(outcome, type):
        with pytest.raises(outcome):
            admin.record_time_entry(store, entry, actor=ACTOR, confirm=confirm, at=AT)
        assert _count(store, "time_entries") == 1
        return
    assert admin.record_time_entry(store, entry, actor=ACTOR, confirm=confirm, at=AT).created
    assert _count(store, "time_entries") == 2


@pytest.mark.parametrize("minutes", [0, -30])
def test_time_entries_need_positive_minutes(store: Store, minutes: float) -> None:
    _seed(store, usage_type="hours", cases=1)
    with pytest.raises(ProblemsError) as err:
        admin.record_time_entry(
            store, {"case_id": "C0", "entry_date": dt.date(2026, 5, 1), "minutes": minutes}, actor=ACTOR
        )
    assert err.value.problems[0].column == "minutes"


def test_unknown_records_are_reported(store: Store) -> None:
    _seed(store)
    with pytest.raises(admin.NotFound):
        admin.renew_entitlement(store, {"entitlement_id": "E404"}, actor=ACTOR)
    with pytest.raises(admin.NotFound):
        admin.record_case(store, {"entitlement_id": "E404", "created_at": AT}, actor=ACTOR)
    with pytest.raises(admin.NotFound):
        admin.record_time_entry(
            store, {"case_id": "C404", "entry_date": AT.date(), "minutes": 5}, actor=ACTOR
        )


def test_position_reads_one_entitlement(store: Store) -> None:
    _seed(store, cap=2, cases=2)
    pos = admin.entitlement_position(store, "E1", as_of=AT)
    assert (pos["consumed"], pos["remaining"], pos["status"]) == (2.0, 0.0, "exhausted")
    assert pl.DataFrame([pos]).height == 1


# -- checks run in the transaction that writes ------------------------------------------


def test_sessions_racing_for_the_last_unit_record_one_case(tmp_path) -> None:
    """Eight sessions of the app at once on a 'block' entitlement with one unit left."""
    import threading

    store = Store(tmp_path / "race.duckdb")
    _seed(store, cap=2, overflow="block", cases=1)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def session() -> None:
        barrier.wait()
        try:
            admin.record_case(store, {"entitlement_id": "E1", "created_at": AT}, actor=ACTOR, at=AT)
            outcomes.append("recorded")
        except admin.OverflowBlocked:
            outcomes.append("blocked")

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["blocked"] * 7 + ["recorded"]
    assert store.query("SELECT count(*) FROM cases WHERE entitlement_id = 'E1'").item() == 2


def test_the_same_id_submitted_twice_at_once_is_one_record(tmp_path) -> None:
    import threading

    store = Store(tmp_path / "twice.duckdb")
    _seed(store)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def submit() -> None:
        barrier.wait()
        results.append(admin.create_entitlement(store, NEW, actor=ACTOR, at=AT).created)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert store.count("entitlements") == 2
