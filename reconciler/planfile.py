"""Saved plans: writing `plan --out FILE`, reading it back, and telling when it is stale.

A saved plan is the JSON plan document (see `render.json_document`): the changes that
were reviewed, a digest of the config file, a fingerprint of every account object
they touch, the `--target` addresses it was narrowed to, and whether it was made with
`--force`, and the provider and host (or sandbox) it was made for. It holds no
credential. `apply FILE` carries it out only if the config points at that same account
and the config file, the fingerprints and a fresh plan all still agree with it; for
rule-driven groups and tags, the fresh plan must add and remove exactly the saved members.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.engine.fingerprint import Fingerprint, FingerprintMismatch, PlanOrigin, digest_bytes
from reconciler.engine.membership import MembershipChange
from reconciler.engine.plan import Action, Plan
from reconciler.engine.safety import Violation
from reconciler.model import Address
from reconciler.render.json_document import (
    FORMAT_VERSION,
    PLAN_DOCUMENT,
    change_document,
    dumps,
    plan_document,
)

_READS_MAJOR = int(FORMAT_VERSION.split(".")[0])
_ACTIONS = {a.value for a in Action}


class PlanFileError(Exception):
    """The file is missing, not a plan, damaged, or from a newer espform."""


class WrongAccountError(PlanFileError):
    """The saved plan was made for another account than the config points at."""


@dataclass(frozen=True)
class SavedChange:
    address: str
    action: str
    #: The change exactly as saved; a fresh plan must produce the same document.
    document: Mapping[str, Any]


@dataclass(frozen=True)
class SavedMembership:
    """The members a saved plan adds to and removes from one group or tag, by id."""

    address: str
    add: frozenset[str]
    remove: frozenset[str]

    @classmethod
    def of(cls, change: MembershipChange) -> SavedMembership:
        return cls(
            str(change.address),
            frozenset(ref.id for ref in change.add),
            frozenset(ref.id for ref in change.remove),
        )

    def counts(self) -> str:
        return f"+{len(self.add):,} -{len(self.remove):,}"


@dataclass(frozen=True)
class SavedPlan:
    path: Path
    format_version: str
    espform_version: str
    provider: str
    target: str
    config_digest: str
    fingerprints: Mapping[str, Fingerprint]
    changes: tuple[SavedChange, ...]
    #: What `plan --target` narrowed it to; apply narrows its fresh plan the same way.
    targets: tuple[Address, ...] = ()
    #: Planned with --force: the thresholds were reviewed as lifted, so apply lifts them
    #: too. Protection is checked again regardless.
    forced: bool = False
    #: Members of rule-driven groups and tags to add and remove.
    membership: tuple[SavedMembership, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.changes) or any(m.add or m.remove for m in self.membership)


@dataclass(frozen=True)
class StaleItem:
    """One reason a saved plan no longer fits the account."""

    address: str
    what: str

    def __str__(self) -> str:
        return f"{self.address}: {self.what}"


class StalePlanError(Exception):
    """The saved plan cannot be applied as reviewed; nothing was changed."""

    def __init__(self, message: str, items: Sequence[StaleItem] = ()) -> None:
        self.items = tuple(items)
        lines = [message, *(f"  {item}" for item in self.items)]
        super().__init__("\n".join(lines))


def check_account(saved: SavedPlan, provider: str, target: str, config_path: Path) -> None:
    """Refuse a plan made for another ESP, or for another host or the sandbox.

    The config digest alone does not catch it: a plan applied with another account's
    config would be refused as "changed" without saying why, and a config that names
    its account through `${env:...}` reads the same whatever the variable holds.
    """
    if (saved.provider, saved.target) == (provider, target):
        return
    raise WrongAccountError(
        f"the saved plan {saved.path} was made for another account: {saved.provider} "
        f"({saved.target}), but the config {config_path} points at {provider} ({target}); "
        "nothing was changed. Apply it with the config (and environment) it was planned "
        f"with, or plan this account with `espform plan -c {config_path} --out FILE` and "
        "apply that plan."
    )


def config_digest(path: Path) -> str:
    """Digest of the config file's bytes: any edit, even a comment, makes a plan stale."""
    return digest_bytes(path.read_bytes())


