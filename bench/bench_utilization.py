"""Benchmark: ``report utilization`` against a hand-written DuckDB SQL baseline.

Issue 3's acceptance: ``report utilization`` for 1M demo cases runs in well
under twice the time of a hand-written DuckDB SQL baseline. Two databases of
N cases (default 1,000,000) are measured, each a DuckDB file written through
:class:`~entitlement_core.store.Store`:

- ``demo``: the demo generator's data (:func:`entitlement_core.demo.build_demo`,
  grants, packs and metered events included);
- ``synthetic``: seeded NumPy data of this script (two yearly terms per
  account, 5 time zones, 10% consume on closed, many time entries).

On each, interleaved and best of R, it times

- *baseline*: one hand-written DuckDB SQL statement computing the report's
  columns (DOMAIN.md, "Command line": cap, consumed, remaining, pct_used,
  status, burn_rate_per_day, projected_at_end, projected_exhaustion_date)
  with the same rules (term days in the entitlement's zone, consume on
  created or closed, deleted cases count, nothing after the as-of moment,
  the plan's thresholds, the trailing burn window, the day the cap was
  reached) from the same database file. It leaves grants out (the cap is
  the entitlement's own), which only makes it cheaper;
- *consumed-only SQL*: a narrower statement computing consumed alone, shown
  for reference;
- *ours*: what ``python -m entitlement_core report utilization`` runs:
  ``load_tables(store)`` and the ``utilization`` report, collected.

It checks that the baseline and the report agree on every compared column
of every entitlement (on consumed only where the entitlement has grants of
its own resource), exit status 1 otherwise, and prints the seconds and the
ratios. Usage::

    python bench/bench_utilization.py [--data demo|synthetic|both] [--cases N]
        [--seed S] [--db-dir DIR] [--repeat R]

``--db-dir`` keeps the databases between runs (built when missing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from entitlement_core.demo import build_demo
from entitlement_core.reports import run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import load_tables
from entitlement_core.store import Store

#: As-of moment of the synthetic data (terms 2025 and 2026).
AS_OF = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
#: The demo's present and the as-of moment of its report: the end of that day.
DEMO_TODAY = dt.date(2026, 5, 14)
DEMO_AS_OF = dt.datetime(2026, 5, 14, 23, 59, 59, tzinfo=dt.UTC)
SETTINGS = Settings()
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"]
PLANS = {
    "plan": ["Standard", "Pro", "Enterprise", "Hours 100", "Hours 500", "Warranty"],
    "usage_type": ["cases", "cases", "cases", "hours", "hours", "none"],
    "cap": [10.0, 50.0, None, 100.0, 500.0, None],
    "annual_price": [5000.0, 20000.0, 60000.0, 15000.0, 60000.0, 0.0],
    "overage_rate": [150.0, 120.0, None, 140.0, 120.0, None],
}


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), 7))


def generate(n_cases: int, seed: int) -> dict[str, pl.DataFrame]:
    """Seeded tables: accounts, plans, business hours, two terms per account, cases, time entries."""
    rng = np.random.default_rng(seed)
    n_acc = max(10, n_cases // 200)
    accounts = pl.DataFrame(
        {
            "account_id": _ids("A", n_acc),
            "name": _ids("Account ", n_acc),
            "tier": rng.choice(["Standard", "Pro", "Enterprise"], n_acc),
            "region": rng.choice(["EMEA", "AMER", "APAC"], n_acc),
            "owner": rng.choice(["ana", "ben", "chloe", "dev"], n_acc),
        }
    )
    business_hours = pl.DataFrame(
        {"business_hours_id": [f"BH{i}" for i in range(len(ZONES))], "name": ZONES, "timezone": ZONES}
    )
    # Two consecutive yearly terms per account: 2025 and 2026 (the second renews the first).
    plan_idx = rng.choice(len(PLANS["plan"]), n_acc, p=[0.35, 0.3, 0.1, 0.1, 0.1, 0.05])
    acc = np.concatenate([np.arange(n_acc), np.arange(n_acc)])
    year = np.repeat([2025, 2026], n_acc)
    plan = np.array(PLANS["plan"])[np.concatenate([plan_idx, plan_idx])]
    usage = np.array(PLANS["usage_type"])[np.concatenate([plan_idx, plan_idx])]
    cap = np.array(PLANS["cap"], dtype=object)[np.concatenate([plan_idx, plan_idx])]
    n_ent = 2 * n_acc
    ent_ids = _ids("E", n_ent)
    bh = rng.integers(-1, len(ZONES), n_ent)
    entitlements = pl.DataFrame(
        {
            "entitlement_id": ent_ids,
            "account_id": accounts["account_id"].to_numpy()[acc],
            "usage_type": usage,
            "start_date": [dt.date(int(y), 1, 1) for y in year],
            "end_date": [dt.date(int(y), 12, 31) for y in year],
            "cap": pl.Series(cap.tolist(), dtype=pl.Float64),
            "plan": plan,
            "consume_on": rng.choice(["created", "closed"], n_ent, p=[0.9, 0.1]),
            "business_hours_id": [None if b < 0 else f"BH{b}" for b in bh],
            "renewal_of": [None] * n_acc + list(ent_ids[:n_acc]),
        }
    )
    # Cases: random account, its entitlement of the case's year (5% name none), over 2025-2026.
    case_acc = rng.integers(0, n_acc, n_cases)
    t0 = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp() * 1e6)
    t1 = int(dt.datetime(2026, 12, 31, tzinfo=dt.UTC).timestamp() * 1e6)
    created = rng.integers(t0, t1, n_cases)
    in_2026 = created >= int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp() * 1e6)
    ent_of_case = np.where(in_2026, case_acc + n_acc, case_acc)
    ent_col = np.where(rng.random(n_cases) < 0.05, None, ent_ids[ent_of_case].astype(object))
    closed = created + rng.integers(3_600_000_000, 30 * 86_400_000_000, n_cases)
    is_open = rng.random(n_cases) < 0.1
    cases = (
        pl.DataFrame(
            {
                "case_id": _ids("C", n_cases),
                "account_id": accounts["account_id"].to_numpy()[case_acc],
                "entitlement_id": pl.Series(ent_col.tolist(), dtype=pl.String),
                "created_at": created,
                "closed_at": np.where(is_open, 0, closed),
                "is_open": is_open,
                "is_deleted": rng.random(n_cases) < 0.02,
                "priority": rng.choice(["Low", "Medium", "High"], n_cases),
                "status": np.where(is_open, "Open", "Closed"),
            }
        )
        .with_columns(
            pl.col("created_at").cast(pl.Datetime("us", "UTC")),
            pl.when(~pl.col("is_open")).then(pl.col("closed_at").cast(pl.Datetime("us", "UTC"))),
        )
        .drop("is_open")
    )
    # Time entries on cases of hours entitlements: 1-3 per case, dated from the case's day.
    hours_case = np.flatnonzero(usage[ent_of_case] == "hours")
    per = rng.integers(1, 4, hours_case.size)
    te_case = np.repeat(hours_case, per)
    te_day = created[te_case] // 86_400_000_000 + rng.integers(0, 10, te_case.size)
    time_entries = pl.DataFrame(
        {
            "time_entry_id": _ids("T", te_case.size),
            "case_id": cases["case_id"].to_numpy()[te_case],
            "entry_date": te_day.astype("datetime64[D]"),
            "minutes": rng.integers(5, 240, te_case.size).astype(float),
        }
    )
    return {
        "accounts": accounts,
        "plans": pl.DataFrame(PLANS),
        "business_hours": business_hours,
        "entitlements": entitlements,
        "cases": cases,
        "time_entries": time_entries,
    }


def build(store: Store, frames: dict[str, pl.DataFrame]) -> None:
    with store.transaction() as con:
        for name, frame in frames.items():
            store.append(con, name, frame)


BASELINE_SQL = """
WITH ent AS MATERIALIZED (
    SELECT e.entitlement_id, e.usage_type, e.consume_on, e.start_date, e.end_date,
           coalesce(bh.timezone, pbh.timezone, 'UTC') AS tz
    FROM entitlements e
    LEFT JOIN business_hours bh ON bh.business_hours_id = e.business_hours_id
    LEFT JOIN entitlement_processes p ON p.process_id = e.process_id
    LEFT JOIN business_hours pbh ON pbh.business_hours_id = p.business_hours_id
),
-- Time-zone arithmetic once per distinct (zone, day), not once per entitlement.
days AS MATERIALIZED (
    SELECT tz, d, timezone(tz, d::TIMESTAMP) AS utc
    FROM (SELECT tz, start_date AS d FROM ent UNION SELECT tz, end_date + 1 FROM ent)
),
zones AS MATERIALIZED (
    SELECT tz, CAST(timezone(tz, $as_of::TIMESTAMPTZ) AS DATE) AS as_of_date
    FROM (SELECT DISTINCT tz FROM ent)
),
terms AS MATERIALIZED (
    SELECT ent.*, s.utc AS start_utc, e.utc AS end_utc, z.as_of_date
    FROM ent
    JOIN days s ON s.tz = ent.tz AND s.d = ent.start_date
    JOIN days e ON e.tz = ent.tz AND e.d = ent.end_date + 1
    JOIN zones z ON z.tz = ent.tz
),
case_units AS (
    SELECT entitlement_id, count(*)::DOUBLE AS consumed
    FROM (
        SELECT t.entitlement_id, t.start_utc, t.end_utc,
               CASE WHEN t.consume_on = 'closed' THEN c.closed_at ELSE c.created_at END AS moment
        FROM cases c JOIN terms t ON t.entitlement_id = c.entitlement_id
        WHERE t.usage_type IN ('cases', 'none')
    )
    WHERE moment >= start_utc AND moment < end_utc AND moment <= $as_of::TIMESTAMPTZ
    GROUP BY 1
),
entry_units AS (
    SELECT t.entitlement_id, sum(te.minutes) / 60.0 AS consumed
    FROM time_entries te
    JOIN cases c ON c.case_id = te.case_id
    JOIN terms t ON t.entitlement_id = c.entitlement_id
    WHERE t.usage_type = 'hours' AND te.entry_date BETWEEN t.start_date AND t.end_date
      AND te.entry_date <= t.as_of_date
    GROUP BY 1
)
SELECT t.entitlement_id, coalesce(cu.consumed, eu.consumed, 0.0) AS consumed
FROM terms t
LEFT JOIN case_units cu ON cu.entitlement_id = t.entitlement_id
LEFT JOIN entry_units eu ON eu.entitlement_id = t.entitlement_id
"""


#: The report's columns (DOMAIN.md, "Command line": utilization) in one statement, with
#: the same rules: term days in the entitlement's zone, consumption inside the term and
#: not after the as-of moment, the plan's near-limit thresholds over the settings', the
#: burn rate over the trailing window clipped to the term, the projections, and the local
#: day the cap was reached (a window function over the units of the entitlements whose
#: consumption reached their cap). ``cap`` is the entitlement's own: grants are left out,
#: which makes this cheaper than the report (entitlements with grants of their own
#: resource are compared on consumed only).
REPORT_SQL = """
WITH ent AS MATERIALIZED (
    SELECT e.entitlement_id, e.account_id, e.usage_type, e.consume_on, e.start_date, e.end_date,
           CASE WHEN e.usage_type = 'none' OR isnan(e.cap) THEN NULL ELSE e.cap END AS cap,
           coalesce(pl.near_limit_pct, $near_limit_pct) AS near_pct,
           coalesce(pl.near_limit_remaining, $near_limit_remaining) AS near_remaining,
           coalesce(bh.timezone, pbh.timezone, 'UTC') AS tz
    FROM entitlements e
    LEFT JOIN plans pl ON pl.plan = e.plan
    LEFT JOIN business_hours bh ON bh.business_hours_id = e.business_hours_id
    LEFT JOIN entitlement_processes p ON p.process_id = e.process_id
    LEFT JOIN business_hours pbh ON pbh.business_hours_id = p.business_hours_id
),
zones AS MATERIALIZED (
    SELECT tz, CAST(timezone(tz, $as_of::TIMESTAMPTZ) AS DATE) AS as_of_date
    FROM (SELECT DISTINCT tz FROM ent)
),
windowed AS MATERIALIZED (
    SELECT ent.*, z.as_of_date,
           greatest(start_date, as_of_date - ($window - 1)::INTEGER) AS window_start_date,
           least(as_of_date, end_date) AS window_end_date
    FROM ent JOIN zones z USING (tz)
),
-- Time-zone arithmetic once per distinct (zone, day), not once per entitlement.
days AS MATERIALIZED (
    SELECT tz, d, timezone(tz, d::TIMESTAMP) AS utc
    FROM (
        SELECT tz, start_date AS d FROM windowed UNION SELECT tz, end_date + 1 FROM windowed
        UNION SELECT tz, window_start_date FROM windowed
    )
),
terms AS MATERIALIZED (
    SELECT w.*, s.utc AS start_utc, e.utc AS end_utc, ws.utc AS window_start_utc
    FROM windowed w
    JOIN days s ON s.tz = w.tz AND s.d = w.start_date
    JOIN days e ON e.tz = w.tz AND e.d = w.end_date + 1
    JOIN days ws ON ws.tz = w.tz AND ws.d = w.window_start_date
),
units AS MATERIALIZED (
    SELECT entitlement_id, moment, 1.0 AS quantity, moment >= window_start_utc AS in_window
    FROM (
        SELECT t.entitlement_id, t.start_utc, t.end_utc, t.window_start_utc,
               CASE WHEN t.consume_on = 'closed' THEN c.closed_at ELSE c.created_at END AS moment
        FROM cases c JOIN terms t ON t.entitlement_id = c.entitlement_id
        WHERE t.usage_type IN ('cases', 'none')
    )
    WHERE moment >= start_utc AND moment < end_utc AND moment <= $as_of::TIMESTAMPTZ
    UNION ALL
    SELECT t.entitlement_id, timezone(t.tz, te.entry_date::TIMESTAMP) AS moment,
           te.minutes / 60.0 AS quantity, te.entry_date >= t.window_start_date AS in_window
    FROM time_entries te
    JOIN cases c ON c.case_id = te.case_id
    JOIN terms t ON t.entitlement_id = c.entitlement_id
    WHERE t.usage_type = 'hours' AND te.entry_date BETWEEN t.start_date AND t.end_date
      AND te.entry_date <= t.as_of_date
),
totals AS MATERIALIZED (
    SELECT entitlement_id, round(sum(quantity), 9) AS consumed,
           round(sum(quantity) FILTER (WHERE in_window), 9) AS window_consumed
    FROM units GROUP BY 1
),
measured AS MATERIALIZED (
    SELECT t.*, coalesce(u.consumed, 0.0) AS consumed, coalesce(u.window_consumed, 0.0) AS window_consumed,
           round(t.cap - coalesce(u.consumed, 0.0), 9) AS remaining,
           CASE WHEN t.cap > 0 THEN coalesce(u.consumed, 0.0) / t.cap END AS pct_used,
           least(greatest(t.end_date - t.as_of_date, 0), t.end_date - t.start_date + 1) AS days_left,
           CASE WHEN t.window_end_date - t.window_start_date + 1 >= 1
                THEN coalesce(u.window_consumed, 0.0) / (t.window_end_date - t.window_start_date + 1)
           END AS burn_rate_per_day
    FROM terms t LEFT JOIN totals u USING (entitlement_id)
),
reached AS (
    SELECT entitlement_id, min(moment) FILTER (WHERE running >= cap) AS reached_at
    FROM (
        SELECT u.entitlement_id, u.moment, m.cap,
               round(sum(u.quantity) OVER (PARTITION BY u.entitlement_id ORDER BY u.moment
                                           ROWS UNBOUNDED PRECEDING), 9) AS running
        FROM units u JOIN measured m USING (entitlement_id)
        WHERE m.cap IS NOT NULL AND m.consumed >= m.cap
          AND m.as_of_date BETWEEN m.start_date AND m.end_date
    )
    GROUP BY 1
)
SELECT m.entitlement_id, m.account_id, m.usage_type, m.cap, m.consumed, m.remaining, m.pct_used,
       CASE WHEN m.as_of_date < m.start_date THEN 'not_started'
            WHEN m.as_of_date > m.end_date THEN 'expired'
            WHEN m.cap IS NULL THEN 'unlimited'
            WHEN m.remaining < 0 THEN 'over_cap'
            WHEN m.remaining = 0 THEN 'exhausted'
            WHEN m.pct_used >= m.near_pct OR m.remaining <= m.near_remaining THEN 'near_limit'
            ELSE 'healthy' END AS status,
       m.burn_rate_per_day,
       round(CASE WHEN m.days_left = 0 THEN m.consumed
                  ELSE m.consumed + m.burn_rate_per_day * m.days_left END, 6) AS projected_at_end,
       CASE WHEN m.cap IS NOT NULL AND m.remaining <= 0 THEN
                CASE WHEN m.cap = 0 THEN m.start_date
                     ELSE CAST(timezone(m.tz, r.reached_at) AS DATE) END
            WHEN m.cap IS NOT NULL AND m.remaining > 0 AND m.burn_rate_per_day > 0
                 AND m.as_of_date + CAST(ceil(round(m.remaining / m.burn_rate_per_day, 9)) AS INTEGER)
                     <= m.end_date
            THEN m.as_of_date + CAST(ceil(round(m.remaining / m.burn_rate_per_day, 9)) AS INTEGER)
       END AS projected_exhaustion_date
