"""Fingerprints: what a saved plan remembers of the account it was planned against.

A saved plan is only safe to carry out if the objects it touches are still as they were
when it was reviewed. Instead of copying the account (Terraform keeps a state snapshot),
a plan records one digest per touched address; `apply` re-reads the account, digests the
same addresses again and refuses when any differs. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.engine.plan import Change, Plan
from reconciler.model import Address, Resource, State

#: Prefixed to every digest so that a future change of algorithm reads as a mismatch
#: with a visible cause rather than as a silent collision.
ALGORITHM = "sha256"

#: Digest of the observed object(s) at one address; None when nothing was there.
Fingerprint = str | None


@dataclass(frozen=True)
class PlanOrigin:
    """What a plan was computed against, saved with it so apply can check it still holds.

    Never holds a credential: the provider type and a host or "embedded sandbox" only.
    """

    provider: str
    #: Where the account lives, for people: "embedded sandbox" or the API host.
    target: str
    #: Digest of the config file's bytes.
    config_digest: str
    #: Address (as text) -> fingerprint, for every address the plan touches.
    fingerprints: Mapping[str, Fingerprint]


class Difference(StrEnum):
    CHANGED = "changed"
    APPEARED = "appeared"
    VANISHED = "vanished"


@dataclass(frozen=True)
class FingerprintMismatch:
    address: str
    difference: Difference


def digest_bytes(data: bytes) -> str:
    return f"{ALGORITHM}:{hashlib.sha256(data).hexdigest()}"


def fingerprint(resources: Sequence[Resource]) -> Fingerprint:
    """Digest of the resources found at one address (usually one; several if duplicated).

    Covers the remote id (deleted and re-created by hand is a different object) and the
    managed attributes; unmanaged extras such as source locations are left out so that
    the digest depends only on the account.
    """
    if not resources:
        return None
    canonical = sorted(_canonical(r) for r in resources)
    return digest_bytes("\n".join(canonical).encode())


def touched_addresses(change: Change) -> tuple[Address, ...]:
    """The observed addresses a change depends on.

    A rename depends on its source and on its target name being free; everything else
    on the object it acts on (absent, for a create).
    """
    if change.before is None:
        return (change.address,)
    if change.before.address != change.address:
        return (change.before.address, change.address)
    return (change.before.address,)


def plan_fingerprints(plan: Plan, observed: State) -> dict[str, Fingerprint]:
    """Fingerprints of every address the plan touches, in plan order; the groups and
    tags whose members it changes too (a group deleted and made again by hand is
    another group, whose members were not reviewed)."""
    addresses = [str(a) for change in plan.changes for a in touched_addresses(change)]
    addresses += [str(m.address) for m in plan.membership]
    return fingerprints_at(addresses, observed)


def fingerprints_at(addresses: Iterable[str], observed: State) -> dict[str, Fingerprint]:
    index: dict[str, list[Resource]] = defaultdict(list)
    for resource in observed:
        index[str(resource.address)].append(resource)
    return {address: fingerprint(index.get(address, [])) for address in addresses}


def compare_fingerprints(
    saved: Mapping[str, Fingerprint], fresh: Mapping[str, Fingerprint]
) -> list[FingerprintMismatch]:
    """Addresses whose observed object differs now from when the plan was made."""
    mismatches = []
    for address, before in saved.items():
        now = fresh.get(address)
        if before == now:
            continue
        if before is None:
            difference = Difference.APPEARED
        elif now is None:
            difference = Difference.VANISHED
        else:
            difference = Difference.CHANGED
        mismatches.append(FingerprintMismatch(address, difference))
    return mismatches


def _canonical(resource: Resource) -> str:
    data = {
        "address": str(resource.address),
        "id": resource.id,
        "attributes": resource.attributes(),
    }
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: Any) -> Any:
    """JSON for the few non-JSON types attributes may hold; order-free ones sorted."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")