def write_plan(
    path: Path,
    plan: Plan,
    origin: PlanOrigin,
    violations: Sequence[Violation] = (),
    *,
    forced: bool = False,
) -> None:
    """Write atomically, so a CI job never uploads a half-written plan."""
    text = dumps(plan_document(plan, origin, violations, forced=forced)) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise PlanFileError(f"cannot write the plan to {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise PlanFileError(f"cannot write the plan to {path}: {exc.strerror}") from None


def read_plan(path: Path) -> SavedPlan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise PlanFileError(f"cannot read the plan file {path}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            f"{path} is not an espform plan file: it is not JSON (line {exc.lineno}: {exc.msg}). "
            "Save a plan with `espform plan --out FILE`."
        ) from None
    if not isinstance(data, dict) or data.get("document") != PLAN_DOCUMENT:
        raise PlanFileError(
            f'{path} is not an espform plan file (it lacks "document": "{PLAN_DOCUMENT}"). '
            "Save a plan with `espform plan --out FILE`."
        )
    _check_version(path, data)
    return _parse(path, data)


def _check_version(path: Path, data: dict[str, Any]) -> None:
    version = data.get("format_version")
    major = version.split(".")[0] if isinstance(version, str) else ""
    if not major.isdigit():
        raise PlanFileError(f"{path} is damaged: format_version {version!r} is not like 1.0")
    if int(major) > _READS_MAJOR:
        raise PlanFileError(
            f"{path} was written by espform {data.get('espform_version', '?')} in plan "
            f"format {version}; this espform ({__version__}) reads format "
            f"{_READS_MAJOR}.x. Upgrade espform, or plan again with this version."
        )
    if int(major) < _READS_MAJOR:
        raise PlanFileError(f"{path} uses plan format {version}, which is no longer read.")


def _parse(path: Path, data: dict[str, Any]) -> SavedPlan:
    def damaged(what: str) -> PlanFileError:
        return PlanFileError(f"{path} is damaged: {what}. {replan_hint(path)}")

    for key in ("espform_version", "provider", "target", "config_digest"):
        if not isinstance(data.get(key), str):
            raise damaged(f'"{key}" is missing or not a string')
    fingerprints = data.get("fingerprints")
    if not isinstance(fingerprints, dict) or not all(
        isinstance(v, str | None) for v in fingerprints.values()
    ):
        raise damaged('"fingerprints" must map addresses to digests or null')
    raw_changes = data.get("changes")
    if not isinstance(raw_changes, list):
        raise damaged('"changes" is missing or not a list')
    changes = []
    for number, item in enumerate(raw_changes, 1):
        if not isinstance(item, dict):
            raise damaged(f"change {number} is not an object")
        address, action = item.get("address"), item.get("action")
        if not isinstance(address, str) or action not in _ACTIONS:
            raise damaged(f"change {number} lacks a valid address or action")
        # Without its fingerprint a change could be applied to an object that was
        # changed by hand since the review.
        if address not in fingerprints:
            raise damaged(f"change {number} ({address}) has no fingerprint")
        changes.append(SavedChange(address, action, item))
    return SavedPlan(
        targets=_targets(data, damaged),
        forced=_forced(data, damaged),
        membership=_membership(data, fingerprints, damaged),
        path=path,
        format_version=data["format_version"],
        espform_version=data["espform_version"],
        provider=data["provider"],
        target=data["target"],
        config_digest=data["config_digest"],
        fingerprints=fingerprints,
        changes=tuple(changes),
    )


def _targets(data: dict[str, Any], damaged: Callable[[str], PlanFileError]) -> tuple[Address, ...]:
    # Absent in plans saved before targeting existed: those were whole plans.
    raw = data.get("targets", [])
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise damaged('"targets" must be a list of addresses')
    try:
        return tuple(Address.parse(t) for t in raw)
    except ValueError as err:
        raise damaged(f'"targets" holds an invalid address ({err})') from None


def _membership(
    data: dict[str, Any],
    fingerprints: Mapping[str, Any],
    damaged: Callable[[str], PlanFileError],
) -> tuple[SavedMembership, ...]:
    # Absent in plans saved before rule-driven membership existed: none was planned.
    raw = data.get("membership", [])
    if not isinstance(raw, list):
        raise damaged('"membership" must be a list')
    found = []
    for number, item in enumerate(raw, 1):
        address = item.get("address") if isinstance(item, dict) else None
        if not isinstance(address, str) or address not in fingerprints:
            raise damaged(f"membership entry {number} lacks an address with a fingerprint")
        sides: list[frozenset[str]] = []
        for side in ("add", "remove"):
            refs = item.get(side)
            if not isinstance(refs, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), str) for r in refs
            ):
                raise damaged(f'membership entry {number} ({address}): "{side}" must list ids')
            sides.append(frozenset(r["id"] for r in refs))
        found.append(SavedMembership(address, sides[0], sides[1]))
    return tuple(found)


