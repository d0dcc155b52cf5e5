"""Reading request bodies field by field, collecting every problem before answering.

Mailchimp answers a body that fails its schema with one 400 Invalid Resource whose
`errors[]` names each bad field; nested fields are named with dotted paths here
(`contact.company`), which the fact sheet leaves open.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.sandbox.mailchimp.problems import FieldError, invalid_fields

MISSING = "This field is required."


class BodyCheck:
    """Typed accessors over one JSON object; errors go to a list shared with children."""

    def __init__(
        self, body: dict[str, Any], prefix: str = "", errors: list[FieldError] | None = None
    ) -> None:
        self.body = body
        self.prefix = prefix
        self.errors: list[FieldError] = errors if errors is not None else []

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def add(self, key: str, message: str) -> None:
        self.errors.append(FieldError(self.path(key), message))

    def present(self, key: str) -> bool:
        return key in self.body and self.body[key] is not None

    def _get(self, key: str, required: bool) -> Any:
        if not self.present(key):
            if required:
                self.add(key, MISSING)
            return None
        return self.body[key]

    def string(
        self, key: str, *, required: bool = False, blank_ok: bool = True, max_len: int = 0
    ) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(key, "This value should be a string.")
            return None
        if not blank_ok and not value.strip():
            self.add(key, "This value should not be blank.")
            return None
        if max_len and len(value) > max_len:
            self.add(key, f"This value should be {max_len} characters or fewer.")
            return None
        return value

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.add(key, "This value should be true or false.")
            return None
        return value

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, "This value should be a whole number.")
            return None
        return value

    def choice(self, key: str, allowed: Collection[str], *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        if value is None:
            return None
        if value not in allowed:
            self.add(key, f"This value should be one of: {', '.join(allowed)}.")
            return None
        return value

    def strings(self, key: str, *, required: bool = False) -> list[str] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(key, "This value should be a list of strings.")
            return None
        return list(value)

    def obj(self, key: str, *, required: bool = False) -> BodyCheck | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(key, "This value should be an object.")
            return None
        return BodyCheck(value, self.path(key) + ".", self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid_fields(self.errors)
