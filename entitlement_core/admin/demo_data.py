"""The demo data as an administrator sees it: start with it or without it, and remove it.

A new database starts as the ``ENTITLEMENTS_START_WITH`` setting says:
``ask`` (the app offers "load the demo" or "start empty" on its first run),
``demo`` or ``empty``. The choice is recorded in the store (``demo_build``
in ``store_meta``), so a server restarted before anyone chose asks again,
and one that chose never asks.

Removing the demo empties every native table in one transaction, after a
backup (:func:`entitlement_core.backup.backup`, into ``backups/`` beside the
database) and with an audit entry. Demo rows carry no mark of their own: when
data was imported on top of the demo, removing it removes that too, which
:func:`demo_status` says before anyone confirms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..backup import backup, backup_dir
from ..schema import TABLES
from ..session import meta, set_meta
from ..store import Store, StoreError

__all__ = ["DemoRemoval", "DemoStatus", "choose_start", "demo_status", "remove_demo"]

#: ``demo_build`` values: a build ``started`` (unfinished) or ``finished``; ``ask`` awaits the
#: first-run choice; ``empty`` started without the demo; ``removed`` once the demo was removed.
Start = Literal["ask", "empty"]


@dataclass(frozen=True)
class DemoStatus:
    """What the store holds of the demo."""

    #: The ``demo_build`` mark (``None`` for a database the app never built the demo in).
    state: str | None
    #: Rows in the native tables.
    rows: int
    #: Import runs recorded since the store was made (their data goes with the demo).
    imports: int

    @property
    def has_demo(self) -> bool:
        return self.state == "finished" and self.rows > 0

    @property
    def awaits_choice(self) -> bool:
        return self.state == "ask"


@dataclass(frozen=True)
class DemoRemoval:
    """The outcome of removing the demo: where the backup is and how many rows went."""

    backup: Path | None
    rows_removed: int


def demo_status(store: Store) -> DemoStatus:
    """The demo mark, the rows stored and the import runs recorded."""
    with store.reading() as snap:
        state = meta(snap.con, "demo_build")
        counts = [snap.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in TABLES]
        imports = snap.con.execute("SELECT count(DISTINCT run_id) FROM import_batches").fetchone()[0]
    return DemoStatus(state=state, rows=int(sum(counts)), imports=int(imports))


def choose_start(store: Store, start: Start) -> None:
    """Record how a new database starts: ``ask`` (the first-run choice is pending) or ``empty``."""
    with store.transaction() as con:
        set_meta(con, "demo_build", start)


def remove_demo(store: Store, *, actor: str, backup_to: Path | None = None) -> DemoRemoval:
    """Back the database up, then empty every native table in one transaction, audited as ``actor``'s.

    Raises
    ------
    StoreError
        The store holds no finished demo, or the backup or the removal failed
        (then nothing was removed).
    """
    status = demo_status(store)
    if not status.has_demo:
        raise StoreError("this database holds no demo data to remove")
    saved = None
    if not store.is_memory:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        saved = backup(store, backup_to or backup_dir(store) / f"before-demo-removal-{stamp}.duckdb")
    with store.transaction() as con:
        store.clear(con)
        set_meta(con, "demo_build", "removed")
        store.bump_data_version(con)
        store.audit(
            con,
            actor=actor,
            action="remove-demo",
            table_name="*",
            record_id="demo",
            before={"rows": status.rows, "imports": status.imports},
            after={"rows": 0, "backup": str(saved) if saved else None},
        )
    return DemoRemoval(backup=saved, rows_removed=status.rows)
