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
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import __version__, plan_json
from reconciler.engine.fingerprint import Fingerprint, FingerprintMismatch, PlanOrigin, digest_bytes
from reconciler.engine.membership import MembershipChange
from reconciler.engine.plan import Action, Plan
from reconciler.engine.safety import Violation
from reconciler.model import Address
from reconciler.plan_json import PlanJsonError, json_path, read_document, replan_hint
from reconciler.render.json_document import (
    DRIFT_DOCUMENT,
    FORMAT_VERSION,
    PLAN_DOCUMENT,
    change_document,
    dumps,
    plan_document,
)
from reconciler.visible import HIDDEN, describe, visible

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
    size = len(text.encode())
    if size > plan_json.MAX_PLAN_BYTES:
        # Never save a plan that `apply FILE` would refuse to read.
        raise PlanFileError(
            f"the plan was not saved to {path}: it takes {size / 2**20:,.1f} MiB, more than "
            f"the {plan_json.MAX_PLAN_BYTES // 2**20} MiB a saved plan may hold. Narrow it "
            "with --target and save and apply it in parts."
        )
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
    """The saved plan in `path`, or PlanFileError naming what is wrong, where, and what now.

    Only reads the file: nothing here touches the config or the account, so a bad plan
    file is refused before any request is made.
    """
    try:
        data = read_document(path)
    except PlanJsonError as err:
        raise PlanFileError(str(err)) from None
    if not isinstance(data, dict):
        raise PlanFileError(
            f"{path} is not an espform plan file: it holds a JSON {_json_kind(data)}, "
            "not an object. Save a plan with `espform plan --out FILE`."
        )
    if data.get("document") == DRIFT_DOCUMENT:
        raise PlanFileError(
            f"{path} is an espform drift report, not a plan: it cannot be applied. "
            "Save a plan with `espform plan --out FILE`."
        )
    if data.get("document") != PLAN_DOCUMENT:
        raise PlanFileError(
            f'{path} is not an espform plan file (it lacks "document": "{PLAN_DOCUMENT}"). '
            "Save a plan with `espform plan --out FILE`."
        )
    _check_version(path, data)
    return _parse(path, data)


def _json_kind(value: object) -> str:
    kinds = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _check_version(path: Path, data: dict[str, Any]) -> None:
    version = data.get("format_version")
    if version is None:
        raise PlanFileError(
            f'{path} is damaged at format_version: it is missing (espform writes e.g. "'
            f'{FORMAT_VERSION}"). {replan_hint(path)}'
        )
    if not isinstance(version, str):
        raise PlanFileError(
            f'{path} is damaged at format_version: a string such as "{FORMAT_VERSION}" was '
            f"expected, not a {_json_kind(version)}. {replan_hint(path)}"
        )
    major = version.split(".")[0]
    if not major.isdigit():
        raise PlanFileError(
            f"{path} is damaged at format_version: {visible(json.dumps(version))} is not a "
            f'version like "{FORMAT_VERSION}". {replan_hint(path)}'
        )
    if int(major) > _READS_MAJOR:
        made_by = data.get("espform_version")
        by = f"espform {visible(made_by)}" if isinstance(made_by, str) else "a newer espform"
        raise PlanFileError(
            f"{path} was made by a newer espform ({by}, plan format {visible(version)}); "
            f"this espform ({__version__}) reads plan format {_READS_MAJOR}.x. Upgrade "
            "espform to apply it, or plan again with this version."
        )
    if int(major) < _READS_MAJOR:
        raise PlanFileError(
            f"{path} uses plan format {visible(version)}, which this espform no longer reads. "
            f"{replan_hint(path)}"
        )


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _parse(path: Path, data: dict[str, Any]) -> SavedPlan:
    def damaged(what: str, *at: str | int) -> PlanFileError:
        where = f" at {json_path(at)}" if at else ""
        return PlanFileError(f"{path} is damaged{where}: {what}. {replan_hint(path)}")

    for key in ("espform_version", "provider", "target", "config_digest"):
        if key not in data:
            raise damaged("it is missing", key)
        if not isinstance(data[key], str):
            raise damaged(f"a string was expected, not a {_json_kind(data[key])}", key)
    if not _DIGEST.fullmatch(data["config_digest"]):
        raise damaged("it is not a sha256 digest as espform writes it", "config_digest")
    fingerprints = _fingerprints(data, damaged)
    raw_changes = data.get("changes")
    if not isinstance(raw_changes, list):
        raise damaged(
            "it is missing" if raw_changes is None else "a list of changes was expected",
            "changes",
        )
    changes = []
    seen: dict[str, int] = {}
    for number, item in enumerate(raw_changes):
        if not isinstance(item, dict):
            raise damaged(
                f"a change (an object) was expected, not a {_json_kind(item)}", "changes", number
            )
        address = _address(
            item.get("address"), data["provider"], damaged, "changes", number, "address"
        )
        action = item.get("action")
        if action not in _ACTIONS:
            what = (
                "it is missing"
                if action is None
                else f"{visible(json.dumps(action))} is not an action espform plans"
            )
            raise damaged(
                f"{what} (espform writes one of: {', '.join(a.value for a in Action)})",
                "changes",
                number,
                "action",
            )
        if address in seen:
            raise damaged(
                f"{address} is changed twice (also at changes[{seen[address]}]); a plan "
                "changes each object once",
                "changes",
                number,
            )
        seen[address] = number
        # Without its fingerprint a change could be applied to an object that was
        # changed by hand since the review.
        if address not in fingerprints:
            raise damaged(f"the change of {address} has no fingerprint", "changes", number)
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


