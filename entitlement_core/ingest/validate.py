"""Validate raw tables and cast them to the native types, vectorised.

Every check yields :class:`~entitlement_core.problems.Problem` records naming
the file, line, column, record and reason; a check that fails on many rows
reports the first :data:`MAX_PER_CHECK` and a count of the rest.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import polars as pl

from ..problems import Problem
from ..schema import TABLES, ColumnSpec, TableSpec
from ..staging import POLARS_TYPES
from .raw import LINE, RawTable

__all__ = ["MAX_PER_CHECK", "SOURCE", "StagedTable", "parse_column", "validate_tables"]

MAX_PER_CHECK = 50
SOURCE = "_source"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class StagedTable:
    """A table's validated rows: typed spec columns, ``extra`` JSON, source and line."""

    table: str
    frame: pl.DataFrame
    #: Spec columns the files carried; absent ones keep their stored values on update.
    present: frozenset[str]
    has_extra: bool


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timestamp(e: pl.Expr) -> pl.Expr:
    """ISO 8601 text to a UTC instant (``Z`` or an offset converts; none means UTC;
    a bare date is its midnight UTC)."""
    norm = (
        e.str.replace(r"^(\d{4}-\d{2}-\d{2})$", "${1}T00:00:00")
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})$", "${1}T${2}:00")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
        .str.replace(r"[Zz]$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
        .str.replace(r" ?UTC$", "+00:00")
    )
    norm = pl.when(norm.str.contains(r"[+-]\d{2}:\d{2}$")).then(norm).otherwise(norm + "+00:00")
    return norm.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us").dt.convert_time_zone(
        "UTC"
    )


def _hhmm(e: pl.Expr) -> pl.Expr:
    """``HH:MM`` (seconds and a trailing ``Z`` tolerated) normalised; ``24:00`` allowed."""
    m = e.str.extract_groups(r"^(\d{1,2}):(\d{2})(?::00(?:\.0+)?)?Z?$")
    hh = m.struct.field("1").cast(pl.Int32, strict=False)
    mm = m.struct.field("2").cast(pl.Int32, strict=False)
    ok = ((hh < 24) & (mm < 60)) | ((hh == 24) & (mm == 0))
    return pl.when(ok).then(
        pl.format("{}:{}", hh.cast(pl.String).str.zfill(2), mm.cast(pl.String).str.zfill(2))
    )


def parse_column(col: ColumnSpec, e: pl.Expr) -> pl.Expr:
    """Text cells of ``col`` to its native type; unparseable cells become null."""
    t = col.type
    if t == "text":
        return e.str.to_lowercase() if col.choices else e
    if t == "int":
        f = e.str.replace_all(r"^\+", "").cast(pl.Float64, strict=False)
        return pl.when(f.is_finite() & (f == f.round(0))).then(f).cast(pl.Int64, strict=False)
    if t == "float":
        f = e.cast(pl.Float64, strict=False)
        return pl.when(f.is_finite()).then(f)
    if t == "bool":
        low = e.str.to_lowercase()
        return (
            pl.when(low.is_in(["true", "1", "t", "yes", "y"]))
            .then(True)
            .when(low.is_in(["false", "0", "f", "no", "n"]))
            .then(False)
            .otherwise(None)
        )
    if t == "date":
        return e.str.to_date("%Y-%m-%d", strict=False)
    if t == "timestamp":
        return _timestamp(e)
    if t == "hhmm":
        return _hhmm(e)
    raise ValueError(t)


_EXPECT = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false/1/0",
    "date": "a date YYYY-MM-DD",
    "timestamp": "an ISO 8601 timestamp",
    "hhmm": "a time HH:MM (00:00-24:00)",
}


