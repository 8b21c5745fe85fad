"""Configuration validator: each rule with a record that triggers it and one that does not."""

from __future__ import annotations

import datetime as dt

import pytest

from entitlement_core.checks import CHECKS, check_configuration
from entitlement_core.staging import Tables

D = dt.date
T = dt.datetime

ACCOUNTS = {"account_id": ["A1", "A2"], "name": ["Acme", "Beta"]}
PLANS = {"plan": ["Pro", "Enterprise"], "usage_type": ["cases", "cases"], "cap": [50.0, None]}


def ent(**cols):
    base = {
        "entitlement_id": ["E1"],
        "account_id": ["A1"],
        "usage_type": ["cases"],
        "start_date": [D(2026, 1, 1)],
        "end_date": [D(2026, 12, 31)],
        "cap": [10.0],
        "plan": [None],
    }
    base.update(cols)
    return base


def two_terms(second_start: dt.date, second_end: dt.date) -> dict:
    return ent(
        entitlement_id=["E1", "E2"],
        account_id=["A1", "A1"],
        usage_type=["cases"] * 2,
        start_date=[D(2026, 1, 1), second_start],
        end_date=[D(2026, 12, 31), second_end],
        cap=[10.0, 10.0],
        plan=[None, None],
    )


def bh(**days):
    row = {"business_hours_id": ["BH1"], "timezone": ["UTC"]}
    row.update({k: [v] for k, v in days.items()})
    return row


# (check name, frames that trigger it with the record id, frames that do not)
CASES = [
    (
        "cases-no-cap-no-plan",
        {"entitlements": ent(cap=[None])},
        "E1",
        {"entitlements": ent(cap=[None], plan=["Enterprise"]), "plans": PLANS},
    ),
    ("end-before-start", {"entitlements": ent(end_date=[D(2025, 12, 1)])}, "E1", {"entitlements": ent()}),
    (
        "overlapping-entitlements",
        {"entitlements": two_terms(D(2026, 6, 1), D(2027, 5, 31))},
        "E1",
        {"entitlements": two_terms(D(2027, 1, 1), D(2027, 12, 31))},
    ),
    (
        "pack-without-anchor",
        {
            "entitlements": ent(cap=[None]),
            "grants": {
                "grant_id": ["G1"],
                "entitlement_id": ["E1"],
                "resource": ["cases"],
                "quantity": [5.0],
                "effective_from": [T(2026, 3, 1)],
                "kind": ["pack"],
            },
        },
        "G1",
        {
            "entitlements": ent(),
            "grants": {
                "grant_id": ["G1"],
                "entitlement_id": ["E1"],
                "resource": ["cases"],
                "quantity": [5.0],
                "effective_from": [T(2026, 3, 1)],
                "kind": ["pack"],
            },
        },
    ),
    (
        "grant-outside-term",
        {
            "entitlements": ent(),
            "grants": {
                "grant_id": ["G1"],
                "entitlement_id": ["E1"],
                "resource": ["cases"],
                "quantity": [5.0],
                "effective_from": [T(2027, 3, 1)],
                "kind": ["pack"],
            },
        },
        "G1",
        {
            "entitlements": ent(),
            "grants": {
                "grant_id": ["G1"],
                "entitlement_id": ["E1"],
                "resource": ["cases"],
                "quantity": [5.0],
                "effective_from": [T(2026, 3, 1)],
                "kind": ["pack"],
            },
        },
    ),
    (
        "resource-without-unit",
        {"usage_resources": {"resource": ["tokens"], "unit": [None]}},
        "tokens",
        {"usage_resources": {"resource": ["tokens"], "unit": ["token"]}},
    ),
    (
        "unknown-reference",
        {"entitlements": ent(plan=["Gold"]), "plans": PLANS},
        "E1",
        {"entitlements": ent(plan=["Pro"]), "plans": PLANS},
    ),
    (
        # EXAMPLES.md 29: entitlements name a plan and no plans were imported at all: said once.
        "reference-never-imported",
        {"entitlements": ent(plan=["Gold"])},
        None,
        {"entitlements": ent(plan=["Pro"]), "plans": PLANS},
    ),
    (
        "business-hours-without-holidays",
        {"business_hours": bh(mon_start="09:00", mon_end="17:00")},
        None,
        {
            "business_hours": bh(mon_start="09:00", mon_end="17:00"),
            "holidays": {"business_hours_id": ["BH1"], "date": [D(2026, 12, 25)]},
        },
    ),
    (
        "process-without-targets",
        {"entitlement_processes": {"process_id": ["P1"], "name": ["Std"]}},
        "P1",
        {
            "entitlement_processes": {"process_id": ["P1"], "name": ["Std"]},
            "milestone_targets": {
                "process_id": ["P1"],
                "milestone": ["First Response"],
                "target_minutes": [60],
            },
        },
    ),
    (
        "business-hours-never-open",
        {"business_hours": bh()},
        "BH1",
        {"business_hours": bh(mon_start="09:00", mon_end="17:00")},
    ),
    (
        "case-names-other-accounts-entitlement",
        {
            "entitlements": ent(),
            "cases": {
                "case_id": ["C1"],
                "account_id": ["A2"],
                "created_at": [T(2026, 2, 1)],
                "entitlement_id": ["E1"],
            },
        },
        "C1",
        {
            "entitlements": ent(),
            "cases": {
                "case_id": ["C1"],
                "account_id": ["A1"],
                "created_at": [T(2026, 2, 1)],
                "entitlement_id": ["E1"],
            },
        },
    ),
    (
        "time-entry-on-cases-entitlement",
        {
            "entitlements": ent(),
            "cases": {
                "case_id": ["C1"],
                "account_id": ["A1"],
                "created_at": [T(2026, 2, 1)],
                "entitlement_id": ["E1"],
            },
            "time_entries": {
                "time_entry_id": ["T1"],
                "case_id": ["C1"],
                "entry_date": [D(2026, 2, 1)],
                "minutes": [30.0],
            },
        },
        "T1",
        {
            "entitlements": ent(usage_type=["hours"]),
            "cases": {
                "case_id": ["C1"],
                "account_id": ["A1"],
                "created_at": [T(2026, 2, 1)],
                "entitlement_id": ["E1"],
            },
            "time_entries": {
                "time_entry_id": ["T1"],
                "case_id": ["C1"],
                "entry_date": [D(2026, 2, 1)],
                "minutes": [30.0],
            },
        },
    ),
    (
        "milestone-without-target",
        {
            "cases": {"case_id": ["C1"], "account_id": ["A1"], "created_at": [T(2026, 2, 1)]},
            "case_milestones": {"case_id": ["C1"], "milestone": ["Follow-up"], "started_at": [T(2026, 2, 1)]},
        },
        "C1/Follow-up",
        {
            "cases": {"case_id": ["C1"], "account_id": ["A1"], "created_at": [T(2026, 2, 1)]},
            "case_milestones": {
                "case_id": ["C1"],
                "milestone": ["Follow-up"],
                "started_at": [T(2026, 2, 1)],
                "target_minutes": [60],
            },
        },
    ),
    (
        "paused-status-never-used",
        {
            "entitlements": ent(process_id=["P1"]),
            "entitlement_processes": {
                "process_id": ["P1"],
                "name": ["Std"],
                "paused_statuses": ["Wating;Waiting"],
            },
            "cases": {
                "case_id": ["C1"],
                "account_id": ["A1"],
                "created_at": [T(2026, 2, 1)],
                "entitlement_id": ["E1"],
            },
            "case_status_history": {"case_id": ["C1"], "status": ["Waiting"], "changed_at": [T(2026, 2, 1)]},
        },
        "P1",
        {
            "entitlements": ent(process_id=["P1"]),
            "entitlement_processes": {
                "process_id": ["P1"],
                "name": ["Std"],
                "paused_statuses": [" waiting "],
            },
            "cases": {
                "case_id": ["C1"],
                "account_id": ["A1"],
                "created_at": [T(2026, 2, 1)],
                "entitlement_id": ["E1"],
            },
            "case_status_history": {"case_id": ["C1"], "status": ["Waiting"], "changed_at": [T(2026, 2, 1)]},
        },
    ),
]


