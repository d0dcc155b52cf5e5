"""Rule-driven membership: who must be in each rule-driven group or tag. Pure, no I/O.

Providers stream subscribers page by page as `Member`s; the planner evaluates every
member once against every rule and keeps only the differences, so memory grows with the
number of changes, not with the number of subscribers.

Contract between the layers:
- config declares the rule on the desired resource (`Group.rule`, `Tag.rule`) and a
  `Catalog` per scope (`Config.catalogs`); `engine.rule_targets` turns them, with the
  structural plan, into one `RuleTarget` per rule-driven group (MailerLite) or tag
  (Mailchimp), knowing its remote name now (old name when renamed, None when created);
- a provider's `scan_members(scope)` yields pages of `Member`s whose `groups`/`tags` hold
  the *remote* names of what they belong to now (scope: None for an account-wide scan,
  as in MailerLite; an audience address in Mailchimp, whose tags live per audience, as
  the account has it now: `RuleTarget.scan_scope`, the old one when the plan renames
  the audience), and every subscriber of the scope whatever its status;
- one planner per scope turns them into `MembershipChange`s, kept in `Plan.membership`
  and carried out after every structural change of the plan (so a group created by the
  plan exists; deletes only touch undeclared objects, which no rule may name); providers
  carry them out in batches with `apply_membership`.

Statuses: every member fed is considered, whatever its status, and a rule means what it
says: without a status predicate, status is no criterion (see docs/rules.md for why).
`statuses=` narrows that for an ESP that cannot change some members (they are then
neither added nor removed, only counted).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.model import Address
from reconciler.rules import Catalog, Rule, Status, SubscriberView, compile_rule
from reconciler.rules.ast import HasTag, InGroup, walk
from reconciler.rules.text import fold


@dataclass(frozen=True)
class Member:
    """One subscriber as a provider read it: how to address it, and what rules see."""

    #: The ESP's handle for writes: MailerLite's subscriber id, Mailchimp's email address.
    id: str
    view: SubscriberView


@dataclass(frozen=True)
class RuleTarget:
    """A group or tag whose membership a rule decides."""

    address: Address
    rule: Rule
    #: Its name in the account now (differs when the plan renames it; None if it does
    #: not exist yet and every match is an addition).
    remote_name: str | None
    #: The fields the rule may compare, with their types (which decide whether a value
    #: compares as text, number or date); None lets the rule's values decide.
    catalog: Catalog | None = None
    #: The scope's address in the account now, when the plan renames it (a renamed
    #: audience is still listed under its old name until apply); None: as `scope`.
    remote_scope: Address | None = None

    @property
    def scope(self) -> Address | None:
        """What one scan must cover: the account (None) or the parent audience, by the
        address the config gives it."""
        return self.address.parent

    @property
    def scan_scope(self) -> Address | None:
        """The scope as the provider can find it before apply: what to scan."""
        return self.remote_scope if self.remote_scope is not None else self.scope

    @property
    def attribute(self) -> str:
        """The `SubscriberView` attribute that lists what a member belongs to of this kind."""
        return "tags" if self.address.kind == "tag" else "groups"


@dataclass(frozen=True)
class MemberRef:
    id: str
    email: str


@dataclass
class MembershipChange:
    """Members to add to and remove from one target (the planner lists them by email)."""

    address: Address
    add: list[MemberRef] = field(default_factory=list)
    remove: list[MemberRef] = field(default_factory=list)
    #: Members before the change (for the share-of-group safety threshold).
    current_size: int = 0

    @property
    def size(self) -> int:
        """How many members change: additions plus removals."""
        return len(self.add) + len(self.remove)


class _Slot:
    """One target while a scan runs: its compiled rule and what differs so far."""

    __slots__ = (
        "add",
        "attribute",
        "current",
        "folded",
        "matches",
        "remote",
        "remove",
        "target",
        "used",
    )

    def __init__(self, target: RuleTarget, now: datetime) -> None:
        self.target = target
        self.matches = compile_rule(target.rule, now, target.catalog)
        self.attribute = target.attribute
        self.remote = target.remote_name
        self.folded = fold(target.address.name)
        #: Another target's rule asks about this one: its planned membership must be
        #: visible to that rule.
        self.used = False
        self.current = 0
        self.add: list[MemberRef] = []
        self.remove: list[MemberRef] = []


class MembershipPlanner:
    """Feed it pages of members; ask it for the changes at the end.

    One planner covers one scan scope. `renames` maps remote names of groups/tags that
    the plan renames (rule-driven or not) to their new names, so that `in_group` and
    `has_tag` see names as they will be after apply. A target whose rule refers to
    another rule-driven target sees that target's planned membership: targets are
    evaluated in dependency order (ValueError on a loop, which config refuses first).
    """

    def __init__(
        self,
        targets: Iterable[RuleTarget],
        now: datetime,
        *,
        renames: Mapping[str, str] | None = None,
        statuses: Collection[Status | str] | None = None,
    ) -> None:
        given = list(targets)
        addresses = [t.address for t in given]
        if len(set(addresses)) != len(addresses):
            raise ValueError("each target address may be planned only once")
        self._targets = given
        self._slots = _in_dependency_order([_Slot(t, now) for t in given])
        self._renames = dict(renames or {})
        self._statuses = frozenset(statuses) if statuses is not None else None
        # Rewriting a member's view costs an object per member: only when some rule
        # asks about names that differ from the remote ones (renamed, or planned).
        asked = {
            attribute
            for attribute in ("groups", "tags")
            if any(references(s.target.rule, attribute) for s in self._slots)
        }
        changed = bool(self._renames) or any(s.used for s in self._slots)
        self._rewrite = asked if changed else set()
        self.members_seen = 0

    @property
    def pending(self) -> int:
        """Member references held: the planner's only storage that grows with a scan."""
        return sum(len(s.add) + len(s.remove) for s in self._slots)

    def feed(self, members: Iterable[Member]) -> None:
        slots = self._slots
        statuses = self._statuses
        for member in members:
            self.members_seen += 1
            view = member.view
            if statuses is not None and view.status not in statuses:
                for slot in slots:
                    if slot.remote is not None and slot.remote in getattr(view, slot.attribute):
                        slot.current += 1
                continue
            seen = self._visible(view) if self._rewrite else view
            for slot in slots:
                remote = slot.remote
                have = remote is not None and remote in getattr(view, slot.attribute)
                if have:
                    slot.current += 1
                want = slot.matches(seen)
                if want != have:
                    (slot.add if want else slot.remove).append(MemberRef(member.id, view.email))
                if slot.used:
                    names = getattr(seen, slot.attribute)
                    names.discard(slot.folded)
                    if want:
                        names.add(slot.folded)

    def _visible(self, view: SubscriberView) -> SubscriberView:
        """`view` with names as rules must see them: renamed, and with mutable sets
        that `feed` updates to each used target's planned membership.

        Names are folded here, as `in_group` compares them folded: a planned name then
        replaces the member's current one whatever its spelling."""
        renames = self._renames
        groups: Collection[str] = view.groups
        tags: Collection[str] = view.tags
        if "groups" in self._rewrite:
            groups = {fold(renames.get(n, n)) for n in view.groups}
        if "tags" in self._rewrite:
            tags = {fold(renames.get(n, n)) for n in view.tags}
        return SubscriberView(
            view.email,
            view.status,
            view.fields,
            groups,
            tags,
            view.subscribed_at,
            view.created_at,
        )

    def changes(self) -> list[MembershipChange]:
        """The targets whose membership differs, in the order they were given; members
        by email, so that a plan reads the same whatever order the pages came in."""
        by_address = {s.target.address: s for s in self._slots}
        found = []
        for target in self._targets:
            slot = by_address[target.address]
            if slot.add or slot.remove:
                add = sorted(slot.add, key=_by_email)
                remove = sorted(slot.remove, key=_by_email)
                found.append(MembershipChange(target.address, add, remove, slot.current))
        return found

    def current_sizes(self) -> dict[Address, int]:
        """Members each target has now, changed or not."""
        return {s.target.address: s.current for s in self._slots}


