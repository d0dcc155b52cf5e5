"""Creating and changing members: the rules shared by POST/PUT/PATCH and batch subscribe.

From the fact sheet (2.6): statuses are subscribed, unsubscribed, cleaned, pending and
transactional (archived only through DELETE); an email change onto an address already
on the list is 400 "Member Exists"; re-adding a permanently deleted address is 400
"Forgotten Email Not Subscribed"; subscribing a contact that is unsubscribed or cleaned
is 400 "Member In Compliance State" (re-adding them as `pending` is allowed, the
documented workaround). Unknown interest ids are refused.

Choices where the sheet is silent: an archived contact counts as absent, so PUT or POST
re-adds it with the status sent; `tags` on a write add tags and never remove them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.mailchimp.merge_fields import load_merge_fields
from reconciler.sandbox.mailchimp.merge_values import write_values
from reconciler.sandbox.mailchimp.problems import FieldError, Problem, invalid, invalid_fields
from reconciler.sandbox.mailchimp.store import now, subscriber_hash
from reconciler.sandbox.mailchimp.tags import add_tags, require_tag_names
from reconciler.sandbox.mailchimp.validate import BodyCheck

STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
#: SPEC55's PATCH status enum leaves out `transactional`.
PATCH_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending")
EMAIL_TYPES = ("html", "text")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
SOURCE = "API - Generic"
UNSUBSCRIBE_REASON = "Unsubscribed through the API"


@dataclass
class MemberInput:
    """A member write body, type-checked; None means "not sent"."""

    email_address: str | None = None
    status: str | None = None
    status_if_new: str | None = None
    email_type: str | None = None
    merge_fields: Any = None
    interests: dict[str, bool] | None = None
    language: str | None = None
    vip: bool | None = None
    location: dict[str, Any] | None = None
    ip_signup: str | None = None
    timestamp_signup: str | None = None
    ip_opt: str | None = None
    timestamp_opt: str | None = None
    tags: list[str] | None = None


def read_input(body: dict[str, Any], statuses: tuple[str, ...] = STATUSES) -> MemberInput:
    check = BodyCheck(body)
    inp = MemberInput(
        email_address=check.string("email_address"),
        status=check.choice("status", statuses),
        status_if_new=check.choice("status_if_new", STATUSES),
        email_type=check.choice("email_type", EMAIL_TYPES),
        merge_fields=body.get("merge_fields"),
        language=check.string("language"),
        vip=check.boolean("vip"),
        ip_signup=check.string("ip_signup"),
        timestamp_signup=check.string("timestamp_signup"),
        ip_opt=check.string("ip_opt"),
        timestamp_opt=check.string("timestamp_opt"),
        tags=check.strings("tags"),
    )
    interests = check.obj("interests")
    if interests is not None:
        inp.interests = {}
        for key, value in interests.body.items():
            if isinstance(value, bool):
                inp.interests[key] = value
            else:
                interests.add(key, "This value should be true or false.")
    location = check.obj("location")
    if location is not None:
        inp.location = {
            k: location.body[k] for k in ("latitude", "longitude") if k in location.body
        }
    check.raise_if_any()
    if inp.email_address is not None and not EMAIL_PATTERN.match(inp.email_address.strip()):
        raise invalid("Please provide a valid email address.")
    require_tag_names(inp.tags)
    return inp


def compliance_problem(email: str) -> Problem:
    return Problem(
        400,
        "Member In Compliance State",
        f"{email} is in a compliance state (unsubscribed or bounced) and cannot be"
        " subscribed; re-add them as pending to send an opt-in confirmation.",
    )


def member_exists(email: str) -> Problem:
    return Problem(
        400,
        "Member Exists",
        f"{email} is already a list member; use PUT to insert or update list members.",
    )


class MemberWriter:
    """Writes members of one audience; loads its merge fields and interests once."""

    def __init__(
        self, db: sqlite3.Connection, list_id: str, *, skip_merge_validation: bool
    ) -> None:
        self.db = db
        self.list_id = list_id
        self.skip = skip_merge_validation
        self.fields = load_merge_fields(db, list_id)
        self.interest_ids = {
            r[0] for r in db.execute("SELECT id FROM interests WHERE list_id = ?", (list_id,))
        }

    def _check_interests(self, interests: dict[str, bool] | None) -> None:
        for interest_id in interests or {}:
            if interest_id not in self.interest_ids:
                raise invalid(f"Invalid interest ID: '{interest_id}'.")

    def _apply_interests(self, member_id: int, interests: dict[str, bool] | None) -> None:
        for interest_id, chosen in (interests or {}).items():
            if chosen:
                self.db.execute(
                    "INSERT OR IGNORE INTO member_interests (interest_id, member_id) VALUES (?, ?)",
                    (interest_id, member_id),
                )
            else:
                self.db.execute(
                    "DELETE FROM member_interests WHERE interest_id = ? AND member_id = ?",
                    (interest_id, member_id),
                )

    def create(self, inp: MemberInput, status: str) -> int:
        """Inserts a new member and returns its rowid."""
        assert inp.email_address is not None
        email = inp.email_address.strip()
        key = subscriber_hash(email)
        if self.db.execute(
            "SELECT 1 FROM forgotten WHERE list_id = ? AND hash = ?", (self.list_id, key)
        ).fetchone():
            raise Problem(
                400,
                "Forgotten Email Not Subscribed",
                f"{email} was permanently deleted and can only re-subscribe through a signup form.",
            )
        values = write_values(
            self.fields, inp.merge_fields, {}, creating=True, skip_validation=self.skip
        )
        self._check_interests(inp.interests)
        stamp = now()
        cursor = self.db.execute(
            "INSERT INTO members (list_id, hash, email, email_type,"
            " status, merge_fields, language, vip, ip_signup, timestamp_signup, ip_opt,"
            " timestamp_opt, last_changed, source, unsubscribe_reason, member_rating, location)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.list_id,
                key,
                email,
                inp.email_type or "html",
                status,
                json.dumps(values),
                inp.language or "",
                int(bool(inp.vip)),
                inp.ip_signup or "",
                inp.timestamp_signup or "",
                inp.ip_opt or "",
                inp.timestamp_opt or (stamp if status == "subscribed" else ""),
                stamp,
                SOURCE,
                UNSUBSCRIBE_REASON if status == "unsubscribed" else "",
                2,
                json.dumps(inp.location or {}),
            ),
        )
        member_id = int(cursor.lastrowid or 0)
        self._apply_interests(member_id, inp.interests)
        add_tags(self.db, self.list_id, member_id, inp.tags or [])
        return member_id

    def update(self, row: sqlite3.Row, inp: MemberInput, status: str | None) -> int:
        """Applies a write to an existing member (archived ones come back with `status`)."""
        email, key = row["email"], row["hash"]
        if inp.email_address is not None and inp.email_address.strip().lower() != email.lower():
            email = inp.email_address.strip()
            key = subscriber_hash(email)
            if self.db.execute(
                "SELECT 1 FROM members WHERE list_id = ? AND hash = ?", (self.list_id, key)
            ).fetchone():
                raise member_exists(email)
        elif inp.email_address is not None:
            email = inp.email_address.strip()  # a case-only change keeps the hash
        old = row["status"]
        new = status or old
        if new == "subscribed" and old in ("unsubscribed", "cleaned"):
            raise compliance_problem(email)
        stored = json.loads(row["merge_fields"])
        values = write_values(
            self.fields, inp.merge_fields, stored, creating=False, skip_validation=self.skip
        )
        self._check_interests(inp.interests)
        stamp = now()
        timestamp_opt = inp.timestamp_opt or row["timestamp_opt"]
        if new == "subscribed" and old != "subscribed" and not inp.timestamp_opt:
            timestamp_opt = stamp
        reason = row["unsubscribe_reason"]
        if new == "unsubscribed" and old != "unsubscribed":
            reason = UNSUBSCRIBE_REASON
        location = {**json.loads(row["location"]), **(inp.location or {})}
        self.db.execute(
            "UPDATE members SET hash = ?, email = ?, email_type = ?, status = ?,"
            " merge_fields = ?, language = ?, vip = ?, ip_signup = ?, timestamp_signup = ?,"
            " ip_opt = ?, timestamp_opt = ?, last_changed = ?, unsubscribe_reason = ?,"
            " location = ? WHERE id = ?",
            (
                key,
                email,
                inp.email_type or row["email_type"],
                new,
                json.dumps(values),
                row["language"] if inp.language is None else inp.language,
                row["vip"] if inp.vip is None else int(inp.vip),
                row["ip_signup"] if inp.ip_signup is None else inp.ip_signup,
                row["timestamp_signup"] if inp.timestamp_signup is None else inp.timestamp_signup,
                row["ip_opt"] if inp.ip_opt is None else inp.ip_opt,
                timestamp_opt,
                stamp,
                reason,
                json.dumps(location),
                row["id"],
            ),
        )
        self._apply_interests(row["id"], inp.interests)
        add_tags(self.db, self.list_id, row["id"], inp.tags or [])
        return int(row["id"])


def require_new_status(inp: MemberInput, *, field: str) -> str:
    """The status a new (or archived) contact gets, or 400 naming the missing field."""
    status = inp.status_if_new or inp.status
    if status is None:
        raise invalid_fields([FieldError(field, "This field is required for a new member.")])
    return status
