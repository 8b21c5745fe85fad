"""Keys enforced by the database: each native table's key is a primary key (or unique index).

The importer upserts by key and the admin actions refuse a taken id, but
only the database can guarantee that two writers never store the same key
twice. A key whose columns are all required becomes the table's ``PRIMARY
KEY``; one with optional columns (a milestone target's priority and origin)
a unique index in which an empty value counts as one value, as the importer
matches them (``IS NOT DISTINCT FROM``).

Rows stored before the keys existed may repeat a key. The migration that
adds the keys looks first and, when it finds any, refuses and names them:
it never drops a row by itself.
"""

from __future__ import annotations

import duckdb

from .access import StoreError
from .schema import TABLES, TableSpec

__all__ = ["KEY_PROBLEM_EXAMPLES", "add_keys", "key_problems"]

#: Repeated keys named per table in the refusal (the count covers them all).
KEY_PROBLEM_EXAMPLES = 3


def _q(name: str) -> str:
    return f'"{name}"'


def _index_name(spec: TableSpec) -> str:
    return f"{spec.name}_key"


def _has_key(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> bool:
    found = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_constraints() WHERE table_name = ? "
        "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')) "
        "+ (SELECT count(*) FROM duckdb_indexes() WHERE table_name = ? AND index_name = ?)",
        [spec.name, spec.name, _index_name(spec)],
    ).fetchall()
    return bool(found[0][0])


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
        [table],
    ).fetchall()
    return bool(rows[0][0])


def key_problems(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> list[str]:
    """What stops ``spec``'s key from being enforced: repeated keys and empty required key values."""
    problems = []
    required = [k for k in spec.key if spec.column(k).required]
    if required:
        empty = " OR ".join(f"{_q(k)} IS NULL" for k in required)
        missing = con.execute(f"SELECT count(*) FROM {_q(spec.name)} WHERE {empty}").fetchall()[0][0]
        if missing:
            problems.append(f"{spec.name}: {missing} row(s) without a {' or '.join(required)}")
    cols = ", ".join(_q(k) for k in spec.key)
    repeated = con.execute(
        f"SELECT {cols}, count(*) AS n, count(*) OVER () AS keys FROM {_q(spec.name)} "
        f"GROUP BY {cols} HAVING count(*) > 1 ORDER BY n DESC, {cols} LIMIT {KEY_PROBLEM_EXAMPLES}"
    ).fetchall()
    if repeated:
        total = repeated[0][-1]
        shown = ", ".join(
            "/".join(repr(v) if isinstance(v, str) else str(v) for v in row[: len(spec.key)]) + f" x{row[-2]}"
            for row in repeated
        )
        more = f" and {total - len(repeated)} more" if total > len(repeated) else ""
        problems.append(f"{spec.name}: {total} {'/'.join(spec.key)} value(s) repeat ({shown}{more})")
    return problems


def add_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Enforce every native table's key (inside the caller's transaction); already keyed tables
    are left alone.

    Raises
    ------
    StoreError
        Some stored rows repeat a key (or lack one): every such table is
        named with examples, and nothing is changed.
    """
    todo = [spec for spec in TABLES.values() if _exists(con, spec.name) and not _has_key(con, spec)]
    problems = [p for spec in todo for p in key_problems(con, spec)]
    if problems:
        raise StoreError(
            "the database repeats keys that must be unique, so it cannot be upgraded (nothing was "
            "changed): " + "; ".join(problems) + '. Keep one row per key (README, "Repeated keys"), '
            "then open it again"
        )
    for spec in todo:
        if all(spec.column(k).required for k in spec.key):
            cols = ", ".join(_q(k) for k in spec.key)
            con.execute(f"ALTER TABLE {_q(spec.name)} ADD PRIMARY KEY ({cols})")
        else:
            parts = ", ".join(
                _q(k) if spec.column(k).required else f"coalesce(CAST({_q(k)} AS VARCHAR), '')"
                for k in spec.key
            )
            con.execute(f"CREATE UNIQUE INDEX {_q(_index_name(spec))} ON {_q(spec.name)} ({parts})")
