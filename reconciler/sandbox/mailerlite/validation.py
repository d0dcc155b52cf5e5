"""Input checks shared by the routes, with Laravel's validation messages."""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import invalid

MAX_NAME_LENGTH = 255
#: The sandbox's largest page for every list. Only group members have a documented max
#: (1000); the other lists' maxima are unverified, so they share it.
MAX_LIMIT = 1000
STATUSES = ("active", "unsubscribed", "unconfirmed", "bounced", "junk")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def name_errors(data: dict[str, Any], key: str = "name") -> list[str]:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return [f"The {key} field is required."]
    if not isinstance(value, str):
        return [f"The {key} must be a string."]
    if len(value) > MAX_NAME_LENGTH:
        return [f"The {key} may not be greater than {MAX_NAME_LENGTH} characters."]
    return []


def require_name(data: dict[str, Any], key: str = "name") -> str:
    errors = name_errors(data, key)
    if errors:
        raise invalid(key, errors[0])
    return str(data[key]).strip()


def _integer(call: ApiCall, key: str) -> int | None:
    raw = call.arg(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid(key, f"The {key} must be an integer.") from None


def limit_arg(call: ApiCall, default: int, *, minimum: int = 1) -> int:
    value = _integer(call, "limit")
    if value is None:
        return default
    if value < minimum:
        raise invalid("limit", f"The limit must be at least {minimum}.")
    if value > MAX_LIMIT:
        raise invalid("limit", f"The limit may not be greater than {MAX_LIMIT}.")
    return value


def page_arg(call: ApiCall) -> int:
    value = _integer(call, "page")
    if value is None:
        return 1
    if value < 1:
        raise invalid("page", "The page must be at least 1.")
    return value


def choice_arg(call: ApiCall, key: str, choices: tuple[str, ...]) -> str | None:
    value = call.arg(key)
    if value is None or value == "":
        return None
    if value not in choices:
        raise invalid(key, f"The selected {key} is invalid.")
    return value


def status_filter(call: ApiCall, default: str | None) -> str | None:
    return choice_arg(call, "filter[status]", STATUSES) or default


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_email(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 255 and bool(_EMAIL.match(value))


def parse_id(raw: str) -> int | None:
    """A path id as stored, or None when it cannot name any row (so the answer is a 404)."""
    if not raw.isdigit():
        return None
    value = int(raw)
    return value if value < 2**63 else None  # SQLite integers are signed 64-bit
