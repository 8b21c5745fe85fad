"""Taking turns on the database file: one writer at a time, many readers, nobody in between.

DuckDB lets one process open a file read-write, or several processes open it
read-only, never both at once. So no process keeps the file open between
operations: a reader opens it read-only, reads what it needs and closes it; a
writer opens it read-write for one transaction and closes it. This module
decides who goes next:

- **Between the threads of one process** (the Streamlit server's sessions), a
  :class:`Gate` per file: readers share one read-only connection (a cursor
  each), a writer has the file alone, and a waiting writer goes before
  readers that arrive after it.
- **Between processes** (the app, ``import`` from a scheduler, a cron
  ``report``), advisory locks on ``<database>.lock``: byte 0 is the writers'
  queue (a writer holds it from the moment it starts waiting until it is
  done; a reader passes through it before entering, so it lets a waiting
  writer go first), byte 1 is the file (readers share it, a writer holds it
  alone).
- **Anything else** holding the file (another program, an older version of
  this one) is met by DuckDB's own lock: opening is retried until the wait
  runs out.

Every wait is bounded (:data:`DEFAULT_WAIT_SECONDS`). When it runs out,
:class:`StoreBusy` says which process holds the file, how, and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

try:  # POSIX only; elsewhere DuckDB's own lock (and the retries) still keep writers apart.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "Gate",
    "StoreBusy",
    "StoreError",
    "busy_message",
    "forget_gate",
    "gate_for",
]

#: How long a reader or writer waits for the file by default (``--wait``, ``ENTITLEMENTS_DB_WAIT_SECONDS``).
DEFAULT_WAIT_SECONDS = 30.0

_QUEUE, _FILE = 0, 1


class StoreError(RuntimeError):
    """A database problem worth a one-line message (locked file, newer schema...)."""


class StoreBusy(StoreError):
    """The wait for the database file ran out: another process (or session) kept it."""


def _program(pid: int) -> str:
    """The command line of a process, shortened (empty when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [w for w in raw.decode(errors="replace").split("\0") if w]
    text = " ".join(" ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words)).split())
    return text if len(text) <= 80 else text[:77] + "..."


def busy_message(
    path: str, waited: float, *, pid: int | None, writing: bool, holder_writes: bool | None
) -> str:
    """The one line a user reads when the wait for the file ran out."""
    if pid == os.getpid():
        who = f"another session of this process (PID {pid})"
    elif pid is not None:
        program = _program(pid)
        who = f"process {pid}" + (f" ({program})" if program else "")
    else:
        who = "another program"
    doing = {True: " is writing to it", False: " is reading it", None: " holds it"}[holder_writes]
    want = "write to" if writing else "read"
    return (
        f"database {path} is busy: {who}{doing}, and it did not finish within {waited:g} s, so this "
        f"could not {want} it. Try again when it is done, or wait longer (--wait SECONDS, or "
        "ENTITLEMENTS_DB_WAIT_SECONDS for the app)"
    )


class _FileLock:
    """The two advisory locks on ``<database>.lock`` (see the module docstring).

    POSIX record locks belong to the process, so this object is the only
    user of the lock file in a process (one :class:`Gate` per file) and keeps
    its descriptor open for the life of the process.
    """

    def __init__(self, db_path: str) -> None:
        self.path = db_path + ".lock"
        self._fd: int | None = None
        self._tried = False

    def _descriptor(self) -> int | None:
        if not self._tried:
            self._tried = True
            for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
                try:
                    self._fd = os.open(self.path, flags, 0o666)
                    break
                except OSError:
                    continue
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None

    def try_lock(self, byte: int, *, exclusive: bool) -> bool:
        fd = self._descriptor()
        if fd is None or fcntl is None:
            return True
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        try:
            fcntl.lockf(fd, mode, 1, byte)
        except (BlockingIOError, PermissionError):
            return False
        except OSError:
            # A file system without locks (some network mounts): DuckDB's own lock still applies.
            return True
        return True

    def unlock(self, byte: int) -> None:
        fd = self._descriptor()
        if fd is not None and fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, byte)

    def holder(self, byte: int) -> tuple[int | None, bool | None]:
        """(PID, holds it exclusively) of a process holding ``byte`` against an exclusive lock."""
        fd = self._descriptor()
        if fd is None or fcntl is None:
            return None, None
        # struct flock on Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
        layout = "hhqqi"
        probe = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, byte, 1, 0)
        try:
            kind, _, _, _, pid = struct.unpack(layout, fcntl.fcntl(fd, fcntl.F_GETLK, probe))
        except (OSError, struct.error):
            return None, None
        if kind == fcntl.F_UNLCK:
            return None, None
        return pid, kind == fcntl.F_WRLCK


_DUCKDB_HOLDER = re.compile(r"PID (\d+)")


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


