"""Backups, restores and whole-database rebuilds, safe while the app and jobs use the file.

- :func:`backup` writes a consistent copy of the database to a new file from
  a read-only snapshot: readers carry on, a writer waits for it.
- :func:`restore` replaces the database with a backup: the backup is checked
  (a database of this program, not newer) and copied beside the database,
  the current content is backed up, then the copy takes the database's place
  in one rename, while nobody uses the file.
- :func:`rebuilding` gives a builder (the demo) a fresh database beside the
  real one; only a finished build takes its place, in one rename, so a build
  stopped midway (even killed) leaves the old database as it was.
- :func:`backup_before_migration` runs before every schema migration.

Backups made by the program itself go to ``backups/`` beside the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .access import StoreError, forget_gate

if TYPE_CHECKING:
    from .store import Store

__all__ = ["backup", "backup_before_migration", "backup_dir", "rebuilding", "restore"]

_SIDE_FILES = (".wal", ".version", ".lock")


def _literal(path: str | Path) -> str:
    """A file name as a SQL string literal (ATTACH takes no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def backup_dir(store: Store) -> Path:
    return Path(store.path).resolve().parent / "backups"


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy the connection's database (schema, data, sequences, keys) into a new file ``target``."""
    source = con.execute("SELECT current_database()").fetchall()[0][0]
    alias = f"_copy_{uuid.uuid4().hex[:8]}"
    con.execute(f"ATTACH {_literal(target)} AS {alias} (READ_ONLY false)")
    try:
        con.execute(f'COPY FROM DATABASE "{source}" TO {alias}')
    finally:
        con.execute(f"DETACH {alias}")


def _remove(path: Path) -> None:
    for suffix in ("", *_SIDE_FILES):
        with contextlib.suppress(OSError):
            Path(str(path) + suffix).unlink()


def _temp_beside(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _remove_stale(path: Path) -> None:
    """Temporary files of builds and restores whose process is gone (killed midway)."""
    for leftover in path.parent.glob(f".{path.name}.*-*-*"):
        parts = leftover.name.split("-")
        try:
            pid = int(parts[-2])
        except (ValueError, IndexError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                leftover.unlink()
        except OSError:
            continue


def backup(store: Store, target: str | Path) -> Path:
    """Write a consistent copy of the database to ``target`` (a new file) and return its path.

    Runs on a read-only snapshot: the app and other readers carry on; a
    writer waits until the copy is done.
    """
    target = Path(target)
    if target.exists():
        raise StoreError(f"{target} exists: choose a new file name for the backup")
    if not store.is_memory and target.resolve() == Path(store.path).resolve():
        raise StoreError("the backup must be another file than the database")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(target, "backup")
    try:
        with store.reading() as snap:
            _copy_database(snap.con, temp)
        os.replace(temp, target)
    except BaseException:
        _remove(temp)
        raise
    return target


def backup_before_migration(store: Store, con: duckdb.DuckDBPyConnection, version: int) -> Path:
    """Back up a database about to be migrated from schema ``version`` (inside the writer's session)."""
    folder = backup_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{Path(store.path).stem}-schema-v{version}-{_stamp()}.duckdb"
    _copy_database(con, target)
    return target


def _check_source(source: Path) -> int:
    """The schema version of a database file to restore (refusing anything else)."""
    from .store import SCHEMA_VERSION

    if not source.is_file():
        raise StoreError(f"{source}: no such file")
    con = duckdb.connect(":memory:")
    try:
        try:
            con.execute(f"ATTACH {_literal(source)} AS src (READ_ONLY)")
        except duckdb.Error as exc:
            raise StoreError(f"{source} is not a database this program can read: {exc}") from None
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'src' "
            "AND table_name = 'store_meta'"
        ).fetchall()[0][0]
        version = (
            con.execute("SELECT value FROM src.store_meta WHERE key = 'schema_version'").fetchall()
            if found
            else []
        )
        if not version:
            raise StoreError(f"{source} is not a database of this program (it has no schema version)")
        number = int(version[0][0])
        if number > SCHEMA_VERSION:
            raise StoreError(
                f"{source} has schema version {number}, newer than this program's {SCHEMA_VERSION}: "
                "upgrade the program"
            )
        return number
    finally:
        con.close()


def _take_place(store: Store, fresh: Path) -> None:
    """Put the closed database ``fresh`` in the place of the store's file, while nobody uses it.

    The data version goes on from the replaced one's, so nothing cached of
    the old content is taken for the new.
    """
    gate = store._gate
    con = gate.acquire_write(store._deadline(), store.wait)
    try:
        from .session import data_version as _data_version
        from .session import set_meta as _set_meta

        old = _data_version(con)
        con.close()
        con = None  # type: ignore[assignment]
        new = duckdb.connect(str(fresh))
        try:
            number = max(old + 1, _data_version(new))
            _set_meta(new, "data_version", str(number))
        finally:
            new.close()
        Path(str(fresh) + ".wal").unlink(missing_ok=True)
        Path(store.path + ".wal").unlink(missing_ok=True)
        os.replace(fresh, store.path)
        store._write_version(number)
    finally:
        gate.release_write(con)


def restore(store: Store, source: str | Path) -> Path | None:
    """Replace the database with the backup ``source``; returns the backup of what it replaced.

    ``source`` is checked first (a database of this program, not newer) and
    copied (migrated when older); only then is the current content backed up
    (to ``backups/``, when there is any) and replaced in one rename, once no
    process uses the file. Stopped midway, the database is as it was.
    """
    from .store import Store

    if store.is_memory:
        raise StoreError("an in-memory database cannot be restored")
    source = Path(source)
    if source.resolve() == Path(store.path).resolve():
        raise StoreError("restore needs a backup file, not the database itself")
    _check_source(source)
    target = Path(store.path)
    _remove_stale(target)
    temp = _temp_beside(target, "restore")
    try:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"ATTACH {_literal(source)} AS src (READ_ONLY)")
            con.execute(f"ATTACH {_literal(temp)} AS dst")
            con.execute("COPY FROM DATABASE src TO dst")
        finally:
            con.close()
        Store(temp, wait=store.wait, backups=False)  # migrates an older backup
        forget_gate(str(temp))
        saved = None
        if target.exists() and _has_content(store):
            saved = backup_dir(store) / f"{target.stem}-before-restore-{_stamp()}.duckdb"
            backup(store, saved)
        _take_place(store, temp)
        return saved
    finally:
        forget_gate(str(temp))
        _remove(temp)


def _has_content(store: Store) -> bool:
    with store.reading() as snap:
        counts = [*snap.table_counts().values(), snap.count("import_batches"), snap.count("audit_log")]
    return any(counts)


@contextlib.contextmanager
def rebuilding(store: Store) -> Iterator[Store]:
    """A fresh, empty store beside ``store``; when the block ends without error, it takes the
    database's place whole (an in-memory store is rebuilt in place).

    Nothing of the real database changes until the very end, so a build that
    stops midway (an error, Ctrl-C, a kill) leaves it as it was.
    """
    from .store import Store

    if store.is_memory:
        yield store
        return
    target = Path(store.path)
    _remove_stale(target)
    temp = _temp_beside(target, "build")
    try:
        fresh = Store(temp, wait=store.wait, backups=False)
        with fresh.writer():
            yield fresh
        forget_gate(str(temp))
        _take_place(store, temp)
    finally:
        forget_gate(str(temp))
        _remove(temp)
