"""The SQLite file behind one sandbox Mailchimp account.

One connection is shared by every thread of the process (`check_same_thread=False`) and
guarded by a lock: SQLite serialises writers anyway, and a single connection keeps the
seek cache and row factory simple. WAL lets another process (a second `espform` run, a
test reading the file) read while this one writes.

`unique_email_id` and `contact_id` are not stored: they are reversible scrambles of the
member's rowid, which keeps two random-valued indexes out of every insert (they made up
a large share of seeding time) while lookups by either stay a primary-key probe.

Member merge values live in one JSON column keyed by `merge_id` rather than by tag, so a
tag rename touches one row instead of every member, and values of a deleted field are
simply never rendered again (merge ids are never reused).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    web_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    date_created TEXT NOT NULL,
    next_merge_id INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS merge_fields (
    list_id TEXT NOT NULL,
    merge_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    required INTEGER NOT NULL,
    default_value TEXT NOT NULL,
    public INTEGER NOT NULL,
    display_order INTEGER NOT NULL,
    options TEXT NOT NULL,
    help_text TEXT NOT NULL,
    PRIMARY KEY (list_id, merge_id),
    UNIQUE (list_id, tag)
);
CREATE TABLE IF NOT EXISTS interest_categories (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    list_id TEXT NOT NULL,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    display_order INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS interest_categories_list
    ON interest_categories (list_id, display_order, seq);
CREATE TABLE IF NOT EXISTS interests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    category_id TEXT NOT NULL,
    list_id TEXT NOT NULL,
    name TEXT NOT NULL,
    display_order INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS interests_category ON interests (category_id, display_order, seq);
CREATE INDEX IF NOT EXISTS interests_list ON interests (list_id, seq);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    options TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_list ON segments (list_id, type, id);
-- Audience webhooks; `events` and `sources` are JSON objects of booleans.
CREATE TABLE IF NOT EXISTS webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    list_id TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    sources TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_list ON webhooks (list_id, seq);
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    email TEXT NOT NULL,
    email_type TEXT NOT NULL,
    status TEXT NOT NULL,
    merge_fields TEXT NOT NULL,
    language TEXT NOT NULL,
    vip INTEGER NOT NULL,
    ip_signup TEXT NOT NULL,
    timestamp_signup TEXT NOT NULL,
    ip_opt TEXT NOT NULL,
    timestamp_opt TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    source TEXT NOT NULL,
    unsubscribe_reason TEXT NOT NULL,
    member_rating INTEGER NOT NULL,
    -- Only what was written (latitude/longitude); the rest of `location` is default.
    location TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS members_hash ON members (list_id, hash);
-- Paging walks (list_id, rowid); status filters and counts use (list_id, status, rowid).
CREATE INDEX IF NOT EXISTS members_list ON members (list_id);
CREATE INDEX IF NOT EXISTS members_status ON members (list_id, status);
CREATE TABLE IF NOT EXISTS member_interests (
    interest_id TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    PRIMARY KEY (interest_id, member_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS member_interests_member ON member_interests (member_id, interest_id);
CREATE TABLE IF NOT EXISTS segment_members (
    segment_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    date_added TEXT NOT NULL,
    PRIMARY KEY (segment_id, member_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS segment_members_member ON segment_members (member_id, segment_id);
CREATE TABLE IF NOT EXISTS forgotten (
    list_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (list_id, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS request_stats (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faults (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    status INTEGER,
    remaining INTEGER NOT NULL,
    retry_after INTEGER,
    latency_ms INTEGER NOT NULL,
    title TEXT,
    detail TEXT
);
"""

#: Real segment ids are large integers; starting high keeps them visibly distinct from
#: merge ids and list positions in tests and logs.
FIRST_SEGMENT_ID = 10_000_001


class Store:
    """The account's SQLite file plus the lock that serialises access to it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        # Seeding and paging a million members touches several large indexes at random
        # places; the default 2 MB page cache makes that disk-bound.
        self.conn.execute("PRAGMA cache_size=-262144")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        #: Bumped on every local write; with `PRAGMA data_version` it tells cached
        #: paging positions whether the member table may have moved underneath them.
        self.generation = 0
        with self.lock:
            self.conn.executescript(SCHEMA)
            self.conn.execute(
                "INSERT OR IGNORE INTO sqlite_sequence (name, seq) "
                "SELECT 'segments', ? WHERE NOT EXISTS "
                "(SELECT 1 FROM sqlite_sequence WHERE name = 'segments')",
                (FIRST_SEGMENT_ID - 1,),
            )

    @contextmanager
    def transaction(
        self, *, write: bool = True, bookkeeping: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """Run a block under the lock in one transaction; roll back if it raises.

        `bookkeeping` marks writes to request counts and faults, which leave account data
        (and so cached paging positions) untouched.
        """
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            if write and not bookkeeping:
                self.generation += 1

    def version(self) -> tuple[int, int]:
        """Changes by this process and by others since the file was opened."""
        with self.lock:
            other = self.conn.execute("PRAGMA data_version").fetchone()[0]
            return self.generation, int(other)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def now() -> str:
    """A timestamp in the API's format, e.g. `2021-11-23T17:05:06+00:00`."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_hex_id() -> str:
    """A 10-hex id, the shape of list, interest-category and interest ids."""
    return secrets.token_hex(5)


def new_web_id() -> int:
    return secrets.randbelow(900_000_000) + 100_000


def subscriber_hash(email: str) -> str:
    """md5 of the trimmed, lower-cased address: the member's id and path key."""
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


_UNIQUE_BITS = 40
_UNIQUE_FACTOR = 0x9E3779B97F  # odd, so multiplying by it is a bijection mod 2**40
_CONTACT_BITS = 128
_CONTACT_FACTOR = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd, likewise mod 2**128
#: XOR masks so that small rowids do not give ids that start with the factor's digits.
_UNIQUE_MASK = 0x5A3C96E1D2
_CONTACT_MASK = 0xD1B54A32D192ED03A5F1D36F1C6EF372


def unique_email_id(rowid: int) -> str:
    """The member's 10-hex `unique_email_id`, a scramble of its rowid."""
    return f"{((rowid * _UNIQUE_FACTOR) % (1 << _UNIQUE_BITS)) ^ _UNIQUE_MASK:010x}"


def contact_id(rowid: int) -> str:
    """The member's 32-hex `contact_id`, a scramble of its rowid."""
    return f"{((rowid * _CONTACT_FACTOR) % (1 << _CONTACT_BITS)) ^ _CONTACT_MASK:032x}"


def _unscramble(text: str, factor: int, mask: int, bits: int, width: int) -> int | None:
    if len(text) != width:
        return None
    try:
        value = int(text, 16)
    except ValueError:
        return None
    rowid = ((value ^ mask) * pow(factor, -1, 1 << bits)) % (1 << bits)
    # Anything else (a random hash, an id from another account) maps far beyond any
    # rowid SQLite could hold; treat it as naming nobody.
    return rowid if rowid < (1 << 62) else None


def rowid_of_unique_email_id(text: str) -> int | None:
    return _unscramble(text.lower(), _UNIQUE_FACTOR, _UNIQUE_MASK, _UNIQUE_BITS, 10)


def rowid_of_contact_id(text: str) -> int | None:
    return _unscramble(text.lower(), _CONTACT_FACTOR, _CONTACT_MASK, _CONTACT_BITS, 32)
