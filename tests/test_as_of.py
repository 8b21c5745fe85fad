"""As of (DOMAIN.md "Consumption rules" 6): a date is the end of that day in each entitlement's own zone
(milestones: their business hours' zone); a timestamp is one moment for everyone; the default is now."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.asof import AsOf, as_of_value
from entitlement_core.basis import Basis
from entitlement_core.cli import parse_as_of
from entitlement_core.sla import milestone_instances
from entitlement_core.staging import Tables

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.UTC
TOKYO, LA = "Asia/Tokyo", "America/Los_Angeles"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _term_ending_june_30(zone: str, cases: list[str] = ()) -> Tables:
    return Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        business_hours={"business_hours_id": ["BH"], "timezone": [zone]},
        entitlements={
            "entitlement_id": ["E"], "account_id": ["A"], "usage_type": ["cases"], "cap": [10.0],
            "business_hours_id": ["BH"], "start_date": [dt.date(2026, 1, 1)],
            "end_date": [dt.date(2026, 6, 30)],
        },
        cases={"case_id": [f"C{i}" for i in range(len(cases))], "account_id": ["A"] * len(cases),
               "entitlement_id": ["E"] * len(cases), "created_at": [at(c) for c in cases]},
    )  # fmt: skip


def _row(tables: Tables, as_of: object) -> dict:
    return Basis(tables, as_of=as_of).mart("utilization").row(0, named=True)


@pytest.mark.parametrize(
    ("zone", "as_of", "status", "as_of_date"),
    [
        # EXAMPLES.md 28: a term ending 2026-06-30 in Tokyo is on its last day as of the date 06-30 ...
        (TOKYO, dt.date(2026, 6, 30), "healthy", dt.date(2026, 6, 30)),
        (TOKYO, dt.date(2026, 7, 1), "expired", dt.date(2026, 7, 1)),
        # ... and so is one in Los Angeles, 16 hours behind.
        (LA, dt.date(2026, 6, 30), "healthy", dt.date(2026, 6, 30)),
        (LA, dt.date(2026, 7, 1), "expired", dt.date(2026, 7, 1)),
        # A moment is the same instant everywhere: 16:00Z is July 1 in Tokyo, June 30 in Los Angeles.
        (TOKYO, at("2026-06-30T16:00:00Z"), "expired", dt.date(2026, 7, 1)),
        (LA, at("2026-06-30T16:00:00Z"), "healthy", dt.date(2026, 6, 30)),
        (TOKYO, at("2026-06-30T14:59:59Z"), "healthy", dt.date(2026, 6, 30)),
    ],
)
def test_a_term_ending_on_the_as_of_date(zone, as_of, status, as_of_date) -> None:
    row = _row(_term_ending_june_30(zone), as_of)
    assert (row["status"], row["as_of_date"]) == (status, as_of_date)


@pytest.mark.parametrize(
    ("zone", "created", "counts_as_of_june_30"),
    [
        # 23:30 local on June 30: inside the day, whatever UTC says.
        (TOKYO, "2026-06-30T14:30:00Z", True),
        (LA, "2026-07-01T06:30:00Z", True),
        # 00:30 local on July 1: after the end of June 30 there.
        (TOKYO, "2026-06-30T15:30:00Z", False),
        (LA, "2026-07-01T07:30:00Z", False),
    ],
)
def test_the_end_of_the_day_is_local(zone, created, counts_as_of_june_30) -> None:
    tables = _term_ending_june_30(zone, ["2026-03-01T00:00:00Z", created])
    # A term that runs on past June 30 sees the case as of the date only when it is inside that local day.
    later = tables.entitlements.with_columns(pl.lit(dt.date(2026, 12, 31)).alias("end_date"))
    longer = dataclasses.replace(tables, entitlements=later)
    row = _row(longer, dt.date(2026, 6, 30))
    assert row["consumed"] == (2.0 if counts_as_of_june_30 else 1.0)


def test_milestones_use_their_business_hours_zone_for_a_date() -> None:
    """As of the date June 15: a Tokyo calendar's day ends at 15:00Z, a 24x7 one at midnight UTC."""
    tables = Tables.from_frames(
        accounts={"account_id": ["A"], "name": ["Acme"]},
        business_hours={"business_hours_id": ["TYO"], "timezone": [TOKYO],
                        **{f"{d}_{e}": ["00:00" if e == "start" else "24:00"]
                           for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                           for e in ("start", "end")}},
        entitlement_processes={"process_id": ["P_TYO", "P_UTC"], "name": ["Tokyo", "24x7"],
                               "business_hours_id": ["TYO", None]},
        milestone_targets={"process_id": ["P_TYO", "P_UTC"], "milestone": ["First Response"] * 2,
                           "target_minutes": [600, 600]},
        entitlements={"entitlement_id": ["ET", "EU"], "account_id": ["A", "A"], "usage_type": ["cases"] * 2,
                      "process_id": ["P_TYO", "P_UTC"], "start_date": [dt.date(2026, 1, 1)] * 2,
                      "end_date": [dt.date(2026, 12, 31)] * 2},
        cases={"case_id": ["T1", "T2", "U1"], "account_id": ["A"] * 3, "entitlement_id": ["ET", "ET", "EU"],
               "created_at": [at("2026-06-15T14:00:00Z"), at("2026-06-15T16:00:00Z"),
                              at("2026-06-15T20:00:00Z")]},
    )  # fmt: skip
    got = milestone_instances(tables, as_of=AsOf.on(dt.date(2026, 6, 15))).collect()
    # T2 starts at 01:00 on June 16 in Tokyo: after the end of June 15 there; U1 is inside the UTC day.
    assert sorted(got["case_id"].to_list()) == ["T1", "U1"]
    t1 = got.filter(pl.col("case_id") == "T1").row(0, named=True)
    assert t1["elapsed_minutes"] == pytest.approx(60 - 1 / 60_000_000)  # to 14:59:59.999999Z


