"""Build the demo database: the world, then the cases in chunks, in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import polars as pl

from ..schema import IMPORT_ORDER
from ..store import Store
from .calendars import (
    business_hours_frame,
    day_weights,
    holidays_frame,
    milestone_targets_frame,
    processes_frame,
    utc_offsets,
)
from .cases import iter_case_chunks
from .options import DEFAULT_CHUNK_SIZE, DemoOptions, DemoSummary
from .plan import plan_cases
from .usage import usage_tables
from .world import build_world

__all__ = ["Progress", "build_demo", "generate_demo"]

#: ``progress(done, total, message)``: cases written so far out of all.
Progress = Callable[[int, int, str], None]


def generate_demo(
    options: DemoOptions, progress: Progress | None = None
) -> Iterator[tuple[str, pl.DataFrame]]:
    """Yield ``(table, frame)`` pairs of a whole demo, parents first, cases in chunks.

    The world's tables (grants and metered usage events included) come
    first, whole; then cases and time entries, chunk by chunk.

    Parameters
    ----------
    options
        Size, seed, ``today`` and chunk size. Same options, same frames; the
        chunk size changes only how the cases are cut into frames.
    progress
        Called once the world is built and after each chunk of cases is
        consumed by the caller.

    Yields
    ------
    tuple of (str, pl.DataFrame)
        A native table name and rows for it in the table's schema.
    """
    world = build_world(options)
    ents = world.entitlements
    first_day = int(ents.filter(pl.col("start_day") <= world.today_day)["start_day"].min() or world.today_day)
    n_days = world.today_day - first_day + 1
    first_year = (dt.date(1970, 1, 1) + dt.timedelta(days=first_day)).year
    holidays = holidays_frame(first_year, options.today.year + 1)
    weights = day_weights(first_day, n_days, holidays, seasonal=options.seasonality)
    offsets = utc_offsets(first_day, n_days)
    plan = plan_cases(world, options, weights, offsets, first_day)

    crm = pl.Series("crm_remaining_cases", plan.crm_remaining, dtype=pl.Float64).fill_nan(None)
    tables = {
        **world.tables,
        "business_hours": business_hours_frame(),
        "holidays": holidays,
        "entitlement_processes": processes_frame(),
        "milestone_targets": milestone_targets_frame(),
        **usage_tables(world, plan, options),
    }
    tables["entitlements"] = tables["entitlements"].with_columns(crm)
    for name in IMPORT_ORDER:
        if name in tables:
            yield name, tables[name]
    if progress is not None:
        progress(
            0,
            options.cases,
            f"world: {tables['accounts'].height:,} accounts, {tables['entitlements'].height:,} entitlements, "
            f"{tables['grants'].height:,} grants, {tables['usage_events'].height:,} usage events",
        )
    done = 0
    for cases, entries, history in iter_case_chunks(plan, options.seed, options.chunk_size):
        yield "cases", cases
        if entries.height:
            yield "time_entries", entries
        if history.height:
            yield "case_status_history", history
        done += cases.height
        if progress is not None:
            progress(done, options.cases, f"cases: {done:,} of {options.cases:,}")


def build_demo(
    store: Store,
    *,
    cases: int = 50_000,
    seed: int = 7,
    today: dt.date | None = None,
    progress: Progress | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    seasonality: bool = True,
) -> DemoSummary:
    """Replace the native tables' content with a seeded, realistic demo.

    All rows of every native table are deleted, then the demo is appended
    chunk by chunk, each chunk committed on its own so memory stays bounded at
    any size; the data version is bumped once at the end, so caches keyed on
    it refresh when the build is complete. A build that stops midway leaves
    :meth:`Store.demo_build_unfinished <entitlement_core.store.Store.demo_build_unfinished>`
    true: the app builds the demo again, the command line warns. (The demo replaces a database's
    content: it is for demo and benchmark databases, not for real data.)

    Parameters
    ----------
    store
        The store to fill.
    cases
        Number of cases (the world grows mildly with it).
    seed
        Seed of every random draw: same seed and ``today``, same data.
    today
        The demo's present: no timestamp after its end (UTC), current terms
        active on it. Defaults to the current UTC date, read here only.
    progress
        ``progress(done, total, message)`` after the world and each chunk.
    chunk_size
        Cases generated and appended per step (memory bound; content unchanged).
    seasonality
        False: cases spread evenly over the days (no weekly or yearly pattern).

    Returns
    -------
    DemoSummary
        Rows written per table and the time taken.
    """
    started = time.perf_counter()
    options = DemoOptions(
        cases=cases,
        seed=seed,
        today=today if today is not None else dt.datetime.now(dt.UTC).date(),
        chunk_size=chunk_size,
        seasonality=seasonality,
    )
    counts = dict.fromkeys(IMPORT_ORDER, 0)
    with store.transaction() as con:
        store.clear(con)
        # Chunks commit one by one: a build that stops midway must be told apart from a finished one.
        store.mark_demo_build(con, finished=False)
    # One transaction per chunk keeps memory bounded at any size (DuckDB holds an
    # open transaction's rows in memory: 3.3 GB at 10M cases in one, 0.6 GB in chunks).
    for name, frame in generate_demo(options, progress):
        with store.transaction() as con:
            store.append(con, name, frame)
        counts[name] += frame.height
    with store.transaction() as con:
        store.mark_demo_build(con, finished=True)
        store.bump_data_version(con)
    return DemoSummary(options=options, counts=counts, elapsed_seconds=time.perf_counter() - started)
