"""How one planned change becomes Mailchimp requests, and what its outcome records.

Paths are nested under the ids of an object's ancestors (`/lists/{list_id}/
interest-categories/{category_id}/interests`), which the `IdBook` supplies. A rename is
a PATCH to the object's existing id, so it keeps its members and values; a merge
field's rename PATCHes its `tag`. A replace (a merge field's type) is a DELETE then a
POST.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Resource
from reconciler.providers.answers import ID, NEEDS_ID, BadAnswer, Shape, unreadable_write, written
from reconciler.providers.base import Outcome
from reconciler.providers.http import JSONObject
from reconciler.providers.mailchimp_bodies import (
    audience_body,
    category_body,
    interest_body,
    merge_field_body,
    segment_body,
    tag_body,
    webhook_body,
)
from reconciler.providers.mailchimp_ids import IdBook, Unresolved
from reconciler.providers.mailchimp_read import (
    audience_from,
    category_from,
    interest_from,
    merge_field_from,
    tag_from,
)

__all__ = ["Call", "Step", "finish", "plan_calls"]

#: Each kind's collection under its parent; `{}` stand for the ancestors' ids in order.
COLLECTIONS: dict[str, str] = {
    "audience": "/lists",
    "merge_field": "/lists/{}/merge-fields",
    "interest_category": "/lists/{}/interest-categories",
    "interest": "/lists/{}/interest-categories/{}/interests",
    "tag": "/lists/{}/segments",
    "segment": "/lists/{}/segments",
    "webhook": "/lists/{}/webhooks",
}
#: The key of an object's id in a response: merge fields have `merge_id`.
ID_KEYS: dict[str, str] = {"merge_field": "merge_id"}
#: A resource from a response body and its parent's address (segments are not mapped
#: back: their conditions in canonical form are what was sent).
FROM_RESPONSE: dict[str, Callable[[JSONObject, Address], Resource]] = {
    "merge_field": merge_field_from,
    "interest_category": category_from,
    "interest": interest_from,
    "tag": tag_from,
}


@dataclass(frozen=True)
class Call:
    """One API request and what it does, in words for error messages."""

    method: str
    path: str
    body: JSONObject | None
    doing: str


@dataclass(frozen=True)
class Step:
    """The requests for one change, in order, or why it cannot be carried out."""

    change: Change
    calls: tuple[Call, ...] = ()
    problem: str = ""


def plan_calls(change: Change, book: IdBook) -> Step:
    try:
        return Step(change, _calls(change, book))
    except Unresolved as exc:
        return Step(change, problem=f"Cannot {change.action} {change.address}: {exc}")


def _calls(change: Change, book: IdBook) -> tuple[Call, ...]:
    kind, action = change.kind, change.action
    if kind not in COLLECTIONS:
        raise Unresolved(f"Mailchimp does not manage {kind}s")
    if action is Action.CREATE:
        implied = book.current(change.address) if kind == "merge_field" else None
        if implied is not None:
            # A default field (FNAME, ...) that Mailchimp made along with an audience
            # created earlier in this apply: set it up in place instead of creating it.
            item = f"{_collection(change, book)}/{implied}"
            body = _body(change, book, create=False)
            return (Call("PATCH", item, body, f"setting up {change.address} (id {implied})"),)
        return (_create(change, book),)
    remote_id = change.remote_id
    if remote_id is None:
        raise Unresolved("it has no Mailchimp id to address it by; run `espform plan` again")
    item = f"{_collection(change, book)}/{remote_id}"
    old = change.before.address if change.before is not None else change.address
    if action is Action.DELETE:
        return (Call("DELETE", item, None, f"deleting {old} (id {remote_id})"),)
    if action is Action.REPLACE:
        if kind != "merge_field":
            raise Unresolved(f"Mailchimp cannot replace {kind}s")
        delete = Call("DELETE", item, None, f"deleting {old} (id {remote_id}) to replace it")
        return (delete, _create(change, book))
    body = _body(change, book, create=False)
    if action is Action.RENAME:
        doing = f'renaming {old} (id {remote_id}) to "{change.address.name}"'
    else:
        doing = f"updating {old} (id {remote_id})"
    return (Call("PATCH", item, body, doing),)


def _create(change: Change, book: IdBook) -> Call:
    body = _body(change, book, create=True)
    return Call("POST", _collection(change, book), body, f"creating {change.address}")


def _body(change: Change, book: IdBook, *, create: bool) -> JSONObject:
    kind = change.kind
    if kind == "segment":
        return segment_body(change, book, create=create)
    build = {
        "audience": audience_body,
        "merge_field": merge_field_body,
        "interest_category": category_body,
        "interest": interest_body,
        "tag": tag_body,
        "webhook": webhook_body,
    }[kind]
    return build(change, create=create)


def _collection(change: Change, book: IdBook) -> str:
    """The collection path, with the ids of the change's ancestors filled in."""
    return COLLECTIONS[change.kind].format(*_ancestor_ids(change, book))


