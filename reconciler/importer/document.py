"""The config document an import writes, before it becomes YAML text.

The conversion from an observed `State` builds a tree of `Entry` objects: one per
section, declared object (a group, an audience, a merge field, ...) and attribute. An
object the config cannot represent stays in the tree, marked with a note: the YAML
writer prints it commented out under a `# espform: ...` line, so that nothing in the
account silently disappears from the file.

Values are plain data with a style: a `Block` is a block mapping, a `dict` a flow
mapping (`{type: text}`), a list a block sequence, a `Reference` a `${...}` written as
is. Everything else is a scalar.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from reconciler.config.document import Noun
from reconciler.config.messages import Translator, strip
from reconciler.config.yaml_source import Positions

T = TypeVar("T")


class Reference(str):
    """A `${env:NAME}` written verbatim: the writer escapes `${` in every other value."""

    __slots__ = ()


@dataclass
class Entry:
    """One key of a mapping with its value, active or commented out."""

    key: str
    value: Any
    #: Comment lines written above the entry, which stays active.
    comment: str = ""
    #: Set on the entry of a declared object: `mailerlite.group["Partners"]`, for reports.
    address: str = ""
    #: When set, the entry is written commented out after this explanation.
    note: str = ""
    #: Settings left out of an active entry because the config rejects them, each
    #: explained in a `# espform: ...` line above it.
    dropped: list[str] = field(default_factory=list)
    #: The value as the account holds it, before settings were dropped: what a
    #: commented-out entry shows. None when it is `value`.
    original: Any = None
    #: The note came from checking the finished file, not from the conversion rules.
    late: bool = False

    @property
    def active(self) -> bool:
        return not self.note

    def leave_out(self, note: str, *, late: bool = False) -> None:
        """Comment the entry out; the first reason given is the one shown."""
        if self.active:
            self.note, self.late = note, late


@dataclass
class Block:
    """A mapping in block style; its entries keep their order."""

    entries: list[Entry] = field(default_factory=list)
    #: Comment lines after the last entry (an alternative the user may switch to).
    trailer: str = ""

    def add(self, key: str, value: Any, *, comment: str = "", address: str = "") -> Entry:
        entry = Entry(key, value, comment=comment, address=address)
        self.entries.append(entry)
        return entry

    def get(self, key: str) -> Entry | None:
        """The active entry with this key."""
        return next((e for e in self.entries if e.key == key and e.active), None)

    def __bool__(self) -> bool:
        return bool(self.entries or self.trailer)


@dataclass
class Document:
    """A whole config file: a comment on top, then the sections."""

    header: str
    body: Block
    #: Environment variable -> the clear value it stands for (webhook URLs): never
    #: written, only set while the import checks its own file.
    secret_env: dict[str, str] = field(default_factory=dict)

    def objects(self) -> Iterator[Entry]:
        """Every entry that declares an object, at any depth, commented out or not."""
        yield from _objects(self.body, written_only=False)

    def written(self) -> Iterator[Entry]:
        """The object entries the file declares: active, inside active entries only."""
        yield from _objects(self.body, written_only=True)

    def locate(self, path: Sequence[Hashable]) -> Entry | None:
        """The innermost active object entry that the data path `path` lies in."""
        found: Entry | None = None
        value: Any = self.body
        for part in path:
            if not isinstance(value, Block) or not isinstance(part, str):
                break
            entry = value.get(part)
            if entry is None:
                break
            if entry.address:
                found = entry
            value = entry.value
        return found


def _objects(block: Block, written_only: bool) -> Iterator[Entry]:
    for entry in block.entries:
        if written_only and not entry.active:
            continue
        if entry.address:
            yield entry
        if isinstance(entry.value, Block):
            yield from _objects(entry.value, written_only)


# --- helpers shared by the providers' conversions ----------------------------------------


def printable(text: str) -> str:
    """`text` fit for a comment or a terminal: names may hold control characters (a
    carriage return, a line separator), which are shown as escapes instead."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def by_name(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """Sorted the way people scan a list of names: case-insensitively, then exactly."""
    return sorted(items, key=lambda item: (name(item).casefold(), name(item)))


def repeated(names: Iterable[str], fold: Callable[[str], str] = str) -> dict[str, list[str]]:
    """Names sharing their folded form with another, by name: {name: [all of its set]}."""
    sets: dict[str, list[str]] = defaultdict(list)
    for name in names:
        sets[fold(name)].append(name)
    return {name: same for same in sets.values() if len(same) > 1 for name in same}


def key_problem(annotation: Any, key: str) -> str:
    """Why the config rejects `key` as a mapping key of type `annotation`; "" if it accepts."""
    try:
        TypeAdapter(annotation).validate_python(key, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        noun = next((m for m in strip(annotation)[1] if isinstance(m, Noun)), None)
        what = noun.noun if noun else "name"
        limits = error.get("ctx") or {}
        if error["type"] == "string_too_long":
            most = limits.get("max_length")
            return f"it is longer than {most} characters, the most a {what} may have in the config"
        if error["type"] == "string_too_short":
            return f"the config does not accept an empty {what}"
        if error["type"] == "string_pattern_mismatch" and noun is not None and noun.rule:
            return f"the config does not accept it as a {what} ({noun.rule})"
        return f"the config does not accept it as a {what}: {error['msg']}"
    return ""


def fit(model: type[BaseModel], data: dict[str, Any]) -> tuple[dict[str, Any], list[str], str]:
    """Make `data` acceptable to `model` by dropping optional settings it rejects.

    Returns the data, the explanations of what was dropped, and why the whole object
    cannot be written ("" when it can): a required setting the config rejects. Dropping
    a setting is safe for the plan: what the config leaves out is not managed.
    """
    data = copy.deepcopy(data)  # the caller keeps what the account holds
    dropped: list[str] = []
    translator = Translator(model, Positions(""))
    for _ in range(len(_leaves(data)) + 1):
        try:
            model.model_validate(data, strict=True)
        except ValidationError as exc:
            error = exc.errors()[0]
            message = translator.issue(error).message
            where = _optional_prefix(model, tuple(error["loc"]))
            if where is None:
                return data, dropped, message
            _remove(data, where)
            dropped.append(f"{'.'.join(map(str, where))} is left out: {message}")
            continue
        return data, dropped, ""
    return data, dropped, "the config does not accept its settings"


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in _leaves(value)] or [data]
    if isinstance(data, list):
        return [leaf for value in data for leaf in _leaves(value)] or [data]
    return [data]


def _optional_prefix(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The deepest part of `loc` naming an optional setting of a model, if any."""
    current: Any = model
    best: tuple[str, ...] | None = None
    for index, part in enumerate(loc):
        base, _ = strip(current)
        if not (isinstance(base, type) and issubclass(base, BaseModel)) or part not in (
            base.model_fields
        ):
            break
        info = base.model_fields[part]
        if not info.is_required():
            best = tuple(str(p) for p in loc[: index + 1])
        current = info.annotation
    return best


def _remove(data: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
