"""Hostile values per column type: an import is refused cleanly, or every report survives it.

Start from the complete example folder (``docs/examples/native`` plus grants, metered usage and
status history), write up to three hostile cells into it (values chosen per column type: huge,
tiny, NaN, infinities, far dates, odd offsets, unknown zones, control characters, formulas ...),
and import. Either the import raises :class:`ProblemsError` and the store is untouched, or every
report (``report NAME`` for every name, written as CSV and JSON as the command line does) and
``validate`` run without an exception.
"""

from __future__ import annotations

import datetime as dt
import string
import zoneinfo
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from entitlement_core.checks import check_configuration, problems_of
from entitlement_core.export import to_bytes
from entitlement_core.ingest import import_path
from entitlement_core.problems import ProblemsError
from entitlement_core.reports import REPORT_NAMES, run_report
from entitlement_core.schema import TABLES
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "native"
AS_OF = (dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.UTC), dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
MORE = {
    "usage_resources": {"resource": ["cases", "tokens"], "unit": ["case", "token"]},
    "grants": {
        "grant_id": ["G1", "G2"],
        "entitlement_id": ["E001-2026", "E001-2026"],
        "resource": ["cases", "tokens"],
        "quantity": ["5", "1000"],
        "effective_from": ["2026-03-01T00:00:00Z", "2026-01-01T00:00:00Z"],
        "expires_at": ["2026-12-31T00:00:00Z", ""],
        "kind": ["pack", "commitment"],
        "priority": ["", "2"],
        "unit_rate": ["", "0.01"],
    },
    "usage_events": {
        "event_id": ["U1"],
        "account_id": ["A001"],
        "entitlement_id": ["E001-2026"],
        "resource": ["tokens"],
        "occurred_at": ["2026-04-01T10:00:00Z"],
        "quantity": ["250"],
    },
    "case_status_history": {
        "case_id": ["C0001", "C0001"],
        "status": ["Waiting on Customer", "Closed"],
        "changed_at": ["2026-02-02T11:00:00Z", "2026-02-03T16:00:00Z"],
    },
}


def _base() -> dict[str, pl.DataFrame]:
    frames = {p.stem: pl.read_csv(p, infer_schema=False) for p in sorted(EXAMPLE.glob("*.csv"))}
    frames |= {name: pl.DataFrame(columns) for name, columns in MORE.items()}
    # Every column of every table is present, so every column can turn hostile.
    for name, frame in frames.items():
        missing = [c for c in TABLES[name].column_names if c not in frame.columns]
        frames[name] = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    return frames


BASE = _base()
CELLS = [
    (table, column)
    for table, frame in BASE.items()
    for column in frame.columns
    if column in TABLES[table].column_names
]

_NUMBERS = st.one_of(
    st.sampled_from(
        [
            "1e19", "1e308", "-1e308", "1e300", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "999999999999.99", "1e12", "999999999", "1000000000", "NaN", "nan",
            "inf", "-inf", "Infinity", "-0", "0", "0.0", "1e-320", "5e-324", "-1", "10.0", "1,000", "0x10",
            "1_000", "+5", ".5", "5.", "1e", "١٢", "²",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)  # fmt: skip
_DAYS = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
_DATES = st.one_of(
    _DAYS.map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.sampled_from(["1899-12-31", "1900-01-01", "2199-12-31", "2200-01-01", "2026-02-30", "0000-01-01"]),
)
_OFFSETS = st.sampled_from(["Z", "", "+14:00", "-12:00", "+23:59", "-2359", "+05", " UTC", "+25:00"])
_TIMESTAMPS = st.one_of(
    st.builds(lambda d, t, o: f"{d:%Y-%m-%d}T{t:%H:%M:%S.%f}{o}", _DAYS, st.times(), _OFFSETS),
    st.sampled_from(
        [
            "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "1900-01-01T00:00:00+01:00",
            "2199-12-31T23:59:59.999999-14:00", "2026-03-29T02:30:00", "2026-06-30", "2026-06-30T24:00:00Z",
        ]
    ),
)  # fmt: skip
_ZONES = st.one_of(
    st.sampled_from(sorted(zoneinfo.available_timezones())),
    st.sampled_from(
        ["Factory", "localtime", "UTC", "Etc/GMT+12", "Etc/GMT-14", "posixrules", "Mars/Olympus"]
    ),
)
_HHMM = st.one_of(
    st.sampled_from(
        ["00:00", "24:00", "23:59", "24:01", "25:00", "9:00", "09:60", "00:00:00.000Z", "-01:00"]
    ),
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 99), st.integers(0, 99)),
)
_TEXT = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(alphabet=string.printable, min_size=1, max_size=20),
    st.sampled_from(
        ["=1+1", "@SUM(A1)", "+cmd", "-x", '"', "a,b", "line\nbreak", "\r", "\t", " x ", "\u202e"]
    ),
)
_BY_TYPE = {
    "int": _NUMBERS,
    "float": _NUMBERS,
    "date": _DATES,
    "timestamp": _TIMESTAMPS,
    "hhmm": _HHMM,
    "bool": st.sampled_from(["true", "0", "1", "yes", "maybe", "TRUE", "2"]),
}