_Damaged = Callable[..., PlanFileError]


def _address(raw: object, provider: str, damaged: _Damaged, *at: str | int) -> str:
    """The address as saved, checked to be one espform writes for this plan's provider."""
    if not isinstance(raw, str):
        raise damaged("it is missing" if raw is None else "an address (a string) was expected", *at)
    hidden = HIDDEN.search(raw)
    if hidden:
        # espform writes such characters escaped (\uXXXX), never raw.
        raise damaged(f"the address holds the raw character {describe(hidden.group())}", *at)
    try:
        address = Address.parse(raw)
    except ValueError as err:
        raise damaged(str(err), *at) from None
    if address.provider != provider:
        raise damaged(
            f"{address} belongs to {address.provider}, but the plan is for {provider}", *at
        )
    return raw


def _fingerprints(data: dict[str, Any], damaged: _Damaged) -> dict[str, Fingerprint]:
    raw = data.get("fingerprints")
    if not isinstance(raw, dict):
        raise damaged(
            "it is missing" if raw is None else "it must map addresses to digests", "fingerprints"
        )
    for address, digest in raw.items():
        _address(address, data["provider"], damaged, "fingerprints", address)
        if digest is not None and not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
            raise damaged("a sha256 digest or null was expected", "fingerprints", address)
    return raw


def _targets(data: dict[str, Any], damaged: _Damaged) -> tuple[Address, ...]:
    # Absent in plans saved before targeting existed: those were whole plans.
    raw = data.get("targets", [])
    if not isinstance(raw, list):
        raise damaged("a list of addresses was expected", "targets")
    for number, text in enumerate(raw):
        _address(text, data["provider"], damaged, "targets", number)
    return tuple(Address.parse(t) for t in raw)


def _membership(
    data: dict[str, Any],
    fingerprints: Mapping[str, Any],
    damaged: _Damaged,
) -> tuple[SavedMembership, ...]:
    # Absent in plans saved before rule-driven membership existed: none was planned.
    raw = data.get("membership", [])
    if not isinstance(raw, list):
        raise damaged("a list was expected", "membership")
    found = []
    seen: set[str] = set()
    for number, item in enumerate(raw):
        if not isinstance(item, dict):
            raise damaged(f"an object was expected, not a {_json_kind(item)}", "membership", number)
        address = _address(
            item.get("address"), data["provider"], damaged, "membership", number, "address"
        )
        if address not in fingerprints:
            raise damaged(f"the members of {address} have no fingerprint", "membership", number)
        if address in seen:
            raise damaged(f"the members of {address} are listed twice", "membership", number)
        seen.add(address)
        sides: list[frozenset[str]] = []
        for side in ("add", "remove"):
            refs = item.get(side)
            if not isinstance(refs, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), str) for r in refs
            ):
                raise damaged("a list of members with ids was expected", "membership", number, side)
            sides.append(frozenset(r["id"] for r in refs))
        found.append(SavedMembership(address, sides[0], sides[1]))
    return tuple(found)


def _forced(data: dict[str, Any], damaged: _Damaged) -> bool:
    safety = data.get("safety", {})
    if not isinstance(safety, dict):
        raise damaged("an object was expected", "safety")
    forced = safety.get("forced", False)
    if not isinstance(forced, bool):
        raise damaged("true or false was expected", "safety", "forced")
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


def merge_items(items: Sequence[StaleItem]) -> list[StaleItem]:
    """One line per address, in first-seen order: a vanished object and the change that
    no longer fits it read better together."""
    reasons: dict[str, list[str]] = {}
    for item in items:
        found = reasons.setdefault(item.address, [])
        if item.what not in found:
            found.append(item.what)
    return [StaleItem(address, "; ".join(whats)) for address, whats in reasons.items()]
