"""Validate raw tables and cast them to the native types, vectorised.

Every check yields :class:`~entitlement_core.problems.Problem` records naming
the file, line, column, record and reason; a check that fails on many rows
reports the first :data:`MAX_PER_CHECK` and a count of the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from ..problems import Problem
from ..schema import (
    EARLIEST_DATE,
    LATEST_DATE,
    TABLES,
    ForeignKey,
    TableSpec,
    never_imported_message,
)
from ..staging import POLARS_TYPES
from .parse import EXPECT, in_range, parse_column
from .raw import LINE, RESERVED, RawTable
from .zones import usable_zones

__all__ = ["HAS_EXTRA", "MAX_PER_CHECK", "SOURCE", "StagedTable", "parse_column", "validate_tables"]

MAX_PER_CHECK = 50
SOURCE = "_source"
#: Whether a staged row's file had extra columns (else its stored extras stay).
HAS_EXTRA = "_has_extra"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class StagedTable:
    """A table's validated rows: typed spec columns, ``extra`` JSON, source and line."""

    table: str
    frame: pl.DataFrame
    #: Spec columns the files carried; absent ones keep their stored values on update.
    present: frozenset[str]
    has_extra: bool


def _clip(e: pl.Expr, limit: int = 80) -> pl.Expr:
    """A cell as quoted in a message: on one line (breaks and tabs shown as ``\\n``, ``\\t``)
    and cut short, since a cell may hold megabytes."""
    one_line = (
        e.str.replace_all("\r", "\\r", literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
    )
    return (
        pl.when(one_line.str.len_chars() > limit)
        .then(one_line.str.slice(0, limit - 3) + "...")
        .otherwise(one_line)
    )


def _record_expr(spec: TableSpec, columns: Iterable[str]) -> pl.Expr:
    """The record a problem is about: its key (parts joined by ``/``), cut short."""
    parts = [pl.col(k).cast(pl.String).fill_null("") for k in spec.key if k in set(columns)]
    if not parts:
        return pl.lit(None, dtype=pl.String)
    return _clip(pl.concat_str(parts, separator="/") if len(parts) > 1 else parts[0], 100)


class _Collector:
    """Gathers problems; columns are named as in the source file the row came from."""

    def __init__(self, raws: Sequence[RawTable]) -> None:
        self.problems: list[Problem] = []
        self._raws = {raw.source: raw for raw in raws}

    def shown(self, source: str | None, column: str | None) -> str | None:
        raw = self._raws.get(source or "")
        return raw.source_column(column) if raw is not None and column is not None else column

    def add(
        self,
        bad: pl.DataFrame,
        *,
        spec: TableSpec,
        column: str | None,
        message: pl.Expr | str,
        severity: str = "error",
    ) -> None:
        """Add one problem per row of ``bad`` (the first :data:`MAX_PER_CHECK`, then a count).

        ``bad`` has :data:`SOURCE`, :data:`LINE`, the key columns and the
        message's inputs; only its first rows are ever formatted.
        """
        if bad.height == 0:
            return
        shown = bad.head(MAX_PER_CHECK)
        msg = pl.lit(message) if isinstance(message, str) else message
        record = _record_expr(spec, shown.columns)
        rows = shown.select(
            pl.col(SOURCE), pl.col(LINE), record.alias("_record"), msg.alias("_message")
        ).rows()
        for source, line, record_id, text in rows:
            self.problems.append(
                Problem(
                    file=source,
                    line=line,
                    column=self.shown(source, column),
                    record_id=record_id,
                    message=text,
                    severity=severity,  # type: ignore[arg-type]
                )
            )
        if bad.height > MAX_PER_CHECK:
            first = rows[0]
            self.problems.append(
                Problem(
                    file=first[0],
                    column=self.shown(first[0], column),
                    message=f"... and {bad.height - MAX_PER_CHECK} more rows with the same problem",
                    severity=severity,  # type: ignore[arg-type]
                )
            )


def _stage_one(raw: RawTable, out: _Collector) -> tuple[pl.DataFrame, set[str], list[str]] | None:
    spec = TABLES[raw.table]
    frame = raw.frame
    present = {c for c in spec.column_names if c in frame.columns}
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    for name in missing:
        out.problems.append(
            Problem(
                file=raw.source, line=1, column=raw.source_column(name), message="required column is missing"
            )
        )
    if missing:
        return None
    # An optional key column the file lacks (milestone_targets' priority, origin) is empty on every
    # row: the key still identifies the row, for duplicates and for the upsert.
    absent_keys = [k for k in spec.key if k not in present]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(k) for k in absent_keys)
    present |= set(absent_keys)
    extras = [
        c
        for c in frame.columns
        if c not in spec.column_names and c not in RESERVED and not c.startswith("__")
    ]
    base = frame.with_columns(pl.lit(raw.source).alias(SOURCE))
    parsed = base.with_columns(
        parse_column(spec.column(c), pl.col(c)).alias(f"__{c}") for c in sorted(present)
    )

    def add(bad: pl.DataFrame, column: str, message: pl.Expr | str) -> None:
        out.add(bad, spec=spec, column=column, message=message)

    for name in sorted(present):
        col = spec.column(name)
        raw_c, typed = pl.col(name), pl.col(f"__{name}")
        if col.required:
            add(parsed.filter(raw_c.is_null()), name, "required value is empty")
        if col.choices:
            choices = ", ".join(col.choices)
            message = f"unknown {name.replace('_', ' ')} '{{}}': expected one of {choices}"
            add(
                parsed.filter(raw_c.is_not_null() & ~typed.is_in(col.choices)),
                name,
                pl.format(message, _clip(raw_c)),
            )
        elif col.type != "text":
            message = f"'{{}}' is not {EXPECT[col.type]}"
            add(parsed.filter(raw_c.is_not_null() & typed.is_null()), name, pl.format(message, _clip(raw_c)))
        if col.minimum is not None:
            word = "negative" if col.minimum == 0 else f"below {col.minimum}"
            message = f"{word} {name.replace('_', ' ')} ({{}})"
            add(parsed.filter(typed < col.minimum), name, pl.format(message, _clip(raw_c)))
        if col.limit is not None:
            message = f"{name.replace('_', ' ')} '{{}}' is too large: it must be below {col.limit:,.0f}"
            beyond = (typed >= col.limit) | (typed <= -col.limit)
            add(parsed.filter(beyond), name, pl.format(message, _clip(raw_c)))
        if col.type in ("date", "timestamp"):
            message = f"'{{}}' is outside the supported dates {EARLIEST_DATE} to {LATEST_DATE}"
            add(parsed.filter(~in_range(typed, col.type)), name, pl.format(message, _clip(raw_c)))
    for earlier, later in spec.ordered:
        if earlier in present and later in present:
            message = pl.format(
                f"{later} {{}} is before {earlier} {{}}", _clip(pl.col(later)), _clip(pl.col(earlier))
            )
            add(parsed.filter(pl.col(f"__{later}") < pl.col(f"__{earlier}")), later, message)
    if raw.table == "business_hours":
        _check_schedule(parsed, present, add)
    typed_cols = [pl.col(f"__{c}").alias(c) for c in sorted(present)]
    extra = (
        pl.struct(extras).struct.json_encode().alias("extra")
        if extras
        else pl.lit(None, dtype=pl.String).alias("extra")
    )
    # A file without extra columns leaves the stored extras of its rows alone.
    has_extra = pl.lit(bool(extras)).alias(HAS_EXTRA)
    staged = parsed.select(*typed_cols, extra, has_extra, pl.col(LINE), pl.col(SOURCE))
    return staged, present, extras