@st.composite
def hostile_cell(draw: st.DrawFn) -> tuple[str, str, int, str]:
    table, column = draw(st.sampled_from(CELLS))
    spec = TABLES[table].column(column)
    if column == "timezone":
        values = _ZONES
    elif spec.choices:
        values = st.one_of(st.sampled_from([*spec.choices, *(c.upper() for c in spec.choices)]), _TEXT)
    else:
        values = st.one_of(_BY_TYPE.get(spec.type, _TEXT), _TEXT) if spec.type != "text" else _TEXT
    row = draw(st.integers(0, BASE[table].height - 1))
    return table, column, row, draw(values.filter(lambda v: "\x00" not in v))


def _write(folder: Path, cells: list[tuple[str, str, int, str]]) -> None:
    frames = dict(BASE)
    for table, column, row, value in cells:
        frame = frames[table]
        frames[table] = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.write_csv(folder / f"{name}.csv")


def _every_report_and_validate(store: Store, as_of: dt.datetime) -> None:
    tables = load_tables(store).collect_all()
    for name in REPORT_NAMES:
        frame = run_report(name, tables, as_of=as_of, settings=Settings())
        to_bytes(frame, "csv")
        to_bytes(frame, "json")
    problems_of(check_configuration(tables))


def test_the_unchanged_base_imports_and_reports(tmp_path: Path) -> None:
    store = Store(":memory:")
    _write(tmp_path, [])
    import_path(store, tmp_path, format="native")
    assert store.count("case_status_history") == 2
    for as_of in AS_OF:
        _every_report_and_validate(store, as_of)


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cells=st.lists(hostile_cell(), min_size=1, max_size=3), as_of=st.sampled_from(AS_OF))
def test_hostile_values_are_refused_or_every_report_survives(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str, int, str]], as_of: dt.datetime
) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    _write(folder, cells)
    store = Store(":memory:")
    try:
        import_path(store, folder, format="native")
    except ProblemsError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
        assert sum(store.table_counts().values()) == 0
        return
    _every_report_and_validate(store, as_of)


#: Values at the very edge of what is accepted, where the arithmetic is most stretched.
EDGES = [
    pytest.param(
        [
            ("business_hours", "mon_start", 0, "09:00"),
            ("business_hours", "mon_end", 0, "09:01"),
            *[("business_hours", f"{d}_start", 0, "") for d in ("tue", "wed", "thu", "fri")],
            *[("business_hours", f"{d}_end", 0, "") for d in ("tue", "wed", "thu", "fri")],
            ("milestone_targets", "target_minutes", 2, "999999999"),
            ("milestone_targets", "warning_minutes", 2, "999999999"),
            ("case_milestones", "target_minutes", 0, "999999999"),
        ],
        id="largest-target-in-a-one-minute-week",
    ),
    pytest.param(
        [
            ("entitlements", "cap", 1, "999999999999.99"),
            ("entitlements", "start_date", 1, "1900-01-01"),
            ("entitlements", "end_date", 1, "2199-12-31"),
            ("plans", "overage_rate", 0, "999999999999"),
            ("plans", "rollover_pct", 0, "999999999999"),
            ("plans", "near_limit_pct", 0, "999999999999"),
            ("entitlements", "crm_remaining_cases", 1, "-999999999999"),
        ],
        id="largest-cap-longest-term",
    ),
    pytest.param(
        [
            ("cases", "created_at", 0, "1900-01-01T00:00:00Z"),
            ("cases", "closed_at", 0, "2199-12-31T23:59:59.999999Z"),
            ("cases", "first_response_at", 0, "2199-12-31T23:59:59Z"),
            ("case_milestones", "started_at", 0, "1900-01-01T00:00:00Z"),
            ("case_milestones", "target_at", 0, "2199-12-31T23:59:59Z"),
            ("case_milestones", "completed_at", 0, "2199-12-31T23:59:59Z"),
            ("time_entries", "minutes", 0, "999999999"),
            ("time_entries", "entry_date", 0, "1900-01-01"),
        ],
        id="earliest-and-latest-moments",
    ),
    pytest.param(
        [
            ("grants", "quantity", 0, "999999999999"),
            ("grants", "unit_rate", 1, "999999999999"),
            ("grants", "effective_from", 1, "1900-01-01T00:00:00Z"),
            ("grants", "expires_at", 0, "2199-12-31T23:59:59Z"),
            ("grants", "priority", 0, "-9223372036854775808"),
            ("usage_events", "quantity", 0, "999999999999"),
            ("usage_events", "occurred_at", 0, "1900-01-01T00:00:00Z"),
        ],
        id="largest-grants-and-usage",
    ),
    pytest.param(
        [
            ("business_hours", "timezone", 0, "Etc/GMT-14"),
            ("business_hours", "timezone", 1, "Pacific/Kiritimati"),
            ("holidays", "date", 0, "1900-01-01"),
            ("holidays", "date", 1, "2199-12-31"),
            ("entitlement_processes", "version", 0, "9223372036854775807"),
        ],
        id="far-zones-and-holidays",
    ),
]


