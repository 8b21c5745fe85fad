"""The Spark engine's steps (see :mod:`entitlement_core.spark`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..aggregates import AGGREGATE_SCHEMAS, CASE_TABLES, Aggregates, from_basis, recent_instances
from ..asof import AsOfLike, as_of_value
from ..kernels import WHOLE_ENTITLEMENTS, Kernel
from ..kernels.compliance import COUNTS, MARGINS, SlaContext
from ..kernels.consumption import CONSUMPTION, TOTALS
from ..kernels.ledger import (
    ENTRY_COLUMNS,
    EVENT_COLUMNS,
    UNIT_SCHEMA,
    case_units,
    entry_units,
    event_units,
    with_local_days,
)
from ..kernels.rows import CAP_REACHED, DRAWDOWN_DEMAND, OVERAGE_UNITS
from ..schema import TABLES
from ..staging import Tables, polars_schema
from .arrow import apply_table, frame_of, map_batches, spark_ddl, to_table

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["SPARK_TABLES", "aggregate", "aggregate_frames", "read_tables", "session"]

#: Every native table the aggregation reads.
SPARK_TABLES = tuple(TABLES)
#: Rows per Arrow batch handed to a kernel (one Python call each).
BATCH_ROWS = 200_000

_MOVED = {"_ent": pl.UInt32()}
_INPUT = {**UNIT_SCHEMA, "resource": pl.String()}


def session(
    master: str = "local[2]", conf: Mapping[str, str] | None = None, app: str = "entitlements"
) -> Any:
    """A SparkSession for the command line (UTC, Arrow batches of :data:`BATCH_ROWS` rows)."""
    import os
    import sys

    from pyspark.sql import SparkSession

    # Local workers import this package as the driver does.
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        # Local mode runs in the driver: the default 1 GiB is too little past a few hundred thousand cases.
        .config("spark.driver.memory", "4g")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def read_tables(spark: Any, folder: Path) -> dict[str, Any]:
    """The native tables of an export folder (``NAME.parquet``, else ``NAME.csv``) as Spark DataFrames."""
    from ..aggregates.store import read_source

    found: dict[str, Any] = {}
    for name in TABLES:
        parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if parquet.is_file():
            found[name] = spark.read.parquet(str(parquet))
        elif csv.is_file():
            # CSV is typed by the same reader as the local engine, then handed to Spark.
            frame = getattr(read_source(folder), name).collect()
            found[name] = spark.createDataFrame(to_table(frame, polars_schema(name)))
    if not found:
        raise ValueError(f"{folder}: no native tables here (cases.parquet, entitlements.csv ...)")
    return found


def _small(spark_tables: Mapping[str, Any]) -> dict[str, pl.DataFrame]:
    """The small native tables, collected to the driver."""
    frames = {}
    for name in TABLES:
        if name in CASE_TABLES or name not in spark_tables:
            continue
        table = spark_tables[name]
        columns = [c for c in TABLES[name].column_names if c in table.columns]
        frames[name] = frame_of(table.select(*columns).toArrow())
    return frames


def _collect(df: Any, kernel: Kernel) -> pl.DataFrame:
    """Every slice's partial, collected and combined (the collected frame holds many slices' partials)."""
    parts = frame_of(df.toArrow(), kernel.schema).select(list(kernel.schema))
    return kernel.combine([kernel.empty(), parts])


def _any_rows(
    df: Any, kernel: Kernel, context: Any, as_of: Any, into: dict[str, pl.DataType]
) -> pl.DataFrame:
    """An any-row-slice kernel over ``df``'s Arrow batches (``mapInArrow``), combined."""
    fn = map_batches(lambda rows: kernel.kernel(rows, context, as_of), kernel.schema, into)
    return _collect(df.mapInArrow(fn, spark_ddl(kernel.schema)), kernel)


