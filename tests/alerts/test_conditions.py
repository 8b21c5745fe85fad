"""Conditions from the reports: thresholds and overrides per plan, tier and owner, and the columns a
later report version adds (paused clocks, a run-out probability) used by name when they are there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.alerts import parse_rules
from entitlement_core.alerts.conditions import capabilities, conditions
from entitlement_core.alerts.evaluation import needed_reports, report_settings, run_reports
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

AS_OF = dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def reports(world_template: Path) -> dict[str, pl.DataFrame]:
    """The small world's reports as of the end of 2026-06-30 (through the public registry)."""
    with Store(world_template).reading() as snap:
        tables = load_tables(snap).collect_all()
    rules = parse_rules("[rules.renewal_due]\nwithin_days = 60\n")
    return run_reports(
        tables, needed_reports(rules), as_of=AS_OF, settings=report_settings(rules, Settings())
    )


def found(reports: dict[str, pl.DataFrame], text: str = "") -> pl.DataFrame:
    caps = capabilities({name: tuple(frame.columns) for name, frame in reports.items()})
    return conditions(reports, parse_rules(text), as_of=AS_OF, caps=caps)


def records(frame: pl.DataFrame, rule_id: str) -> list[str]:
    return frame.filter(pl.col("rule_id") == rule_id)["record_id"].to_list()


def test_every_rule_finds_its_record_once(reports: dict[str, pl.DataFrame]) -> None:
    frame = found(reports)
    assert frame.select("rule_id", "record_id").rows() == [
        ("near_limit", "E1"),
        ("exhausted", "E2"),
        ("over_cap", "E3"),
        ("projected_run_out", "E1"),
        ("milestone_at_risk", "CR/First Response/2026-06-30T23:10:00Z"),
        ("milestone_violated", "CV/First Response/2026-06-30T08:00:00Z"),
        ("renewal_due", "E4"),
        ("unmatched_cases", "A1"),
    ]
    assert frame.filter(pl.col("rule_id") == "renewal_due")["episode"].item() == "2026-07-15"
    assert frame["notify"].to_list()[0] == ["webhook", "owner"]


@pytest.mark.parametrize(
    ("text", "rule_id", "expected"),
    [
        ('[[rules.near_limit.overrides]]\ntier = "Pro"\nenabled = false\n', "near_limit", []),
        ('[[rules.near_limit.overrides]]\nowner = "Mia Chen"\nenabled = false\n', "near_limit", ["E1"]),
        ('[[rules.exhausted.overrides]]\nplan = ["Gold", "Standard"]\nenabled = false\n', "exhausted", []),
        ("[rules.renewal_due]\nwithin_days = 14\n", "renewal_due", []),
        (
            '[rules.renewal_due]\nwithin_days = 14\n[[rules.renewal_due.overrides]]\ntier = "Enterprise"\n'
            "within_days = 20\n",
            "renewal_due",
            ["E4"],
        ),
        ("[rules.milestone_at_risk]\nminutes_before = 5\n", "milestone_at_risk", []),
        (
            "[rules.milestone_at_risk]\nminutes_before = 12\n",
            "milestone_at_risk",
            ["CR/First Response/2026-06-30T23:10:00Z"],
        ),
        ("[rules.milestone_violated]\nlookback_hours = 12\n", "milestone_violated", []),
        (
            "[rules.milestone_violated]\nlookback_hours = 15\n",
            "milestone_violated",
            ["CV/First Response/2026-06-30T08:00:00Z"],
        ),
        ("[rules.projected_run_out]\nwithin_days = 30\n", "projected_run_out", []),
        ("[rules.projected_run_out]\nwithin_days = 90\n", "projected_run_out", ["E1"]),
        ("[rules.unmatched_cases]\nlookback_days = 1\n", "unmatched_cases", []),
    ],
)
def test_thresholds_and_overrides(
    reports: dict[str, pl.DataFrame], text: str, rule_id: str, expected: list[str]
) -> None:
    assert records(found(reports, text), rule_id) == expected


def test_an_override_routes_by_tier(reports: dict[str, pl.DataFrame]) -> None:
    text = '[rules.exhausted]\nnotify = ["webhook"]\n'
    text += '[[rules.exhausted.overrides]]\ntier = "Enterprise"\nnotify = ["team"]\n'
    text += '[[rules.exhausted.overrides]]\ntier = "Enterprise"\nwebhook_url = "https://example.com/x"\n'
    row = found(reports, text).filter(pl.col("rule_id") == "exhausted").row(0, named=True)
    assert row["notify"] == ["team"]  # the first matching override that sets a key wins for that key
    assert row["webhook"] == "rules.exhausted.overrides[1]"  # a label: the URL never reaches the database


def test_paused_clocks_slot_in_by_name_when_the_milestones_report_carries_them(
    reports: dict[str, pl.DataFrame],
) -> None:
    assert records(found(reports), "case_paused") == []  # this version: no paused clocks
    paused = reports["milestones"].with_columns(
        pl.when(pl.col("case_id") == "CR").then(pl.lit("paused")).otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("case_id") == "CR").then(600.0).otherwise(0.0).alias("paused_minutes"),
    )
    later = {**reports, "milestones": paused}
    assert records(found(later), "case_paused") == ["CR"]
    assert records(found(later, "[rules.case_paused]\nthreshold_minutes = 601\n"), "case_paused") == []
    assert records(found(later), "milestone_at_risk") == []  # a paused clock is not at risk


@pytest.mark.parametrize(("probability", "expected"), [(0.3, []), (0.9, ["E1"])])
def test_a_run_out_probability_slots_in_by_name(
    reports: dict[str, pl.DataFrame], probability: float, expected: list[str]
) -> None:
    util = reports["utilization"].with_columns(pl.lit(probability).alias("prob_run_out"))
    assert records(found({**reports, "utilization": util}), "projected_run_out") == expected
