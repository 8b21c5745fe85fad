"""The usage reports by name: columns, and which entitlement a row's lead columns describe."""

from __future__ import annotations

import polars as pl
import pytest

from entitlement_core.reports import LEAD_COLUMNS, REPORT_NAMES, run_report
from entitlement_core.settings import Settings

from .factories import at, case, cases, ent, plan, tables

JUNE = at("2026-06-01T00:00Z")
SETTINGS = Settings()


@pytest.fixture(scope="module")
def small():
    """One over-cap entitlement with a Salesforce counter, one unmatched case, one renewal due."""
    return tables(
        plans=[plan("Standard", cap=10.0, overage_rate=100.0), plan("Pro", cap=50.0)],
        entitlements=[
            ent("E1", plan="Standard", crm_remaining_cases=0.0),
            ent("E2", start="2025-07-01", end="2026-06-30"),
        ],
        cases=[*cases(12, first="2026-03-10"), case("U1", "2026-03-01T10:00Z", entitlement_id=None)],
    )


def test_report_names():
    # DOMAIN.md "Command line": its names come first, in its order.
    assert REPORT_NAMES[:9] == (
        "utilization",
        "near-limit",
        "overage",
        "unmatched-cases",
        "upsell",
        "renewals",
        "reconciliation",
        "milestones",
        "compliance",
    )


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("utilization", ["E1", "E2"]),
        ("near-limit", ["E1"]),
        ("overage", ["E1", "E1"]),
        ("unmatched-cases", ["E1"]),  # the likely entitlement: cases type, latest start
        ("upsell", ["E1"]),
        ("renewals", ["E2"]),
        ("reconciliation", ["E1"]),
    ],
)
def test_reports_lead_with_the_utilization_columns(small, name, ids):
    out = run_report(name, small, as_of=JUNE, settings=SETTINGS)
    assert isinstance(out, pl.DataFrame)
    assert out.columns[: len(LEAD_COLUMNS)] == list(LEAD_COLUMNS)
    assert out.get_column("entitlement_id").to_list() == ids
    assert out.get_column("status").to_list()[0] == ("over_cap" if ids[0] == "E1" else "healthy")


def test_overage_report_rows_are_cases(small):
    out = run_report("overage", small, as_of=JUNE, settings=SETTINGS)
    assert out.select("case_id", "overage_amount", "consumed").rows() == [
        ("C11", 100.0, 12.0),
        ("C12", 100.0, 12.0),
    ]


def test_unmatched_report_keeps_the_case(small):
    out = run_report("unmatched-cases", small, as_of=JUNE, settings=SETTINGS)
    assert out.select("case_id", "entitlement_id", "match_reason").rows() == [("U1", "E1", "same account")]


def test_reports_follow_the_settings(small):
    loose = Settings(near_limit_pct=0.5, near_limit_remaining=0)
    out = run_report("utilization", small, as_of=at("2026-03-15T00:00Z"), settings=loose)
    assert out.filter(pl.col("entitlement_id") == "E1").get_column("status").to_list() == ["near_limit"]
