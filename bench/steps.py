"""What the benchmark suite measures: one function per side of each step, run in a child process.

``python -m bench.steps KIND ARGS...`` runs one side of one step and prints
one JSON line: its seconds (wall, inside the process) and anything else it
measured. The parent (:mod:`bench.run`) times the whole process and reads
its peak resident set size from the operating system.

Sides:

- ``sql-utilization DB OUT``: the bare consumed/remaining SQL
  (:data:`bench.bench_utilization.BASELINE_SQL`) written as CSV;
- ``sql-compliance DB OUT`` / ``sql-milestones DB OUT``: the calendar-minute
  SQL (:mod:`bench.sla_sql`) written as CSV;
- ``inproc-utilization DB [ROUNDS]`` / ``inproc-compliance DB [ROUNDS]``: in one process,
  interleaved, ours (load the tables, run the report) and the hand-written
  SQL of the same columns, best of ROUNDS (default 3) after one warm-up
  of each;
- ``load-csv FOLDER DB`` / ``load-parquet FOLDER DB``: DuckDB's own reader
  into the empty native tables (casts only, no validation);
- ``import FOLDER DB``: the product's import (into an empty store, or a
  re-import into one that already holds the same rows);
- ``app DB``: the app under Streamlit's AppTest: the first Overview after
  start, the same page again, a switch to Utilization and SLA, and an as-of
  change on the Overview.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The demo databases' today and the reports' as-of date.
TODAY = dt.date(2026, 5, 14)
#: The as-of moment of the bare utilization SQL (the end of the demo's today, UTC).
AS_OF_MOMENT = dt.datetime(2026, 5, 14, 23, 59, 59, tzinfo=dt.UTC)
#: DuckDB's memory for the baselines (it spills beyond): the suite keeps every process under a few GB.
BASELINE_MEMORY = "3GB"
#: The import's tables, parents first.
IMPORT_TABLES = ("accounts", "plans", "entitlements", "cases")


def _copy(db: str, sql: str, params: dict[str, object], out: str) -> dict[str, object]:
    import duckdb

    con = duckdb.connect(db, read_only=True)
    _limit(con)
    started = time.perf_counter()
    rel = con.sql(sql, params=params)
    rel.write_csv(out)
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds}


def _limit(con: object) -> None:
    """At most :data:`BASELINE_MEMORY` for DuckDB, spilling to a temporary folder beyond it."""
    import tempfile

    con.execute(f"SET memory_limit = '{BASELINE_MEMORY}'")  # type: ignore[attr-defined]
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/bench-duckdb-spill'")  # type: ignore[attr-defined]


def sql_utilization(db: str, out: str) -> dict[str, object]:
    from bench.bench_utilization import BASELINE_SQL

    return _copy(db, BASELINE_SQL, {"as_of": AS_OF_MOMENT}, out)


def sql_compliance(db: str, out: str) -> dict[str, object]:
    from bench.sla_sql import COMPLIANCE_SQL, params

    return _copy(db, COMPLIANCE_SQL, params(TODAY), out)


def sql_milestones(db: str, out: str) -> dict[str, object]:
    from bench.sla_sql import INSTANCES_SQL, params

    return _copy(db, INSTANCES_SQL + " ORDER BY case_id, started_at, milestone", params(TODAY), out)


def _best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _inproc(db: str, report: str, sql: str, params: dict[str, object], rounds: int) -> dict[str, object]:
    from entitlement_core.reports import run_report
    from entitlement_core.settings import Settings
    from entitlement_core.staging import load_tables
    from entitlement_core.store import Store

    store = Store(db, read_only=True)

    def ours() -> object:
        with store.reading() as snap:
            return run_report(report, load_tables(snap), as_of=TODAY, settings=Settings())

    def baseline() -> object:
        with store.reading() as snap:
            _limit(snap.con)
            return snap.query(sql, params)

    ours(), baseline()  # warm: imports, caches of the database file
    ours_s, base_s = [], []
    for _ in range(rounds):
        ours_s.append(_best(ours, 1))
        base_s.append(_best(baseline, 1))
    return {"seconds": min(ours_s), "baseline_seconds": min(base_s)}


def inproc_utilization(db: str, rounds: str = "3") -> dict[str, object]:
    from bench.bench_utilization import REPORT_SQL, SETTINGS

    params = {
        "as_of": AS_OF_MOMENT,
        "window": SETTINGS.burn_window_days,
        "near_limit_pct": SETTINGS.near_limit_pct,
        "near_limit_remaining": SETTINGS.near_limit_remaining,
    }
    return _inproc(db, "utilization", REPORT_SQL, params, int(rounds))


def inproc_compliance(db: str, rounds: str = "3") -> dict[str, object]:
    from bench.sla_sql import COMPLIANCE_SQL, params

    return _inproc(db, "compliance", COMPLIANCE_SQL, params(TODAY), int(rounds))


def _bare_load(folder: str, db: str, reader: str, suffix: str) -> dict[str, object]:
    from entitlement_core.store import Store

    store = Store(db)
    started = time.perf_counter()
    with store.transaction() as con:
        for name in IMPORT_TABLES:
            path = Path(folder) / f"{name}.{suffix}"
            cols = ", ".join(
                f'"{c}"'
                for c in con.sql(f"DESCRIBE SELECT * FROM {reader}(?)", params=[str(path)]).fetchnumpy()[
                    "column_name"
                ]
            )
            con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM {reader}(?)', [str(path)])
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds}


def load_csv(folder: str, db: str) -> dict[str, object]:
    return _bare_load(folder, db, "read_csv", "csv")


def load_parquet(folder: str, db: str) -> dict[str, object]:
    return _bare_load(folder, db, "read_parquet", "parquet")


def import_(folder: str, db: str) -> dict[str, object]:
    """The native import of ``folder`` into ``db`` (empty, or already holding the same rows)."""
    from entitlement_core.ingest import import_path
    from entitlement_core.store import Store

    store = Store(db)
    started = time.perf_counter()
    result = import_path(store, Path(folder), format="native")
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "added": result.rows_added, "updated": result.rows_updated}


def app(db: str) -> dict[str, object]:
    """The app's pages under AppTest: first Overview, again, page switches, an as-of change."""
    import os

    os.environ["ENTITLEMENTS_DB_PATH"] = db
    from streamlit.testing.v1 import AppTest

    def timed(fn: Callable[[], object]) -> float:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.query_params["as_of"] = TODAY.isoformat()
    first = timed(at.run)
    again = timed(at.run)
    utilization = timed(lambda: at.switch_page("pages/utilization.py").run())
    sla = timed(lambda: at.switch_page("pages/sla.py").run())
    overview = timed(lambda: at.switch_page("pages/overview.py").run())
    failed = [str(e.value) for e in at.exception]
    at.query_params["as_of"] = (TODAY - dt.timedelta(days=30)).isoformat()
    as_of_change = timed(at.run)
    failed += [str(e.value) for e in at.exception]
    return {
        "seconds": first,
        "warm_seconds": again,
        "switch_utilization_seconds": utilization,
        "switch_sla_seconds": sla,
        "switch_overview_seconds": overview,
        "as_of_change_seconds": as_of_change,
        "errors": failed,
    }


SIDES: dict[str, Callable[..., dict[str, object]]] = {
    "sql-utilization": sql_utilization,
    "sql-compliance": sql_compliance,
    "sql-milestones": sql_milestones,
    "inproc-utilization": inproc_utilization,
    "inproc-compliance": inproc_compliance,
    "load-csv": load_csv,
    "load-parquet": load_parquet,
    "import": import_,
    "app": app,
}


def main(argv: list[str]) -> None:
    kind, *args = argv
    print(json.dumps(SIDES[kind](*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
