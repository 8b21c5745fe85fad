"""The SLA command-line reports and the package's public surface."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import polars as pl

import entitlement_core.sla as sla
from entitlement_core.reports import REPORT_NAMES, run_report
from entitlement_core.settings import Settings
from entitlement_core.sla.reports import COMPLIANCE_COLUMNS, MILESTONE_COLUMNS

from .test_milestones import at, world

DOMAIN_MILESTONE_COLUMNS = [
    "case_id", "milestone", "started_at", "target_at", "completed_at",
    "target_minutes", "elapsed_minutes", "status",
]  # fmt: skip
DOMAIN_COMPLIANCE_COLUMNS = ["milestone", "priority", "met", "violated", "at_risk", "open", "compliance"]


def _tables():
    return world(
        {
            "case_id": ["c1", "c2", "c3"],
            "priority": ["High", "High", "Low"],
            "first_response_at": [at(10), at(14), None],
        }
    )


def test_registry_names() -> None:
    assert {"milestones", "compliance", "pauses"} <= set(REPORT_NAMES)


def test_milestones_report() -> None:
    got = run_report("milestones", _tables(), as_of=at(15), settings=Settings())
    assert isinstance(got, pl.DataFrame)
    assert got.columns[: len(DOMAIN_MILESTONE_COLUMNS)] == DOMAIN_MILESTONE_COLUMNS
    assert tuple(got.columns) == MILESTONE_COLUMNS
    assert got.filter(pl.col("milestone") == "First Response")["status"].to_list() == [
        "met",
        "violated",
        "violated",
    ]


def test_compliance_report() -> None:
    got = run_report("compliance", _tables(), as_of=at(15), settings=Settings())
    assert got.columns[: len(DOMAIN_COMPLIANCE_COLUMNS)] == DOMAIN_COMPLIANCE_COLUMNS
    assert tuple(got.columns) == COMPLIANCE_COLUMNS
    assert got.select("milestone", "priority", "met", "violated", "at_risk", "open", "compliance").rows() == [
        ("First Response", "High", 1, 1, 0, 0, 0.5),
        ("First Response", "Low", 0, 1, 0, 0, 0.0),
        ("Resolution", "High", 0, 0, 0, 2, None),
        ("Resolution", "Low", 0, 0, 0, 1, None),
    ]


def test_reports_use_the_at_risk_setting() -> None:
    """170 of 240 minutes elapsed: open at the default 25%, at risk at 50%."""
    tables = world({"case_id": ["c1"]})
    default = run_report("milestones", tables, as_of=at(11, 50), settings=Settings())
    wider = run_report("milestones", tables, as_of=at(11, 50), settings=Settings(at_risk_fraction=0.5))
    first = pl.col("milestone") == "First Response"
    assert default.filter(first)["status"].item() == "open"
    assert wider.filter(first)["status"].item() == "at_risk"


def test_public_surface_is_explicit() -> None:
    assert sorted(sla.__all__) == sorted(set(sla.__all__))
    for name in sla.__all__:
        assert hasattr(sla, name), name


def test_sla_never_imports_streamlit() -> None:
    for path in Path(sla.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_as_of_matters_not_the_clock() -> None:
    tables = _tables()
    early = run_report("milestones", tables, as_of=at(9, 30), settings=Settings())
    late = run_report("milestones", tables, as_of=dt.datetime(2027, 1, 1, tzinfo=dt.UTC), settings=Settings())
    assert early["completed_at"].null_count() == early.height
    assert late.filter(pl.col("milestone") == "First Response")["completed_at"].null_count() == 1
