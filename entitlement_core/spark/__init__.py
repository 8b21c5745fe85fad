"""The aggregation on Apache Spark: the kernels where the cases live, small tables back.

``aggregate(spark, tables, as_of)`` takes the native tables as Spark
DataFrames (catalog tables in a Databricks job, or Parquet files: see
:func:`read_tables`) and returns the aggregate tables
(:mod:`entitlement_core.aggregates`) as Spark DataFrames. The steps that grow
with the cases run the same kernel functions as the local engine
(:mod:`entitlement_core.kernels`), on Arrow batches:

- any-row-slice kernels (the ledger, consumption per day and per
  entitlement, the drawdown demand, milestone instances of whole cases,
  milestone counts and margins) through ``mapInArrow``, one Python call per
  batch of rows (``spark.sql.execution.arrow.maxRecordsPerBatch``);
- whole-entitlement kernels (the moment each cap was reached, overage
  units) through ``groupBy(bucket).applyInArrow``, the bucket a hash of the
  entitlement: every entitlement's rows in one call, never one call per
  entitlement;
- everything that is small (terms, the grant drawdown's draw, positions,
  the selections) on the driver, by the same code as every report.

Needs ``pyspark`` and ``pandas<3`` (``requirements-spark.txt``); the session
time zone is set to UTC.
"""

from __future__ import annotations

from .engine import SPARK_TABLES, aggregate, aggregate_frames, read_tables, session

__all__ = ["SPARK_TABLES", "aggregate", "aggregate_frames", "read_tables", "session"]
