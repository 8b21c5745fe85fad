"""Usage management in the app (AppTest): Revenue page, admin renewal run, grants on the Account page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.renewals import plan_renewals
from entitlement_core.staging import load_tables
from entitlement_core.store import Store
from entitlement_core.usage.balances import commitments

from .conftest import TODAY
from .test_pages import ADMIN_ENV, _metrics, _no_exception, _sign_in

AS_OF = AsOf.on(TODAY)


def _core_figures(db: Path, *, plan: tuple[str, ...] = (), tier: tuple[str, ...] = ()) -> dict[str, str]:
    """The Revenue page's first three figures computed straight from the core."""
    with Store(db) as store:
        tables = load_tables(store).collect_all()
    b = Basis(tables, as_of=AS_OF)
    revenue = b.mart("overage-revenue", plan=plan)
    per_grant = b.mart("grant-balances")
    ents = tables.entitlements.select("entitlement_id", "account_id", "plan").collect()
    accounts = tables.accounts.select("account_id", "tier").collect()
    if tier:
        revenue = revenue.join(accounts, on="account_id").filter(pl.col("tier").is_in(tier))
    chosen = ents.join(accounts, on="account_id")
    if plan:
        chosen = chosen.filter(pl.col("plan").is_in(plan))
    if tier:
        chosen = chosen.filter(pl.col("tier").is_in(tier))
    money = commitments(per_grant).join(chosen.select("entitlement_id"), on="entitlement_id")
    priced = revenue.filter(pl.col("overage_amount") > 0)
    return {
        "Overage revenue": f"{revenue['overage_amount'].sum():,.0f}",
        "Accounts with priced overage": f"{priced['account_id'].n_unique():,}",
        "Commitments remaining": f"{money['remaining_amount'].sum():,.0f}",
    }


@pytest.mark.parametrize(
    ("query", "plan", "tier"),
    [
        ({}, (), ()),
        ({"plan": "Pro"}, ("Pro",), ()),  # an entitlement-level filter: applied before pricing
        ({"tier": "Pro"}, (), ("Pro",)),  # an account-level filter: applied to the priced rows
        ({"plan": "Hours 20", "tier": "Standard"}, ("Hours 20",), ("Standard",)),
    ],
)
def test_revenue_figures_are_the_cores(
    app: Callable, demo_db: Path, query: dict, plan: tuple, tier: tuple
) -> None:
    at = app(demo_db, "pages/revenue.py", **query)
    _no_exception(at)
    shown = _metrics(at)
    expected = _core_figures(demo_db, plan=plan, tier=tier)
    assert {k: shown[k] for k in expected} == expected


def test_revenue_page_shows_the_chart_tables_and_breakage(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/revenue.py")
    _no_exception(at)
    figures = _metrics(at)
    assert float(figures["Overage revenue"].replace(",", "")) > 0
    assert any(label.startswith("Breakage · ") for label in figures)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles == ["Overage revenue by month", "Monetary commitments: drawn and remaining"]
    assert charts[0]["layout"]["barmode"] == "stack"
    assert [t.label for t in at.tabs] == ["Per account", "Per owner", "Per account and month"]
    columns = [list(d.value.columns) for d in at.dataframe]
    assert [
        "month",
        "account_name",
        "account_id",
        "owner",
        "overage_units",
        "overage_rate",
        "overage_amount",
    ] in (columns)
    grants = at.dataframe[-1].value
    assert {"kind", "units", "drawn", "balance", "state", "breakage"} <= set(grants.columns)


def test_a_filter_that_selects_nothing_says_so(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/revenue.py", tier="Pro", usage="hours")  # no Pro account has an hours bank
    _no_exception(at)
    assert _metrics(at)["Overage revenue"] == "0"
    assert any("No overage among the selected accounts" in c.value for c in at.caption)


def test_revenue_page_on_an_empty_database(app: Callable, empty_db: Path) -> None:
    at = app(empty_db, "pages/revenue.py")
    _no_exception(at)
    assert any("No data yet" in i.value for i in at.info)


# -- the renewal run in the admin page ---------------------------------------------


def _preview(at: object, days: int = 90) -> object:
    at.number_input(key="rr_days").set_value(days)
    at.button(key="FormSubmitter:renewal_run-Preview").click().run()
    _no_exception(at)
    return at


def test_renewal_run_previews_creates_and_then_has_nothing_to_do(app: Callable, fresh_demo_db: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    as_of = AS_OF if AS_OF.latest <= now else AsOf.at(now)
    with Store(fresh_demo_db) as store:
        expected = plan_renewals(load_tables(store), as_of=as_of, due_within_days=90)
        audited = store.audit_entries().height
    assert expected.entitlements.height > 0
    at = _preview(_sign_in(app, fresh_demo_db))
    assert any(
        "Preview" in m.value and f"{expected.entitlements.height} renewal(s)" in m.value for m in at.markdown
    )
    previewed = next(d.value for d in at.dataframe if "renewal_of" in d.value.columns)
    assert sorted(previewed["entitlement_id"]) == sorted(expected.entitlements["entitlement_id"])
    assert sorted(at.code[0].value.splitlines()) == sorted(expected.lines())
    with Store(fresh_demo_db) as store:
        assert store.audit_entries().height == audited  # a preview changes nothing

    at.button(key="rr_apply").click().run()
    _no_exception(at)
    created = expected.entitlements.height, expected.grants.height
    assert any(
        # Messages are escaped Markdown (they may quote data): compare their text.
        f"{created[0]} entitlement(s) renewed, {created[1]} grant(s) created" in s.value.replace("\\", "")
        for s in at.success
    )
    with Store(fresh_demo_db) as store:
        ids = expected.entitlements["entitlement_id"].to_list()
        assert store.query(
            "SELECT count(*) FROM entitlements WHERE list_contains(?, entitlement_id)", [ids]
        ).item() == (len(ids))
        log = store.audit_entries(1000).head(sum(created))
    assert set(log["action"]) == {"renew"} and set(log["actor"]) == {"Dana (password)"}
    assert sorted(log["record_id"]) == sorted([*ids, *expected.grants["grant_id"]])

    at = _preview(at)
    assert any("Nothing to renew" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "rr_apply"]
    with Store(fresh_demo_db) as store:
        assert store.audit_entries(1000).height == audited + sum(created)


def test_renewal_run_needs_sign_in(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/admin.py", env=ADMIN_ENV)
    _no_exception(at)
    assert not [b for b in at.button if b.key in ("FormSubmitter:renewal_run-Preview", "rr_apply")]


# -- grants on the Account page ------------------------------------------------------


def test_account_page_shows_grants_and_commitments_next_to_eligibility(app: Callable, demo_db: Path) -> None:
    with Store(demo_db) as store:
        account, grant = store.query(
            "SELECT e.account_id, g.grant_id FROM grants g JOIN entitlements e USING (entitlement_id) "
            "WHERE g.kind = 'commitment' AND e.start_date <= ? AND e.end_date >= ? ORDER BY 1 LIMIT 1",
            [TODAY, TODAY],
        ).row(0)
    at = app(demo_db, "pages/account.py", q=account)
    _no_exception(at)
    assert any(m.value.startswith("**Grants**") for m in at.markdown)
    assert any(f"Commitment {grant}:" in c.value for c in at.caption)
    assert "Grants" in [t.label for t in at.tabs]
    every = next(d.value for d in at.dataframe if "grant_id" in d.value.columns)
    assert grant in set(every["grant_id"])
