"""The pages' Streamlit-free view models (entitlement_core.views), filters, and admin sign-in (auth)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core import auth, views
from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.filters import DIMENSIONS, Filters, entitlement_dims, with_dims
from entitlement_core.reports import MARTS
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables

AS_OF = dt.datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)
JUNE_1 = AsOf.on(dt.date(2026, 6, 1))
FRAME = pl.DataFrame(
    {
        "entitlement_id": ["E1", "E2", "E3", "E4"],
        "tier": ["Pro", "Pro", "Standard", None],
        "region": ["NA", "EMEA", "NA", "NA"],
        "owner": ["Olu", "Ana", "Olu", "Ana"],
        "plan": ["Pro", "Pro", "Standard", "Enterprise"],
        "usage_type": ["cases", "cases", "cases", "hours"],
        "status": ["healthy", "near_limit", "over_cap", "expired"],
    }
)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["E1", "E2", "E3", "E4"]),
        ({"tier": ["Pro"]}, ["E1", "E2"]),
        ({"tier": ["Pro"], "region": ["NA"]}, ["E1"]),
        ({"owner": ["Ana"], "usage_type": ["hours"]}, ["E4"]),
        ({"plan": ["Pro", "Standard"]}, ["E1", "E2", "E3"]),
        ({"region": ["APAC"]}, []),
    ],
)
def test_filters_select_rows(filters: dict, expected: list[str]) -> None:
    assert Filters.of(filters).apply(FRAME)["entitlement_id"].to_list() == expected


def test_a_filter_on_a_dimension_a_frame_lacks_selects_nothing() -> None:
    assert Filters.of({"plan": ["Pro"]}).apply(FRAME.drop("plan")).is_empty()
    assert not Filters().is_active and Filters.of({"tier": ["Pro"]}).is_active


def test_a_date_is_the_end_of_that_day_in_utc_for_utc_entitlements() -> None:
    assert JUNE_1.moment_in("UTC") == AS_OF


def _tables() -> Tables:
    return Tables.from_frames(
        accounts={
            "account_id": ["A1", "A2"],
            "name": ["Acme Corp", "Globex"],
            "tier": ["Pro", "Standard"],
            "region": ["NA", "EMEA"],
            "owner": ["Olu", "Ana"],
        },
        contacts={
            "contact_id": ["K1"],
            "account_id": ["A2"],
            "name": ["Hank"],
            "email": ["hank@globex.test"],
        },
        assets={"asset_id": ["SN-42"], "account_id": ["A1"], "product": ["Router"]},
        plans={"plan": ["Pro", "Standard"], "usage_type": ["cases", "cases"], "cap": [50.0, 10.0]},
        entitlements={
            "entitlement_id": ["E1", "E2"],
            "account_id": ["A1", "A2"],
            "usage_type": ["cases", "cases"],
            "start_date": [dt.date(2026, 1, 1)] * 2,
            "end_date": [dt.date(2026, 12, 31)] * 2,
            "cap": [2.0, 10.0],
            "plan": ["Pro", "Standard"],
        },
        cases={
            "case_id": ["C1", "C2", "C3", "C4"],
            "account_id": ["A1", "A1", "A2", "A2"],
            "entitlement_id": ["E1", "E1", "E2", None],
            "created_at": [dt.datetime(2026, 3, d, tzinfo=dt.UTC) for d in (1, 2, 3, 4)],
        },
        time_entries={
            "time_entry_id": ["T1"],
            "case_id": ["C3"],
            "entry_date": [dt.date(2026, 3, 3)],
            "minutes": [30.0],
        },
    )


def test_with_dims_joins_by_entitlement_and_falls_back_to_the_account() -> None:
    frame = pl.DataFrame(
        {"case_id": ["C1", "C4"], "account_id": ["A1", "A2"], "likely_entitlement_id": ["E1", None]}
    )
    got = with_dims(frame, entitlement_dims(_tables()), key="likely_entitlement_id")
    assert got.select("tier", "region", "owner", "plan", "account_name").rows() == [
        ("Pro", "NA", "Olu", "Pro", "Acme Corp"),
        ("Standard", "EMEA", "Ana", None, "Globex"),
    ]


@pytest.mark.parametrize("name", list(MARTS))
def test_every_mart_builds_and_carries_the_filter_dimensions(name: str) -> None:
    frame = views.with_filter_dims(Basis(_tables(), as_of=JUNE_1), name)
    assert isinstance(frame, pl.DataFrame)
    if MARTS[name].key is not None or "account_id" in frame.columns:
        assert set(DIMENSIONS) <= set(frame.columns)


def test_kpis_count_statuses_and_compare_with_the_previous_period() -> None:
    b = Basis(_tables(), as_of=JUNE_1)
    now = views.kpi_values(b)
    # E1 (cap 2, 2 cases) is exhausted, E2 (cap 10, 1 case) healthy; C4 names none while E2 is active.
    assert now == {
        "active": 2.0,
        "near_limit": 0.0,
        "exhausted": 1.0,
        "unmatched": 1.0,
        "renewals": 0.0,
        "sla_compliance": None,
    }
    pro = views.kpi_values(b, filters=Filters.of({"tier": ["Pro"]}))
    assert (pro["active"], pro["unmatched"]) == (1.0, 0.0)
    tiles = {
        k.key: k
        for k in views.kpi_tiles(
            {**now, "sla_compliance": 2 / 3}, {**now, "active": 5.0, "sla_compliance": 0.5}
        )
    }
    assert list(tiles) == ["active", "near_limit", "exhausted", "unmatched", "sla_compliance", "renewals"]
    assert (tiles["active"].display, tiles["active"].delta) == ("2", "-3")
    assert (tiles["sla_compliance"].display, tiles["sla_compliance"].delta) == ("66.7%", "+16.7 pts")
    assert tiles["near_limit"].delta == "no change" and tiles["near_limit"].is_unchanged
    assert views.Kpi("x", "X", None, 1.0, "").display == "—"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("acme", [("A1", "account name")]),
        ("a1", [("A1", "account account id")]),
        ("HANK@", [("A2", "contact email")]),
        ("sn-42", [("A1", "asset asset id")]),
        ("router", [("A1", "asset product")]),
        ("  ", []),
        ("nothing", []),
    ],
)
def test_search_accounts(query: str, expected: list[tuple[str, str]]) -> None:
    got = views.search_accounts(_tables(), query)
    assert got.select("account_id", "matched_on").rows() == expected


def test_account_view_shows_only_that_account() -> None:
    view = views.account_view(Basis(_tables(), as_of=JUNE_1), "A2")
    assert view.cases["case_id"].to_list() == ["C4", "C3"]  # newest first
    assert view.entitlements["entitlement_id"].to_list() == ["E2"]
    assert view.eligible["entitlement_id"].to_list() == ["E2"]
    assert view.case_count == 2


def test_data_health_lists_every_check() -> None:
    from entitlement_core.checks import CHECKS

    summary, found = views.data_health(Basis(_tables(), as_of=JUNE_1))
    assert summary.height == len(CHECKS) + len(views.DATA_CHECKS)
    assert summary.filter(pl.col("table") == "unmatched-cases")["records"].item() == 1
    assert summary["is_ok"].to_list() == sorted(summary["is_ok"].to_list())  # problems first
    assert set(found.columns) >= {"check", "severity", "record_id", "message"}


@pytest.mark.parametrize(
    ("password", "expected_hash", "ok"),
    [
        ("secret", auth.password_hash("secret"), True),
        ("secret", auth.password_hash("secret").upper(), True),
        ("Secret", auth.password_hash("secret"), False),
        ("", auth.password_hash(""), False),
        ("secret", None, False),
        (None, auth.password_hash("secret"), False),
    ],
)
def test_check_password(password: str | None, expected_hash: str | None, ok: bool) -> None:
    assert auth.check_password(password, expected_hash) is ok


@pytest.mark.parametrize(
    ("oidc", "digest", "mode"),
    [
        (True, "ab", "oidc"),
        (True, None, "oidc"),
        (False, "ab", "password"),
        (False, None, "none"),
        (False, "", "none"),
    ],
)
def test_auth_mode(oidc: bool, digest: str | None, mode: str) -> None:
    assert auth.auth_mode(has_oidc=oidc, admin_password_hash=digest) == mode


def test_the_previous_months_milestones_alone_give_the_same_sla_figure(demo_db) -> None:
    """The overview measures only the month's milestones 30 days earlier: the figure must not change."""
    from entitlement_core.staging import load_tables
    from entitlement_core.store import Store

    with Store(demo_db, read_only=True) as store:
        tables = load_tables(store).collect_all()
    previous = Basis(tables, as_of=AsOf.on(dt.date(2026, 4, 20)), settings=Settings())
    since = dt.datetime.combine(views.month_start(previous.as_of), dt.time.min, tzinfo=dt.UTC)
    full, month = previous.instances, previous.milestone_instances(started_from=since)
    assert month.height > 0 and month["started_at"].min() >= since
    key = ["case_id", "milestone", "started_at"]
    assert month.sort(key).equals(full.filter(pl.col("started_at") >= since).sort(key))
    figures = [views.kpi_values(previous, measured_from_month=m) for m in (False, True)]
    assert figures[0]["sla_compliance"] is not None
    assert figures[0]["sla_compliance"] == figures[1]["sla_compliance"]
