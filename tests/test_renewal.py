"""Renewal run: next-term records, anchor and rollover grants, idempotency, dry run."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.cli import main
from entitlement_core.renewals import apply_renewals, plan_renewals
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

D = dt.date


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


def seed(store: Store, entitlements: list[dict], cases: list[dict] | None = None,
         time_entries: list[dict] | None = None) -> None:  # fmt: skip
    from entitlement_core.staging import conform

    frames = {
        "accounts": pl.DataFrame({"account_id": ["A1"], "name": ["Acme"]}),
        "plans": pl.DataFrame(
            {
                "plan": ["Pro", "Bank"],
                "usage_type": ["cases", "hours"],
                "cap": [50.0, 100.0],
                "rollover_pct": [None, 0.5],
                "rollover_max": [None, 20.0],
            }
        ),
        "entitlements": pl.DataFrame(entitlements),
        "cases": pl.DataFrame(cases) if cases else None,
        "time_entries": pl.DataFrame(time_entries) if time_entries else None,
    }
    with store.transaction() as con:
        for name, frame in frames.items():
            if frame is not None:
                store.append(con, name, conform(name, frame).collect())


def ent(eid: str, start: str, end: str, plan: str = "Pro", usage: str = "cases", cap: float | None = 10.0,
        renewal_of: str | None = None) -> dict:  # fmt: skip
    return {
        "entitlement_id": eid, "account_id": "A1", "usage_type": usage, "start_date": D.fromisoformat(start),
        "end_date": D.fromisoformat(end), "cap": cap, "plan": plan, "renewal_of": renewal_of,
    }  # fmt: skip


def test_due_entitlement_gets_a_linked_next_term_with_the_plan_cap(store: Store) -> None:
    seed(store, [ent("E1", "2026-01-01", "2026-12-31")])
    plan = plan_renewals(load_tables(store), as_of=at("2026-12-01"), due_within_days=90)
    row = plan.entitlements.row(0, named=True)
    assert (row["entitlement_id"], row["renewal_of"]) == ("E1-R20270101", "E1")
    assert (row["start_date"], row["end_date"]) == (D(2027, 1, 1), D(2027, 12, 31))
    assert (row["cap"], row["usage_type"], row["plan"]) == (50.0, "cases", "Pro")  # the plan's cap
    anchor = plan.grants.row(0, named=True)
    assert (anchor["grant_id"], anchor["kind"], anchor["quantity"]) == ("E1-R20270101:anchor", "anchor", 50.0)
    assert anchor["effective_from"] == at("2027-01-01")


@pytest.mark.parametrize(
    ("start", "end", "new_start", "new_end"),
    [
        ("2027-03-01", "2028-02-29", D(2028, 3, 1), D(2029, 2, 28)),  # a whole year across a leap day
        ("2026-01-01", "2026-03-31", D(2026, 4, 1), D(2026, 6, 30)),  # a quarter stays a quarter
        ("2026-10-01", "2026-12-29", D(2026, 12, 30), D(2027, 3, 29)),  # 90-day term: same length
    ],
)
def test_next_term_dates(store: Store, start: str, end: str, new_start: dt.date, new_end: dt.date) -> None:
    seed(store, [ent("E1", start, end)])
    as_of = dt.datetime.combine(D.fromisoformat(end) - dt.timedelta(days=5), dt.time(), tzinfo=dt.UTC)
    row = plan_renewals(load_tables(store), as_of=as_of, due_within_days=30).entitlements.row(0, named=True)
    assert (row["start_date"], row["end_date"]) == (new_start, new_end)


def test_outside_the_window_or_already_renewed_is_left_alone(store: Store) -> None:
    seed(
        store,
        [
            ent("E1", "2026-01-01", "2026-12-31"),
            ent("E2", "2026-01-01", "2026-06-30"),
            ent("E3", "2026-07-01", "2027-06-30", renewal_of="E2"),
        ],
    )
    plan = plan_renewals(load_tables(store), as_of=at("2026-06-15"), due_within_days=90)
    assert plan.is_empty


def test_run_is_idempotent(store: Store) -> None:
    seed(store, [ent("E1", "2026-01-01", "2026-12-31")])
    tables = load_tables(store)
    apply_renewals(store, plan_renewals(tables, as_of=at("2026-12-01"), due_within_days=90), actor="test")
    assert store.count("entitlements") == 2
    assert plan_renewals(load_tables(store), as_of=at("2026-12-01"), due_within_days=90).is_empty
    audit = store.audit_entries()
    assert set(audit["record_id"]) == {"E1-R20270101", "E1-R20270101:anchor"}


def test_rollover_follows_the_plan_policy_once_the_term_ended(store: Store) -> None:
    # Hour bank of 100 hours, 70 used: 30 unused, 50% rolls over, at most 20 -> 15 hours.
    seed(
        store,
        [ent("H1", "2025-01-01", "2025-12-31", plan="Bank", usage="hours", cap=100.0),
         ent("H2", "2026-01-01", "2026-12-31", plan="Bank", usage="hours", cap=100.0, renewal_of="H1")],
        cases=[{"case_id": "C1", "account_id": "A1", "created_at": at("2025-03-01"), "entitlement_id": "H1"}],
        time_entries=[
            {"time_entry_id": "T1", "case_id": "C1", "entry_date": D(2025, 3, 1), "minutes": 4200.0}
        ],
    )  # fmt: skip
    before_end = plan_renewals(load_tables(store), as_of=at("2025-12-15"), due_within_days=10)
    assert before_end.grants.filter(pl.col("kind") == "rollover").height == 0
    plan = plan_renewals(load_tables(store), as_of=at("2026-01-05"), due_within_days=10)
    roll = plan.grants.filter(pl.col("kind") == "rollover").row(0, named=True)
    assert (roll["grant_id"], roll["entitlement_id"], roll["quantity"]) == ("H2:rollover", "H2", 15.0)
    apply_renewals(store, plan, actor="test")
    assert plan_renewals(load_tables(store), as_of=at("2026-01-05"), due_within_days=10).is_empty


def test_cli_dry_run_changes_nothing_then_run_then_nothing(tmp_path, capsys) -> None:
    db = tmp_path / "r.duckdb"
    with Store(db) as s:
        seed(s, [ent("E1", "2026-01-01", "2026-12-31")])
    args = ["renew", "--due-within", "60", "--as-of", "2026-12-01", "--db", str(db)]
    assert main([*args, "--dry-run"]) == 0
    assert "would renew E1 -> E1-R20270101" in capsys.readouterr().out
    with Store(db) as s:
        assert s.count("entitlements") == 1
    assert main(args) == 0
    assert "renewed 1 entitlement(s)" in capsys.readouterr().err
    assert main(args) == 0
    assert "nothing to renew" in capsys.readouterr().err


def test_explicit_anchors_of_other_resources_carry_over(store: Store) -> None:
    seed(store, [ent("E1", "2026-01-01", "2026-12-31")])
    from entitlement_core.staging import conform

    with store.transaction() as con:
        store.append(con, "usage_resources", pl.DataFrame({"resource": ["api_calls"], "unit": ["call"]}))
        grant = {
            "grant_id": ["G1"], "entitlement_id": ["E1"], "resource": ["api_calls"], "quantity": [1000.0],
            "effective_from": [at("2026-01-01")], "kind": ["anchor"],
        }  # fmt: skip
        store.append(con, "grants", conform("grants", grant).collect())
    plan = plan_renewals(load_tables(store), as_of=at("2026-12-01"), due_within_days=90)
    carried = plan.grants.filter(pl.col("resource") == "api_calls").row(0, named=True)
    assert (carried["grant_id"], carried["entitlement_id"], carried["quantity"]) == (
        "E1-R20270101:anchor:api_calls",
        "E1-R20270101",
        1000.0,
    )
    assert carried["effective_from"] == at("2027-01-01")


# -- "already renewed" is decided in the transaction that writes -----------------------


def test_a_plan_applied_meanwhile_by_another_run_is_left_out(store: Store) -> None:
    from entitlement_core.renewals import RenewalConflict

    seed(store, [ent("E1", "2026-01-01", "2026-12-31"), ent("E2", "2026-01-01", "2026-12-15")])
    plan = plan_renewals(load_tables(store), as_of=at("2026-12-01"), due_within_days=90)
    assert sorted(plan.entitlements["renewal_of"]) == ["E1", "E2"]
    # Another run (the admin page, a second scheduler) renews E1 between this plan and its apply.
    only_e1 = plan.__class__(
        plan.entitlements.filter(pl.col("renewal_of") == "E1"),
        plan.grants.filter(pl.col("entitlement_id").str.starts_with("E1-")),
    )
    assert apply_renewals(store, only_e1, actor="other").entitlements.height == 1
    audited = store.audit_entries().height
    with pytest.raises(RenewalConflict):
        apply_renewals(store, plan, actor="strict", strict=True)
    assert store.audit_entries().height == audited  # refused whole: nothing written
    done = apply_renewals(store, plan, actor="cli")
    assert done.entitlements["renewal_of"].to_list() == ["E2"]
    assert done.grants["entitlement_id"].to_list() == ["E2-R20261216"]
    assert (
        store.query(
            "SELECT renewal_of, count(*) FROM entitlements WHERE renewal_of IS NOT NULL GROUP BY 1"
        ).height
        == 2
    )
    assert store.query("SELECT count(*) FROM entitlements WHERE renewal_of = 'E1'").item() == 1
    assert store.audit_entries().height == audited + 2  # E2's renewal and its anchor grant
    assert apply_renewals(store, plan, actor="cli").is_empty


def test_an_entitlement_renewed_under_another_id_is_not_renewed_again(store: Store) -> None:
    seed(store, [ent("E1", "2026-01-01", "2026-12-31")])
    plan = plan_renewals(load_tables(store), as_of=at("2026-12-01"), due_within_days=90)
    seed_more = [ent("E1-NEXT", "2027-01-01", "2027-12-31", renewal_of="E1")]
    from entitlement_core.staging import conform

    with store.transaction() as con:
        store.append(con, "entitlements", conform("entitlements", pl.DataFrame(seed_more)).collect())
    assert apply_renewals(store, plan, actor="cli").is_empty
    assert store.query("SELECT count(*) FROM entitlements WHERE renewal_of = 'E1'").item() == 1
