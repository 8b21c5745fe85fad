"""References to tables that hold no rows at all (DOMAIN.md "References", EXAMPLES.md 29-32).

A reference must name a row when its table holds rows (stored or in the same import): an unknown
id is then most likely a typo and refused. When the table holds no rows at all (a partial
export), the id is kept as it is and said once, with a count. With no plans at all, a plan is a
name only: default thresholds, no overage rate, no recommended plan, and every report and page
works with it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.checks import check_configuration
from entitlement_core.ingest import import_path
from entitlement_core.problems import ProblemsError
from entitlement_core.reports import REPORT_NAMES, run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
ACCOUNTS = b"account_id,name\nA1,Acme\nA2,Beta\n"
GOLD = (
    b"entitlement_id,account_id,usage_type,start_date,end_date,cap,plan\n"
    b"E1,A1,cases,2026-01-01,2026-12-31,10,Gold\n"
    b"E2,A2,cases,2026-01-01,2026-12-31,10,Gold\n"
    b"E3,A2,hours,2026-01-01,2026-12-31,100,Silver\n"
)
NINE_CASES = b"case_id,account_id,created_at,entitlement_id,contact_id\n" + b"".join(
    f"C{i},A1,2026-0{1 + i // 4}-0{1 + i % 4}T10:00:00Z,E1,K{i % 3}\n".encode() for i in range(9)
)
PLANS = b"plan,usage_type,cap,overage_rate,near_limit_pct\nStandard,cases,10,50,0.5\nPro,cases,50,40,\n"


def test_plans_named_but_none_imported_are_labels(store: Store, write_files) -> None:
    """EXAMPLES.md 29: the import succeeds, the plan is shown, thresholds are the defaults, and
    validate says so once."""
    result = import_path(store, write_files({"accounts.csv": ACCOUNTS, "entitlements.csv": GOLD}))
    assert [w.message.split(":")[0] for w in result.warnings] == [
        "3 entitlements name plans that were never imported"
    ]
    tables = load_tables(store)
    util = run_report("utilization", tables, as_of=AS_OF, settings=Settings()).sort("entitlement_id")
    assert util["plan"].to_list() == ["Gold", "Gold", "Silver"]
    assert util["near_limit_pct"].to_list() == [0.8, 0.8, 0.8]  # the settings' default
    found = check_configuration(tables)
    assert found.filter(pl.col("column") == "plan").select("severity", "message").rows() == [
        (
            "warning",
            "3 entitlements name plans that were never imported: a plan is then a name only (near-limit "
            "thresholds from the settings, no overage rate, no recommended plan)",
        )
    ]
    assert found.filter(pl.col("severity") == "error").is_empty()


def test_unknown_plan_is_refused_once_plans_exist(store: Store, write_files) -> None:
    """EXAMPLES.md 30: plans imported (Standard, Pro); an entitlement names Gold."""
    import_path(store, write_files({"accounts.csv": ACCOUNTS, "plans.csv": PLANS}))
    before = snapshot(store)
    with pytest.raises(ProblemsError) as info:
        import_path(store, write_files({"entitlements.csv": GOLD}))
    got = [(p.file, p.line, p.column, p.message) for p in info.value.problems][:2]
    assert got == [
        ("entitlements.csv", 2, "plan", "unknown plan 'Gold': no such record in plans"),
        ("entitlements.csv", 3, "plan", "unknown plan 'Gold': no such record in plans"),
    ]
    assert_same_content(before, snapshot(store))


def test_plans_in_the_same_import_count_as_holding_rows(store: Store, write_files) -> None:
    with pytest.raises(ProblemsError, match="unknown plan 'Gold'"):
        import_path(
            store, write_files({"accounts.csv": ACCOUNTS, "plans.csv": PLANS, "entitlements.csv": GOLD})
        )
    assert sum(store.table_counts().values()) == 0


def test_contacts_never_imported_are_kept_and_counted(store: Store, write_files) -> None:
    """EXAMPLES.md 31: cases name contacts; no contacts anywhere."""
    files = {"accounts.csv": ACCOUNTS, "entitlements.csv": GOLD, "cases.csv": NINE_CASES}
    result = import_path(store, write_files(files))
    warning = next(w for w in result.warnings if w.column == "contact_id")
    assert (warning.file, warning.line, warning.message) == (
        "cases.csv",
        2,
        "9 cases name contacts that were never imported (kept as ids)",
    )
    assert store.query("SELECT count(DISTINCT contact_id) FROM cases").item() == 3
    found = check_configuration(load_tables(store))
    assert "9 cases name contacts that were never imported (kept as ids)" in found["message"].to_list()
    # Once contacts exist, an unknown one is a typo again.
    import_path(store, write_files({"contacts.csv": b"contact_id,account_id\nK0,A1\n"}))
    with pytest.raises(ProblemsError, match="unknown contact_id 'K7'"):
        import_path(store, write_files({"cases.csv": NINE_CASES.replace(b",K1\n", b",K7\n")}))
    errors = check_configuration(load_tables(store)).filter(pl.col("check") == "unknown-reference")
    assert errors.select("table", "column").unique().rows() == [("cases", "contact_id")]
    assert errors.height == 6  # the cases naming K1 and K2, imported before contacts were


def test_references_to_tables_never_imported_reach_every_report(store: Store, write_files) -> None:
    """A folder of cases only: accounts, entitlements, contacts never imported; nothing breaks."""
    result = import_path(store, write_files({"cases.csv": NINE_CASES}))
    assert {w.column for w in result.warnings} == {"account_id", "entitlement_id", "contact_id"}
    tables = load_tables(store)
    for name in REPORT_NAMES:
        run_report(name, tables, as_of=AS_OF, settings=Settings())
    found = check_configuration(tables)
    assert set(found.filter(pl.col("check") == "reference-never-imported")["column"]) == {
        "account_id",
        "entitlement_id",
        "contact_id",
    }


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_report_works_with_plans_as_labels(store: Store, write_files, name: str) -> None:
    """DOMAIN.md "References": no overage rate, no recommendation, settings' thresholds."""
    files = {
        "accounts.csv": ACCOUNTS,
        "entitlements.csv": GOLD,
        "cases.csv": NINE_CASES.replace(b",E1,", b",E2,"),
    }
    import_path(store, write_files(files))
    frame = run_report(name, load_tables(store), as_of=AS_OF, settings=Settings())
    if "recommended_plan" in frame.columns:
        assert frame["recommended_plan"].null_count() == frame.height
    if "overage_rate" in frame.columns:
        assert frame["overage_rate"].null_count() == frame.height


