"""Building blocks shared by the providers' document models, and the dialect contract.

A *document model* is the pydantic description of one provider's config file: it
validates the file and is the source of the published JSON Schema, so every field
carries a description. A *dialect* pairs that model with the code that turns a valid
document into provider settings and a desired `State` (see `dialects.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
)

from reconciler.config.interpolation import Reference
from reconciler.config.provider import ProviderConfig
from reconciler.config.yaml_source import DataPath, Positions
from reconciler.engine.dependents import Dependents
from reconciler.errors import Issue
from reconciler.hints import did_you_mean, kind_of
from reconciler.model import (
    DEFAULT_MAX_MEMBERSHIP_CHANGE_PERCENT,
    DEFAULT_MAX_PERCENT,
    DEFAULT_MEMBERSHIP_MIN_MEMBERS,
    DEFAULT_THRESHOLD_MIN_OBJECTS,
    Address,
    Glob,
    Location,
    Settings,
    State,
    Threshold,
)
from reconciler.rules import Catalog

#: MailerLite's limit on group, segment and field names; Mailchimp's are not longer.
MAX_NAME = 255
#: Where every dialect keeps the API's root. Not a credential, but one with a user name
#: or query may hold a password: messages do not quote it then (see the loader and
#: `credentials.check_base_url`).
BASE_URL: DataPath = ("provider", "base_url")


class DocumentModel(BaseModel):
    """Base of every model of the file: unknown keys are errors and nothing is coerced
    (`1` is not `true`, `2024` is not a name), so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class Noun:
    """Annotated metadata: how error messages call a value and what rule it follows."""

    noun: str
    rule: str = ""
    #: What a value of this type looks like, when the generic description would mislead
    #: (a type that also accepts a shorthand, for instance).
    shape: str = ""


def name_type(noun: str) -> Any:
    """A resource name as the ESP limits it: 1 to 255 characters."""
    return Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_NAME),
        Noun(noun, f"1 to {MAX_NAME} characters"),
    ]


#: The shape the models accept: `http(s)://host...`, no whitespace. A user name, password,
#: query string or fragment gets past it on purpose, to be refused by `check_base_url`
#: with a message that says which part is wrong (a pattern can only say "invalid").
_URL_SHAPE = r"^https?://[^\s/]+\S*$"
#: The same rule for editors, which cannot run `check_base_url`: no `@` before the path,
#: no `?` nor `#` anywhere.
_URL_SCHEMA = r"^https?://[^\s/?#@]+(/[^\s?#]*)?$"


def base_url_type(example: str) -> Any:
    """`provider.base_url`: the root of an API, with nothing in it that could be a secret."""
    return Annotated[
        str,
        StringConstraints(pattern=_URL_SHAPE),
        Noun("base_url", f"an http(s) URL such as {example}"),
        WithJsonSchema({"type": "string", "pattern": _URL_SCHEMA}),
    ]


def _one_as_list(value: object) -> object:
    # A single old name is the common case; `renamed_from: Gold` reads naturally.
    return [value] if isinstance(value, str) else value


def renamed_from_type(noun: str) -> Any:
    """`renamed_from`: previous names, as a list or a single string."""
    item = name_type(noun)
    schema = {"anyOf": [TypeAdapter(item).json_schema(), TypeAdapter(list[item]).json_schema()]}
    return Annotated[list[item], BeforeValidator(_one_as_list), WithJsonSchema(schema)]


def renamed_from_field(kind: str) -> Any:
    return Field(
        default_factory=list,
        description=(
            f"Previous names of this {kind}. When the account has a {kind} under one of "
            f"these names, it is renamed in place, keeping its id and subscribers, "
            f"instead of a new {kind} being created."
        ),
    )


IgnorePattern = Annotated[
    str,
    StringConstraints(min_length=1),
    Noun("ignore pattern", 'a name glob such as "Imported *"'),
]


ProtectPattern = Annotated[
    str,
    StringConstraints(min_length=1),
    Noun("protect pattern", 'a name glob such as "Customers*"'),
]