def _check_schedule(parsed: pl.DataFrame, present: set[str], add: Callable[..., None]) -> None:
    if "timezone" in present:
        zones = parsed.get_column("timezone").drop_nulls().unique().to_list()
        unknown = [z for z in zones if z not in usable_zones(zones)]
        add(
            parsed.filter(pl.col("timezone").is_in(unknown)),
            "timezone",
            pl.format(
                "unknown time zone '{}' (use an IANA name such as Europe/Berlin; "
                "Factory and localtime are not accepted)",
                _clip(pl.col("timezone")),
            ),
        )
    for day in _DAYS:
        s, e = f"{day}_start", f"{day}_end"
        if s not in present and e not in present:
            continue
        ts = pl.col(f"__{s}") if s in present else pl.lit(None, dtype=pl.String)
        te = pl.col(f"__{e}") if e in present else pl.lit(None, dtype=pl.String)
        add(
            parsed.filter(ts.is_null() != te.is_null()),
            s if s in present else e,
            f"{day} needs both a start and an end time (or neither, for closed)",
        )
        all_day = (ts == "00:00") & (te.is_in(["00:00", "24:00"]))
        add(
            parsed.filter(ts.is_not_null() & te.is_not_null() & ~all_day & (te <= ts)),
            e,
            pl.format(f"{day} closes at {{}}, not after it opens at {{}}", te, ts),
        )