class _Collector:
    """Gathers problems; columns are named as in the source file the row came from."""

    def __init__(self, raws: Sequence[RawTable]) -> None:
        self.problems: list[Problem] = []
        self._raws = {raw.source: raw for raw in raws}

    def _shown(self, source: str | None, column: str | None) -> str | None:
        raw = self._raws.get(source or "")
        return raw.source_column(column) if raw is not None and column is not None else column

    def add(
        self,
        bad: pl.DataFrame,
        *,
        column: str | None,
        message: pl.Expr | str,
        severity: str = "error",
    ) -> None:
        """Add one problem per row of ``bad`` (columns: _source, _line, _record, plus message inputs)."""
        if bad.height == 0:
            return
        shown = bad.head(MAX_PER_CHECK)
        msg = pl.lit(message) if isinstance(message, str) else message
        rows = shown.select(pl.col(SOURCE), pl.col(LINE), pl.col("_record"), msg.alias("_message")).rows()
        for source, line, record, text in rows:
            self.problems.append(
                Problem(
                    file=source,
                    line=line,
                    column=self._shown(source, column),
                    record_id=record,
                    message=text,
                    severity=severity,  # type: ignore[arg-type]
                )
            )
        if bad.height > MAX_PER_CHECK:
            first = rows[0]
            self.problems.append(
                Problem(
                    file=first[0],
                    column=self._shown(first[0], column),
                    message=f"... and {bad.height - MAX_PER_CHECK} more rows with the same problem",
                    severity=severity,  # type: ignore[arg-type]
                )
            )


def _record_expr(spec: TableSpec, present: set[str]) -> pl.Expr:
    parts = [pl.col(k).fill_null("") for k in spec.key if k in present]
    if not parts:
        return pl.lit(None, dtype=pl.String)
    return pl.concat_str(parts, separator="/") if len(parts) > 1 else parts[0]


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
    extras = [c for c in frame.columns if c not in spec.column_names and c != LINE and not c.startswith("_")]
    base = frame.with_columns(pl.lit(raw.source).alias(SOURCE), _record_expr(spec, present).alias("_record"))
    parsed = base.with_columns(
        parse_column(spec.column(c), pl.col(c)).alias(f"__{c}") for c in sorted(present)
    )
    for name in sorted(present):
        col = spec.column(name)
        shown = name
        raw_c, typed = pl.col(name), pl.col(f"__{name}")
        if col.required:
            out.add(parsed.filter(raw_c.is_null()), column=shown, message="required value is empty")
        if col.choices:
            choices = ", ".join(col.choices)
            out.add(
                parsed.filter(raw_c.is_not_null() & ~typed.is_in(list(col.choices))),
                column=shown,
                message=pl.format(
                    f"unknown {name.replace('_', ' ')} '{{}}': expected one of {choices}", raw_c
                ),
            )
        elif col.type != "text":
            out.add(
                parsed.filter(raw_c.is_not_null() & typed.is_null()),
                column=shown,
                message=pl.format(f"'{{}}' is not {_EXPECT[col.type]}", raw_c),
            )
        if col.minimum is not None:
            word = "negative" if col.minimum == 0 else f"below {col.minimum}"
            out.add(
                parsed.filter(typed < col.minimum),
                column=shown,
                message=pl.format(f"{word} {name.replace('_', ' ')} ({{}})", raw_c),
            )
    for earlier, later in spec.ordered:
        if earlier in present and later in present:
            out.add(
                parsed.filter(pl.col(f"__{later}") < pl.col(f"__{earlier}")),
                column=later,
                message=pl.format(f"{later} {{}} is before {earlier} {{}}", pl.col(later), pl.col(earlier)),
            )
    if raw.table == "business_hours":
        _check_schedule(parsed, present, raw, out)
    typed_cols = [pl.col(f"__{c}").alias(c) for c in sorted(present)]
    extra = (
        pl.struct(extras).struct.json_encode().alias("extra")
        if extras
        else pl.lit(None, dtype=pl.String).alias("extra")
    )
    staged = parsed.select(*typed_cols, extra, pl.col(LINE), pl.col(SOURCE), pl.col("_record"))
    return staged, present, extras


