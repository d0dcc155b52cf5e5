"""Provider-neutral resources, their addresses, and a whole account's state.

Every layer speaks in these types: the config loader builds a desired `State`, a provider
reads an observed `State`, and the engine compares the two. A resource's `address` is its
identity (`mailerlite.group["Partners"]`); its remote `id` is only known once observed.

Convention: an attribute left as `None` in a desired resource is not managed, so the
engine never plans a change for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.secret_url import SecretUrl
from reconciler.visible import visible

if TYPE_CHECKING:  # the rules package reads `Location` from here
    from reconciler.rules.ast import Rule


@dataclass(frozen=True, order=True)
class Location:
    """A place in a config file, 1-based like editors show it."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


_PART = re.compile(r'\.?([a-z_]+)\["((?:[^"\\]|\\.)*)"\]')


@dataclass(frozen=True, order=True)
class Address:
    """Where a resource lives: `mailchimp.audience["Shop"].merge_field["CTYPE"]`."""

    provider: str
    parts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, provider: str, kind: str, name: str) -> Address:
        return cls(provider, ((kind, name),))

    def child(self, kind: str, name: str) -> Address:
        return Address(self.provider, (*self.parts, (kind, name)))

    @property
    def kind(self) -> str:
        return self.parts[-1][0]

    @property
    def name(self) -> str:
        return self.parts[-1][1]

    @property
    def parent(self) -> Address | None:
        return Address(self.provider, self.parts[:-1]) if len(self.parts) > 1 else None

    def renamed(self, name: str) -> Address:
        return Address(self.provider, (*self.parts[:-1], (self.kind, name)))

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse the string form back; raises ValueError on anything else."""
        provider, dot, rest = text.partition(".")
        parts: list[tuple[str, str]] = []
        pos = 0
        while dot and pos < len(rest):
            match = _PART.match(rest, pos)
            if not match or (pos == 0 and match.group(0).startswith(".")):
                break
            parts.append((match.group(1), _unescape(match.group(2))))
            pos = match.end()
        if not provider or not parts or pos != len(rest):
            raise ValueError(
                f'not a resource address: {text!r} (expected e.g. provider.kind["name"])'
            )
        return cls(provider, tuple(parts))

    def __str__(self) -> str:
        inner = ".".join(f'{kind}["{_escape(name)}"]' for kind, name in self.parts)
        return f"{self.provider}.{inner}"


def _escape(name: str) -> str:
    # Hidden characters as \uXXXX too: an address must never print invisibly or reorder.
    return visible(name.replace("\\", "\\\\").replace('"', '\\"'))


_ESCAPED = re.compile(r"\\u([0-9A-F]{4})|\\(.)")


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)


#: Metadata of dataclass fields that are observed but never compared or changed.
UNMANAGED = {"managed": False}


@dataclass(frozen=True, kw_only=True)
class Resource:
    """Base of every resource kind.

    Subclasses add their attributes as dataclass fields. `replace_on` names attributes
    the ESP cannot change in place: a change there is a destructive replace.
    """

    kind: ClassVar[str]
    replace_on: ClassVar[frozenset[str]] = frozenset()
    replace_reason: ClassVar[str] = ""
    #: Deleting one erases data held on subscribers (values, memberships).
    delete_loses: ClassVar[str] = ""
    #: The attribute that identifies the remote object when the ESP gives it no name
    #: (a Mailchimp webhook is its URL): matched on that instead of the key, and the
    #: key is only a label from the config.
    identity: ClassVar[str | None] = None

    address: Address
    id: str | None = field(default=None, metadata=UNMANAGED, compare=False)
    renamed_from: tuple[str, ...] = field(default=(), metadata=UNMANAGED, compare=False)
    source: Location | None = field(default=None, metadata=UNMANAGED, compare=False)
    #: Built into the ESP (e.g. MailerLite's default fields): never deleted.
    builtin: bool = field(default=False, metadata=UNMANAGED, compare=False)

    @property
    def key(self) -> str:
        """Identity within its parent: a group's name, a field's key, a merge tag."""
        return self.address.name

    def references(self) -> tuple[Address, ...]:
        """Other resources this one needs to exist (a segment's tags and interests)."""
        return ()

    def attributes(self) -> dict[str, Any]:
        """The managed attributes, i.e. what the engine compares."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "address" and f.metadata.get("managed", True)
        }


# --- MailerLite -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Field(Resource):
    """A custom field. Its address name is the field *key*, which never changes."""

    kind: ClassVar[str] = "field"
    replace_on: ClassVar[frozenset[str]] = frozenset({"type"})
    replace_reason: ClassVar[str] = (
        "the API cannot change a field's type; it must be deleted and created again, "
        "which erases its value on every subscriber"
    )
    delete_loses: ClassVar[str] = "erases this field's value on every subscriber"

    name: str | None = None
    type: str | None = None


@dataclass(frozen=True, kw_only=True)
class Group(Resource):
    kind: ClassVar[str] = "group"
    delete_loses: ClassVar[str] = "drops every subscriber's membership of this group"

    #: Who belongs in the group, when its membership is rule-driven. Not an attribute
    #: of the remote object: the membership step plans it, `diff` never sees it.
    rule: Rule | None = field(default=None, metadata=UNMANAGED, compare=False)


@dataclass(frozen=True, kw_only=True)
class Segment(Resource):
    """A MailerLite segment: its filter can be neither read nor written through the API."""

    kind: ClassVar[str] = "segment"
    delete_loses: ClassVar[str] = (
        "its filter is lost for good: MailerLite's API cannot create segments again"
    )


@dataclass(frozen=True, kw_only=True)
class Webhook(Resource):
    """A MailerLite webhook, keyed by its name. The URL may hold a secret: see SecretUrl."""

    kind: ClassVar[str] = "webhook"

    url: SecretUrl | None = None
    events: tuple[str, ...] | None = None
    enabled: bool | None = None
    batchable: bool | None = None


# --- Mailchimp ------------------------------------------------------------------------
#
# Nested settings (an audience's `contact`, a merge field's `options`) are plain JSON
# mappings: only the keys a declaration gives are compared (see engine.compare.project).


@dataclass(frozen=True, kw_only=True)
class Audience(Resource):
    """A Mailchimp audience (a "list" in the API); its address name is the audience name."""

    kind: ClassVar[str] = "audience"
    delete_loses: ClassVar[str] = (
        "deletes the audience with every contact, unsubscribe and report; it cannot be undone"
    )

    contact: dict[str, Any] | None = None
    permission_reminder: str | None = None
    campaign_defaults: dict[str, Any] | None = None
    email_type_option: bool | None = None
    double_optin: bool | None = None
    use_archive_bar: bool | None = None
    notify_on_subscribe: str | None = None
    notify_on_unsubscribe: str | None = None
    marketing_permissions: bool | None = None
    visibility: str | None = None


@dataclass(frozen=True, kw_only=True)
class MergeField(Resource):
    """An audience field; its address name is the merge *tag* (`CTYPE`)."""

    kind: ClassVar[str] = "merge_field"
    replace_on: ClassVar[frozenset[str]] = frozenset({"type"})
    replace_reason: ClassVar[str] = (
        "the API cannot change a merge field's type; it must be deleted and created "
        "again, which erases its value on every contact"
    )
    delete_loses: ClassVar[str] = "erases this field's value on every contact"

    name: str | None = None
    type: str | None = None
    required: bool | None = None
    public: bool | None = None
    default_value: str | None = None
    options: dict[str, Any] | None = None
    help_text: str | None = None
    display_order: int | None = None


@dataclass(frozen=True, kw_only=True)
class InterestCategory(Resource):
    """A group title ("Pet type"); its address name is the title."""

    kind: ClassVar[str] = "interest_category"
    delete_loses: ClassVar[str] = "removes its interests and every contact's choices in them"

    type: str | None = None
    display_order: int | None = None


@dataclass(frozen=True, kw_only=True)
class Interest(Resource):
    """A group name within a category ("Dog"); child of an InterestCategory address."""

    kind: ClassVar[str] = "interest"
    delete_loses: ClassVar[str] = "removes every contact's choice of this interest"

    display_order: int | None = None


@dataclass(frozen=True, kw_only=True)
class Tag(Resource):
    """A tag (a static segment in the API); its address name is the tag name."""

    kind: ClassVar[str] = "tag"
    delete_loses: ClassVar[str] = "removes the tag from every contact that has it"

    #: Who carries the tag, when it is rule-driven (see `Group.rule`).
    rule: Rule | None = field(default=None, metadata=UNMANAGED, compare=False)


@dataclass(frozen=True, kw_only=True)
class SavedSegment(Resource):
    """A saved segment with conditions, in the canonical form of `reconciler.conditions`."""

    kind: ClassVar[str] = "segment"

    match: str | None = None
    conditions: tuple[dict[str, Any], ...] | None = None

    def references(self) -> tuple[Address, ...]:
        audience = self.address.parent
        if audience is None:
            return ()
        found: list[Address] = []
        for condition in self.conditions or ():
            value, field_ = condition.get("value"), condition.get("field")
            if isinstance(value, dict) and "tag" in value:
                found.append(audience.child("tag", value["tag"]))
            if isinstance(field_, dict) and "interest_category" in field_:
                category = audience.child("interest_category", field_["interest_category"])
                found.append(category)
                for item in value if isinstance(value, list) else ():
                    if isinstance(item, dict) and "interest" in item:
                        found.append(category.child("interest", item["interest"]))
        return tuple(found)


@dataclass(frozen=True, kw_only=True)
class AudienceWebhook(Resource):
    """A Mailchimp audience webhook. Mailchimp gives webhooks no name: the URL is the
    identity, and the key is the label written in the config (or, observed, the URL's
    digest). `events` and `sources` map each name to whether it fires."""

    kind: ClassVar[str] = "webhook"
    identity: ClassVar[str | None] = "url"

    url: SecretUrl | None = None
    events: dict[str, bool] | None = None
    sources: dict[str, bool] | None = None


# --- Ownership ------------------------------------------------------------------------


#: octoDNS's defaults: a plan that changes or deletes more than this share of a kind's
#: objects is refused unless forced...
DEFAULT_MAX_PERCENT = 30.0
#: ...but only once the kind has this many objects: in a small account one ordinary
#: delete is already a large share.
DEFAULT_THRESHOLD_MIN_OBJECTS = 10
#: Rule-driven membership: adds plus removes in one group, in percent of its current
#: members, above which a plan is refused unless forced...
DEFAULT_MAX_MEMBERSHIP_CHANGE_PERCENT = 30.0
#: ...once the group has this many members (a small group moves by large shares).
DEFAULT_MEMBERSHIP_MIN_MEMBERS = 100


@dataclass(frozen=True)
class Glob:
    """A name glob from the config, with where it was written (for messages)."""

    pattern: str
    source: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Limit:
    """One threshold as it applies to one kind: the percent, and who set it."""

    percent: float
    #: The config key that set it (`settings.max_delete_percent.groups`), or "" for the
    #: built-in default.
    setting: str = ""


@dataclass(frozen=True)
class Threshold:
    """A safety threshold in percent of a kind's existing objects.

    `percent` applies to every kind that `by_kind` does not name; `None` means the
    built-in default. `name` is the settings key, used to say where a limit came from.
    """

    name: str
    percent: float | None = None
    by_kind: tuple[tuple[str, float], ...] = ()

    def limit(self, kind: str) -> Limit:
        for known, percent in self.by_kind:
            if known == kind:
                return Limit(percent, f"settings.{self.name}.{section_key(kind)}")
        if self.percent is not None:
            return Limit(self.percent, f"settings.{self.name}")
        return Limit(DEFAULT_MAX_PERCENT)


def section_key(kind: str) -> str:
    """The config key of a kind's section and of its per-kind settings: `groups`,
    `merge_fields`, `interest_categories`."""
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


@dataclass(frozen=True)
class Settings:
    """Which remote objects espform owns beyond those declared, and how it guards them."""

    #: Resource kinds (`group`, `field`, ...) whose undeclared remote objects are deleted.
    prune: frozenset[str] = frozenset()
    #: Name globs (fnmatch, case-sensitive) never touched nor reported.
    ignore: tuple[str, ...] = ()
    #: Name globs of objects that are never deleted nor replaced, whatever the config
    #: says and even with --force: the protection lives in the settings, not in an
    #: object's own declaration, so removing the declaration does not remove it.
    protect: tuple[Glob, ...] = ()
    #: Most objects of a kind a plan may update, rename or replace, in percent.
    max_change_percent: Threshold = Threshold("max_change_percent")
    #: Most objects of a kind a plan may delete or replace, in percent.
    max_delete_percent: Threshold = Threshold("max_delete_percent")
    #: Thresholds apply only to kinds with at least this many objects in the account.
    threshold_min_objects: int = DEFAULT_THRESHOLD_MIN_OBJECTS
    #: Most members a plan may add plus remove in one rule-driven group or tag, in
    #: percent of its current members (refused unless forced; see engine.safety).
    max_membership_change_percent: float = DEFAULT_MAX_MEMBERSHIP_CHANGE_PERCENT
    #: That threshold applies only to groups or tags with at least this many members.
    membership_min_members: int = DEFAULT_MEMBERSHIP_MIN_MEMBERS


@dataclass(frozen=True)
class Capabilities:
    """What an ESP's API allows, per resource kind (like octoDNS's SUPPORTS)."""

    #: Kinds the provider reads and manages.
    kinds: frozenset[str]
    #: Kinds that can be created through the API (MailerLite segments cannot).
    creatable: frozenset[str]
    #: Kinds that can be renamed in place, keeping their id and members.
    renamable: frozenset[str]
    #: Kinds that can be deleted.
    deletable: frozenset[str]
    #: Hint shown when a declared object of a non-creatable kind is missing.
    create_hints: dict[str, str] = field(default_factory=dict)
    #: Kinds whose names the ESP compares ignoring case (Mailchimp tags; it may even
    #: change their case): matched that way, and a case-only difference is no rename.
    case_insensitive: frozenset[str] = frozenset()


# --- State ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Automation:
    """An automation read from the account. espform never changes one (the APIs cannot);
    it reads them to know which objects they need."""

    id: str
    name: str
    enabled: bool
    #: The groups a subscriber joining starts it, as the account names them now (or, for
    #: a group deleted since, as the automation last knew it).
    joins: tuple[Address, ...] = ()


@dataclass
class State:
    """All resources of one account, desired or observed."""

    provider: str
    resources: list[Resource] = field(default_factory=list)
    #: Observed only: the account's automations, for what depends on its objects.
    automations: tuple[Automation, ...] = ()

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def add(self, resource: Resource) -> None:
        self.resources.append(resource)

    def extend(self, resources: Iterable[Resource]) -> None:
        self.resources.extend(resources)

    def of_kind(self, kind: str, parent: Address | None = None) -> list[Resource]:
        return [r for r in self.resources if r.kind == kind and r.address.parent == parent]

    def get(self, address: Address) -> Resource | None:
        for resource in self.resources:
            if resource.address == address:
                return resource
        return None