FROM measured m LEFT JOIN reached r USING (entitlement_id)
"""


def baseline(store: Store, as_of: dt.datetime) -> pl.DataFrame:
    """The hand-written SQL of the report's columns (:data:`REPORT_SQL`)."""
    params = {
        "as_of": as_of,
        "window": SETTINGS.burn_window_days,
        "near_limit_pct": SETTINGS.near_limit_pct,
        "near_limit_remaining": SETTINGS.near_limit_remaining,
    }
    return store.query(REPORT_SQL, params)


def consumed_only(store: Store, as_of: dt.datetime) -> pl.DataFrame:
    """The narrower SQL of consumed alone (:data:`BASELINE_SQL`), for reference."""
    return store.query(BASELINE_SQL, {"as_of": as_of})


def ours(store: Store, as_of: dt.datetime) -> tuple[float, float, pl.DataFrame]:
    """What ``report utilization`` runs: seconds to load the tables, seconds of the report, the report."""
    start = time.perf_counter()
    with store.reading() as snap:  # one read-only snapshot, as the command line reads
        tables = load_tables(snap)
        loaded = time.perf_counter()
        report = run_report("utilization", tables, as_of=as_of, settings=SETTINGS)
    return loaded - start, time.perf_counter() - loaded, report


def open_database(kind: str, cases: int, seed: int, folder: Path) -> Store:
    """The benchmark database of ``kind`` in ``folder``, built when missing."""
    path = folder / f"{kind}-{cases}-{seed}.duckdb"
    store = Store(path)
    if store.count("cases") != cases:
        started = time.perf_counter()
        if kind == "demo":
            build_demo(store, cases=cases, seed=seed, today=DEMO_TODAY)
        else:
            with store.transaction() as con:
                store.clear(con)
            build(store, generate(cases, seed))
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s")
    return store


