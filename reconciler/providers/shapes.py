"""The keys espform reads from each ESP's objects, and what each must hold.

Checked on every item of a list before it is mapped (see `answers`); keys not named
here are not looked at. Optional keys may be absent but, when present, must have the
type given (null allowed where the fact sheets show null).
"""

from __future__ import annotations

from reconciler.providers.answers import ID, INT, LIST, OBJECT, TEXT, Kind, Shape

_BOOL = Kind("true or false", lambda v: isinstance(v, bool))

#: MailerLite objects by resource kind (`GET /api/fields`, `/api/groups`, `/api/segments`).
MAILERLITE: dict[str, Shape] = {
    "field": Shape(
        {"id": ID, "key": TEXT},
        {"name": TEXT.or_null(), "type": TEXT.or_null(), "is_default": _BOOL.or_null()},
    ),
    "group": Shape({"id": ID, "name": TEXT}),
    "segment": Shape({"id": ID, "name": TEXT}),
    "webhook": Shape(
        {"id": ID, "url": TEXT},
        {"name": TEXT.or_null(), "events": LIST.or_null(), "enabled": _BOOL.or_null()},
    ),
}
#: A subscriber of `GET /api/subscribers?include=groups` (rule-driven groups).
MAILERLITE_SUBSCRIBER = Shape(
    {"id": ID},
    {"email": TEXT.or_null(), "status": TEXT.or_null(), "groups": LIST.or_null()},
)

#: Mailchimp objects by the key of the list that holds them.
MAILCHIMP: dict[str, Shape] = {
    "lists": Shape({"id": ID, "name": TEXT}),
    "merge_fields": Shape(
        {"merge_id": ID, "tag": TEXT},
        {"name": TEXT.or_null(), "type": TEXT.or_null(), "options": OBJECT.or_null()},
    ),
    "categories": Shape({"id": ID, "title": TEXT}, {"display_order": INT.or_null()}),
    "interests": Shape({"id": ID, "name": TEXT}, {"display_order": INT.or_null()}),
    "segments": Shape({"id": ID, "name": TEXT, "type": TEXT}, {"options": OBJECT.or_null()}),
}
#: A contact of `GET /lists/{id}/members` (rule-driven tags), and one of its tags.
MAILCHIMP_MEMBER = Shape(
    {"id": ID, "email_address": TEXT},
    {
        "status": TEXT.or_null(),
        "merge_fields": OBJECT.or_null(),
        "tags": LIST.or_null(),
        "tags_count": INT.or_null(),
        "timestamp_opt": TEXT.or_null(),
        "timestamp_signup": TEXT.or_null(),
    },
)
MAILCHIMP_MEMBER_TAG = Shape({"name": TEXT})
