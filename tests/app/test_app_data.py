"""The app's Streamlit-free data helpers (entitlement_core.app_data) and admin sign-in (auth)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core import app_data, auth
from entitlement_core.app_data import Filters
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables

AS_OF = dt.datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)
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


def test_as_of_moment_is_the_end_of_the_day_in_utc() -> None:
    assert app_data.as_of_moment(dt.date(2026, 6, 1)) == AS_OF


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
    got = app_data.with_dims(frame, app_data.entitlement_dims(_tables()), key="likely_entitlement_id")
    assert got.select("tier", "region", "owner", "plan", "account_name").rows() == [
        ("Pro", "NA", "Olu", "Pro", "Acme Corp"),
        ("Standard", "EMEA", "Ana", None, "Globex"),
    ]


@pytest.mark.parametrize("name", app_data.MART_NAMES)
def test_every_mart_builds_and_carries_the_filter_dimensions(name: str) -> None:
    frame = app_data.build_mart(name, _tables(), as_of=AS_OF, settings=Settings())
    assert isinstance(frame, pl.DataFrame)
    if name != "weekly_by_tier":
        assert set(app_data.DIMENSIONS) <= set(frame.columns)


def test_kpis_count_statuses_and_compare_with_the_previous_period() -> None:
    util = FRAME.with_columns(pl.lit(None, dtype=pl.Float64).alias("pct_used"))
    milestones = pl.DataFrame(
        {
            "status": ["met", "met", "violated", "met", "open"],
            "started_at": [dt.datetime(2026, 6, 1, tzinfo=dt.UTC)] * 3
            + [dt.datetime(2026, 5, 1, tzinfo=dt.UTC)] * 2,
            "tier": ["Pro"] * 5,
        }
    )
    now = app_data.kpi_values(
        util=util, unmatched=FRAME.head(1), milestones=milestones, renewals=FRAME.head(2), as_of=AS_OF
    )
    assert now == {
        "active": 3.0,
        "near_limit": 1.0,
        "exhausted": 1.0,
        "unmatched": 1.0,
        "renewals": 2.0,
        "sla_compliance": pytest.approx(2 / 3),
    }
    pro = app_data.kpi_values(
        util=util,
        unmatched=None,
        milestones=None,
        renewals=None,
        as_of=AS_OF,
        filters=Filters.of({"tier": ["Pro"]}),
    )
    assert (pro["active"], pro["unmatched"], pro["sla_compliance"]) == (2.0, None, None)
    tiles = {k.key: k for k in app_data.kpi_tiles(now, {**now, "active": 5.0, "sla_compliance": 0.5})}
    assert list(tiles) == ["active", "near_limit", "exhausted", "unmatched", "sla_compliance", "renewals"]
    assert (tiles["active"].display, tiles["active"].delta) == ("3", "-2")
    assert (tiles["sla_compliance"].display, tiles["sla_compliance"].delta) == ("66.7%", "+16.7 pts")
    assert tiles["near_limit"].delta == "+0"
    assert app_data.Kpi("x", "X", None, 1.0, "").display == "—"


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
    got = app_data.search_accounts(_tables(), query)
    assert got.select("account_id", "matched_on").rows() == expected


def test_account_tables_keep_only_that_account() -> None:
    sub = app_data.account_tables(_tables(), "A2")
    assert sub.cases.collect()["case_id"].to_list() == ["C3", "C4"]
    assert sub.time_entries.collect()["time_entry_id"].to_list() == ["T1"]
    assert sub.entitlements.collect()["entitlement_id"].to_list() == ["E2"]
    assert sub.plans.collect().height == 2  # reference tables stay whole


def test_sla_view_counts_and_lists() -> None:
    start = dt.datetime(2026, 5, 25, tzinfo=dt.UTC)
    inst = pl.DataFrame(
        {
            "case_id": ["C1", "C2", "C3", "C4"],
            "account_id": ["A1"] * 4,
            "owner": ["Olu"] * 4,
            "tier": ["Pro"] * 4,
            "milestone": ["FR", "FR", "Res", "Res"],
            "priority": ["High", "Low", "High", "Low"],
            "origin": ["Web"] * 4,
            "started_at": [start] * 4,
            "target_at": [start + dt.timedelta(hours=4)] * 4,
            "completed_at": [start + dt.timedelta(hours=1), start + dt.timedelta(hours=6), None, None],
            "target_minutes": [240] * 4,
            "elapsed_minutes": [60.0, 360.0, 200.0, 100.0],
            "status": ["met", "violated", "at_risk", "open"],
            "margin_minutes": [180.0, -120.0, 40.0, 140.0],
        }
    )
    view = app_data.sla_view(inst, as_of=AS_OF, by=["milestone"])
    assert view.totals == {"met": 1, "violated": 1, "at_risk": 1, "open": 1}
    assert (view.violation_count, view.at_risk_count) == (1, 1)
    assert view.compliance.filter(pl.col("milestone") == "FR")["compliance"].item() == 0.5
    assert sorted(view.margin_bins["margin_hours"].to_list()) == [-2.0, 3.0]


def test_data_health_lists_every_check() -> None:
    from entitlement_core.checks import CHECKS

    summary, found = app_data.data_health(_tables(), {"unmatched": pl.DataFrame({"case_id": ["C4"]})})
    assert summary.height == len(CHECKS) + 1
    assert summary.filter(pl.col("table") == "unmatched")["records"].item() == 1
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
    settings = Settings()
    previous = app_data.as_of_moment(dt.date(2026, 4, 20))
    since = app_data.month_start(previous)
    full = app_data.build_mart("milestones", tables, as_of=previous, settings=settings)
    month = app_data.build_mart("milestones", tables, as_of=previous, settings=settings, started_from=since)
    assert month.height > 0 and month["started_at"].min() >= since
    key = ["case_id", "milestone", "started_at"]
    assert month.sort(key).equals(full.filter(pl.col("started_at") >= since).sort(key))
    figures = [
        app_data.kpi_values(util=FRAME, unmatched=None, milestones=m, renewals=None, as_of=previous)
        for m in (full, month)
    ]
    assert figures[0]["sla_compliance"] is not None
    assert figures[0]["sla_compliance"] == figures[1]["sla_compliance"]