def _whole_entitlements(
    spark: Any,
    df: Any,
    selected: pl.DataFrame,
    kernel: Kernel,
    context: Any,
    as_of: Any,
    buckets: int,
    *,
    days: bool = False,
) -> pl.DataFrame:
    """A whole-entitlements kernel: the selected entitlements' rows, a hash bucket of entitlements a call
    (``days``: the units' local days set first, for kernels that list them)."""
    from pyspark.sql import functions as F

    if selected.height == 0:
        return kernel.empty()
    chosen = spark.createDataFrame(to_table(selected.select("_ent"), _MOVED))
    rows = df.join(F.broadcast(chosen), on="_ent", how="inner")
    bucketed = rows.withColumn("_bucket", F.pmod(F.xxhash64("_ent"), F.lit(buckets)))

    def run(part: pl.DataFrame) -> pl.DataFrame:
        rows = part.drop("_bucket")
        if days:
            rows = with_local_days(rows, context).collect()
        return kernel.kernel(rows, context, as_of)

    fn = apply_table(run, kernel.schema, _INPUT)
    out = bucketed.groupBy("_bucket").applyInArrow(fn, spark_ddl(kernel.schema))
    return _collect(out, kernel)


def native(df: Any, name: str) -> Any:
    """``df`` with exactly the native columns of table ``name``: absent ones as typed nulls."""
    from pyspark.sql import functions as F

    fields = {f.name: f.dataType for f in spark_ddl(polars_schema(name)).fields}
    return df.select(
        *[F.col(c) if c in df.columns else F.lit(None).cast(kind).alias(c) for c, kind in fields.items()]
    )


def _hours_days(units: pl.DataFrame, context: Any, as_of: Any = None) -> pl.DataFrame:
    from ..forecast.inputs import hours_days

    return hours_days(units, context)


def _hours_schema() -> dict[str, pl.DataType]:
    from ..forecast.inputs import DAILY_SCHEMA

    return dict(DAILY_SCHEMA)


#: The forecast's per-day lumps of hours entitlements (a case's entries of a day are one lump: whole
#: entitlements per slice).
HOURS_DAYS = Kernel(
    name="hours_days",
    partition=WHOLE_ENTITLEMENTS,
    schema=_hours_schema(),
    kernel=_hours_days,
    combine=lambda parts: pl.concat(parts, how="vertical"),
    finish=lambda combined, context=None: combined,
    grain="one row per hours entitlement and local day with time entries",
)


def _only(df: Any, column: str, values: list[Any]) -> Any:
    """The rows of ``df`` whose ``column`` is one of ``values`` (a broadcast semi-join: a list of
    thousands of literals would be compiled into every task)."""
    from pyspark.sql import functions as F

    kind = {f.name: f.dataType for f in df.schema.fields}[column]
    keys = df.sparkSession.createDataFrame([(v,) for v in values], f"{column} {kind.simpleString()}")
    return df.join(F.broadcast(keys), on=column, how="left_semi")


def _units(spark_tables: Mapping[str, Any], context: Any) -> Any:
    """The ledger's units (the row-local map, ``mapInArrow``), with ids, the cases' days left null."""

    cases = native(spark_tables["cases"], "cases")
    schema = spark_ddl(UNIT_SCHEMA)
    into = polars_schema("cases")
    case_rows = cases.mapInArrow(
        map_batches(lambda rows: case_units(rows, context, days=False).collect(), UNIT_SCHEMA, into), schema
    )
    hours = context.terms.filter(pl.col("is_hours")).get_column("entitlement_id").to_list()
    if not hours or "time_entries" not in spark_tables:
        return case_rows
    owners = _only(cases.select("case_id", "entitlement_id", "is_deleted"), "entitlement_id", hours)
    entries = native(spark_tables["time_entries"], "time_entries")
    joined = entries.join(owners, on="case_id", how="inner").select(*ENTRY_COLUMNS)
    into_entries = {
        **polars_schema("time_entries"),
        "entitlement_id": pl.String(),
        "is_deleted": pl.Boolean(),
    }
    entry_rows = joined.mapInArrow(
        map_batches(lambda rows: entry_units(rows, context).collect(), UNIT_SCHEMA, into_entries), schema
    )
    return case_rows.unionByName(entry_rows)


