"""The access model: nobody holds the database between operations; bounded waits name the holder.

Other processes are real processes (DuckDB's locks and ours are per
process); threads of one process take turns through its gate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from entitlement_core.store import Store, StoreBusy, StoreError

ROOT = Path(__file__).resolve().parent.parent


def _accounts(n: int, prefix: str = "A") -> pl.DataFrame:
    return pl.DataFrame(
        {"account_id": [f"{prefix}{i}" for i in range(n)], "name": [f"Co {i}" for i in range(n)]}
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shared.duckdb"
    with Store(path) as store, store.transaction() as con:
        store.append(con, "accounts", _accounts(3))
        store.bump_data_version(con)
    return path


class Holder:
    """Another process holding the database: reading (a snapshot) or writing (a transaction)."""

    def __init__(self, db: Path, mode: str) -> None:
        body = {
            "read": "with store.reading() as snap:\n    snap.count('accounts')\n    hold()",
            "write": "with store.transaction() as con:\n    hold()",
            "raw-write": "import duckdb\ncon = duckdb.connect(path)\nhold()",
        }[mode]
        script = (
            textwrap.dedent(
                f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from entitlement_core.store import Store
            path = {str(db)!r}
            store = Store(path)
            def hold():
                print("holding", flush=True)
                sys.stdin.readline()
            """
            )
            + body
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "holding"

    def release(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.wait(timeout=60) == 0


@pytest.fixture
def holder(db: Path) -> Iterator[type[Holder]]:
    made: list[Holder] = []

    def make(database: Path, mode: str) -> Holder:
        h = Holder(database, mode)
        made.append(h)
        return h

    yield make  # type: ignore[misc]
    for h in made:
        if h.proc.poll() is None:
            h.proc.kill()
            h.proc.wait()


def test_nothing_is_held_between_operations(db: Path) -> None:
    store = Store(db)
    store.count("accounts")
    with store.transaction() as con:
        store.append(con, "accounts", _accounts(1, "B"))
    # Another program may now open the file read-write: nobody holds it.
    duckdb.connect(str(db)).close()


def test_readers_of_two_processes_read_at_once(db: Path, holder) -> None:
    reading = holder(db, "read")
    assert Store(db, wait=1).count("accounts") == 3
    reading.release()


def test_a_writer_waits_for_a_reader_and_then_writes(db: Path, holder) -> None:
    reading = holder(db, "read")
    store = Store(db, wait=30)
    release = threading.Timer(0.5, reading.release)
    release.start()
    started = time.monotonic()
    with store.transaction() as con:
        store.append(con, "accounts", _accounts(1, "W"))
    assert time.monotonic() - started >= 0.4
    assert store.count("accounts") == 4
    release.join()  # the holder exits on its own before the fixture would kill it


def test_a_reader_waits_for_a_writer_and_sees_its_commit(db: Path, holder) -> None:
    writing = holder(db, "write")
    release = threading.Timer(0.5, writing.release)
    release.start()
    assert Store(db, wait=30).count("accounts") == 3
    release.join()  # the holder exits on its own before the fixture would kill it


@pytest.mark.parametrize(
    ("mode", "writes", "doing"), [("write", False, "writing to it"), ("read", True, "reading it")]
)
def test_when_the_wait_runs_out_the_message_names_the_holder(
    db: Path, holder, mode: str, writes: bool, doing: str
) -> None:
    held = holder(db, mode)
    with pytest.raises(StoreBusy) as err:
        store = Store(db, wait=0.3)  # opening reads the schema version: a writer already holds it up
        if writes:
            with store.transaction():
                pass
        else:
            store.count("accounts")
    message = str(err.value)
    assert f"process {held.proc.pid}" in message and doing in message, message
    assert "--wait" in message
    held.release()


def test_another_program_holding_the_file_is_waited_for_and_named(db: Path, holder) -> None:
    held = holder(db, "raw-write")
    with pytest.raises(StoreBusy, match=f"process {held.proc.pid}"):
        Store(db, wait=0.3).count("accounts")
    held.release()


def test_a_waiting_writer_goes_before_readers_that_arrive_after_it(db: Path, holder) -> None:
    """Readers arriving while a writer waits let it go first: a stream of reads cannot starve it."""
    store = Store(db, wait=30)
    stop = threading.Event()
    errors: list[BaseException] = []

    def read_forever() -> None:
        reader = Store(db, wait=30)
        while not stop.is_set():
            try:
                with reader.reading() as snap:
                    snap.count("accounts")
                    time.sleep(0.02)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=read_forever) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    started = time.monotonic()
    with store.transaction() as con:
        store.append(con, "accounts", _accounts(1, "S"))
    waited = time.monotonic() - started
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert waited < 5


