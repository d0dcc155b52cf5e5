"""Turn pydantic validation errors into `file:line:col: message` issues.

pydantic knows what is wrong and at which `loc`; the YAML positions know where that
`loc` was written; the document model knows what was allowed there. Messages say what
was expected, and never echo a value that came from a `${...}` reference.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from reconciler.config.document import Noun
from reconciler.config.yaml_source import DataPath, Positions
from reconciler.errors import Issue
from reconciler.hints import did_you_mean, kind_of

_KEY = "[key]"  # pydantic's loc marker for an invalid mapping key


def label(path: DataPath) -> str:
    """`groups["Active Partners"].renamed_from[0]`: a path as a user would write it."""
    if not path:
        return "the config"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def strip(tp: Any) -> tuple[Any, list[Any]]:
    """The core type under `Annotated` and `X | None`, with the metadata collected."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            metadata.extend(tp.__metadata__)
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            others = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(others) != 1:
                return tp, metadata
            tp = others[0]
        else:
            return tp, metadata


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def type_at(root: type[BaseModel], loc: DataPath) -> Any | None:
    """The annotation that validates the value at `loc`, or None if unknown there."""
    tp: Any = root
    parts = list(loc)
    for index, part in enumerate(parts):
        if part == _KEY:
            continue  # consumed with the mapping key before it
        base, _ = strip(tp)
        origin = get_origin(base)
        if _is_model(base):
            info = base.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None
            tp = info.rebuild_annotation()
        elif origin is dict:
            # pydantic writes a bad key as (..., key, "[key]"): the key's own type applies.
            key_type, value_type = get_args(base)
            is_key = index + 1 < len(parts) and parts[index + 1] == _KEY
            tp = key_type if is_key else value_type
        elif origin in (list, tuple):
            tp = get_args(base)[0]
        else:
            return None
    return tp


def _noun(tp: Any) -> Noun | None:
    if tp is None:
        return None
    return next((m for m in strip(tp)[1] if isinstance(m, Noun)), None)


def expected(tp: Any) -> str:
    """What a value of type `tp` looks like in YAML."""
    noun = _noun(tp)
    if noun and noun.shape:
        return noun.shape
    base, _ = strip(tp)
    origin = get_origin(base)
    if _is_model(base):
        return f"a mapping with the keys {', '.join(base.model_fields)}"
    if origin is dict:
        noun = _noun(get_args(base)[0])
        return f"a mapping keyed by {noun.noun}" if noun else "a mapping"
    if origin in (list, tuple):
        noun = _noun(get_args(base)[0])
        return f"a list of {noun.noun}s" if noun else "a list"
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(base))
    if base is bool:
        return "true or false"
    if base is int:
        return "an integer"
    if base is str or (isinstance(base, type) and base.__name__ == "SecretStr"):
        return "a string"
    return getattr(base, "__name__", str(base))


@dataclass
class Translator:
    """Explains the validation errors of one document."""

    model: type[BaseModel]
    positions: Positions
    #: Values that came from a reference or a credential: never quoted in messages.
    hidden: set[DataPath] = field(default_factory=set)
    #: Values whose reference failed (already reported): their errors would only repeat it.
    unresolved: set[DataPath] = field(default_factory=set)

    def explain(self, errors: list[ErrorDetails]) -> list[Issue]:
        return [self.issue(error) for error in errors if tuple(error["loc"]) not in self.unresolved]

    def unknown_key(self, loc: DataPath) -> Issue:
        parent = loc[:-1]
        base, _ = strip(type_at(self.model, parent))
        allowed = list(base.model_fields) if _is_model(base) else []
        key = loc[-1]
        where = "top-level key" if not parent else "key"
        inside = f" in {label(parent)}" if parent else ""
        message = f"unknown {where} {_show(key)}{inside}"
        if allowed:
            message += f"; allowed keys: {', '.join(allowed)}{did_you_mean(key, allowed)}"
        return Issue(self.positions.key(loc), message)

    def missing(self, loc: DataPath) -> Issue:
        parent, name = loc[:-1], loc[-1]
        if not parent:
            return Issue(self.positions.start, f"missing required section '{name}'")
        return Issue(self.positions.key(parent), f"{label(parent)}: missing required key '{name}'")

    def issue(self, error: ErrorDetails) -> Issue:
        loc: DataPath = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            return self.unknown_key(loc)
        if kind == "missing":
            return self.missing(loc)
        is_key = bool(loc) and loc[-1] == _KEY
        path = loc[:-1] if is_key else loc
        where = self.positions.key(path) if is_key else self.positions.value(path)
        return Issue(where, self._message(error, loc, path, is_key))

    def _message(self, error: ErrorDetails, loc: DataPath, path: DataPath, is_key: bool) -> str:
        kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
        tp = type_at(self.model, loc)
        noun = _noun(tp)
        secret = not is_key and path in self.hidden
        subject = (noun.noun if noun else "key") if is_key else label(path)
        shown = "" if secret else f" {_show(value)}"

        if kind == "literal_error" and tp is not None:
            choices = [str(a) for a in get_args(strip(tp)[0])]
            hint = "" if secret else did_you_mean(value, choices)
            return f"{subject}:{shown} is not valid; expected one of {', '.join(choices)}{hint}"
        if kind.endswith("_type") or kind == "model_attributes_type":
            want = "a string" if is_key or tp is None else expected(tp)
            hint = ""
            if want == "a string" and isinstance(value, int | float | dt.date) and not secret:
                # bool is an int: show `true` as YAML writes it, not Python's `True`.
                text = str(value).lower() if isinstance(value, bool) else value
                hint = f'; quote it to make it text: "{text}"'
            if is_key:
                return f"{subject} must be a string, got {kind_of(value)}{hint}"
            return f"{subject}: expected {want}, got {kind_of(value)}{hint}"
        if noun and not is_key:
            subject = f"{subject}: {noun.noun}"
        if kind == "string_too_short":
            least = ctx.get("min_length", 1)
            if least == 1:
                return f"{subject} must not be empty"
            return f"{subject} must be at least {least} characters long"
        if kind == "string_too_long":
            most = ctx.get("max_length")
            size = "" if secret or not isinstance(value, str) else f" ({len(value)} characters)"
            return f"{subject} is too long{size}; at most {most} characters are allowed"
        if kind in ("greater_than_equal", "less_than_equal"):
            if kind == "greater_than_equal":
                bound = f"at least {ctx.get('ge')}"
            else:
                bound = f"at most {ctx.get('le')}"
            return f"{subject}:{shown} is out of range; it must be {bound}"
        if kind == "string_pattern_mismatch":
            rule = noun.rule if noun and noun.rule else f"it must match {ctx.get('pattern')}"
            return f"{subject}{shown} is invalid: {rule}"
        return f"{subject}: {error['msg']}"


def _show(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)