def _forced(data: dict[str, Any], damaged: Callable[[str], PlanFileError]) -> bool:
    safety = data.get("safety", {})
    forced = safety.get("forced", False) if isinstance(safety, dict) else None
    if not isinstance(forced, bool):
        raise damaged('"safety.forced" must be true or false')
    return forced


def stale_items(
    saved: SavedPlan, mismatches: Sequence[FingerprintMismatch], fresh: Plan
) -> list[StaleItem]:
    """Why `fresh` (planned now) differs from `saved`: fingerprints first, then changes."""
    since = "since the plan was made"
    items = [
        StaleItem(m.address, f"{m.difference.value} in the account {since}") for m in mismatches
    ]
    saved_by_address = {c.address: c for c in saved.changes}
    fresh_by_address = {str(c.address): change_document(c) for c in fresh.changes}
    for address, now in fresh_by_address.items():
        before = saved_by_address.get(address)
        if before is None:
            items.append(StaleItem(address, f"now needs a {now['action']} the plan does not have"))
        elif dict(before.document) != now:
            detail = (
                f"{before.action} → {now['action']}"
                if before.action != now["action"]
                else f"{now['action']} with other values"
            )
            items.append(StaleItem(address, f"would now be planned differently ({detail})"))
    for address, before in saved_by_address.items():
        if address not in fresh_by_address:
            items.append(StaleItem(address, f"no longer needs the planned {before.action}"))
    return items + membership_items(saved.membership, fresh.membership)


def membership_items(
    saved: Sequence[SavedMembership], fresh: Sequence[MembershipChange]
) -> list[StaleItem]:
    """Groups or tags whose members to add or remove differ from the saved plan's."""
    none = frozenset[str]()
    planned = {m.address: m for m in saved if m.add or m.remove}
    now = {m.address: m for m in map(SavedMembership.of, fresh) if m.add or m.remove}
    items = []
    for address in [*planned, *(a for a in now if a not in planned)]:
        before = planned.get(address) or SavedMembership(address, none, none)
        after = now.get(address) or SavedMembership(address, none, none)
        if before == after:
            continue
        if before.counts() != after.counts():
            what = f"members would now change by {after.counts()}, the plan has {before.counts()}"
        else:
            what = f"members would change by {after.counts()} as planned, but not the same ones"
        items.append(StaleItem(address, what))
    return items


def replan_hint(path: Path) -> str:
    return f"Run `espform plan --out {path}` again, review the new plan, and apply that one."


def merge_items(items: Sequence[StaleItem]) -> list[StaleItem]:
    """One line per address, in first-seen order: a vanished object and the change that
    no longer fits it read better together."""
    reasons: dict[str, list[str]] = {}
    for item in items:
        found = reasons.setdefault(item.address, [])
        if item.what not in found:
            found.append(item.what)
    return [StaleItem(address, "; ".join(whats)) for address, whats in reasons.items()]
