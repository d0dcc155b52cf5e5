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
from reconciler.errors import Issue
from reconciler.model import Location, Settings, State

#: MailerLite's limit on group, segment and field names; Mailchimp's are not longer.
MAX_NAME = 255


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


class SettingsDocument(DocumentModel):
    """The `settings:` keys every provider shares; providers add their `prune` kinds."""

    ignore: list[IgnorePattern] = Field(
        default_factory=list,
        description=(
            "Name globs (fnmatch, case-sensitive, e.g. `Imported *`) of remote objects "
            "espform never touches nor reports."
        ),
    )


# --- Dialect contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Desired:
    """What a dialect builds from a valid document."""

    provider: ProviderConfig
    settings: Settings
    state: State


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