class Gate:
    """Who uses one database file next, for the threads of this process and other processes.

    ``opener(read_only)`` opens a DuckDB connection to the file. Readers share
    one read-only connection (each takes cursors of it); a writer opens its
    own read-write connection. Both calls wait until ``deadline``
    (``time.monotonic()``) at the latest.
    """

    def __init__(self, path: str, opener: Callable[[bool], duckdb.DuckDBPyConnection], *, file_lock: bool):
        self.path = path
        self._open = opener
        self._lock = _FileLock(path) if file_lock else None
        self._cond = threading.Condition()
        self._readers = 0
        self._read_con: duckdb.DuckDBPyConnection | None = None
        self._writer: int | None = None
        self._waiting_writers = 0
        self._opening = False

    # -- readers ------------------------------------------------------------
    def acquire_read(self, deadline: float, wait: float) -> duckdb.DuckDBPyConnection:
        """The shared read-only connection, opened for the first reader."""
        with self._cond:
            while (
                self._writer is not None
                or self._waiting_writers
                or self._opening
                or (self._readers and self._writer_queued_elsewhere())
            ):
                if time.monotonic() >= deadline:
                    pid, writes = (os.getpid(), True) if self._lock is None else self._lock.holder(_QUEUE)
                    raise StoreBusy(
                        busy_message(self.path, wait, pid=pid, writing=False, holder_writes=writes)
                    )
                # Poll while another process's writer waits for this process's readers to leave.
                self._cond.wait(timeout=min(0.02, max(deadline - time.monotonic(), 0)))
            if self._readers:
                self._readers += 1
                assert self._read_con is not None
                return self._read_con
            self._opening = True
        try:
            con = self._enter(deadline, wait, writing=False)
        except BaseException:
            with self._cond:
                self._opening = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._opening = False
            self._readers = 1
            self._read_con = con
            self._cond.notify_all()
        return con

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if self._readers:
                return
            con, self._read_con = self._read_con, None
            try:
                if con is not None:
                    con.close()
            finally:
                if self._lock is not None:
                    self._lock.unlock(_FILE)
                self._cond.notify_all()

    def _writer_queued_elsewhere(self) -> bool:
        """A writer of another process waits for the file (it holds the writers' queue)."""
        if self._lock is None:
            return False
        if self._lock.try_lock(_QUEUE, exclusive=False):
            self._lock.unlock(_QUEUE)
            return False
        return True

    # -- writers ------------------------------------------------------------
    def acquire_write(self, deadline: float, wait: float) -> duckdb.DuckDBPyConnection:
        """A read-write connection of this thread's own, once nobody else uses the file."""
        with self._cond:
            self._waiting_writers += 1
            try:
                while self._writer is not None or self._readers or self._opening:
                    if time.monotonic() >= deadline:
                        raise StoreBusy(
                            busy_message(
                                self.path,
                                wait,
                                pid=os.getpid(),
                                writing=True,
                                holder_writes=self._writer is not None,
                            )
                        )
                    self._cond.wait(timeout=max(deadline - time.monotonic(), 0))
            finally:
                self._waiting_writers -= 1
            self._writer = threading.get_ident()
        try:
            return self._enter(deadline, wait, writing=True)
        except BaseException:
            with self._cond:
                self._writer = None
                self._cond.notify_all()
            raise

    def release_write(self, con: duckdb.DuckDBPyConnection | None) -> None:
        try:
            if con is not None:
                con.close()
        finally:
            if self._lock is not None:
                self._lock.unlock(_FILE)
                self._lock.unlock(_QUEUE)
            with self._cond:
                self._writer = None
                self._cond.notify_all()

    # -- the file -----------------------------------------------------------
    def _enter(self, deadline: float, wait: float, *, writing: bool) -> duckdb.DuckDBPyConnection:
        """Take the cross-process locks, then open the file; retry until the deadline."""
        lock = self._lock
        queued = lock is None or not writing  # a writer first takes its place in the writers' queue
        pause = 0.005
        try:
            while True:
                holder: tuple[int | None, bool | None] = (None, None)
                if not queued:
                    assert lock is not None
                    queued = lock.try_lock(_QUEUE, exclusive=True)
                    if not queued:
                        holder = (lock.holder(_QUEUE)[0], True)
                if queued:
                    if lock is not None and not writing and self._writer_queued_elsewhere():
                        holder = (lock.holder(_QUEUE)[0], True)
                    elif lock is not None and not lock.try_lock(_FILE, exclusive=writing):
                        holder = lock.holder(_FILE)
                    else:
                        try:
                            return self._open(not writing)
                        except duckdb.Error as exc:
                            if lock is not None:
                                lock.unlock(_FILE)
                            if not _is_lock_conflict(exc):
                                raise StoreError(f"cannot open database {self.path}: {exc}") from exc
                            found = _DUCKDB_HOLDER.search(str(exc))
                            holder = (int(found.group(1)) if found else None, None)
                if time.monotonic() >= deadline:
                    pid, writes = holder
                    raise StoreBusy(
                        busy_message(self.path, wait, pid=pid, writing=writing, holder_writes=writes)
                    )
                time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
                pause = min(pause * 2, 0.1)
        except BaseException:
            if lock is not None and writing and queued:
                lock.unlock(_QUEUE)
            raise


class VersionFile:
    """``<database>.version``: the data version and a token, rewritten after every change.

    Readers compare it with what they cached, without opening (or locking)
    the database. It is replaced in one rename, so it is never read half
    written.
    """

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def number(self) -> int | None:
        try:
            return int((self.read() or "").split()[0])
        except (ValueError, IndexError):
            return None

    def write(self, number: int) -> None:
        temp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            temp.write_text(f"{number} {uuid.uuid4().hex}\n", encoding="utf-8")
            os.replace(temp, self.path)
        except OSError:
            # Readers then reload at the next change they see; the data itself is committed.
            temp.unlink(missing_ok=True)


_GATES: dict[str, Gate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(path: str, opener: Callable[[bool], duckdb.DuckDBPyConnection]) -> Gate:
    """The process's one gate for a database file (every Store of that file shares it)."""
    key = os.path.realpath(path)
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = Gate(path, opener, file_lock=True)
        return gate


def forget_gate(path: str) -> None:
    """Drop the gate of a file that is gone (a temporary build), closing its lock file."""
    with _GATES_LOCK:
        gate = _GATES.pop(os.path.realpath(path), None)
    if gate is not None and gate._lock is not None:
        gate._lock.close()


def _forget_gates() -> None:
    # A forked child owns none of its parent's locks or connections.
    global _GATES_LOCK
    _GATES.clear()
    _GATES_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_gates)