def test_a_date_and_a_timestamp_on_the_command_line() -> None:
    assert parse_as_of("2026-06-30") == AsOf.on(dt.date(2026, 6, 30))
    assert parse_as_of("2026-06-30T14:40:00+02:00") == AsOf.at(at("2026-06-30T12:40:00Z"))
    now = at("2026-11-20T16:20:00Z")
    assert parse_as_of(None, now=now) == AsOf.at(now)
    assert as_of_value(dt.date(2026, 6, 30)) == AsOf.on(dt.date(2026, 6, 30))
    assert AsOf.on(dt.date(2026, 6, 30)).moment_in(TOKYO) == at("2026-06-30T14:59:59.999999Z")
    assert AsOf.on(dt.date(2026, 6, 30)).moment_in(LA) == at("2026-07-01T06:59:59.999999Z")
    with pytest.raises(ValueError, match="timezone-aware"):
        AsOf.at(dt.datetime(2026, 6, 30, 12))


def test_report_as_of_a_date_on_the_command_line(tmp_path: Path) -> None:
    """``report utilization --as-of 2026-06-30``: the Tokyo term is on its last day, not expired."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,name\nA,Acme\n")
    (folder / "business_hours.csv").write_text("business_hours_id,timezone\nBH,Asia/Tokyo\n")
    (folder / "entitlements.csv").write_text(
        "entitlement_id,account_id,usage_type,start_date,end_date,cap,business_hours_id\n"
        "E,A,cases,2026-01-01,2026-06-30,10,BH\n"
    )
    (folder / "cases.csv").write_text(
        "case_id,account_id,created_at,entitlement_id\nC1,A,2026-06-30T14:30:00Z,E\n"
    )
    db = tmp_path / "t.duckdb"
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "entitlement_core", *a, "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run("import", str(folder)).returncode == 0
    out = run("report", "utilization", "--as-of", "2026-06-30")
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()[:2]
    got = dict(zip(header.split(","), row.split(","), strict=False))
    assert (got["status"], got["consumed"], got["as_of_date"]) == ("healthy", "1", "2026-06-30")
