"""Mailchimp's saved-segment condition language, and the canonical form the engine compares.

`CATALOG` describes every condition type of the API (fact sheet, section 2.4): which
`field` it takes, its `op` values, the kind of its `value`, and the keys the API requires.
It is plain data so that the config checks, the provider and the sandbox share one truth.

Config (what users write) and the Mailchimp provider (what the API returns) both turn
conditions into this canonical form, so that the engine can compare them without knowing
Mailchimp:

- A tuple of plain dicts with the keys `condition_type`, `field`, `op` and, when present,
  `value`, `extra`, `addr`, `lat`, `lng`; sorted by their JSON text, because Mailchimp
  ignores the order of conditions under `match: any|all`.
- Values normalised per condition type: numbers as int/float where the type takes a
  number (the API accepts `"5"` and `5` alike), lists of ids sorted.
- References by name instead of id, so a plan reads well and does not depend on ids
  known only after apply:
  * StaticSegment (has tag): `value` is `{"tag": NAME}`;
  * Interests: `field` is `{"interest_category": TITLE}` and `value` a list of
    `{"interest": NAME}` sorted by name.
  An id that cannot be resolved to a name stays as the raw id (an int for a tag, the
  `interests-<id>` field and the id strings for interests), after the named ones.
- Further normalisations, applied on both sides: a `field` the type allows only one
  value for is filled in; `merge0` is written `EMAIL`; the `value` of `blank` and
  `blank_not` (which test for no value) is dropped, as are keys the type does not use
  and keys whose value is null.

`canonical_from_api` builds this form from the API's conditions; the config side
(`reconciler.config.mailchimp_conditions`) checks what users wrote and builds it with
`canonical_condition` and the `*_ref` helpers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: How a condition names what it tests.
FieldKind = Literal["fixed", "merge", "email", "interests"]
#: What a `value` (or an extra key) holds; see `normalise`.
ValueKind = Literal["text", "number", "integer", "choice", "interest_ids", "tag", "none"]


@dataclass(frozen=True)
class ConditionSpec:
    """One condition type of the API."""

    ops: tuple[str, ...]
    value: ValueKind
    #: Keys the API's schema requires (the fact sheet's "req" column).
    required: tuple[str, ...] = ()
    field_kind: FieldKind = "fixed"
    #: The allowed `field` values of a "fixed" field kind.
    fields: tuple[str, ...] = ()
    #: Merge field types a "merge" condition can test.
    merge_types: tuple[str, ...] = ()
    #: The allowed values of a "choice" value.
    choices: tuple[str, ...] = ()
    #: Keys beyond field/op/value that the type uses, with the kind of their value.
    extras: Mapping[str, ValueKind] = field(default_factory=dict)
    #: A text value must match this regular expression (a birthday's `mm/dd`)...
    pattern: str | None = None
    #: ...which users read as this.
    pattern_hint: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a condition of this type may have."""
        return ("condition_type", "field", "op", "value", *self.extras)


F, OP, V = "field", "op", "value"
_FOV = (F, OP, V)
_TEXT_OPS = ("is", "not", "contains", "notcontain", "starts", "ends", "greater", "less")
_BLANK = ("blank", "blank_not")
_IS_NOT = ("is", "not")
_COMPARE = ("is", "not", "greater", "less")
_MEMBER = ("member", "notmember")
_STARTED = ("started", "completed", "not_started", "not_completed")
_SOCIAL_NETWORKS = (
    "twitter", "facebook", "linkedin", "flickr", "foursquare", "lastfm", "myspace", "quora",
    "vimeo", "yelp", "youtube",
)  # fmt: skip

