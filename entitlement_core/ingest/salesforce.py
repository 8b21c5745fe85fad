"""Salesforce exports: a folder of Data Loader / CLI CSV files onto the native tables.

One CSV per object, named after it (``Case.csv``, ``entitlement.csv``: any
letter case), with standard API field names as headers. Standard objects map
by fixed rules; custom fields and objects by a mapping file
(:mod:`.mapping`). ``docs/salesforce.md`` lists every object, field and choice.

Reading produces :class:`RawTable` values like any other format: text cells
in the native format under native column names, the source line of each row
and the Salesforce header each column came from, so the native validator's
errors name ``Case.csv``, line 7, ``CreatedDate``. Unmapped fields are kept
under their lower-cased header and end up in the ``extra`` column.

This layer reports what only it can see (an unreadable file, a value that is
not a Salesforce id); types, required columns and references are checked by
the native validator.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from ..problems import Problem, ProblemsError
from ..schema import IMPORT_ORDER, TABLES
from .files import DEFAULT_MAX_FILE_BYTES, Encoding
from .mapping import STANDARD_OBJECTS, FieldMap, SalesforceMapping, load_mapping
from .raw import LINE, RawTable
from .sf_csv import Export, read_export
from .sf_history import STOPS, history_sources, stopped_cases
from .sf_ids import normalise_ids
from .sf_objects import COMMON_REFS, DERIVED_SOURCES, FINISH, PREPARE, REFS, STANDARD, Context, number_text

__all__ = ["is_salesforce_folder", "load_mapping", "read_salesforce", "salesforce_files"]

_MINUTES_PER = {"minutes": 1, "hours": 60, "days": 1440}
HISTORY_OBJECTS = ("CaseHistory", "CaseHistory2")
_PLANS = "[[plans]]"


def salesforce_files(path: Path, mapping: SalesforceMapping | None = None) -> dict[str, Path]:
    """The export file of each object found in ``path`` (file names match in any letter case).

    An entry named after an object is its export even when it is not a
    regular file (a pipe, a link to nothing): reading it then says why,
    rather than the object being silently left out.
    """
    mapping = mapping or SalesforceMapping()
    wanted = {f"{obj.lower()}.csv": obj for obj in (*STANDARD_OBJECTS, *mapping.objects)}
    wanted |= {m.file.lower(): obj for obj, m in mapping.objects.items() if m.file}
    wanted |= {name.lower(): obj for obj, name in mapping.files.items()}
    found: dict[str, Path] = {}
    problems = []
    for file in sorted(Path(path).iterdir()):
        obj = wanted.get(file.name.lower())
        if obj is None:
            continue
        if obj in found:
            problems.append(Problem(file=file.name, message=f"a second export of {obj} ({found[obj].name})"))
        found[obj] = file
    if problems:
        raise ProblemsError(problems)
    return found


def is_salesforce_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of Salesforce object exports (not a native-format folder)."""
    path = Path(path)
    if not path.is_dir():
        return False
    stems = {p.stem.lower() for p in path.iterdir() if p.suffix.lower() == ".csv"}
    objects = {obj.lower() for obj in STANDARD_OBJECTS}
    return bool(stems & objects) and not stems & set(TABLES)