def test_threads_read_and_write_at_once_without_errors(db: Path) -> None:
    store = Store(db, wait=30)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for j in range(5):
                with store.transaction() as con:
                    store.append(con, "accounts", _accounts(1, f"T{i}-{j}-"))
                    store.bump_data_version(con)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(20):
                with store.reading() as snap:
                    counts = [snap.count("accounts") for _ in range(3)]
                assert len(set(counts)) == 1  # a snapshot does not move
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert store.count("accounts") == 3 + 15
    assert store.data_version() == 1 + 15


def test_the_version_file_changes_with_commits_only(db: Path) -> None:
    store = Store(db)
    first = store.stamp()
    store.table("accounts")
    with store.transaction():
        pass  # nothing changed
    assert store.stamp() == first
    with pytest.raises(RuntimeError), store.transaction() as con:
        store.append(con, "accounts", _accounts(1, "R"))
        store.bump_data_version(con)
        raise RuntimeError("rolled back")
    assert store.stamp() == first
    with store.transaction() as con:
        store.append(con, "accounts", _accounts(1, "C"))
        store.bump_data_version(con)
    assert store.stamp() != first
    assert store.stamp().split()[0] == str(store.data_version())


def test_a_stale_version_file_is_put_right_when_the_store_opens(db: Path) -> None:
    Path(str(db) + ".version").write_text("0 stale\n", encoding="utf-8")
    store = Store(db)
    assert store.stamp().split()[0] == str(store.data_version()) == "1"


def test_reads_inside_a_transaction_see_its_writes(db: Path) -> None:
    store = Store(db)
    with store.transaction() as con:
        store.append(con, "accounts", _accounts(2, "X"))
        assert store.count("accounts") == 5
    assert store.count("accounts") == 5


def test_a_session_is_closed_when_its_block_ends(db: Path) -> None:
    store = Store(db)
    with store.reading() as snap:
        pass
    with pytest.raises(StoreError, match="has ended"):
        snap.count("accounts")


def test_a_write_inside_a_read_session_is_refused(db: Path) -> None:
    store = Store(db)
    with store.reading(), pytest.raises(StoreError, match="read session"), store.transaction():
        pass


def test_a_lazy_scan_reads_from_its_snapshot_on_other_threads(db: Path) -> None:
    from entitlement_core.staging import load_tables

    store = Store(db)
    with store.reading() as snap:
        tables = load_tables(snap)
        assert tables.cases.select("case_id").collect().height == 0
        assert tables.accounts.collect().height == 3
    with pytest.raises(Exception, match="has ended"):
        tables.cases.select("case_id", "account_id").collect()


def test_read_only_store_refuses_writes_and_a_missing_file(tmp_path: Path, db: Path) -> None:
    with pytest.raises(StoreError, match="read-only"), Store(db, read_only=True).transaction():
        pass
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


def test_a_forked_child_opens_the_file_itself(db: Path) -> None:
    store = Store(db)
    with store.reading():
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                Store(db, wait=0.5).count("accounts")
            except BaseException:
                code = 1
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
