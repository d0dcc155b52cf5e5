"""Finding the rows a path names, answering 404 the way Mailchimp does when they are gone."""

from __future__ import annotations

import sqlite3

from reconciler.sandbox.mailchimp.problems import not_found
from reconciler.sandbox.mailchimp.store import rowid_of_contact_id, subscriber_hash


def require_list(db: sqlite3.Connection, list_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute("SELECT * FROM lists WHERE id = ?", (list_id,)).fetchone()
    if row is None:
        raise not_found()
    return row


def member_key(key: str) -> str:
    """The subscriber hash a member path segment stands for.

    The current spec also accepts the raw email address in the path; a hash is 32 hex
    characters and an address always has an `@`, so the two cannot be confused.
    """
    return subscriber_hash(key) if "@" in key else key.lower()


def find_member(db: sqlite3.Connection, list_id: str, key: str) -> sqlite3.Row | None:
    """The member a path segment names: subscriber hash, email address or contact_id."""
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM members WHERE list_id = ? AND hash = ?", (list_id, member_key(key))
    ).fetchone()
    rowid = rowid_of_contact_id(key) if row is None and "@" not in key else None
    if rowid is not None:
        row = db.execute(
            "SELECT * FROM members WHERE list_id = ? AND id = ?", (list_id, rowid)
        ).fetchone()
    return row


def require_member(db: sqlite3.Connection, list_id: str, key: str) -> sqlite3.Row:
    row = find_member(db, list_id, key)
    if row is None:
        raise not_found()
    return row


def require_segment(db: sqlite3.Connection, list_id: str, segment_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = None
    if segment_id.isdigit():
        row = db.execute(
            "SELECT * FROM segments WHERE list_id = ? AND id = ?", (list_id, int(segment_id))
        ).fetchone()
    if row is None:
        raise not_found()
    return row


def require_category(db: sqlite3.Connection, list_id: str, category_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM interest_categories WHERE list_id = ? AND id = ?", (list_id, category_id)
    ).fetchone()
    if row is None:
        raise not_found()
    return row