_PERCENT_SCHEMA: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 100}


def _threshold_field(what: str) -> Any:
    # Validated by `build_settings`, not by pydantic: the value is a number or a mapping,
    # and a union would report one confusing error per alternative instead of one that
    # points at the bad key or value.
    return Field(
        default=None,
        description=(
            f"Refuse (unless --force) a plan that {what} more than this percentage of the "
            "objects of one kind (under one parent, e.g. one audience). A number applies "
            "to every kind; a mapping sets it per kind (`{groups: 10, fields: 50}`) with "
            f"`default` for the others. Default {DEFAULT_MAX_PERCENT:.0f}, applied only to "
            f"kinds with at least `threshold_min_objects` objects. 100 turns it off."
        ),
        json_schema_extra={
            "anyOf": [
                _PERCENT_SCHEMA,
                {"type": "object", "additionalProperties": _PERCENT_SCHEMA},
            ]
        },
    )


class SettingsDocument(DocumentModel):
    """The `settings:` keys every provider shares; providers add their `prune` kinds."""

    ignore: list[IgnorePattern] = Field(
        default_factory=list,
        description=(
            "Name globs (fnmatch, case-sensitive, e.g. `Imported *`) of remote objects "
            "espform never touches nor reports."
        ),
    )
    protect: list[ProtectPattern] = Field(
        default_factory=list,
        description=(
            "Name globs of objects espform never deletes nor replaces: not when they are "
            "removed from the config while their kind is pruned, not with --force. To "
            "delete one on purpose, first remove the pattern that protects it."
        ),
    )
    max_change_percent: Any = _threshold_field("updates, renames or replaces")
    max_delete_percent: Any = _threshold_field("deletes or replaces")
    threshold_min_objects: int = Field(
        default=DEFAULT_THRESHOLD_MIN_OBJECTS,
        ge=1,
        description=(
            "The thresholds apply only to kinds with at least this many objects in the "
            "account (per parent), since in a small account one ordinary delete is "
            "already a large share."
        ),
    )
    max_membership_change_percent: Annotated[float, Field(ge=0)] = Field(
        default=DEFAULT_MAX_MEMBERSHIP_CHANGE_PERCENT,
        description=(
            "Refuse (unless --force) a plan that adds plus removes more than this "
            "percentage of the current members of one rule-driven group or tag, so "
            "that a typo in a rule cannot empty or flood it. Counts may exceed 100 "
            "(a group growing tenfold is 1000). Applies to groups and tags with at "
            "least `membership_min_members` members; a plan that would remove every "
            "member of one is refused whatever its size."
        ),
    )
    membership_min_members: int = Field(
        default=DEFAULT_MEMBERSHIP_MIN_MEMBERS,
        ge=1,
        description=(
            "`max_membership_change_percent` applies only to groups and tags with at "
            "least this many members: a small group moves by large shares."
        ),
    )


#: The key of a threshold mapping that applies to kinds it does not name.
DEFAULT_KEY = "default"


def build_settings(
    doc: SettingsDocument | None,
    ctx: BuildContext,
    *,
    prune: frozenset[str],
    kinds: Mapping[str, str],
) -> Settings:
    """The provider-neutral `Settings`; reports bad thresholds where they are written.

    `kinds` maps each section key a threshold mapping may name (`groups`) to its
    resource kind (`group`).
    """
    if doc is None:
        return Settings(prune=prune)
    protect = tuple(
        Glob(pattern, ctx.value("settings", "protect", index))
        for index, pattern in enumerate(doc.protect)
    )
    return Settings(
        prune=prune,
        ignore=tuple(doc.ignore),
        protect=protect,
        max_change_percent=_threshold(doc.max_change_percent, "max_change_percent", kinds, ctx),
        max_delete_percent=_threshold(doc.max_delete_percent, "max_delete_percent", kinds, ctx),
        threshold_min_objects=doc.threshold_min_objects,
        max_membership_change_percent=float(doc.max_membership_change_percent),
        membership_min_members=doc.membership_min_members,
    )