#: The report's columns the baseline computes, compared row by row (DOMAIN.md, "Command line").
COMPARED = (
    "account_id", "usage_type", "cap", "consumed", "remaining", "pct_used", "status",
    "burn_rate_per_day", "projected_at_end", "projected_exhaustion_date",
)  # fmt: skip


def granted_entitlements(store: Store) -> pl.DataFrame:
    """Entitlements with grants of their own resource: their cap comes from the drawdown."""
    return store.query(
        "SELECT DISTINCT g.entitlement_id FROM grants g "
        "JOIN entitlements e ON e.entitlement_id = g.entitlement_id AND g.resource = e.usage_type"
    )


def disagreements(base: pl.DataFrame, util: pl.DataFrame, granted: pl.DataFrame) -> dict[str, int]:
    """Per compared column, the entitlements where the baseline and the report differ.

    Entitlements with grants of their own resource are compared on ``consumed``
    only (the baseline leaves grants out). Missing rows on either side count
    as a difference in every column.
    """
    joined = base.join(util.select("entitlement_id", *COMPARED), on="entitlement_id", how="full", suffix="_r")
    has_grants = pl.col("entitlement_id").is_in(granted.get_column("entitlement_id").implode())
    out = {}
    for col in COMPARED:
        a, b = pl.col(col), pl.col(f"{col}_r")
        if base.schema[col].is_float():
            # Both round projections to 6 decimals; a half may round either way.
            same = ((a - b).abs() <= 2e-6) | (a.is_null() & b.is_null())
        else:
            same = a.eq_missing(b)
        if col != "consumed":
            same = same | has_grants
        missing = pl.col("entitlement_id").is_null() | pl.col("entitlement_id_r").is_null()
        out[col] = joined.filter(~same.fill_null(False) | missing).height
    return out