def test_every_check_has_a_case() -> None:
    assert {c[0] for c in CASES} == {c.name for c in CHECKS}


@pytest.mark.parametrize(("check", "bad", "record", "good"), CASES, ids=[c[0] for c in CASES])
def test_check_triggers_on_bad_record_only(check: str, bad: dict, record: str, good: dict) -> None:
    found = check_configuration(Tables.from_frames({"accounts": ACCOUNTS, **bad}))
    hits = found.filter(found["check"] == check)
    assert hits["record_id"].to_list() == [record]
    assert hits["message"][0]
    clean = check_configuration(Tables.from_frames({"accounts": ACCOUNTS, **good}))
    assert clean.filter(clean["check"] == check).height == 0


def test_references_never_imported_are_counted_once_per_reference() -> None:
    """EXAMPLES.md 31: a partial export's references are kept and said once, with a count."""
    cases = {
        "case_id": [f"C{i}" for i in range(1204)],
        "account_id": ["A1"] * 1204,
        "created_at": [T(2026, 2, 1)] * 1204,
        "contact_id": ["003X"] * 1204,
    }
    found = check_configuration(Tables.from_frames(accounts=ACCOUNTS, cases=cases))
    hits = found.filter(found["check"] == "reference-never-imported")
    assert hits.select("severity", "table", "column", "message").rows() == [
        ("warning", "cases", "contact_id", "1,204 cases name contacts that were never imported (kept as ids)")
    ]


def test_plan_names_without_plans_are_labels_said_once() -> None:
    found = check_configuration(
        Tables.from_frames(
            accounts=ACCOUNTS, entitlements=two_terms(D(2027, 1, 1), D(2027, 12, 31)) | {"plan": ["Gold"] * 2}
        )
    )
    plans = found.filter(found["column"] == "plan")
    assert plans.height == 1 and plans["severity"].item() == "warning"
    assert plans["message"].item().startswith("2 entitlements name plans that were never imported")
    assert found.filter(found["severity"] == "error").height == 0
