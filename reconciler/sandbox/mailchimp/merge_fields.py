"""Merge fields (audience fields): `/lists/{list_id}/merge-fields[/{merge_id}]`.

A new audience gets FNAME, LNAME, ADDRESS, PHONE and BIRTHDAY, with the types and
options recorded on real audiences (fact sheet, 2.2): FNAME/LNAME text of size 25 and
public, ADDRESS with `default_country` 164, PHONE with `phone_format` "none", BIRTHDAY
with `date_format` "MM/DD".

Choices where the sheet is silent:
- Tags are upper-cased as sent; a tag longer than 10 characters, or with characters
  other than A-Z, 0-9 and `_`, is refused with 400 Invalid Resource (`errors[].field`
  "tag"); a tag already used on the audience likewise. A missing tag becomes
  `MMERGE<merge_id>`.
- `type` is read-only after creation: a PATCH that sends a different `type` is refused
  with 400 Invalid Resource naming `type`; sending the same type is accepted so that
  full-object PATCHes work. `options.size` is ignored on PATCH (read-only).
- The field allowance is the historical 30 per audience (`merge_field_limit`, returned
  with `total_items` on POST only, as in the current spec).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.mailchimp.context import (
    Ctx,
    Endpoint,
    Reply,
    collection_links,
    item_links,
    no_content,
    ok,
)
from reconciler.sandbox.mailchimp.lookup import require_list
from reconciler.sandbox.mailchimp.problems import FieldError, invalid, invalid_fields, not_found
from reconciler.sandbox.mailchimp.validate import BodyCheck

MERGE_TYPES = (
    "text",
    "number",
    "address",
    "phone",
    "date",
    "url",
    "imageurl",
    "radio",
    "dropdown",
    "birthday",
    "zip",
)
TAG_PATTERN = re.compile(r"^[A-Z0-9_]{1,10}$")
DATE_FORMATS = {"date": ("MM/DD/YYYY", "DD/MM/YYYY"), "birthday": ("MM/DD", "DD/MM")}
PHONE_FORMATS = ("US", "International", "none")
#: EMAIL is addressed as merge0 and is not in this collection, so its tag is taken.
RESERVED_TAGS = frozenset({"EMAIL"})
KIND = "Lists/MergeFields"


@dataclass
class MergeField:
    list_id: str
    merge_id: int
    tag: str
    name: str
    type: str
    required: bool
    default_value: str
    public: bool
    display_order: int
    options: dict[str, Any]
    help_text: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MergeField:
        return cls(
            list_id=row["list_id"],
            merge_id=row["merge_id"],
            tag=row["tag"],
            name=row["name"],
            type=row["type"],
            required=bool(row["required"]),
            default_value=row["default_value"],
            public=bool(row["public"]),
            display_order=row["display_order"],
            options=json.loads(row["options"]),
            help_text=row["help_text"],
        )

    def save(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT OR REPLACE INTO merge_fields (list_id, merge_id, tag, name, type, required,"
            " default_value, public, display_order, options, help_text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.list_id,
                self.merge_id,
                self.tag,
                self.name,
                self.type,
                int(self.required),
                self.default_value,
                int(self.public),
                self.display_order,
                json.dumps(self.options),
                self.help_text,
            ),
        )


def load_merge_fields(db: sqlite3.Connection, list_id: str) -> list[MergeField]:
    rows = db.execute(
        "SELECT * FROM merge_fields WHERE list_id = ? ORDER BY display_order, merge_id",
        (list_id,),
    ).fetchall()
    return [MergeField.from_row(r) for r in rows]


def _default_options(type_: str) -> dict[str, Any]:
    defaults: dict[str, dict[str, Any]] = {
        "text": {"size": 25},
        "address": {"default_country": 164},
        "phone": {"phone_format": "none"},
        "date": {"date_format": "MM/DD/YYYY"},
        "birthday": {"date_format": "MM/DD"},
        "radio": {"choices": []},
        "dropdown": {"choices": []},
    }
    return defaults.get(type_, {})


def add_defaults(db: sqlite3.Connection, list_id: str) -> None:
    """The fields a new audience starts with (EMAIL holds display order 1)."""
    defaults = [
        ("FNAME", "First Name", "text", True),
        ("LNAME", "Last Name", "text", True),
        ("ADDRESS", "Address", "address", False),
        ("PHONE", "Phone Number", "phone", False),
        ("BIRTHDAY", "Birthday", "birthday", False),
    ]
    for merge_id, (tag, name, type_, public) in enumerate(defaults, start=1):
        MergeField(
            list_id,
            merge_id,
            tag,
            name,
            type_,
            False,
            "",
            public,
            merge_id + 1,
            _default_options(type_),
            "",
        ).save(db)
    db.execute("UPDATE lists SET next_merge_id = ? WHERE id = ?", (len(defaults) + 1, list_id))


def _check_tag(check: BodyCheck, raw: str | None) -> str | None:
    if raw is None:
        return None
    tag = raw.strip().upper()
    if not TAG_PATTERN.match(tag):
        check.add("tag", "A merge tag is 1 to 10 characters: letters, digits or underscore.")
        return None
    if tag in RESERVED_TAGS:
        check.add("tag", f"The merge tag {tag} is reserved.")
        return None
    return tag


def _read_options(
    check: BodyCheck, type_: str, current: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    options = dict(current)
    given = check.obj("options")
    if given is None:
        return options
    if type_ in DATE_FORMATS:
        fmt = given.string("date_format")
        if fmt is not None:
            if fmt.upper() in DATE_FORMATS[type_]:
                options["date_format"] = fmt.upper()
            else:
                given.add("date_format", f"Use one of: {', '.join(DATE_FORMATS[type_])}.")
    if type_ == "phone":
        fmt = given.string("phone_format")
        if fmt is not None:
            canonical = {f.lower(): f for f in PHONE_FORMATS}.get(fmt.lower())
            if canonical:
                options["phone_format"] = canonical
            else:
                given.add("phone_format", f"Use one of: {', '.join(PHONE_FORMATS)}.")
    if type_ == "address":
        country = given.integer("default_country")
        if country is not None:
            options["default_country"] = country
    if type_ in ("radio", "dropdown"):
        choices = given.strings("choices")
        if choices is not None:
            options["choices"] = choices
    if type_ == "text" and creating:
        size = given.integer("size")
        if size is not None:
            if 1 <= size <= 255:
                options["size"] = size
            else:
                given.add("size", "The size must be between 1 and 255.")
    return options


def _tag_taken(db: sqlite3.Connection, list_id: str, tag: str, merge_id: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM merge_fields WHERE list_id = ? AND tag = ? AND merge_id != ?",
            (list_id, tag, merge_id),
        ).fetchone()
        is not None
    )


def render(ctx: Ctx, field: MergeField, prefix: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "merge_id": field.merge_id,
        "tag": field.tag,
        "name": field.name,
        "type": field.type,
        "required": field.required,
        "default_value": field.default_value,
        "public": field.public,
        "display_order": field.display_order,
        "options": field.options,
        "help_text": field.help_text,
        "list_id": field.list_id,
    }
    if ctx.wants(prefix + "_links"):
        base = f"/lists/{field.list_id}/merge-fields"
        doc["_links"] = item_links(ctx, f"{base}/{field.merge_id}", base, KIND)
    return doc


def list_merge_fields(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    fields = load_merge_fields(ctx.db, list_id)
    if type_ := ctx.arg("type"):
        fields = [f for f in fields if f.type == type_]
    if (required := ctx.arg("required")) is not None:
        fields = [f for f in fields if f.required == (required.lower() == "true")]
    page = ctx.page()
    base = f"/lists/{list_id}/merge-fields"
    return ok(
        {
            "merge_fields": [
                render(ctx, f, "merge_fields.")
                for f in fields[page.offset : page.offset + page.count]
            ],
            "list_id": list_id,
            "total_items": len(fields),
            "_links": collection_links(ctx, base, f"/lists/{list_id}", KIND),
        }
    )


def create_merge_field(ctx: Ctx, list_id: str) -> Reply:
    require_list(ctx.db, list_id)
    check = BodyCheck(ctx.object_body())
    name = check.string("name", required=True, blank_ok=False)
    type_ = check.choice("type", MERGE_TYPES, required=True)
    tag = _check_tag(check, check.string("tag"))
    required = check.boolean("required")
    default_value = check.string("default_value")
    public = check.boolean("public")
    display_order = check.integer("display_order")
    help_text = check.string("help_text")
    options = _read_options(check, type_, _default_options(type_), creating=True) if type_ else {}
    check.raise_if_any()
    assert name is not None and type_ is not None

    existing = load_merge_fields(ctx.db, list_id)
    if len(existing) >= ctx.settings.merge_field_limit:
        raise invalid(
            f"This audience already has {len(existing)} merge fields, the most its plan allows."
        )
    merge_id = ctx.db.execute(
        "SELECT next_merge_id FROM lists WHERE id = ?", (list_id,)
    ).fetchone()[0]
    if tag is None:
        tag = f"MMERGE{merge_id}"
        while _tag_taken(ctx.db, list_id, tag, merge_id):
            tag += "_"
    elif _tag_taken(ctx.db, list_id, tag, merge_id):
        raise invalid_fields([FieldError("tag", f"The merge tag {tag} is already in use.")])
    order = max((f.display_order for f in existing), default=1) + 1
    field = MergeField(
        list_id,
        merge_id,
        tag,
        name,
        type_,
        bool(required),
        default_value or "",
        bool(public),
        order if display_order is None else display_order,
        options,
        help_text or "",
    )
    field.save(ctx.db)
    ctx.db.execute("UPDATE lists SET next_merge_id = ? WHERE id = ?", (merge_id + 1, list_id))
    doc = render(ctx, field)
    doc["merge_field_limit"] = ctx.settings.merge_field_limit
    doc["total_items"] = len(existing) + 1
    return ok(doc)


def _require_field(ctx: Ctx, list_id: str, merge_id: str) -> MergeField:
    require_list(ctx.db, list_id)
    row = None
    if merge_id.isdigit():
        row = ctx.db.execute(
            "SELECT * FROM merge_fields WHERE list_id = ? AND merge_id = ?",
            (list_id, int(merge_id)),
        ).fetchone()
    if row is None:
        raise not_found()
    return MergeField.from_row(row)


def get_merge_field(ctx: Ctx, list_id: str, merge_id: str) -> Reply:
    return ok(render(ctx, _require_field(ctx, list_id, merge_id)))


def update_merge_field(ctx: Ctx, list_id: str, merge_id: str) -> Reply:
    field = _require_field(ctx, list_id, merge_id)
    check = BodyCheck(ctx.object_body())
    sent_type = check.string("type")
    if sent_type is not None and sent_type != field.type:
        check.add("type", f"The type of a merge field cannot be changed (it is {field.type}).")
    name = check.string("name", blank_ok=False)
    tag = _check_tag(check, check.string("tag"))
    required = check.boolean("required")
    default_value = check.string("default_value")
    public = check.boolean("public")
    display_order = check.integer("display_order")
    help_text = check.string("help_text")
    options = _read_options(check, field.type, field.options, creating=False)
    check.raise_if_any()
    if tag is not None and _tag_taken(ctx.db, list_id, tag, field.merge_id):
        raise invalid_fields([FieldError("tag", f"The merge tag {tag} is already in use.")])
    field.name = name if name is not None else field.name
    field.tag = tag or field.tag
    field.required = field.required if required is None else required
    field.default_value = field.default_value if default_value is None else default_value
    field.public = field.public if public is None else public
    field.display_order = field.display_order if display_order is None else display_order
    field.help_text = field.help_text if help_text is None else help_text
    field.options = options
    field.save(ctx.db)
    return ok(render(ctx, field))


def delete_merge_field(ctx: Ctx, list_id: str, merge_id: str) -> Reply:
    field = _require_field(ctx, list_id, merge_id)
    # Member values stay in the JSON column under the dead merge_id and are never shown
    # again: merge ids are not reused, so deleting a field loses its data as in production.
    ctx.db.execute(
        "DELETE FROM merge_fields WHERE list_id = ? AND merge_id = ?", (list_id, field.merge_id)
    )
    return no_content()


ENDPOINTS = [
    Endpoint("GET", "/lists/{list_id}/merge-fields", list_merge_fields),
    Endpoint("POST", "/lists/{list_id}/merge-fields", create_merge_field),
    Endpoint("GET", "/lists/{list_id}/merge-fields/{merge_id}", get_merge_field),
    Endpoint("PATCH", "/lists/{list_id}/merge-fields/{merge_id}", update_merge_field),
    Endpoint("DELETE", "/lists/{list_id}/merge-fields/{merge_id}", delete_merge_field),
]