def _demand(spark_tables: Mapping[str, Any], units: Any, basis: Any, as_of: Any) -> pl.DataFrame | None:
    """The drawdown demand of the entitlements with grants: their own units and their metered events."""
    from pyspark.sql import functions as F

    plan = basis.drawdown_plan()
    if plan is None:
        return None
    _, dcontext, terms = plan
    chosen = terms.get_column("_ent").to_list()
    own = _only(units, "_ent", chosen).select(
        "_ent", F.lit(None).cast("string").alias("resource"), "consumed_at", "quantity"
    )
    used = own
    if "usage_events" in spark_tables:
        context = basis.context
        schema = {
            "_ent": pl.UInt32(),
            "resource": pl.String(),
            **{k: UNIT_SCHEMA[k] for k in ("consumed_at", "quantity")},
        }
        pick = pl.col("_ent").is_in(pl.Series(chosen, dtype=pl.UInt32).implode())
        metered = (
            native(spark_tables["usage_events"], "usage_events")
            .select(*EVENT_COLUMNS)
            .mapInArrow(
                map_batches(lambda rows: event_units(rows, context).filter(pick).select(list(schema))
                            .collect(),
                            schema, polars_schema("usage_events")),
                spark_ddl(schema),
            )
        )  # fmt: skip
        used = own.unionByName(metered)
    return _any_rows(used, DRAWDOWN_DEMAND, dcontext, as_of, _INPUT)


