"""Saved-segment conditions: checked on write, compiled to SQL for `member_count`.

Every condition type of the fact sheet's table (2.4) is accepted, with its `op` values
and required keys. Member counts are computed for the types whose data the sandbox
holds:

- TextMerge, SelectMerge (text and number fields; numbers compare numerically),
  DateMerge, BirthdayMerge (`mm/dd`), AddressMerge, EmailAddress (`merge0`/`EMAIL`);
- Interests (`interests-<category_id>`; contains any / all / none of the ids);
- StaticSegment (tag membership, `static_is` / `static_not`);
- Date on `timestamp_opt` and `info_changed` with `value: "date"` and `extra: YYYY-MM-DD`;
- Language, MemberRating, SignupSource, VIP.

The sandbox holds no campaign, e-commerce, automation, survey, goal, geo, social or
prediction data, so for the other types (and Date/NewSubscribers forms other than the
above) a member "has none": positive ops match nobody, negated ops (`not`, `noopen`,
`notmember`, ...) match everybody.

Choices where the sheet is silent: text comparisons ignore case; a merge condition must
name a merge tag of the audience (of a fitting type for date, birthday and address), an
Interests condition a category of the audience and ids within it, a StaticSegment
condition an existing tag (0 is refused, as recorded); `match` defaults to "any"; at
least one condition is required; the UI's 5-condition cap is not enforced.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.mailchimp.merge_fields import MergeField, load_merge_fields
from reconciler.sandbox.mailchimp.merge_values import BadValue, parse_birthday, parse_date
from reconciler.sandbox.mailchimp.problems import FieldError, invalid_fields

F, OP, V = "field", "op", "value"
_TEXT_OPS = ("is", "not", "contains", "notcontain", "starts", "ends", "greater", "less")
_SOCIAL = ("is", "not")
#: condition_type -> (op values, required keys), per the fact sheet's table.
SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "TextMerge": ((*_TEXT_OPS, "blank", "blank_not"), (F, OP)),
    "SelectMerge": (("is", "not", "blank", "blank_not", "contains", "notcontain"), (F, OP)),
    "DateMerge": (("is", "not", "less", "greater", "blank", "blank_not"), (F, OP)),
    "BirthdayMerge": (("is", "not", "blank", "blank_not"), (F, OP)),
    "AddressMerge": (("contains", "notcontain", "blank", "blank_not"), (F, OP)),
    "ZipMerge": (("geoin",), (F, OP, V, "extra")),
    "EmailAddress": (_TEXT_OPS, (F, OP)),
    "Interests": (("interestcontains", "interestcontainsall", "interestnotcontains"), ()),
    "StaticSegment": (("static_is", "static_not"), (F, OP, V)),
    "Date": (
        ("greater", "less", "is", "not", "blank", "blank_not", "within", "notwithin"),
        (F, OP, V),
    ),
    "NewSubscribers": (("date_within",), ()),
    "Aim": (("open", "click", "sent", "noopen", "noclick", "nosent"), ()),
    "Automation": (("started", "completed", "not_started", "not_completed"), (F, OP, V)),
    "CampaignPoll": (("member", "notmember"), (F, OP, V)),
    "Conversation": (("member", "notmember"), (F, OP, V)),
    "EmailClient": (("client_is", "client_not"), (F, OP, V)),
    "Language": (("is", "not"), (F, OP, V)),
    "MemberRating": (("is", "not", "greater", "less"), (F, OP, V)),
    "SignupSource": (("source_is", "source_not"), (F, "condition_type", OP)),
    "SurveyMonkey": (("started", "completed", "not_started", "not_completed"), (F, OP, V)),
    "VIP": (("member", "notmember"), (F, OP)),
    "EcommCategory": (("is", "not", "contains", "notcontain", "starts", "ends"), ()),
    "EcommNumber": (("is", "not", "greater", "less"), (F, OP, V)),
    "EcommPurchased": (("member", "notmember"), ()),
    "EcommSpent": (("greater", "less"), ()),
    "EcommStore": (("is", "not"), ()),
    "GoalActivity": (
        ("is", "goal_not", "contains", "goal_notcontain", "starts", "ends"),
        (F, OP, V),
    ),
    "GoalTimestamp": (("greater", "less", "is"), (F, OP, V)),
    "FuzzySegment": (("fuzzy_is", "fuzzy_not"), (F, OP, V)),
    "IPGeoCountryState": (
        ("ipgeocountry", "ipgeonotcountry", "ipgeostate", "ipgeonotstate"),
        (F, OP, V),
    ),
    "IPGeoIn": (("ipgeoin", "ipgeonotin"), (F, OP, V, "addr", "lat", "lng")),
    "IPGeoInZip": (("ipgeoinzip",), (F, OP, V, "extra")),
    "IPGeoZip": (("ipgeoiszip", "ipgeonotzip"), (F, OP, V)),
    "IPGeoUnknown": (("ipgeounknown",), (F, OP)),
    "SocialAge": (_SOCIAL, (F, OP, V)),
    "SocialGender": (_SOCIAL, (F, OP, V)),
    "SocialInfluence": (("is", "not", "greater", "less"), (F, OP, V)),
    "SocialNetworkMember": (("member", "notmember"), (F, OP, V)),
    "SocialNetworkFollow": (("follow", "notfollow"), (F, OP, V)),
    "PredictedGender": (_SOCIAL, (F, OP, V)),
    "PredictedAge": (("is",), (F, OP, V)),
}
NEGATED_OPS = frozenset(
    (
        "not",
        "notcontain",
        "noopen",
        "noclick",
        "nosent",
        "not_started",
        "not_completed",
        "notmember",
        "client_not",
        "source_not",
        "goal_not",
        "goal_notcontain",
        "fuzzy_not",
        "ipgeonotcountry",
        "ipgeonotstate",
        "ipgeonotin",
        "ipgeonotzip",
        "notfollow",
        "notwithin",
        "static_not",
        "interestnotcontains",
    )
)
KEPT_KEYS = ("condition_type", "field", "op", "value", "extra", "addr", "lat", "lng")
MERGE_TYPES_FOR = {
    "DateMerge": ("date",),
    "BirthdayMerge": ("birthday",),
    "AddressMerge": ("address", "zip"),
    "ZipMerge": ("address", "zip"),
}
Sql = tuple[str, list[Any]]


@dataclass
class SegmentOptions:
    match: str
    conditions: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"match": self.match, "conditions": self.conditions}


class _Audience:
    """What conditions may refer to in one audience."""

    def __init__(self, db: sqlite3.Connection, list_id: str) -> None:
        self.fields = {f.tag: f for f in load_merge_fields(db, list_id)}
        self.interests: dict[str, set[str]] = {}
        for category_id, interest_id in db.execute(
            "SELECT c.id, i.id FROM interest_categories c LEFT JOIN interests i"
            " ON i.category_id = c.id WHERE c.list_id = ?",
            (list_id,),
        ):
            self.interests.setdefault(category_id, set())
            if interest_id:
                self.interests[category_id].add(interest_id)
        self.tags = {
            r[0]
            for r in db.execute(
                "SELECT id FROM segments WHERE list_id = ? AND type = 'static'", (list_id,)
            )
        }

    def field(self, name: Any) -> MergeField | None:
        return self.fields.get(str(name).upper())


def _interest_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _check_one(audience: _Audience, cond: dict[str, Any], path: str) -> list[FieldError]:
    kind = cond.get("condition_type")
    if kind not in SPECS:
        return [FieldError(f"{path}.condition_type", "Unknown condition_type.")]
    ops, required = SPECS[kind]
    errors = [
        FieldError(f"{path}.{k}", "This field is required.") for k in required if k not in cond
    ]
    op, value = cond.get("op"), cond.get("value")
    if op is not None and op not in ops:
        errors.append(FieldError(f"{path}.op", f"Use one of: {', '.join(ops)}."))
    field = audience.field(cond.get("field"))
    if kind in ("TextMerge", "SelectMerge", *MERGE_TYPES_FOR):
        if field is None:
            errors.append(FieldError(f"{path}.field", "No merge field has this tag."))
        elif kind in MERGE_TYPES_FOR and field.type not in MERGE_TYPES_FOR[kind]:
            errors.append(FieldError(f"{path}.field", f"A {field.type} field cannot be used here."))
        elif op in ("is", "not", "greater", "less") and value is not None:
            try:
                if field.type == "number":
                    float(value)
                elif kind == "DateMerge":
                    parse_date(str(value), field.options.get("date_format", "MM/DD/YYYY"))
                elif kind == "BirthdayMerge":
                    parse_birthday(str(value), "MM/DD")
            except (BadValue, ValueError):
                errors.append(FieldError(f"{path}.value", "This value does not fit the field."))
    elif kind == "EmailAddress" and str(cond.get("field")) not in ("merge0", "EMAIL"):
        errors.append(FieldError(f"{path}.field", "Use merge0 or EMAIL."))
    elif kind == "Interests":
        category = str(cond.get("field") or "").removeprefix("interests-")
        if category not in audience.interests:
            errors.append(FieldError(f"{path}.field", "Use interests-<category id> of this list."))
        elif not set(_interest_ids(value)) <= audience.interests[category] or not value:
            errors.append(FieldError(f"{path}.value", "Use interest ids of that category."))
        if op is None:
            errors.append(FieldError(f"{path}.op", "This field is required."))
    elif kind == "StaticSegment" and value is not None:
        try:
            tag = int(value)
        except (TypeError, ValueError):
            tag = 0
        if tag not in audience.tags:
            errors.append(FieldError(f"{path}.value", "No tag (static segment) has this id."))
    elif kind in ("MemberRating", "EcommNumber", "SocialInfluence") and value is not None:
        try:
            float(value)
        except (TypeError, ValueError):
            errors.append(FieldError(f"{path}.value", "This value should be a number."))
    return errors


def read_options(db: sqlite3.Connection, list_id: str, raw: Any) -> SegmentOptions:
    """Checks `options{match, conditions}`; 400 with one entry per bad condition part."""
    if not isinstance(raw, dict):
        raise invalid_fields([FieldError("options", "This value should be an object.")])
    match = raw.get("match", "any")
    errors: list[FieldError] = []
    if match not in ("any", "all"):
        errors.append(FieldError("options.match", "Use any or all."))
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        errors.append(FieldError("options.conditions", "Give at least one condition."))
        conditions = []
    audience = _Audience(db, list_id)
    kept: list[dict[str, Any]] = []
    for index, cond in enumerate(conditions):
        path = f"options.conditions[{index}]"
        if not isinstance(cond, dict):
            errors.append(FieldError(path, "This value should be an object."))
            continue
        errors.extend(_check_one(audience, cond, path))
        kept.append({k: cond[k] for k in KEPT_KEYS if k in cond})
    if errors:
        raise invalid_fields(errors)
    return SegmentOptions(str(match), kept)


def _merge_text(field: MergeField | None) -> str:
    if field is None:
        return "''"
    if field.type == "address":
        parts = [
            f"COALESCE(json_extract(m.merge_fields, '$.\"{field.merge_id}\".{k}'), '')"
            for k in ("addr1", "addr2", "city", "state", "zip", "country")
        ]
        return "(" + " || ' ' || ".join(parts) + ")"
    return f"COALESCE(CAST(json_extract(m.merge_fields, '$.\"{field.merge_id}\"') AS TEXT), '')"


def _text(expr: str, op: str, value: Any, numeric: bool = False) -> Sql:
    v = "" if value is None else str(value)
    low = f"lower({expr})"
    if op in ("blank", "blank_not"):
        return (f"{expr} {'=' if op == 'blank' else '!='} ''", [])
    if op in ("is", "not", "greater", "less"):
        sign = {"is": "=", "not": "=", "greater": ">", "less": "<"}[op]
        params: list[Any]
        if numeric:
            sql, params = f"({expr} != '' AND CAST({expr} AS REAL) {sign} ?)", [float(v)]
        else:
            sql, params = f"({expr} != '' AND {low} {sign} lower(?))", [v]
        return (f"NOT {sql}", params) if op == "not" else (sql, params)
    if op in ("contains", "notcontain"):
        return (f"instr({low}, lower(?)) {'>' if op == 'contains' else '='} 0", [v])
    if op == "starts":
        return (f"substr({low}, 1, length(?)) = lower(?)", [v, v])
    if op == "ends":
        return (
            f"(length({expr}) >= length(?) AND substr({low}, length({expr}) - length(?) + 1)"
            " = lower(?))",
            [v, v, v],
        )
    return _no_data(op)


def _no_data(op: str | None) -> Sql:
    return ("1 = 1" if op in NEGATED_OPS else "0 = 1", [])


def _date_column(expr: str, op: str, day: Any) -> Sql:
    if op in ("blank", "blank_not"):
        return _text(expr, op, None)
    sign = {"is": "=", "not": "!=", "greater": ">", "less": "<"}.get(op)
    if sign is None or not isinstance(day, str):
        return _no_data(op)
    return (f"({expr} != '' AND substr({expr}, 1, 10) {sign} ?)", [day[:10]])


def _compile_one(audience: _Audience, cond: dict[str, Any]) -> Sql:
    kind, op, value = cond["condition_type"], cond.get("op"), cond.get("value")
    field = audience.field(cond.get("field"))
    if kind in ("TextMerge", "SelectMerge", "AddressMerge"):
        numeric = field is not None and field.type == "number"
        return _text(_merge_text(field), str(op), value, numeric)
    if kind == "DateMerge":
        if field is not None and value is not None and op not in ("blank", "blank_not"):
            value = parse_date(str(value), field.options.get("date_format", "MM/DD/YYYY"))
        return _text(_merge_text(field), str(op), value)
    if kind == "BirthdayMerge":
        if value is not None and op not in ("blank", "blank_not"):
            value = parse_birthday(str(value), "MM/DD")
        return _text(_merge_text(field), str(op), value)
    if kind == "EmailAddress":
        return _text("m.email", str(op), value)
    if kind == "Interests":
        ids = _interest_ids(value)
        marks = ",".join("?" * len(ids))
        chosen = (
            "(SELECT COUNT(*) FROM member_interests mi WHERE mi.member_id = m.id"
            f" AND mi.interest_id IN ({marks}))"
        )
        if op == "interestcontainsall":
            return (f"{chosen} = ?", [*ids, len(ids)])
        return (f"{chosen} {'>' if op == 'interestcontains' else '='} 0", ids)
    if kind == "StaticSegment":
        sql = (
            "EXISTS (SELECT 1 FROM segment_members sm"
            " WHERE sm.segment_id = ? AND sm.member_id = m.id)"
        )
        return (sql if op == "static_is" else f"NOT {sql}", [int(value or 0)])
    if kind == "Date" and cond.get("field") in ("timestamp_opt", "info_changed"):
        column = "m.timestamp_opt" if cond["field"] == "timestamp_opt" else "m.last_changed"
        if op in ("blank", "blank_not") or value == "date":
            return _date_column(column, str(op), cond.get("extra"))
    if kind == "Language":
        return _text("m.language", "is" if op == "is" else "not", value)
    if kind == "MemberRating":
        return _text("CAST(m.member_rating AS TEXT)", str(op), value, numeric=True)
    if kind == "SignupSource":
        return _text("m.source", "is" if op == "source_is" else "not", value)
    if kind == "VIP":
        return (f"m.vip = {1 if op == 'member' else 0}", [])
    return _no_data(op)


def compile_options(db: sqlite3.Connection, list_id: str, options: SegmentOptions) -> Sql:
    """A WHERE fragment over `members m` selecting the segment's members."""
    audience = _Audience(db, list_id)
    parts: list[Sql] = []
    for cond in options.conditions:
        try:
            parts.append(_compile_one(audience, cond))
        except (BadValue, TypeError, ValueError):
            # A stored value that no longer fits its field (its date format changed since):
            # the condition can hold for nobody.
            parts.append(_no_data(None))
    if not parts:
        return ("0 = 1", [])
    joiner = " AND " if options.match == "all" else " OR "
    sql = joiner.join(f"({p[0]})" for p in parts)
    params = [param for p in parts for param in p[1]]
    return (f"({sql})", params)
