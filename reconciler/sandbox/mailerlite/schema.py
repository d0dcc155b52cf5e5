"""SQLite schema of a MailerLite sandbox account, and the state every new account starts with.

Creation is idempotent: `create_schema` may run on every open, from any number of processes.
`PRAGMA user_version` marks a database whose first-time seeding (built-in fields, id
sequences) is done, so reopening never re-adds a built-in field or rewinds an id sequence.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_name ON groups (name COLLATE NOCASE, id);

CREATE TABLE IF NOT EXISTS fields (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    key         TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL CHECK (type IN ('text', 'number', 'date')),
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fields_by_name ON fields (name COLLATE NOCASE);

CREATE TABLE IF NOT EXISTS subscribers (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    source           TEXT NOT NULL DEFAULT 'api',
    -- Values by field key; keys without a value are absent (rendered as null).
    fields           TEXT NOT NULL DEFAULT '{}',
    ip_address       TEXT,
    optin_ip         TEXT,
    subscribed_at    TEXT,
    unsubscribed_at  TEXT,
    opted_in_at      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- Cursor paging of /api/subscribers?filter[status]=... walks this index newest first.
CREATE INDEX IF NOT EXISTS subscribers_by_status ON subscribers (status, id);

CREATE TABLE IF NOT EXISTS memberships (
    group_id       INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    -- A copy of subscribers.status: group member pages (filtered by status) and group
    -- counts then read this index alone, even for groups of a million members.
    status         TEXT NOT NULL,
    PRIMARY KEY (group_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_by_status ON memberships (group_id, status, subscriber_id);
CREATE INDEX IF NOT EXISTS memberships_by_subscriber ON memberships (subscriber_id, group_id);

CREATE TABLE IF NOT EXISTS segments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    -- A rule segment matches `rule_field == rule_value` when its members are read;
    -- a list segment (rule_field NULL) has its members in segment_members.
    rule_field    TEXT,
    rule_value    TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS segment_members (
    segment_id     INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    PRIMARY KEY (segment_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS segment_members_by_subscriber ON segment_members (subscriber_id);

-- As the API returns them; `events` is a JSON array. `secret` signs deliveries.
CREATE TABLE IF NOT EXISTS webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    batchable   INTEGER NOT NULL DEFAULT 0,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Automations are made in the app (here, through the admin API) and only read by the API.
-- A group-join trigger keeps its group ids when a group is deleted, as the app does, and
-- the name each group had, kept current on rename by the trigger below.
CREATE TABLE IF NOT EXISTS automations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS automation_triggers (
    automation_id  INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    type           TEXT NOT NULL,
    PRIMARY KEY (automation_id, position)
) WITHOUT ROWID;
-- No foreign key to groups: deleting a group leaves the trigger pointing at it.
CREATE TABLE IF NOT EXISTS automation_trigger_groups (
    automation_id  INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    group_id       INTEGER NOT NULL,
    group_name     TEXT NOT NULL,
    PRIMARY KEY (automation_id, position, group_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS automation_triggers_follow_rename AFTER UPDATE OF name ON groups
BEGIN
    UPDATE automation_trigger_groups SET group_name = NEW.name WHERE group_id = NEW.id;
END;

CREATE TABLE IF NOT EXISTS request_stats (
    scope  TEXT NOT NULL,
    route  TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (scope, route)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS pending_faults (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    status       INTEGER,
    retry_after  INTEGER,
    latency_ms   INTEGER NOT NULL DEFAULT 0,
    drop_conn    INTEGER NOT NULL DEFAULT 0
);
"""

#: First id handed out per table. Real ids are large numeric strings (often above 2**53),
#: so clients that parse them as floats or assume small ids break here as they would live.
ID_BASES: dict[str, int] = {
    "groups": 155_081_463_201_317_000,
    "segments": 158_322_810_644_019_000,
    "subscribers": 165_971_156_405_323_000,
    "fields": 148_220_407_113_905_000,
    "webhooks": 131_474_011_998_962_000,
    "automations": 112_078_014_094_771_000,
}


@dataclass(frozen=True)
class BuiltinField:
    id: int
    name: str
    key: str
    type: str


#: Present in every account with is_default true (recorded lists since 2023; "Zip" display name).
BUILTIN_FIELDS: tuple[BuiltinField, ...] = (
    BuiltinField(1, "Name", "name", "text"),
    BuiltinField(2, "Last name", "last_name", "text"),
    BuiltinField(3, "Company", "company", "text"),
    BuiltinField(4, "Country", "country", "text"),
    BuiltinField(5, "City", "city", "text"),
    BuiltinField(6, "Phone", "phone", "text"),
    BuiltinField(7, "State", "state", "text"),
    BuiltinField(8, "Zip", "z_i_p", "text"),
)


def create_schema(db: sqlite3.Connection, now: str) -> None:
    """Create tables and indexes if missing; seed a brand-new account exactly once.

    `db` must be in autocommit mode. The seeding runs in an IMMEDIATE transaction that
    re-checks the version, so two processes opening a fresh file cannot both seed it.
    """
    db.executescript(DDL)
    db.execute("BEGIN IMMEDIATE")
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version < SCHEMA_VERSION:
            _seed_new_account(db, now)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _seed_new_account(db: sqlite3.Connection, now: str) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO fields (id, name, key, type, is_default, created_at)"
        " VALUES (?, ?, ?, ?, 1, ?)",
        [(f.id, f.name, f.key, f.type, now) for f in BUILTIN_FIELDS],
    )
    for table, base in ID_BASES.items():
        # sqlite_sequence has no unique key on name, so guard the insert by hand.
        db.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT ?, 0"
            " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
            (table, table),
        )
        db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (base, table))