def _check_schedule(parsed: pl.DataFrame, present: set[str], raw: RawTable, out: _Collector) -> None:
    if "timezone" in present:
        zones = parsed.get_column("timezone").drop_nulls().unique().to_list()
        unknown = [z for z in zones if z not in _zones()]
        out.add(
            parsed.filter(pl.col("timezone").is_in(unknown)),
            column="timezone",
            message=pl.format(
                "unknown time zone '{}' (use an IANA name such as Europe/Berlin)", pl.col("timezone")
            ),
        )
    for day in _DAYS:
        s, e = f"{day}_start", f"{day}_end"
        if s not in present and e not in present:
            continue
        ts = pl.col(f"__{s}") if s in present else pl.lit(None, dtype=pl.String)
        te = pl.col(f"__{e}") if e in present else pl.lit(None, dtype=pl.String)
        out.add(
            parsed.filter(ts.is_null() != te.is_null()),
            column=s if s in present else e,
            message=f"{day} needs both a start and an end time (or neither, for closed)",
        )
        all_day = (ts == "00:00") & (te.is_in(["00:00", "24:00"]))
        out.add(
            parsed.filter(ts.is_not_null() & te.is_not_null() & ~all_day & (te <= ts)),
            column=e,
            message=pl.format(f"{day} closes at {{}}, not after it opens at {{}}", te, ts),
        )


def validate_tables(
    raws: Sequence[RawTable], existing_keys: Mapping[str, pl.DataFrame], existing_usage: pl.DataFrame
) -> tuple[dict[str, StagedTable], list[Problem]]:
    """Parse and check every raw table; return staged tables and every problem found.

    ``existing_keys`` maps a table to a frame of its stored key column(s), for
    foreign keys; ``existing_usage`` holds stored (entitlement_id, usage_type)
    pairs, since a usage type is permanent (DOMAIN.md "Words").
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
        frame = pl.concat([p[0] for p in parts], how="diagonal_relaxed")
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


def _check_keys(
    spec: TableSpec,
    staged: StagedTable,
    all_staged: Mapping[str, StagedTable],
    existing_keys: Mapping[str, pl.DataFrame],
    out: _Collector,
) -> None:
    frame = staged.frame
    key = list(spec.key)
    if all(k in staged.present for k in key):
        dup = frame.filter(pl.struct(key).is_duplicated())
        if dup.height:
            first = dup.group_by(key).agg(
                pl.col(SOURCE).first().alias("_f"), pl.col(LINE).min().alias("_first")
            )
            dup = dup.join(first, on=key, nulls_equal=True).filter(pl.col(LINE) != pl.col("_first"))
            out.add(
                dup,
                column=key[0],
                message=pl.format(
                    "duplicate key {} (first on line {} of {})", pl.col("_record"), "_first", "_f"
                ),
            )
    for fk in spec.foreign_keys:
        if fk.column not in staged.present:
            continue
        known = [existing_keys[fk.table].get_column(fk.target)] if fk.table in existing_keys else []
        parent = all_staged.get(fk.table)
        if parent is not None and fk.target in parent.present:
            known.append(parent.frame.get_column(fk.target))
        keys = pl.concat(known).unique() if known else pl.Series(fk.target, [], dtype=pl.String)
        bad = frame.filter(pl.col(fk.column).is_not_null() & ~pl.col(fk.column).is_in(keys.implode()))
        out.add(
            bad,
            column=fk.column,
            message=pl.format(f"unknown {fk.column} '{{}}': no such record in {fk.table}", pl.col(fk.column)),
        )


def _check_usage_type(staged: StagedTable, existing: pl.DataFrame, out: _Collector) -> None:
    if "usage_type" not in staged.present or existing.height == 0:
        return
    joined = staged.frame.join(existing.rename({"usage_type": "_stored"}), on="entitlement_id", how="inner")
    out.add(
        joined.filter(pl.col("usage_type").is_not_null() & (pl.col("usage_type") != pl.col("_stored"))),
        column="usage_type",
        message=pl.format(
            "usage type is permanent: entitlement is '{}', the file says '{}'",
            pl.col("_stored"),
            pl.col("usage_type"),
        ),
    )


def typed_schema(table: str) -> dict[str, pl.DataType]:
    return {c.name: POLARS_TYPES[c.type] for c in TABLES[table].columns}