def _ancestor_ids(change: Change, book: IdBook) -> list[str]:
    # An existing object's ancestors are found as read() saw them, a new object's as the
    # apply has left them (see IdBook).
    if change.before is not None:
        found = _lookup(change.before.address, book.observed)
        if found is not None:
            return found
    found = _lookup(change.address, book.current)
    if found is None:
        parent = change.address.parent
        raise Unresolved(
            f"its parent {parent} has no Mailchimp id: it neither exists in the account nor "
            "was created earlier in this apply"
        )
    return found


def _lookup(address: Address, find: Callable[[Address], str | None]) -> list[str] | None:
    ids: list[str] = []
    ancestor = address.parent
    while ancestor is not None:
        remote_id = find(ancestor)
        if remote_id is None:
            return None
        ids.append(remote_id)
        ancestor = ancestor.parent
    return ids[::-1]


# --- outcomes ---------------------------------------------------------------------------


def finish(change: Change, body: Any, book: IdBook, request: str = "") -> Outcome:
    """The successful Outcome of a change, with the book brought up to date; unknown
    when a create's answer carries no id (see `answers.written`)."""
    before = change.before
    if change.action is Action.DELETE:
        book.deleted(before.address if before else change.address, change.remote_id)
        return Outcome(change, ok=True)
    if change.action in NEEDS_ID:
        try:
            written(body, None, Shape({ID_KEYS.get(change.kind, "id"): ID}), request)
        except BadAnswer as exc:
            return unreadable_write(change, exc)
    data = body if isinstance(body, dict) else {}
    new_id = data.get(ID_KEYS.get(change.kind, "id"))
    remote_id = str(new_id) if new_id is not None else change.remote_id
    result = _result(change, data, remote_id)
    if remote_id is not None:
        if change.action is Action.RENAME and before is not None:
            book.renamed(before.address, remote_id, change.address)
        else:
            book.record(change.address, remote_id)
    warning = ""
    if result is not None and result.address != change.address:
        # Mailchimp may store a merge tag other than the one sent (e.g. shortened).
        if remote_id is not None:
            book.record(result.address, remote_id)
        warning = (
            f'Mailchimp stored {change.address} as "{result.key}"; it exists now as '
            f'{result.address}. Declare "{result.key}" in the configuration, otherwise the '
            "next plan will create it again."
        )
    return Outcome(change, ok=True, result=result, warning=warning)


def _result(change: Change, data: JSONObject, remote_id: str | None) -> Resource | None:
    parent = change.address.parent
    mapper = FROM_RESPONSE.get(change.kind)
    try:
        if change.kind == "audience" and "name" in data:
            return audience_from({**data, "id": remote_id})
        if mapper is not None and parent is not None and data:
            return mapper({**data, ID_KEYS.get(change.kind, "id"): remote_id}, parent)
    except (KeyError, TypeError):
        pass  # a partial answer: fall back to what was asked for
    if change.after is None:
        return None
    return dataclasses.replace(change.after, id=remote_id)