def _threshold(value: Any, name: str, kinds: Mapping[str, str], ctx: BuildContext) -> Threshold:
    path: tuple[Hashable, ...] = ("settings", name)
    if value is None:
        return Threshold(name)
    if not isinstance(value, dict):
        percent = _percent(value, path, ctx, mapping_allowed=True)
        return Threshold(name, percent=percent)
    allowed = [DEFAULT_KEY, *kinds]
    default: float | None = None
    by_kind: list[tuple[str, float]] = []
    for key, item in value.items():
        if key not in allowed:
            ctx.error(
                ctx.key(*path, key),
                f"unknown kind {key!r} in settings.{name}; allowed keys: "
                f"{', '.join(allowed)}{did_you_mean(key, allowed)}",
            )
            continue
        percent = _percent(item, (*path, key), ctx, mapping_allowed=False)
        if percent is None:
            continue
        if key == DEFAULT_KEY:
            default = percent
        else:
            by_kind.append((kinds[key], percent))
    return Threshold(name, percent=default, by_kind=tuple(by_kind))


def _percent(
    value: Any, path: tuple[Hashable, ...], ctx: BuildContext, *, mapping_allowed: bool
) -> float | None:
    label = ".".join(str(p) for p in path)
    shape = "a percentage from 0 to 100, e.g. 30"
    if mapping_allowed:
        shape += ", or a mapping of kinds to percentages, e.g. {groups: 10, fields: 50}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        ctx.error(ctx.value(*path), f"{label}: expected {shape}, got {kind_of(value)}")
        return None
    if not 0 <= value <= 100:
        ctx.error(
            ctx.value(*path),
            f"{label}: {value} is out of range; it must be a percentage from 0 to 100 "
            "(100 turns the check off)",
        )
        return None
    return float(value)


# --- Dialect contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Desired:
    """What a dialect builds from a valid document."""

    provider: ProviderConfig
    settings: Settings
    state: State
    #: What rules may refer to, per scope of rule-driven resources (None: the account;
    #: an audience's address on Mailchimp): the field types decide how values compare.
    catalogs: Mapping[Address | None, Catalog] = field(default_factory=dict)
    #: What integrations declared in the file depend on (see `integrations`).
    dependents: Dependents = field(default_factory=dict)


@dataclass
class BuildContext:
    """What a dialect's builder may know about the file, and where it reports problems."""

    file: str
    #: Absolute folder of the config file; relative paths in the file start here.
    base_dir: Path
    positions: Positions
    #: The `${...}` reference each credential was written as, by data path.
    credentials: dict[DataPath, Reference] = field(default_factory=dict)
    #: Values whose reference failed to resolve (already reported): skip their checks.
    unresolved: set[DataPath] = field(default_factory=set)
    #: Credentials whose references were left unread on purpose (`load_config(...,
    #: resolve_credentials=False)`): present, but their values cannot be checked.
    unchecked: set[DataPath] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)

    def key(self, *path: Hashable) -> Location:
        return self.positions.key(path)

    def value(self, *path: Hashable) -> Location:
        return self.positions.value(path)

    def error(self, where: Location, message: str) -> None:
        self.issues.append(Issue(where, message))

    def credential_env(self, *path: Hashable) -> str | None:
        ref = self.credentials.get(path)
        return ref.argument if ref is not None and ref.scheme == "env" else None


@dataclass(frozen=True)
class Dialect:
    """One provider's config file format."""

    #: The `provider.type` value that selects this dialect.
    type: str
    document: type[DocumentModel]
    #: Credential paths, each with the variable name a user should reference; a
    #: value written in clear there is refused.
    secrets: Mapping[DataPath, str]
    #: Semantic checks and conversion. Sections that failed validation arrive as their
    #: defaults (`None` for a required one) so the checks of the others still run; the
    #: loader discards the result when any issue was reported.
    build: Callable[[Any, BuildContext], Desired | None]
