"""Read a rule from plain YAML data into the nodes of `ast.py`.

```yaml
rule:
  all:
    - {status: active}                       # or {status: {in: [active, unconfirmed]}}
    - {field: tier, in: [gold, platinum]}    # exactly one operator per predicate
    - not: {in_group: Churned}
    - any:
        - {has_tag: vip}
        - {field: joined, within_days: 30}
```

A single predicate needs no wrapper (`rule: {field: tier, equals: gold}`), and
`{field: status, equals: active}` means `{status: active}`.

This step checks the shape only: keys, one operator per predicate, and operand shapes
that hold whatever the field (`in` takes a list, `between` two values, `within_days` a
positive whole number, `is_set` the value `true`). Whether a field exists and an operator
suits its type is `check.py`'s job, since it needs the account's fields.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Final

from reconciler.errors import Issue
from reconciler.hints import did_you_mean, kind_of
from reconciler.model import Location
from reconciler.rules.ast import (
    FIELD_OPS,
    FLAG_OPS,
    STATUS_OPS,
    All,
    Any,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    Operand,
    Rule,
    Scalar,
    StatusPredicate,
)
from reconciler.rules.wording import listing, show

#: A place in the rule's data: mapping keys and list indexes from the rule's root.
DataPath = tuple[str | int, ...]
#: Maps a data path to where it was written; the config package answers from YAML marks.
Locate = Callable[[DataPath], Location | None]

#: The keys that say what a rule node is.
NODE_KEYS: Final = ("all", "any", "not", "field", "status", "in_group", "has_tag")
#: Deeper nesting is a mistake in practice, and would exhaust Python's recursion limit.
MAX_DEPTH: Final = 64
_EXAMPLE: Final = "{field: tier, equals: gold}"
_OPPOSITE: Final = {"is_set": "is_empty", "is_empty": "is_set"}
#: Operator spellings from other tools (Mailchimp's condition ops, SQL, Python), so that
#: a habit gets a precise hint rather than a list.
_OP_HINTS: Final = {
    "eq": "equals",
    "is": "equals",
    "equal": "equals",
    "ne": "not_equals",
    "neq": "not_equals",
    "is_not": "not_equals",
    "notcontain": "not_contains",
    "starts": "starts_with",
    "startswith": "starts_with",
    "ends": "ends_with",
    "endswith": "ends_with",
    "greater": "gt",
    "less": "lt",
    "ge": "gte",
    "le": "lte",
    "blank": "is_empty",
    "blank_not": "is_set",
    "exists": "is_set",
    "one_of": "in",
    "within": "within_days",
}


class _Invalid:
    """Stands for an operand that was reported; None cannot, as it is no valid operand."""


_INVALID: Final = _Invalid()


def parse(data: object, locate: Locate | None = None) -> tuple[Rule | None, list[Issue]]:
    """Parse `data` (a rule as YAML gives it); return the rule, or None and every issue."""
    parser = _Parser(locate or _nowhere)
    rule = parser.node(data, (), 0)
    if parser.issues:
        return None, parser.issues
    return rule, []


def _nowhere(_path: DataPath) -> Location | None:
    return None


class _Parser:
    def __init__(self, locate: Locate) -> None:
        self.locate = locate
        self.issues: list[Issue] = []

    def error(self, path: DataPath, message: str) -> None:
        self.issues.append(Issue(self.locate(path), message))

    # --- nodes ---------------------------------------------------------------------------

    def node(self, data: object, path: DataPath, depth: int) -> Rule | None:
        if depth > MAX_DEPTH:
            self.error(path, f"rule is nested more than {MAX_DEPTH} levels deep; flatten it")
            return None
        if not isinstance(data, dict):
            hint = "; to require several, write all: [...]" if isinstance(data, list) else ""
            self.error(path, f"expected a rule such as {_EXAMPLE}, got {kind_of(data)}{hint}")
            return None
        if not data:
            self.error(path, f"empty rule; write one of {', '.join(NODE_KEYS)}, e.g. {_EXAMPLE}")
            return None
        keys: list[str] = []
        for key in data:
            if isinstance(key, str):
                keys.append(key)
            else:
                self.error(path, f"rule keys are words such as all or field, got {kind_of(key)}")
        if "field" in data:
            return self.field_predicate(data, keys, path)
        kinds = [k for k in keys if k in NODE_KEYS]
        others = [k for k in keys if k not in NODE_KEYS]
        if not kinds:
            self._no_kind(others, path)
            return None
        if len(kinds) > 1:
            self.error(
                path,
                f"a rule node is one of {', '.join(NODE_KEYS)}, but this one has "
                f"{' and '.join(kinds)}; put them in a list under all: or any:",
            )
            return None
        kind = kinds[0]
        for key in others:
            self.error(
                (*path, key),
                f"unknown key '{key}' next to '{kind}'; a rule node has exactly one key, "
                f"such as all or in_group{did_you_mean(key, NODE_KEYS)}",
            )
        if len(keys) != len(data):
            return None
        return self._dispatch(kind, data[kind], path, depth)

    def _no_kind(self, keys: list[str], path: DataPath) -> None:
        operators = [k for k in keys if k in FIELD_OPS]
        if operators:
            op = operators[0]
            self.error(
                path,
                f"{op}: needs the field it applies to; add field: KEY, "
                f"e.g. {{field: tier, {op}: ...}}",
            )
            return
        for key in keys:
            self.error(
                (*path, key),
                f"unknown rule key '{key}'; expected one of {', '.join(NODE_KEYS)}"
                f"{did_you_mean(key, NODE_KEYS)}",
            )

    def _dispatch(self, kind: str, value: object, path: DataPath, depth: int) -> Rule | None:
        at = (*path, kind)
        where = self.locate(path)
        if kind in ("all", "any"):
            return self.group(kind, value, at, where, depth)
        if kind == "not":
            if not isinstance(value, dict):
                self.error(
                    at,
                    f"not: takes one rule, got {kind_of(value)}; to negate several, write "
                    "not: {any: [...]}",
                )
                return None
            item = self.node(value, at, depth + 1)
            return Not(item, location=where) if item is not None else None
        if kind == "status":
            return self.status(value, at, where)
        name = self.name(kind, value, at)
        if name is None:
            return None
        return InGroup(name, location=where) if kind == "in_group" else HasTag(name, location=where)

    def group(
        self, kind: str, value: object, at: DataPath, where: Location | None, depth: int
    ) -> Rule | None:
        if not isinstance(value, list):
            self.error(
                at,
                f"{kind}: takes a list of rules, e.g. {kind}: [{_EXAMPLE}], got {kind_of(value)}",
            )
            return None
        if not value:
            matches = "every subscriber" if kind == "all" else "no subscriber"
            self.error(at, f"{kind}: [] is empty and would match {matches}; list at least one rule")
            return None
        items = [self.node(item, (*at, index), depth + 1) for index, item in enumerate(value)]
        parsed = [item for item in items if item is not None]
        if len(parsed) != len(items):
            return None
        return All(tuple(parsed), location=where) if kind == "all" else Any(tuple(parsed), where)

    def name(self, kind: str, value: object, at: DataPath) -> str | None:
        noun = "group" if kind == "in_group" else "tag"
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, str):
            self.error(at, f"{kind}: needs a {noun} name, got an empty string")
        else:
            hint = f'; quote it to make it a name: "{value}"' if isinstance(value, int) else ""
            self.error(at, f"{kind}: needs a {noun} name, got {kind_of(value)}{hint}")
        return None

    # --- status ----------------------------------------------------------------------------

    def status(self, value: object, at: DataPath, where: Location | None) -> Rule | None:
        if isinstance(value, str):
            words = self.status_words("equals", value, at)
            return StatusPredicate("equals", words, where) if words else None
        if isinstance(value, list):
            words = self.status_words("in", value, at)
            return StatusPredicate("in", words, where) if words else None
        if not isinstance(value, dict) or len(value) != 1:
            self.error(
                at,
                f"status: takes a status word such as active, or one of "
                f"{{{', '.join(f'{op}: ...' for op in STATUS_OPS)}}}, got {kind_of(value)}",
            )
            return None
        ((op, operand),) = value.items()
        return self.status_op(op, operand, (*at, op), at, where)

    def status_op(
        self, op: object, operand: object, at: DataPath, key_at: DataPath, where: Location | None
    ) -> Rule | None:
        if op not in STATUS_OPS:
            self.error(
                key_at,
                f"status takes the operators {', '.join(STATUS_OPS)}, not {show(op)}"
                f"{did_you_mean(op, STATUS_OPS)}",
            )
            return None
        words = self.status_words(str(op), operand, at)
        return StatusPredicate(op, words, where) if words else None  # type: ignore[arg-type]

    def status_words(self, op: str, value: object, at: DataPath) -> tuple[str, ...]:
        many = op in ("in", "not_in")
        if many and not isinstance(value, list):
            self.error(at, f"status {op}: takes a list, e.g. {op}: [active, unconfirmed]")
            return ()
        if not many and not isinstance(value, str):
            hint = "; for several statuses write in: [...]" if isinstance(value, list) else ""
            self.error(at, f"status {op}: takes one status word, got {kind_of(value)}{hint}")
            return ()
        items = value if isinstance(value, list) else [value]
        if not items:
            self.error(at, f"status {op}: [] is empty; list at least one status")
            return ()
        words: list[str] = []
        for index, item in enumerate(items):
            item_at = (*at, index) if many else at
            if isinstance(item, str) and item.strip():
                words.append(item)
            else:
                self.error(item_at, f"a status is a word such as active, got {kind_of(item)}")
        return tuple(words) if len(words) == len(items) else ()

    # --- field predicates ------------------------------------------------------------------

    def field_predicate(
        self, data: dict[object, object], keys: list[str], path: DataPath
    ) -> Rule | None:
        name = data["field"]
        ok = len(keys) == len(data)
        if not isinstance(name, str) or not name.strip():
            got = "an empty string" if isinstance(name, str) else kind_of(name)
            self.error((*path, "field"), f"field: needs a field key such as tier, got {got}")
            ok = False
        operators = [k for k in keys if k in FIELD_OPS]
        for key in keys:
            if key == "field" or key in FIELD_OPS:
                continue
            ok = False
            if key in NODE_KEYS:
                hint = "; to exclude a value, write not_equals: VALUE" if key == "not" else ""
                self.error(
                    (*path, key),
                    f"'{key}' cannot share a mapping with 'field': a predicate is "
                    f"{{field: KEY, OP: VALUE}}, and all: or any: combine predicates{hint}",
                )
            else:
                self.error((*path, key), _unknown_operator(key))
        if not operators and ok:
            self.error(path, f"field '{name}' needs an operator, e.g. {_EXAMPLE}")
            return None
        if len(operators) > 1:
            self.error(
                path,
                f"one operator per predicate, found {', '.join(operators)}; combine several "
                "predicates with all: [...] (use between: [LOW, HIGH] for a range)",
            )
            return None
        if not operators:
            return None
        op = operators[0]
        where = self.locate(path)
        # The operand is checked even when the rest is wrong, to report all at once.
        operand = self.operand(op, data[op], (*path, op))
        if operand is _INVALID or not ok or not isinstance(name, str):
            return None
        return FieldPredicate(name, op, operand, location=where)  # type: ignore[arg-type]

    def operand(self, op: str, value: object, at: DataPath) -> Operand | _Invalid:
        if op in FLAG_OPS:
            if value is True:
                return True
            if value is False:
                self.error(at, f"{op}: false is not supported; write {_OPPOSITE[op]}: true")
            else:
                self.error(at, f"{op}: takes the value true, got {kind_of(value)}")
            return _INVALID
        if op == "within_days":
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
            self.error(
                at, f"within_days: takes a whole number of days above 0, got {show_or_kind(value)}"
            )
            return _INVALID
        if op in ("in", "not_in", "between"):
            return self.items(op, value, at)
        return self.scalar(op, value, at)

    def items(self, op: str, value: object, at: DataPath) -> Operand | _Invalid:
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                got = kind_of(value)
                if isinstance(value, list):
                    got = f"{len(value)} value{'' if len(value) == 1 else 's'}"
                self.error(at, f"between: takes two values, [LOW, HIGH], got {got}")
                return _INVALID
        elif not isinstance(value, list):
            hint = f"; write {op}: [{show(value)}]" if isinstance(value, str | int | float) else ""
            self.error(at, f"{op}: takes a list of values, got {kind_of(value)}{hint}")
            return _INVALID
        elif not value:
            self.error(at, f"{op}: [] is empty; list at least one value")
            return _INVALID
        scalars = [self.scalar(op, item, (*at, index)) for index, item in enumerate(value)]
        if any(s is _INVALID for s in scalars):
            return _INVALID
        return tuple(scalars)  # type: ignore[arg-type]

    def scalar(self, op: str, value: object, at: DataPath) -> Scalar | _Invalid:
        if value is None:
            self.error(
                at, f"{op}: needs a value; to match subscribers without one use is_empty: true"
            )
        elif isinstance(value, list):
            hint = "; to match any of several, use in: [...]" if op == "equals" else ""
            self.error(at, f"{op}: takes one value, got a list{hint}")
        elif isinstance(value, str) and not value.strip():
            self.error(
                at,
                f"{op}: an empty value never matches, since blank values count as not set; "
                "use is_empty: true instead",
            )
        elif isinstance(value, float) and not math.isfinite(value):
            self.error(at, f"{op}: {value} is not a usable number")
        elif isinstance(value, str | int | float | dt.date):
            return value
        else:
            self.error(at, f"{op}: takes a text, number or date value, got {kind_of(value)}")
        return _INVALID


def _unknown_operator(key: str) -> str:
    known = _OP_HINTS.get(key.casefold())
    hint = f"; did you mean '{known}'?" if known else did_you_mean(key, FIELD_OPS)
    # A close match says enough; the whole list helps only when nothing is close.
    todo = hint or f"; operators are {listing(FIELD_OPS, most=len(FIELD_OPS))}"
    return f"unknown operator '{key}'{todo}"


def show_or_kind(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return show(value)
    return kind_of(value)