def validate_tables(
    raws: Sequence[RawTable], existing_keys: Mapping[str, pl.DataFrame], existing_usage: pl.DataFrame
) -> tuple[dict[str, StagedTable], list[Problem]]:
    """Parse and check every raw table; return staged tables and every problem found.

    Parameters
    ----------
    raws
        The files read, any number per table (``cases.csv`` and
        ``cases.parquet`` together are one table: a key in both is a duplicate).
    existing_keys
        A table's stored key column, for foreign keys.
    existing_usage
        Stored (entitlement_id, usage_type) pairs: a usage type is permanent
        (DOMAIN.md "Words").

    Returns
    -------
    The staged (typed) table of each table read, and every problem found,
    ordered by file, line and column.
    """
    out = _Collector(raws)
    per_table: dict[str, list[tuple[pl.DataFrame, set[str], list[str]]]] = {}
    for raw in raws:
        staged = _stage_one(raw, out)
        if staged is not None:
            per_table.setdefault(raw.table, []).append(staged)
    result: dict[str, StagedTable] = {}
    for table, parts in per_table.items():
        present = set.union(*(p[1] for p in parts))
        frame = pl.concat([p[0] for p in parts], how="diagonal_relaxed") if len(parts) > 1 else parts[0][0]
        result[table] = StagedTable(
            table=table, frame=frame, present=frozenset(present), has_extra=any(p[2] for p in parts)
        )
    for table, staged in result.items():
        _check_keys(TABLES[table], staged, result, existing_keys, out)
    if "entitlements" in result:
        _check_usage_type(result["entitlements"], existing_usage, out)
    ordered = sorted(
        out.problems, key=lambda p: (p.file or "", p.line if p.line is not None else 1 << 62, p.column or "")
    )
    return result, ordered


def _check_duplicates(spec: TableSpec, frame: pl.DataFrame, out: _Collector) -> None:
    """Every repeat of a key, across all files of the table, naming where it first appeared."""
    key = list(spec.key)
    repeated = pl.struct(key).is_duplicated() if len(key) > 1 else pl.col(key[0]).is_duplicated()
    dup = frame.with_row_index("_row").filter(repeated)
    if not dup.height:
        return
    first = dup.group_by(key, maintain_order=True).agg(
        pl.col(SOURCE).first().alias("_f"),
        pl.col(LINE).first().alias("_first"),
        pl.col("_row").first().alias("_r0"),
    )
    dup = dup.join(first, on=key, nulls_equal=True).filter(pl.col("_row") != pl.col("_r0")).sort("_row")
    record = _record_expr(spec, key)
    out.add(
        dup,
        spec=spec,
        column=key[0],
        message=pl.format("duplicate key {} (first on line {} of {})", record, "_first", "_f"),
    )


def _check_keys(
    spec: TableSpec,
    staged: StagedTable,
    all_staged: Mapping[str, StagedTable],
    existing_keys: Mapping[str, pl.DataFrame],
    out: _Collector,
) -> None:
    """Duplicate keys, and references (DOMAIN.md "References").

    A reference must name a row of its table (stored or in this import)
    when that table holds rows; when it holds none at all, the ids are
    kept as they are (a partial export) and one warning per file says how
    many rows name them.
    """
    frame = staged.frame
    if all(k in staged.present for k in spec.key):
        _check_duplicates(spec, frame, out)
    for fk in spec.foreign_keys:
        if fk.column not in staged.present:
            continue
        known = [existing_keys[fk.table].get_column(fk.target)] if fk.table in existing_keys else []
        parent = all_staged.get(fk.table)
        if parent is not None and fk.target in parent.present:
            known.append(parent.frame.get_column(fk.target))
        named = frame.filter(pl.col(fk.column).is_not_null())
        if not sum(k.len() for k in known):
            _never_imported(spec, fk, named, out)
            continue
        keys = pl.concat(known).drop_nulls().unique().to_frame(fk.column)
        # An anti-join: rows whose reference is in neither the store nor the import.
        bad = named.join(keys, on=fk.column, how="anti")
        message = f"unknown {fk.column} '{{}}': no such record in {fk.table}"
        out.add(
            bad.sort(LINE), spec=spec, column=fk.column, message=pl.format(message, _clip(pl.col(fk.column)))
        )


def _never_imported(spec: TableSpec, fk: ForeignKey, named: pl.DataFrame, out: _Collector) -> None:
    """One warning per file whose rows name a table that holds no rows at all."""
    if not named.height:
        return
    counts = named.group_by(SOURCE, maintain_order=True).agg(pl.len().alias("n"), pl.col(LINE).min())
    for source, count, line in counts.rows():
        out.problems.append(
            Problem(
                file=source,
                line=line,
                column=out.shown(source, fk.column),
                message=never_imported_message(spec.name, fk, count),
                severity="warning",
            )
        )


def _check_usage_type(staged: StagedTable, existing: pl.DataFrame, out: _Collector) -> None:
    if "usage_type" not in staged.present or existing.height == 0:
        return
    joined = staged.frame.join(existing.rename({"usage_type": "_stored"}), on="entitlement_id", how="inner")
    out.add(
        joined.filter(pl.col("usage_type").is_not_null() & (pl.col("usage_type") != pl.col("_stored"))),
        spec=TABLES["entitlements"],
        column="usage_type",
        message=pl.format(
            "usage type is permanent: entitlement is '{}', the file says '{}'",
            pl.col("_stored"),
            pl.col("usage_type"),
        ),
    )


def typed_schema(table: str) -> dict[str, pl.DataType]:
    return {c.name: POLARS_TYPES[c.type] for c in TABLES[table].columns}