def read_salesforce(
    path: Path,
    *,
    mapping: SalesforceMapping | None = None,
    encoding: Encoding | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> list[RawTable]:
    """Read a folder of Salesforce exports into raw native tables.

    Parameters
    ----------
    path
        Folder with one CSV per object (any subset of the objects in
        ``docs/salesforce.md``).
    mapping
        Custom fields, custom objects, milestone targets and plans
        (:func:`~.mapping.load_mapping`); ``None`` applies the standard rules.
    encoding
        Force the files' text encoding (default: UTF-8, else Windows-1252).
    max_bytes
        The largest file read (the import limit setting).

    Returns
    -------
    list[RawTable]
        One per export that feeds a native table, parents first.

    Raises
    ------
    ProblemsError
        A file cannot be read as CSV, a value is not a Salesforce id, or
        holidays cannot be tied to business hours; every problem names the
        file, line and Salesforce field.
    """
    mapping = mapping or SalesforceMapping()
    files = salesforce_files(path, mapping)
    exports: dict[str, Export] = {}
    problems: list[Problem] = []
    for obj, file in files.items():
        try:
            export = read_export(file, obj, encoding=encoding, max_bytes=max_bytes)
            exports[obj] = _normalised(obj, export, mapping, problems)
        except ProblemsError as exc:
            problems.extend(exc.problems)
    if "Holiday" in exports and not {"BusinessHours", "BusinessHoursHoliday"} & set(exports):
        problems.append(
            Problem(
                file=exports["Holiday"].source,
                message="holidays apply to business hours: export BusinessHours or BusinessHoursHoliday too",
            )
        )
    if problems:
        raise ProblemsError(problems)
    context = Context(exports, mapping)
    raws = [_raw_table(ex, context) for obj, ex in exports.items() if _table_of(obj, mapping)]
    stops = stopped_cases(exports["Case"]) if "Case" in exports else None
    if stops is not None:
        raws.append(_raw_table(stops, context))
    targets = _mapping_rows(mapping, "targets")
    if targets is not None:
        raws.append(_raw_table(targets, context))
    plans = _mapping_rows(mapping, "plans")
    if plans is not None:
        raws.append(_raw_table(plans, context))
    return sorted(raws, key=lambda raw: IMPORT_ORDER.index(raw.table))


# -- ids ----------------------------------------------------------------------


def _is_id_column(column: str) -> bool:
    return column.endswith("_id") or column == "renewal_of"


def _normalised(obj: str, ex: Export, mapping: SalesforceMapping, problems: list[Problem]) -> Export:
    """Normalise the export's id columns; add a problem per value that is not an id."""
    id_fields = {*COMMON_REFS, *REFS.get(obj, ())}
    id_fields |= {f for f, m in mapping.fields_of(obj).items() if _is_id_column(m.column)}
    columns = [f.lower() for f in id_fields if ex.has(f)]
    frame, errors = normalise_ids(ex.frame, columns)
    if errors.height:
        bad = errors.join(frame.select(pl.int_range(pl.len()).alias("row"), LINE), on="row", how="left")
        for column, group in bad.group_by("column", maintain_order=True):
            for row in group.head(100).iter_rows(named=True):
                problems.append(
                    Problem(
                        file=ex.source,
                        line=row[LINE],
                        column=ex.header(str(column[0])),
                        message=row["message"],
                    )
                )
            if group.height > 100:
                problems.append(
                    Problem(
                        file=ex.source, column=ex.header(str(column[0])),
                        message=f"{group.height - 100} more values that are not Salesforce ids",
                    )
                )  # fmt: skip
    return ex.with_frame(frame)


# -- one export -> one raw table ---------------------------------------------------


def _table_of(obj: str, mapping: SalesforceMapping) -> str | None:
    if obj == _PLANS:
        return "plans"
    if obj == STOPS:
        return "case_status_history"
    return mapping.objects[obj].table if obj in mapping.objects else STANDARD_OBJECTS.get(obj)


def _mapped(expr: pl.Expr, target: FieldMap) -> pl.Expr:
    """Apply a mapping file's value transforms: picklist values, then units into minutes."""
    if target.values:
        lower = {k.lower(): v for k, v in target.values.items()}
        key = expr.str.strip_chars().str.to_lowercase()
        expr = pl.when(key.is_in(list(lower))).then(key.replace(lower)).otherwise(expr)
    if target.unit in ("hours", "days"):
        number = expr.str.strip_chars().cast(pl.Float64, strict=False) * _MINUTES_PER[target.unit]
        # A value that is not a number stays as written, so the native check reports it.
        expr = pl.when(number.is_null()).then(expr).otherwise(number_text(number))
    return expr


def _native_text(expr: pl.Expr, logical: str) -> pl.Expr:
    """Salesforce text -> the native text format of a logical type."""
    expr = expr.cast(pl.String)
    if logical == "date":
        # Some tools write a date as midnight UTC ("2024-12-25T00:00:00.000Z", "2024-12-25 00:00:00").
        midnight = r"^\d{4}-\d{2}-\d{2}(?:T|\s00:00)"
        return pl.when(expr.str.contains(midnight)).then(expr.str.slice(0, 10)).otherwise(expr)
    if logical == "timestamp":
        # The CLI writes "+0000"; ISO 8601 extended is "+00:00".
        return expr.str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
    if logical in ("bool", "int", "float", "decimal"):
        stripped = expr.str.strip_chars()
        return stripped.str.to_lowercase() if logical == "bool" else stripped
    return expr


def _raw_table(ex: Export, context: Context) -> RawTable:
    """Map one export onto its native table."""
    table = _table_of(ex.object, context.mapping)
    assert table is not None
    prepare = PREPARE.get(ex.object)
    if prepare is not None:
        ex = ex.with_frame(prepare(ex, context))
        ex.derived = DERIVED_SOURCES
    if ex.object in (*HISTORY_OBJECTS, STOPS):
        ex.derived = {**ex.derived, **history_sources(ex)}
    columns: dict[str, pl.Expr] = {}
    sources: dict[str, str] = {}
    rules = STANDARD.get(ex.object, {})
    if ex.object == _PLANS:
        rules = {c: (c,) for c in TABLES["plans"].column_names}
    for native, fields in rules.items():
        present = ex.present(fields)
        if present:
            columns[native] = pl.coalesce([pl.col(c) for c in present])
            sources[native] = ex.header(present[0])
    for sf_field, target in context.mapping.fields_of(ex.object).items():
        if ex.has(sf_field):
            value = _mapped(pl.col(sf_field.lower()), target)
            # A mapped field wins over the standard rule where it has a value.
            columns[target.column] = (
                pl.coalesce(value, columns[target.column]) if target.column in columns else value
            )
            sources[target.column] = ex.header(sf_field.lower())
    finish = FINISH.get(ex.object)
    if finish is not None:
        finish(ex, context, columns, sources)
    spec = TABLES[table]
    # A required column whose field was not exported is empty, so the native check
    # names the Salesforce field on every row ("Entitlement.csv", line 2, StartDate).
    for column in spec.columns:
        if column.required and column.name not in columns and rules.get(column.name):
            columns[column.name] = pl.lit(None, pl.String)
            sources[column.name] = rules[column.name][0]
    native = [
        _native_text(expr, spec.column(name).type).alias(name)
        for name, expr in columns.items()
        if name in spec.column_names
    ]
    used = {root for expr in columns.values() for root in expr.meta.root_names()}
    extra = [c for c in ex.frame.columns if c not in used and c != LINE and not c.startswith("__")]
    renamed = {c: (f"sf_{c}" if c in spec.column_names or c == "extra" else c) for c in extra}
    out = ex.frame.select(*native, *[pl.col(c).alias(renamed[c]) for c in extra], pl.col(LINE))
    sources |= {renamed[c]: ex.header(c) for c in extra}
    return RawTable(
        table,
        ex.source,
        out,
        ex.sha256,
        "salesforce",
        {k: v for k, v in sources.items() if k in out.columns},
        encoding=ex.encoding,
    )


def _mapping_rows(mapping: SalesforceMapping, kind: str) -> Export | None:
    """The mapping file's ``[[targets]]`` or ``[[plans]]`` as an export (lines are the entries' headers)."""
    entries: list[dict[str, object]]
    if kind == "targets":
        entries = [t.model_dump() for t in mapping.targets]
        lines = mapping.target_lines
    else:
        entries = [dict(p) for p in mapping.plans]
        lines = mapping.plan_lines
    if not entries:
        return None
    keys = list(dict.fromkeys(k for e in entries for k in e))
    text = {
        k: [
            None if e.get(k) is None else str(e[k]).lower() if isinstance(e[k], bool) else str(e[k])
            for e in entries
        ]
        for k in keys
    }
    frame = pl.DataFrame(text, schema=dict.fromkeys(keys, pl.String)).with_columns(
        pl.Series(LINE, [lines[i] if i < len(lines) else None for i in range(len(entries))], dtype=pl.Int64)
    )
    obj = "MilestoneTarget" if kind == "targets" else _PLANS
    digest = hashlib.sha256(json.dumps(text, sort_keys=True).encode()).hexdigest()
    # A source of its own per list, so import statistics and messages tell them apart.
    return Export(obj, f"{mapping.source} [[{kind}]]", digest, frame, {k: k for k in keys})
