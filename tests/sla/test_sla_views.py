"""The SLA and Account pages' view models show the next breach, the paused time and the pause audit:
the same figures as the reports (one rule, one place), hand-computed on the pause-audit world."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from entitlement_core import views
from entitlement_core.basis import Basis
from entitlement_core.filters import Filters
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.sla.pause_audit import paused_time

from .test_milestones import at
from .test_pause_audit import AS_OF, audit_world

SETTINGS = Settings(pause_share_threshold=0.5)


@pytest.fixture(scope="module")
def basis() -> Basis:
    return Basis(audit_world(), as_of=AS_OF, settings=SETTINGS)


def test_the_sla_view_says_how_much_time_was_paused_beside_compliance(basis: Basis) -> None:
    """The paused figure is the counts kernel's, and equals the instances' own paused minutes."""
    view = views.sla_view(basis)
    instances = basis.instances
    assert view.paused == paused_time(instances)
    measured = instances.filter(pl.col("status").is_not_null())
    assert view.paused["paused_minutes"] == pytest.approx(measured["paused_minutes"].sum(), abs=1 / 60)
    total = measured["paused_minutes"].sum() + measured["elapsed_minutes"].sum()
    assert view.paused["paused_share"] == pytest.approx(measured["paused_minutes"].sum() / total)
    # c2 is on hold at the as-of moment: its two milestones are paused now.
    assert view.paused["paused_now"] == view.totals["paused"] == 2


def test_the_sla_view_shows_the_next_breach_and_orders_the_at_risk_list_by_it(basis: Basis) -> None:
    """As of Tuesday 10:00 (Berlin hours): c3, c4 and c5 were created Monday 09:00 and never answered:
    First Response (240) is violated; the next breach of each is its Resolution (2400 minutes), less
    the business minutes elapsed (540, and c5's 60 paused do not count). c2 is on hold: paused."""
    view = views.sla_view(basis)
    report = run_report("next-breaches", audit_world(), as_of=AS_OF, settings=SETTINGS)
    assert view.breaches.select(report.columns).equals(report)
    assert view.breach_count == report.height == 4
    assert view.breaches.select("case_id", "milestone", "status", "minutes_left", "breach").rows() == [
        ("c2", "First Response", "paused", 240.0 - 120, "paused: 120 business minutes left"),
        ("c3", "Resolution", "open", 2400.0 - 540, "breaches in 1,860 business minutes"),
        ("c4", "Resolution", "open", 2400.0 - 540, "breaches in 1,860 business minutes"),
        ("c5", "Resolution", "open", 2400.0 - 480, "breaches in 1,920 business minutes"),
    ]
    assert view.next_breach is not None and view.next_breach["case_id"] == "c2"


def test_the_at_risk_list_carries_each_cases_next_breach() -> None:
    """As of Monday 12:25, c1 (created 09:00) and c2 (created Friday 16:45) are at risk: c2 first."""
    t = audit_world()
    t = dataclasses.replace(
        t,
        cases=t.cases.with_columns(
            pl.when(pl.col("case_id") == "c2").then(pl.lit(at(16, 45, day=12))).otherwise("created_at")
            .cast(pl.Datetime("us", "UTC")).alias("created_at")
        ),
        case_status_history=t.case_status_history.filter(pl.col("case_id") == "none"),
    )  # fmt: skip
    view = views.sla_view(Basis(t, as_of=at(12, 25), settings=SETTINGS))
    assert view.at_risk.select("case_id", "next_breach").rows()[:2] == [
        ("c2", "breaches in 20 business minutes"),
        ("c1", "breaches in 35 business minutes"),
    ]


def test_the_account_view_shows_the_accounts_next_breach(basis: Basis) -> None:
    a1 = views.account_view(basis, "a1")
    a2 = views.account_view(basis, "a2")
    assert a1.breaches["case_id"].to_list() == ["c2", "c3"]
    assert a1.next_breach is not None and a1.next_breach["breach"] == "paused: 120 business minutes left"
    assert a2.next_breach is not None and a2.next_breach["breach"] == "breaches in 1,860 business minutes"
    # The same rows as the SLA page's list.
    sla = views.sla_view(basis).breaches
    assert a2.breaches.equals(sla.filter(pl.col("account_id") == "a2").select(a2.breaches.columns))


def test_the_pause_audit_section_is_the_pauses_report(basis: Basis) -> None:
    """Totals hand-computed (see test_pause_audit.EXPECTED): life 480 + 4 x 540, paused 180 + 420 + 60."""
    audit = views.sla_view(basis).pauses
    assert (audit.cases, audit.paused_cases, audit.over_threshold) == (5, 3, 1)
    assert audit.paused_share == pytest.approx(660 / 2640)
    assert audit.threshold == 0.5
    assert audit.parked["case_id"].to_list() == ["c2"]
    report = run_report("pauses", audit_world(), as_of=AS_OF, settings=SETTINGS)
    assert set(report["case_id"]) == {"c1", "c2", "c5"}
    assert report.filter("is_over_threshold").equals(audit.parked.select(report.columns))
    owners = audit.by_owner.select("owner", "paused_minutes", "life_minutes").rows()
    assert owners == [("ann", 600.0, 1560.0), ("bob", 60.0, 1080.0)]
    statuses = audit.by_status.select("status", "paused_minutes").rows()
    assert statuses == [("On Hold", 420.0), ("Waiting on Customer", 240.0)]
    assert audit.by_week["cases"].to_list() == [5]


def test_the_pause_audit_follows_the_sidebar_filters(basis: Basis) -> None:
    bob = views.sla_view(basis, filters=Filters.of({"owner": ["bob"]}))
    assert (bob.pauses.cases, bob.pauses.paused_cases) == (2, 1)
    assert bob.pauses.paused_share == pytest.approx(60 / 1080)
    assert bob.breaches["case_id"].to_list() == ["c4", "c5"]
