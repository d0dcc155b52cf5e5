"""The SQLite store behind one sandbox account: one connection, one lock, short transactions.

The in-process transport calls the app from worker threads and the loopback server from
one thread per connection, so every use of the connection goes through `read()` or
`write()`, which hold a re-entrant lock. Other processes may open the same file at the
same time; WAL mode lets their readers proceed while one of them writes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.sandbox.mailerlite.schema import create_schema

Clock = Callable[[], float]
Params = Sequence[Any]

#: How long a writer waits for another process's write transaction before failing.
BUSY_TIMEOUT_S = 30.0


def format_timestamp(epoch_seconds: float) -> str:
    """MailerLite's timestamp form: `YYYY-MM-DD HH:MM:SS`, UTC, no zone suffix."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def fetch_one(db: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute(sql, params).fetchone()
    return row


def returning(db: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Row:
    """The row an INSERT/UPDATE ... RETURNING statement produced (it must produce one)."""
    row = fetch_one(db, sql, params)
    if row is None:
        raise LookupError(f"statement returned no row: {sql}")
    return row


class Store:
    def __init__(self, db_path: Path | str, clock: Clock = time.time) -> None:
        self.path = str(db_path)
        self.clock = clock
        self._lock = threading.RLock()
        # Bumped by every data write in this process; caches compare it (together with
        # SQLite's data_version for other processes' writes) to know they are still fresh.
        self._data_serial = 0
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable across application crashes in WAL mode and much faster.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            create_schema(self._db, self.now())

    def now(self) -> str:
        return format_timestamp(self.clock())

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several queries (other processes may be writing)."""
        with self._lock:
            if self._db.in_transaction:  # nested inside write(): already consistent
                yield self._db
                return
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    @contextmanager
    def write(self, *, bookkeeping: bool = False) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; rolled back if the block raises.

        `bookkeeping` marks writes that do not change account data (request counters,
        fault queue), so that they do not invalidate caches of account data.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            # Bump before (reads inside the transaction must not see cached pre-write
            # values) and after (nor may later reads see values cached inside it).
            self._bump(bookkeeping)
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._bump(bookkeeping)

    def _bump(self, bookkeeping: bool) -> None:
        if not bookkeeping:
            self._data_serial += 1

    def data_version(self, db: sqlite3.Connection) -> tuple[int, int]:
        """Changes whenever account data may have changed, in this process or another."""
        (external,) = db.execute("PRAGMA data_version").fetchone()
        return self._data_serial, external

    def close(self) -> None:
        with self._lock:
            self._db.close()
