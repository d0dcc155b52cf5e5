"""Member merge values: checked and normalised on write, shaped per field type on read.

Wire shapes follow the fact sheet (2.2): numbers come back as JSON numbers, an empty
value is "", an address is "" or `{addr1, addr2, city, state, zip, country}`, a date is
`YYYY-MM-DD` whatever its `date_format`. Keys that name no merge tag are ignored, as
recorded. A bad value fails the whole write with 400 Invalid Resource, detail "Your
merge fields were invalid." and one `errors[]` entry per tag.

Choices where the sheet is silent: numeric strings are accepted for number fields and
stored as numbers; birthdays are kept as `MM/DD` and shown in the field's format; a
radio/dropdown value must be one of the field's choices when it has any; a missing value
takes the field's `default_value` on create; `required` is enforced on create and when a
write blanks the field, unless `skip_merge_validation=true`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from reconciler.sandbox.mailchimp.merge_fields import MergeField
from reconciler.sandbox.mailchimp.problems import FieldError, Problem, invalid

INVALID_DETAIL = "Your merge fields were invalid."
ADDRESS_KEYS = ("addr1", "addr2", "city", "state", "zip", "country")
ADDRESS_REQUIRED = ("addr1", "city", "state", "zip")
NUMBER_PATTERN = re.compile(r"^-?\d+(\.\d+)?$")


class BadValue(ValueError):
    """A value that does not fit its field; the message is the `errors[].message`."""


def _as_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadValue("Please enter a text value")
    return str(value)


def _as_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise BadValue("Please enter a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and NUMBER_PATTERN.match(value.strip()):
        text = value.strip()
        return float(text) if "." in text else int(text)
    raise BadValue("Please enter a number")


def parse_date(value: str, fmt: str) -> str:
    """`YYYY-MM-DD`, or the field's `MM/DD/YYYY` / `DD/MM/YYYY`, as `YYYY-MM-DD`."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if found:
            a, b, year = (int(g) for g in found.groups())
            month, day = (b, a) if fmt.startswith("DD") else (a, b)
            return date(year, month, day).isoformat()
    except ValueError:
        pass
    raise BadValue("Please enter a date")


def parse_birthday(value: str, fmt: str) -> str:
    """A birthday in the field's `MM/DD` or `DD/MM` as canonical `MM/DD`."""
    found = re.fullmatch(r"(\d{1,2})/(\d{1,2})", value.strip())
    if found:
        a, b = (int(g) for g in found.groups())
        month, day = (b, a) if fmt.startswith("DD") else (a, b)
        try:
            date(2000, month, day)  # a leap year, so 02/29 is a valid birthday
        except ValueError:
            pass
        else:
            return f"{month:02d}/{day:02d}"
    raise BadValue("Please enter a valid birthday")


def _as_address(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise BadValue("Please enter a complete address")
    address = {k: _as_text(value.get(k) or "") for k in ADDRESS_KEYS}
    if any(not address[k].strip() for k in ADDRESS_REQUIRED):
        raise BadValue("Please enter a complete address")
    return address


def normalise(field: MergeField, value: Any) -> Any:
    """The stored form of one non-empty value; BadValue if it does not fit the field."""
    kind = field.type
    if kind == "number":
        return _as_number(value)
    if kind == "address":
        return _as_address(value)
    if kind == "date":
        return parse_date(_as_text(value), field.options.get("date_format", "MM/DD/YYYY"))
    if kind == "birthday":
        return parse_birthday(_as_text(value), field.options.get("date_format", "MM/DD"))
    text = _as_text(value)
    choices = field.options.get("choices") or []
    if kind in ("radio", "dropdown") and choices and text not in choices:
        raise BadValue("Please choose one of the field's options")
    return text


def write_values(
    fields: list[MergeField],
    incoming: Any,
    stored: dict[str, Any],
    *,
    creating: bool,
    skip_validation: bool = False,
) -> dict[str, Any]:
    """The member's stored values (keyed by merge_id) after applying `incoming`."""
    if incoming is None:
        incoming = {}
    if not isinstance(incoming, dict):
        raise invalid(INVALID_DETAIL, [FieldError("merge_fields", "This should be an object.")])
    by_tag = {f.tag: f for f in fields}
    result = dict(stored)
    errors: list[FieldError] = []
    blanked: set[str] = set()
    for key, value in incoming.items():
        field = by_tag.get(str(key).upper())
        if field is None:
            continue
        slot = str(field.merge_id)
        if value is None or value == "":
            result.pop(slot, None)
            blanked.add(field.tag)
            continue
        try:
            result[slot] = normalise(field, value)
        except BadValue as bad:
            errors.append(FieldError(field.tag, str(bad)))
    for field in fields:
        slot = str(field.merge_id)
        if creating and slot not in result and field.default_value and field.tag not in blanked:
            try:
                result[slot] = normalise(field, field.default_value)
            except BadValue:
                result[slot] = field.default_value
        missing = slot not in result and (creating or field.tag in blanked)
        if field.required and missing and not skip_validation:
            errors.append(FieldError(field.tag, "Please enter a value"))
    if errors:
        raise Problem(400, "Invalid Resource", INVALID_DETAIL, errors)
    return result


def read_values(fields: list[MergeField], stored: dict[str, Any]) -> dict[str, Any]:
    """The `merge_fields` map as the API shows it: every tag, "" when empty."""
    values: dict[str, Any] = {}
    for field in fields:
        value = stored.get(str(field.merge_id), "")
        if field.type == "birthday" and value and field.options.get("date_format") == "DD/MM":
            month, day = value.split("/")
            value = f"{day}/{month}"
        values[field.tag] = value
    return values