@pytest.mark.parametrize("cells", EDGES)
@pytest.mark.parametrize("as_of", AS_OF, ids=["2026", "2031"])
def test_edge_values_are_accepted_and_every_report_survives(
    tmp_path: Path, cells: list[tuple[str, str, int, str]], as_of: dt.datetime
) -> None:
    _write(tmp_path, cells)
    store = Store(":memory:")
    import_path(store, tmp_path, format="native")
    _every_report_and_validate(store, as_of)


WEEKLY = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce" / "weekly"


def _weekly() -> dict[str, pl.DataFrame]:
    from entitlement_core.ingest.files import decode

    frames = {}
    for path in sorted(WEEKLY.glob("*.csv")):
        text = decode(path.read_bytes(), path.name).data
        frames[path.name] = pl.read_csv(text, infer_schema=False)
    return frames


WEEKLY_FRAMES = _weekly()
WEEKLY_CELLS = [(name, column) for name, frame in WEEKLY_FRAMES.items() for column in frame.columns]


@st.composite
def hostile_export_cell(draw: st.DrawFn) -> tuple[str, str, int, str]:
    name, column = draw(st.sampled_from(WEEKLY_CELLS))
    lowered = column.lower()
    if lowered.endswith("id"):
        values = st.one_of(st.sampled_from(["000000000000000AAA", "000000000000000", "", "001xx"]), _TEXT)
    elif "date" in lowered or lowered.endswith("stamp"):
        values = st.one_of(_TIMESTAMPS, _DATES, _TEXT)
    elif "time" in lowered and "zone" not in lowered and "mins" not in lowered:
        values = st.one_of(_HHMM, _TEXT)
    elif lowered == "timezonesidkey":
        values = _ZONES
    else:
        values = st.one_of(_NUMBERS, _TEXT, st.sampled_from(["0", "1", "true", "false", ""]))
    row = draw(st.integers(0, WEEKLY_FRAMES[name].height - 1))
    return name, column, row, draw(values.filter(lambda v: "\x00" not in v))


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cells=st.lists(hostile_export_cell(), min_size=1, max_size=3))
@example(cells=[("CaseMilestone.csv", "TargetResponseInMins", 0, "1e19")])
@example(cells=[("CaseMilestone.csv", "TargetResponseInMins", 0, "-9.3e18")])
def test_hostile_values_in_a_salesforce_export_are_refused_or_every_report_survives(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str, int, str]]
) -> None:
    folder = tmp_path_factory.mktemp("hostile-export")
    frames = dict(WEEKLY_FRAMES)
    for name, column, row, value in cells:
        frames[name] = frames[name].with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        )
    for name, frame in frames.items():
        frame.write_csv(folder / name, quote_style="always", line_terminator="\r\n")
    store = Store(":memory:")
    try:
        import_path(store, folder, format="salesforce")
    except ProblemsError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
        assert sum(store.table_counts().values()) == 0
        return
    _every_report_and_validate(store, AS_OF[0])


@pytest.mark.parametrize("minutes", ["1e19", "9223372036854775808", "-1e300"])
def test_target_minutes_beyond_any_bound_are_refused_with_their_line_and_field(
    tmp_path: Path, minutes: str
) -> None:
    frames = dict(WEEKLY_FRAMES)
    frames["CaseMilestone.csv"] = frames["CaseMilestone.csv"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(minutes))
        .otherwise(pl.col("TargetResponseInMins"))
        .alias("TargetResponseInMins")
    )
    for name, frame in frames.items():
        frame.write_csv(tmp_path / name, quote_style="always", line_terminator="\r\n")
    store = Store(":memory:")
    with pytest.raises(ProblemsError) as err:
        import_path(store, tmp_path, format="salesforce")
    problem = next(p for p in err.value.problems if p.file == "CaseMilestone.csv")
    assert problem.line == 2 and "target" in (problem.column or "").lower(), problem
    assert sum(store.table_counts().values()) == 0