def _by_email(ref: MemberRef) -> tuple[str, str]:
    return ref.email, ref.id


def references(rule: Rule, attribute: str) -> set[str]:
    """Folded names of the groups (`in_group`) or tags (`has_tag`) a rule refers to."""
    node_type = InGroup if attribute == "groups" else HasTag
    return {fold(n.name) for n in walk(rule) if isinstance(n, node_type)}


def _in_dependency_order(slots: Sequence[_Slot]) -> list[_Slot]:
    """Targets that others refer to first; otherwise as given (a stable Kahn sort)."""
    by_name = {(s.attribute, s.folded): s for s in slots}
    needs: dict[int, set[int]] = {}
    for slot in slots:
        wanted = set()
        for name in references(slot.target.rule, slot.attribute):
            other = by_name.get((slot.attribute, name))
            if other is not None:
                other.used = True
                wanted.add(id(other))
        needs[id(slot)] = wanted
    ordered: list[_Slot] = []
    done: set[int] = set()
    left = list(slots)
    while left:
        ready = next((s for s in left if needs[id(s)] <= done), None)
        if ready is None:
            names = ", ".join(str(s.target.address) for s in left)
            raise ValueError(f"rule-driven memberships depend on each other in a loop: {names}")
        ordered.append(ready)
        done.add(id(ready))
        left.remove(ready)
    return ordered
