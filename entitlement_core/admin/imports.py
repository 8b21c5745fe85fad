"""Imports as admin actions: who imported which files, audited, in the transaction that writes.

The command line's ``import`` and the Data page's upload both come here.
The whole import (validation against the stored rows, then the upsert) runs
in one transaction, so what is checked (references, an entitlement's
permanent usage type) is what is written to; the same transaction records
who ran it in the import history (``import_batches.actor``) and writes one
audit-log entry (action ``import``): the files with their table, SHA-256 and
rows read, added and updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..ingest import ImportResult, import_path, import_uploads
from ..store import Store

__all__ = ["import_files", "import_uploaded"]


def _audit(store: Store, con: duckdb.DuckDBPyConnection, result: ImportResult, actor: str) -> None:
    con.execute("UPDATE import_batches SET actor = ? WHERE run_id = ?", [actor, result.run_id]).fetchall()
    files = store.query(
        "SELECT file_name AS file, table_name AS table, sha256, rows_read, rows_added, rows_updated "
        "FROM import_batches WHERE run_id = ? ORDER BY batch_id",
        [result.run_id],
    )
    store.audit(
        con,
        actor=actor,
        action="import",
        table_name="import_batches",
        record_id=result.run_id,
        before=None,
        after={
            "format": result.format,
            "rows_added": result.rows_added,
            "rows_updated": result.rows_updated,
            "files": files.to_dicts(),
        },
    )


def import_files(store: Store, path: Path | Iterable[Path], *, actor: str, **options: Any) -> ImportResult:
    """Import a folder or files (:func:`entitlement_core.ingest.import_path` and its ``options``),
    all or nothing, recorded as ``actor``'s.

    Raises
    ------
    ProblemsError
        When any row is bad; nothing is written, not even the audit entry.
    """
    with store.transaction() as con:
        result = import_path(store, path, **options)
        _audit(store, con, result, actor)
    return result


def import_uploaded(
    store: Store, files: Sequence[tuple[str, bytes]], *, actor: str, **options: Any
) -> ImportResult:
    """Import uploaded native files, (name, content) pairs, all or nothing, recorded as ``actor``'s."""
    with store.transaction() as con:
        result = import_uploads(store, files, **options)
        _audit(store, con, result, actor)
    return result