def test_salesforce_empty_lookup_names_no_entitlement(store: Store, write_files) -> None:
    """EXAMPLES.md 32: Case.EntitlementId 000000000000000AAA is an unmatched-case candidate."""
    folder = write_files(
        {
            "Account.csv": '"Id","Name"\r\n"001000000000001AAA","Acme"\r\n',
            "Entitlement.csv": '"Id","AccountId","StartDate","EndDate","IsPerIncident","CasesPerEntitlement",'
            '"SlaProcessId"\r\n"550000000000001AAA","001000000000001AAA","2026-01-01","2026-12-31","1","10.0",'
            '"000000000000000AAA"\r\n',
            "Case.csv": '"Id","AccountId","EntitlementId","ContactId","CreatedDate","IsDeleted"\r\n'
            '"500000000000001AAA","001000000000001AAA","000000000000000AAA","000000000000000AAA",'
            '"2026-03-02 09:15:00","0"\r\n',
        }
    )
    result = import_path(store, folder)
    assert result.warnings == ()  # empty lookups are empty: nothing names a missing table
    assert store.query("SELECT entitlement_id, contact_id FROM cases").row(0) == (None, None)
    unmatched = run_report("unmatched-cases", load_tables(store), as_of=AS_OF, settings=Settings())
    assert unmatched.select("case_id", "entitlement_id").rows() == [
        ("500000000000001AAA", "550000000000001AAA")
    ]