def measure(store: Store, as_of: dt.datetime, repeat: int) -> dict[str, object]:
    """Interleaved runs of both baselines and ours (best of each: fair when the machine is busy)."""
    runs: dict[str, list[float]] = {"baseline": [], "consumed_only": [], "ours": [], "load": [], "report": []}
    for _ in range(repeat):
        t = time.perf_counter()
        base = baseline(store, as_of)
        runs["baseline"].append(time.perf_counter() - t)
        t = time.perf_counter()
        consumed_only(store, as_of)
        runs["consumed_only"].append(time.perf_counter() - t)
        load, compute, util = ours(store, as_of)
        runs["load"].append(load)
        runs["report"].append(compute)
        runs["ours"].append(load + compute)
    return {
        "runs": runs,
        "differ": disagreements(base, util, granted_entitlements(store)),
        "entitlements": util.height,
        "baseline_rows": base.height,
    }


def report(result: dict[str, object]) -> bool:
    """Print one database's figures; true when the baseline and the report agree."""
    runs = result["runs"]
    assert isinstance(runs, dict)
    best = {name: min(values) for name, values in runs.items()}
    median = {name: statistics.median(values) for name, values in runs.items()}
    rows = [
        ("baseline (DuckDB SQL)", "baseline"),
        ("consumed-only SQL", "consumed_only"),
        ("ours (report utilization)", "ours"),
        ("  load_tables", "load"),
        ("  utilization report", "report"),
    ]
    for label, key in rows:
        print(f"  {label:<27} best {best[key]:.3f} s   median {median[key]:.3f} s")
    ratio = best["ours"] / best["baseline"]
    print(f"  ratio ours / baseline: best {ratio:.2f}x, median {median['ours'] / median['baseline']:.2f}x")
    print(f"  target < 2x: {'met' if ratio < 2 else 'NOT met'}")
    narrow = best["ours"] / best["consumed_only"]
    print(
        f"  ratio ours / consumed-only SQL: best {narrow:.2f}x, "
        f"median {median['ours'] / median['consumed_only']:.2f}x"
    )
    differ = result["differ"]
    assert isinstance(differ, dict)
    total = result["entitlements"]
    bad = {col: n for col, n in differ.items() if n}
    verdict = "every compared column agrees" if not bad else f"DIFFERENCES {bad}"
    print(f"  {total:,} entitlements ({result['baseline_rows']:,} in the baseline): {verdict}")
    return not bad and total == result["baseline_rows"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("demo", "synthetic", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--db-dir", type=Path, default=None, help="folder of the databases (default: temporary)"
    )
    parser.add_argument("--repeat", type=int, default=7, help="interleaved runs; the best counts")
    args = parser.parse_args(argv)

    kinds = ("demo", "synthetic") if args.data == "both" else (args.data,)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.db_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in kinds:
            as_of = DEMO_AS_OF if kind == "demo" else AS_OF
            with open_database(kind, args.cases, args.seed, folder) as store:
                counts = {
                    name: store.count(name) for name in ("cases", "time_entries", "entitlements", "grants")
                }
                print(
                    f"{kind}: {counts['cases']:,} cases, {counts['time_entries']:,} time entries, "
                    f"{counts['entitlements']:,} entitlements, {counts['grants']:,} grants; "
                    f"as of {as_of.isoformat()}"
                )
                result = measure(store, as_of, args.repeat)
            ok = report(result) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
