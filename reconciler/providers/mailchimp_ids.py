"""Which Mailchimp id each address stands for, while an apply moves things around.

Mailchimp addresses everything by surrogate ids (a list id, a `merge_id`, 10-hex
category and interest ids, integer segment ids), while a plan speaks in names. The book
starts from what `read()` saw and follows each outcome: a create adds its new id, a
rename files the same id, and everything under it, under the new name, a delete drops
it. So a merge field created under an audience created a moment earlier, or a segment
that refers to a tag created or renamed earlier, finds the id it needs.

Two views are kept. An existing object's `before.address` is where `read()` saw it, and
its ancestors are looked up as they were then (`observed`), because a rename earlier in
the apply may have given an old name to another object. A new object's address is where
it will be, looked up as the apply has left things (`current`).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.model import Address, Resource

__all__ = ["IdBook", "Unresolved"]


class Unresolved(Exception):
    """A change cannot become a request: a name it refers to has no id in the account, or
    something the API requires is missing. The message says which."""


class IdBook:
    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        seen = {r.address: r.id for r in resources if r.id is not None}
        self._observed: dict[Address, str] = dict(seen)
        self._current: dict[Address, str] = dict(seen)

    def __repr__(self) -> str:
        return f"IdBook({len(self._current)} ids)"

    def __len__(self) -> int:
        return len(self._current)

    # --- following the apply ------------------------------------------------------------

    def record(self, address: Address, remote_id: str) -> None:
        self._current[address] = remote_id

    def renamed(self, before: Address, remote_id: str, after: Address) -> None:
        """An object now lives at `after`, and everything under it moves along."""
        now = self.locate(before, remote_id) or before
        moved = {
            Address(after.provider, (*after.parts, *address.parts[len(now.parts) :])): known
            for address, known in self._current.items()
            if address.parts[: len(now.parts)] == now.parts
        }
        self._drop(now)
        self._current.update(moved)
        self._current[after] = remote_id

    def deleted(self, before: Address, remote_id: str | None) -> None:
        """An object is gone, and so is everything under it."""
        self._drop(self.locate(before, remote_id) or before)

    def _drop(self, address: Address) -> None:
        for known in [a for a in self._current if a.parts[: len(address.parts)] == address.parts]:
            del self._current[known]

    def locate(self, before: Address, remote_id: str | None = None) -> Address | None:
        """Where an object that read() saw at `before` is filed now.

        Its own address or an ancestor's may have changed through renames in this apply;
        the ids, which renames keep, lead to it.
        """
        remote_id = remote_id or self._observed.get(before)
        if remote_id is None:
            return before if before in self._current else None
        parent = before.parent
        now_parent = self.locate(parent) if parent is not None else None
        if parent is not None and now_parent is None:
            return None
        return self.address_of(now_parent, before.kind, remote_id)

    # --- lookups -------------------------------------------------------------------------

    def current(self, address: Address) -> str | None:
        return self._current.get(address)

    def observed(self, address: Address) -> str | None:
        return self._observed.get(address) or self._current.get(address)

    def address_of(self, parent: Address | None, kind: str, remote_id: str) -> Address | None:
        """The current address of the `kind` child of `parent` with this id."""
        for address, known in self._current.items():
            if known == remote_id and address.kind == kind and address.parent == parent:
                return address
        return None

    def child_id(self, parent: Address, kind: str, name: str, *, fold_case: bool = False) -> str:
        """The id of `parent`'s child of this kind and name, or Unresolved.

        `fold_case` serves tags: Mailchimp is reported to change their case.
        """
        found = self._current.get(parent.child(kind, name))
        if found is None and fold_case:
            wanted = name.casefold()
            found = next(
                (
                    remote_id
                    for address, remote_id in self._current.items()
                    if address.parent == parent
                    and address.kind == kind
                    and address.name.casefold() == wanted
                ),
                None,
            )
        if found is None:
            label = kind.replace("_", " ")
            raise Unresolved(
                f'{parent} has no {label} "{name}"; declare it in the configuration, or '
                "correct the name"
            )
        return found