def _sla(
    spark_tables: Mapping[str, Any], small: dict[str, pl.DataFrame], basis: Any
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Milestone counts, margins and the listed instances, in one pass over the cases.

    Milestones are measured on slices of whole cases (each case row carries
    its milestone records and status history, nested: any slice of those rows
    holds whole cases); the counts and margins kernels and the listing run on
    each slice's instances at once, so the instances are never stored. The
    three results travel as one frame (:data:`_PARTS` says which rows are which).
    """
    from pyspark.sql import functions as F

    from ..sla.milestones import INSTANCE_SCHEMA, milestone_instances

    ents = small.get("entitlements")
    with_process = (
        [] if ents is None else ents.filter(pl.col("process_id").is_not_null())["entitlement_id"].to_list()
    )
    cases = _only(native(spark_tables["cases"], "cases"), "entitlement_id", with_process)
    nested_tables = [t for t in ("case_milestones", "case_status_history") if t in spark_tables]
    for name in nested_tables:
        table = native(spark_tables[name], name)
        packed = table.groupBy("case_id").agg(F.collect_list(F.struct(*table.columns)).alias(f"_{name}"))
        cases = cases.join(packed, on="case_id", how="left")
    as_of, fraction = basis.as_of, basis.settings.at_risk_fraction
    dims = SlaContext(basis.entitlement_dims.select("entitlement_id", "region", "plan", "usage_type"))

    def measure(rows: pl.DataFrame) -> pl.DataFrame:
        frames: dict[str, Any] = dict(small)
        for name in nested_tables:
            column = f"_{name}"
            frames[name] = rows.select(pl.col(column).explode()).drop_nulls().unnest(column)
        frames["cases"] = rows.drop([f"_{n}" for n in nested_tables])
        found = milestone_instances(
            Tables.from_frames(frames), as_of=as_of, at_risk_fraction=fraction
        ).collect()
        parts = [
            COUNTS.kernel(found, dims, as_of).with_columns(pl.lit("counts").alias("_part")),
            MARGINS.kernel(found, dims, as_of).with_columns(pl.lit("margins").alias("_part")),
            recent_instances(found, as_of).with_columns(pl.lit("instances").alias("_part")),
        ]
        return pl.concat(parts, how="diagonal_relaxed")

    schema = {**INSTANCE_SCHEMA, **COUNTS.schema, **MARGINS.schema, "_part": pl.String()}
    # Typed by the tables' own conformance (Tables.from_frames), nested records included.
    out = frame_of(cases.mapInArrow(map_batches(measure, schema, {}), spark_ddl(schema)).toArrow(), schema)
    part = pl.col("_part")
    counts = COUNTS.combine([COUNTS.empty(), out.filter(part == "counts").select(list(COUNTS.schema))])
    margins = MARGINS.combine([MARGINS.empty(), out.filter(part == "margins").select(list(MARGINS.schema))])
    listed = out.filter(part == "instances").select(list(INSTANCE_SCHEMA))
    return counts, margins, listed


def aggregate_frames(
    spark: Any,
    tables: Mapping[str, Any],
    as_of: AsOfLike,
    *,
    settings: Settings | None = None,
    buckets: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Aggregates:
    """The aggregate tables (Polars, on the driver) of the native tables given as Spark DataFrames."""
    from ..basis import Basis, SlaParts
    from ..kernels.consumption import Consumption
    from ..usage import positions as pos

    spark.conf.set("spark.sql.session.timeZone", "UTC")
    step = progress or (lambda done, total, message: None)
    if "cases" not in tables:
        raise ValueError("the aggregation needs the cases table")
    value = as_of_value(as_of)
    small = _small(tables)
    basis = Basis(Tables.from_frames(small), as_of=value, settings=settings)
    context = basis.context
    buckets = buckets or max(2, int(spark.sparkContext.defaultParallelism) * 2)
    total = 5
    step(0, total, "ledger units")
    units = _units(tables, context).cache()
    step(1, total, "consumption per entitlement and per day")
    totals = _any_rows(units, TOTALS, context, value, _INPUT)
    daily = _any_rows(units, CONSUMPTION, context, value, _INPUT)
    basis._memo["totals"] = totals
    basis._memo["consumption"] = Consumption(daily, CONSUMPTION.finish(daily, context).totals)
    step(2, total, "grant drawdown")
    demand = _demand(tables, units, basis, value)
    if demand is not None:
        keyed, dcontext, _ = basis.drawdown_plan()
        basis._memo["demand"] = demand
        basis._memo["grants"] = basis._draw(keyed, dcontext, demand)
    step(3, total, "caps reached and overage units")
    base = pos.positions(basis.terms, totals, basis.grants.per_key)
    reached = pos.reached_selection(base)
    basis._memo["cap_reached"] = _whole_entitlements(
        spark, units, reached, CAP_REACHED, context.with_selected(reached), value, buckets
    )
    over = basis.positions.filter(pl.col("overage_base") > 0).select(
        "_ent", pl.col("overage_base").alias("overage")
    )
    overage = _whole_entitlements(
        spark, units, over, OVERAGE_UNITS, context.with_selected(over), value, buckets, days=True
    )
    basis._memo["overage_units"] = OVERAGE_UNITS.finish(overage, None)
    hours = basis.terms.filter(pl.col("is_hours")).select("_ent")
    basis._memo["hours_days"] = _whole_entitlements(
        spark, units, hours, HOURS_DAYS, context.with_selected(hours), value, buckets
    )
    units.unpersist()
    step(4, total, "milestones: instances, counts and margins")
    counts, margins, listed = _sla(tables, small, basis)
    basis._memo[("instances", None)] = listed
    basis._memo[("sla", None)] = SlaParts(counts, margins)
    step(total, total, "done")
    return from_basis(basis, engine="spark")


def aggregate(
    spark: Any, tables: Mapping[str, Any], as_of: AsOfLike, *, settings: Settings | None = None
) -> dict[str, Any]:
    """The aggregate tables (:data:`~entitlement_core.aggregates.AGGREGATE_SCHEMAS`) as Spark DataFrames.

    ``tables``: native table name -> Spark DataFrame with the native columns
    (``cases`` is required; absent tables are empty). ``as_of``: an
    :class:`~entitlement_core.asof.AsOf`, a moment or a date.
    """
    found = aggregate_frames(spark, tables, as_of, settings=settings)
    return {
        name: spark.createDataFrame(to_table(found[name], schema))
        for name, schema in AGGREGATE_SCHEMAS.items()
    }