#: Every condition type of the API, by `condition_type` (fact sheet 2.4).
CATALOG: dict[str, ConditionSpec] = {
    "TextMerge": ConditionSpec(
        (*_TEXT_OPS, *_BLANK), "text", (F, OP), "merge",
        merge_types=("text", "number", "phone", "url", "imageurl"),
    ),
    "SelectMerge": ConditionSpec(
        ("is", "not", *_BLANK, "contains", "notcontain"), "text", (F, OP), "merge",
        merge_types=("radio", "dropdown"),
    ),
    "DateMerge": ConditionSpec(
        ("is", "not", "less", "greater", *_BLANK), "text", (F, OP), "merge", merge_types=("date",)
    ),
    "BirthdayMerge": ConditionSpec(
        ("is", "not", *_BLANK), "text", (F, OP), "merge", merge_types=("birthday",),
        pattern=r"\d{2}/\d{2}", pattern_hint="month/day as mm/dd, e.g. 12/25",
    ),
    "AddressMerge": ConditionSpec(
        ("contains", "notcontain", *_BLANK), "text", (F, OP), "merge", merge_types=("address",)
    ),
    "ZipMerge": ConditionSpec(
        ("geoin",), "text", (F, OP, V, "extra"), "merge", merge_types=("address", "zip"),
        extras={"extra": "text"},
    ),
    "EmailAddress": ConditionSpec(_TEXT_OPS, "text", (F, OP), "email", fields=("EMAIL", "merge0")),
    "Interests": ConditionSpec(
        ("interestcontains", "interestcontainsall", "interestnotcontains"), "interest_ids",
        field_kind="interests",
    ),
    "StaticSegment": ConditionSpec(
        ("static_is", "static_not"), "tag", _FOV, fields=("static_segment",)
    ),
    "Date": ConditionSpec(
        ("greater", "less", "is", "not", *_BLANK, "within", "notwithin"), "text", _FOV,
        fields=("timestamp_opt", "info_changed", "ecomm_date"), extras={"extra": "text"},
    ),
    "NewSubscribers": ConditionSpec(("date_within",), "text", fields=("timestamp_opt",)),
    "Aim": ConditionSpec(
        ("open", "click", "sent", "noopen", "noclick", "nosent"), "text", fields=("aim",)
    ),
    "Automation": ConditionSpec(_STARTED, "text", _FOV, fields=("automation",)),
    "CampaignPoll": ConditionSpec(_MEMBER, "number", _FOV, fields=("poll",)),
    "Conversation": ConditionSpec(_MEMBER, "text", _FOV, fields=("conversation",)),
    "EmailClient": ConditionSpec(
        ("client_is", "client_not"), "text", _FOV, fields=("email_client",)
    ),
    "Language": ConditionSpec(_IS_NOT, "text", _FOV, fields=("language",)),
    "MemberRating": ConditionSpec(_COMPARE, "number", _FOV, fields=("rating",)),
    "SignupSource": ConditionSpec(
        ("source_is", "source_not"), "text", (F, "condition_type", OP), fields=("source",)
    ),
    "SurveyMonkey": ConditionSpec(_STARTED, "text", _FOV, fields=("survey_monkey",)),
    "VIP": ConditionSpec(_MEMBER, "none", (F, OP), fields=("gmonkey",)),
    "EcommCategory": ConditionSpec(
        ("is", "not", "contains", "notcontain", "starts", "ends"), "text",
        fields=("ecomm_cat", "ecomm_prod"),
    ),
    "EcommNumber": ConditionSpec(
        _COMPARE, "number", _FOV,
        fields=("ecomm_spent_avg", "ecomm_orders", "ecomm_prod_all", "ecomm_avg_ord"),
    ),
    "EcommPurchased": ConditionSpec(_MEMBER, "none", fields=("ecomm_purchased",)),
    "EcommSpent": ConditionSpec(
        ("greater", "less"), "integer", fields=("ecomm_spent_one", "ecomm_spent_all")
    ),
    "EcommStore": ConditionSpec(_IS_NOT, "text", fields=("ecomm_store",)),
    "GoalActivity": ConditionSpec(
        ("is", "goal_not", "contains", "goal_notcontain", "starts", "ends"), "text", _FOV,
        fields=("goal",),
    ),
    "GoalTimestamp": ConditionSpec(
        ("greater", "less", "is"), "text", _FOV, fields=("goal_last_visited",)
    ),
    "FuzzySegment": ConditionSpec(
        ("fuzzy_is", "fuzzy_not"), "integer", _FOV, fields=("fuzzy_segment",)
    ),
    "IPGeoCountryState": ConditionSpec(
        ("ipgeocountry", "ipgeonotcountry", "ipgeostate", "ipgeonotstate"), "text", _FOV,
        fields=("ipgeo",),
    ),
    "IPGeoIn": ConditionSpec(
        ("ipgeoin", "ipgeonotin"), "integer", (F, OP, V, "addr", "lat", "lng"),
        fields=("ipgeo",), extras={"addr": "text", "lat": "text", "lng": "text"},
    ),
    "IPGeoInZip": ConditionSpec(
        ("ipgeoinzip",), "integer", (F, OP, V, "extra"), fields=("ipgeo",),
        extras={"extra": "integer"},
    ),
    "IPGeoZip": ConditionSpec(("ipgeoiszip", "ipgeonotzip"), "integer", _FOV, fields=("ipgeo",)),
    "IPGeoUnknown": ConditionSpec(("ipgeounknown",), "none", (F, OP), fields=("ipgeo",)),
    "SocialAge": ConditionSpec(
        _IS_NOT, "choice", _FOV, fields=("social_age",),
        choices=("18-24", "25-34", "35-54", "55+"),
    ),
    "SocialGender": ConditionSpec(
        _IS_NOT, "choice", _FOV, fields=("social_gender",), choices=("male", "female")
    ),
    "SocialInfluence": ConditionSpec(_COMPARE, "number", _FOV, fields=("social_influence",)),
    "SocialNetworkMember": ConditionSpec(
        _MEMBER, "choice", _FOV, fields=("social_network",), choices=_SOCIAL_NETWORKS
    ),
    "SocialNetworkFollow": ConditionSpec(
        ("follow", "notfollow"), "choice", _FOV, fields=("social_network",),
        choices=("twitter_follow",),
    ),
    "PredictedGender": ConditionSpec(
        _IS_NOT, "choice", _FOV, fields=("predicted_gender",), choices=("male", "female")
    ),
    "PredictedAge": ConditionSpec(
        ("is",), "choice", _FOV, fields=("predicted_age_range",),
        choices=("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    ),
}  # fmt: skip

#: Ops that test for the absence of a value; a value given with them means nothing.
VALUELESS_OPS = frozenset(_BLANK)
#: How the canonical form writes the email address field (`merge0` is its alias).
EMAIL_FIELD = "EMAIL"
#: An Interests condition's field in the API: this prefix and the category id.
INTERESTS_PREFIX = "interests-"
#: Keys of a canonical condition, in the order they are written.
KEYS = ("condition_type", "field", "op", "value", "extra", "addr", "lat", "lng")


# --- values -------------------------------------------------------------------------------


class ValueKindError(ValueError):
    """A value does not fit its kind; the message says what was expected."""


_EXPECTED: dict[ValueKind, str] = {
    "text": "a string",
    "number": "a number",
    "integer": "a whole number",
    "choice": "one of the listed values",
    "interest_ids": "a list of interest ids",
    "tag": "a tag id (a whole number)",
    "none": "no value",
}


def expected(kind: ValueKind) -> str:
    """How a value of `kind` is described to users."""
    return _EXPECTED[kind]


def normalise(kind: ValueKind, value: Any, spec: ConditionSpec | None = None) -> Any:
    """`value` in its canonical type for `kind`; raises ValueKindError if it does not fit.

    The API's types are loose (`"5"` for 5, a number for a text): numbers written as
    text become numbers, and a number where text is expected becomes its text.
    """
    if kind == "text":
        if isinstance(value, str):
            text = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
        else:
            raise ValueKindError(expected(kind))
        if spec is not None and spec.pattern and not re.fullmatch(spec.pattern, text):
            raise ValueKindError(spec.pattern_hint or f"a string matching {spec.pattern}")
        return text
    if kind == "number":
        return _number(value, whole=False)
    if kind in ("integer", "tag"):
        return _number(value, whole=True)
    if kind == "choice":
        choices = spec.choices if spec is not None else ()
        if not isinstance(value, str) or value not in choices:
            raise ValueKindError(f"one of {', '.join(choices)}")
        return value
    if kind == "interest_ids":
        if isinstance(value, str):  # the API also takes a comma-separated string
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueKindError(expected(kind))
        return sorted(set(value))
    raise ValueKindError(expected(kind))


def _number(value: Any, whole: bool) -> int | float:
    number: int | float
    if isinstance(value, bool):
        raise ValueKindError(expected("integer" if whole else "number"))
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueKindError(expected("integer" if whole else "number")) from None
    else:
        raise ValueKindError(expected("integer" if whole else "number"))
    if isinstance(number, float):
        if not math.isfinite(number) or (whole and not number.is_integer()):
            raise ValueKindError(expected("integer" if whole else "number"))
        if number.is_integer():
            number = int(number)
    return number


# --- references ---------------------------------------------------------------------------


def tag_ref(name: str) -> dict[str, str]:
    return {"tag": name}


def category_ref(title: str) -> dict[str, str]:
    return {"interest_category": title}


def interest_ref(name: str) -> dict[str, str]:
    return {"interest": name}


def sorted_interests(items: Iterable[dict[str, str] | str]) -> list[dict[str, str] | str]:
    """Interest references by name, then unresolved ids, without repeats."""
    unique = {json.dumps(item, sort_keys=True): item for item in items}.values()
    return sorted(unique, key=lambda i: (0, i["interest"]) if isinstance(i, dict) else (1, i))


# --- canonical form -----------------------------------------------------------------------


def canonical(conditions: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Conditions in canonical order; each must already have its values normalised."""
    items = [dict(c) for c in conditions]
    return tuple(sorted(items, key=lambda c: json.dumps(c, sort_keys=True, default=str)))


def canonical_condition(
    condition_type: str, spec: ConditionSpec, values: Mapping[str, Any]
) -> dict[str, Any]:
    """One condition from already normalised keys, with the shared normalisations applied.

    `values` holds field/op/value and the extras; None values and keys the type does
    not use are dropped.
    """
    out: dict[str, Any] = {"condition_type": condition_type}
    for key in KEYS[1:]:
        if key in spec.keys and values.get(key) is not None:
            out[key] = values[key]
    if "field" not in out and len(spec.fields) == 1:
        out["field"] = spec.fields[0]
    if spec.field_kind == "email" and out.get("field") in spec.fields:
        out["field"] = EMAIL_FIELD
    if out.get("op") in VALUELESS_OPS or spec.value == "none":
        out.pop("value", None)
    return {key: out[key] for key in KEYS if key in out}  # plans show them in this order


def canonical_from_api(
    conditions: Iterable[Mapping[str, Any]],
    tag_names: Mapping[int, str],
    categories: Mapping[str, str],
    interests: Mapping[str, str],
) -> tuple[dict[str, Any], ...]:
    """The canonical form of conditions as the API returns them.

    `tag_names` maps tag (static segment) ids to names, `categories` interest category
    ids to titles, `interests` interest ids to names. A value that does not fit its kind
    is kept as the API sent it, so that a plan shows it rather than hiding it.
    """
    return canonical(_from_api(c, tag_names, categories, interests) for c in conditions)


def _from_api(
    condition: Mapping[str, Any],
    tag_names: Mapping[int, str],
    categories: Mapping[str, str],
    interests: Mapping[str, str],
) -> dict[str, Any]:
    condition_type = condition.get("condition_type")
    spec = CATALOG.get(condition_type) if isinstance(condition_type, str) else None
    if spec is None or not isinstance(condition_type, str):
        return {k: v for k, v in condition.items() if v is not None}
    values: dict[str, Any] = {k: condition.get(k) for k in spec.keys if k != "condition_type"}
    value = values.get("value")
    if value is not None and spec.value == "tag":
        values["value"] = _tag_from_api(value, tag_names)
    elif value is not None and spec.value == "interest_ids":
        values["value"] = _interests_from_api(value, interests)
    elif value is not None and spec.value != "none":
        values["value"] = _loose(spec.value, value, spec)
    for key, kind in spec.extras.items():
        if values.get(key) is not None:
            values[key] = _loose(kind, values[key], spec)
    field_name = values.get("field")
    if spec.field_kind == "interests" and isinstance(field_name, str):
        category = field_name.removeprefix(INTERESTS_PREFIX)
        if field_name.startswith(INTERESTS_PREFIX) and category in categories:
            values["field"] = category_ref(categories[category])
    return canonical_condition(condition_type, spec, values)


def _loose(kind: ValueKind, value: Any, spec: ConditionSpec) -> Any:
    try:
        return normalise(kind, value, spec)
    except ValueKindError:
        return value


def _tag_from_api(value: Any, tag_names: Mapping[int, str]) -> Any:
    try:
        tag_id = normalise("tag", value)
    except ValueKindError:
        return value
    name = tag_names.get(int(tag_id))
    return tag_ref(name) if name is not None else tag_id


def _interests_from_api(value: Any, interests: Mapping[str, str]) -> Any:
    try:
        ids = normalise("interest_ids", value)
    except ValueKindError:
        return value
    return sorted_interests(interest_ref(interests[i]) if i in interests else i for i in ids)
