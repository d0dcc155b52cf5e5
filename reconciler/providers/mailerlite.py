"""MailerLite (the "connect" API at https://connect.mailerlite.com/api).

Manages custom fields, groups, segments and webhooks. Segments can only be renamed and deleted:
the API can neither create them nor read or write their filters, so a segmentation rule
aimed at MailerLite is declared as a rule-driven group instead.

Example configuration::

    provider:
      type: mailerlite
      # An API key from Integrations → MailerLite API; read from the environment.
      token: ${env:MAILERLITE_API_TOKEN}
      # Optional, this is the default.
      base_url: https://connect.mailerlite.com
      # Optional: requests per minute espform allows itself (MailerLite allows 120 per
      # account, shared by every integration); lower it to leave them room.
      # requests_per_minute: 120
      # Optional: use the embedded local MailerLite stored in this file instead; no
      # token is needed then.
      # sandbox: .espform/sandbox.db

Webhooks are matched by name; their url, events, enabled and batchable are updated in
place (`PUT /api/webhooks/{id}`). The URL is held as a `SecretUrl` and revealed only in
the request body that sends it to MailerLite.

Requests are the cost (120 a minute per account, paced by `pacing.RequestWindow`
so that a long apply waits rather than meets a 429): `read` fetches the four lists
at once with the largest page sizes, and `apply` sends independent writes through
`POST /api/batch`, 50 at a time.

Rule-driven groups (`groups.NAME.rule`): `scan_members(None)` reads every subscriber
with their groups, 1000 per request, one page after another (the list is cursor-paged;
see `mailerlite_scan`); `apply_membership` assigns and unassigns them through
`POST /api/batch`, 50 at a time, using the group ids learnt from `read` and `apply`
(see `mailerlite_members`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, ClassVar

import httpx

from reconciler import __version__
from reconciler.config.provider import MailerLiteProvider
from reconciler.engine.membership import Member, MembershipChange
from reconciler.engine.plan import Action, Change
from reconciler.model import (
    Address,
    Automation,
    Capabilities,
    Field,
    Group,
    Resource,
    Segment,
    State,
    Webhook,
)
from reconciler.providers import shapes
from reconciler.providers.ambiguity import Settler
from reconciler.providers.answers import NEEDS_ID, BadAnswer, unreadable_write, written
from reconciler.providers.base import (
    ApplyResult,
    MembershipOutcome,
    MembershipProgress,
    Outcome,
    Progress,
    ProviderError,
    write_failed,
)
from reconciler.providers.http import (
    HttpClient,
    HttpProvider,
    JSONObject,
    Sleep,
    api_origin,
    bearer,
    gather_or_cancel,
)
from reconciler.providers.mailerlite_automations import read_automations
from reconciler.providers.mailerlite_batch import Step, Write, group_steps
from reconciler.providers.mailerlite_errors import MailerLiteErrors, missing_token
from reconciler.providers.mailerlite_members import MembershipWriter
from reconciler.providers.mailerlite_scan import scan
from reconciler.providers.pacing import mailerlite_pacer
from reconciler.secret_url import SecretUrl

__all__ = ["MailerLite"]

NAME = "mailerlite"

#: The documented account caps, used as page sizes so that each list is one request.
#: The webhook list documents no `limit` (its pages hold 50): it is read page by page.
PAGE_SIZE: dict[str, int] = {"field": 100, "group": 1000, "segment": 250}
COLLECTION: dict[str, str] = {
    "field": "fields",
    "group": "groups",
    "segment": "segments",
    "webhook": "webhooks",
}
KINDS = tuple(COLLECTION)


class MailerLite(HttpProvider):
    """The MailerLite provider; see the module docstring for its configuration."""

    name: ClassVar[str] = NAME
    capabilities: ClassVar[Capabilities] = Capabilities(
        kinds=frozenset({"field", "group", "segment", "webhook"}),
        creatable=frozenset({"field", "group", "webhook"}),
        renamable=frozenset({"group", "segment"}),
        deletable=frozenset({"field", "group", "segment", "webhook"}),
        create_hints={
            "segment": (
                "MailerLite's API cannot create segments. Declare a group with a `rule` "
                "instead (a rule-driven group); espform keeps its members in step."
            )
        },
    )

    def __init__(
        self,
        config: MailerLiteProvider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 4,
        sleep: Sleep = asyncio.sleep,
        max_concurrency: int = 4,
        on_close: Callable[[], None] | None = None,
        paced: bool = True,
    ) -> None:
        if config.token is None:
            raise missing_token(config.credential_env)
        self._errors = MailerLiteErrors(config.credential_env, api_origin(config.base_url))
        self._on_close = on_close
        self._http = HttpClient(
            config.base_url,
            authorization=bearer(config.token),
            # MailerLite asks for both on every request, bodiless GETs included.
            headers={"Content-Type": "application/json", "User-Agent": f"espform/{__version__}"},
            max_concurrency=max_concurrency,
            max_attempts=max_attempts,
            sleep=sleep,
            transport=transport,
            error_mapper=self._errors,
            pacer=mailerlite_pacer(config, sleep) if paced else None,
        )
        self._max_concurrency = max_concurrency
        #: Group address -> id, from `read` and kept current by `apply`, so that members
        #: can be added to a group created or renamed moments ago.
        self._group_ids: dict[Address, str] = {}

    # --- read -------------------------------------------------------------------------

    async def read(self) -> State:
        return await self._read_kinds(KINDS)

    async def read_automations(self) -> tuple[Automation, ...]:
        """The account's automations (read only; see `mailerlite_automations`)."""
        return await read_automations(self._http, NAME)

    async def _read_for(self, changes: Sequence[Change]) -> State:
        """Only the kinds the changes are of: what settling a few failed writes needs."""
        return await self._read_kinds(tuple(k for k in KINDS if any(c.kind == k for c in changes)))

    async def _read_kinds(self, wanted: Iterable[str]) -> State:
        kinds = [k for k in KINDS if k in set(wanted)]
        lists = await gather_or_cancel([self._list(kind) for kind in kinds])
        state = State(NAME)
        for kind, items in zip(kinds, lists, strict=True):
            state.extend(resource_from(kind, item) for item in items)
        if "group" in kinds:
            self._group_ids = {r.address: r.id for r in state.of_kind("group") if r.id}
        return state

    async def _list(self, kind: str) -> list[JSONObject]:
        items: list[JSONObject] = []
        async for page in self._http.pages(
            f"/api/{COLLECTION[kind]}",
            params={"limit": PAGE_SIZE[kind]} if kind in PAGE_SIZE else None,
            context=f"reading the {COLLECTION[kind]}",
            shape=shapes.MAILERLITE[kind],
        ):
            items.extend(page)
        return items

    # --- apply ------------------------------------------------------------------------

    async def apply(
        self, changes: Sequence[Change], progress: Progress | None = None
    ) -> ApplyResult:
        """Carry out the changes, settling by re-reads those whose answer was lost
        (see `ambiguity`): group and webhook names are not unique, so a racing apply's
        copy of one this apply created is resolved by keeping the lower id."""
        settler = Settler(
            self._apply_once,
            self.read,
            duplicable=frozenset({"group", "webhook"}),
            delete_duplicate=self._delete_duplicate,
            read_duplicable=self._read_kinds,
            read_for=self._read_for,
        )
        return await settler.apply(changes, progress)

    async def _delete_duplicate(self, copy: Resource) -> str:
        try:
            doing = f"deleting {copy.address} (id {copy.id}), made twice by concurrent applies"
            path = f"/api/{COLLECTION[copy.kind]}/{copy.id}"
            await self._http.request("DELETE", path, context=doing)
        except ProviderError as exc:
            return str(exc)
        return ""

    async def _apply_once(
        self, changes: Sequence[Change], progress: Progress | None = None
    ) -> ApplyResult:
        result = ApplyResult()
        for unit in group_steps([plan_step(change) for change in changes]):
            outcomes = await (self._run_batch(unit) if len(unit) > 1 else self._run_one(unit[0]))
            for outcome in outcomes:
                result.outcomes.append(outcome)
                self._learn_id(outcome)
                if progress is not None:
                    progress(outcome)
            if not all(outcome.ok for outcome in outcomes):
                break
        return result

    def _learn_id(self, outcome: Outcome) -> None:
        change = outcome.change
        if not outcome.ok or change.kind != "group":
            return
        if change.before is not None and change.action in (Action.DELETE, Action.RENAME):
            self._group_ids.pop(change.before.address, None)
        if outcome.result is not None and outcome.result.id is not None:
            self._group_ids[outcome.result.address] = outcome.result.id

    # --- rule-driven membership ---------------------------------------------------------

    def scan_members(self, scope: Address | None) -> AsyncIterator[list[Member]]:
        """Every subscriber, every status, with their groups; one list per page."""
        if scope is not None:
            raise ValueError(f"MailerLite groups belong to the account, not to {scope}")
        return scan(self._http)

    async def apply_membership(
        self, changes: Sequence[MembershipChange], progress: MembershipProgress | None = None
    ) -> list[MembershipOutcome]:
        writer = MembershipWriter(self._http, self._errors, self._group_ids, self._max_concurrency)
        return await writer.run(changes, progress)

    async def _run_one(self, step: Step) -> list[Outcome]:
        if step.problem:
            return [Outcome(step.change, ok=False, error=step.problem)]
        body: Any = None
        for number, write in enumerate(step.writes):
            try:
                body = await self._http.request_json(
                    write.method, f"/api/{write.path}", json=write.body, context=write.doing
                )
            except ProviderError as exc:
                return [write_failed(step.change, number, exc)]
        last = step.writes[-1] if step.writes else None
        label = f"{last.method} /api/{last.path}" if last else ""
        return [succeeded(step.change, body, label)]

    async def _run_batch(self, unit: list[Step]) -> list[Outcome]:
        requests = [write.as_batch_request() for step in unit for write in step.writes]
        try:
            body = await self._http.request_json(
                "POST",
                "/api/batch",
                json={"requests": requests},
                context=f"sending a batch of {len(unit)} changes",
            )
        except ProviderError as exc:
            # Whether any sub-request ran is unknown: every change sent gets said so.
            return _unknown(unit, str(exc))
        responses = body.get("responses") if isinstance(body, dict) else None
        if not isinstance(responses, list) or len(responses) != len(unit):
            return _unknown(
                unit,
                f"MailerLite's batch answer did not list one result per change ({len(unit)} sent).",
            )
        # The server has run every sub-request by now, so each one is reported, even
        # those after a failure: the outcomes must say what the account now holds.
        outcomes: list[Outcome] = []
        for number, (step, response) in enumerate(zip(unit, responses, strict=True), 1):
            code = int(response.get("code", 0)) if isinstance(response, dict) else 0
            sub_body = response.get("body") if isinstance(response, dict) else None
            if 200 <= code < 300:
                write = step.writes[0]
                label = f"POST /api/batch (request {number}: {write.method} /api/{write.path})"
                outcomes.append(succeeded(step.change, sub_body, label))
            else:
                error = self._errors.describe(code, sub_body, doing=step.writes[0].doing)
                outcomes.append(Outcome(step.change, ok=False, error=error))
        return outcomes


def _unknown(unit: list[Step], why: str) -> list[Outcome]:
    """One Outcome per change of a batch whose answer says nothing about each of them."""
    error = (
        f"{why} This change was sent in a batch of {len(unit)}; it may or may not have "
        "been made. Run `espform plan`: it shows what is still to do."
    )
    return [Outcome(step.change, ok=False, error=error, unknown=True) for step in unit]


# --- mapping between the API and the model ------------------------------------------


def resource_from(kind: str, data: JSONObject) -> Resource:
    """A model resource from an API object; ids stay strings (they exceed 2**53)."""
    remote_id = str(data["id"])
    if kind == "field":
        return Field(
            address=Address.of(NAME, "field", str(data["key"])),
            id=remote_id,
            name=data.get("name"),
            type=data.get("type"),
            builtin=bool(data.get("is_default", False)),
        )
    address = Address.of(NAME, kind, str(data["name"]))
    if kind == "webhook":
        return Webhook(
            address=address,
            id=remote_id,
            url=SecretUrl(str(data.get("url") or "")),
            events=tuple(sorted(str(e) for e in data.get("events") or ())),
            enabled=bool(data.get("enabled", True)),
            batchable=bool(data.get("batchable", False)),
        )
    if kind == "group":
        return Group(address=address, id=remote_id)
    return Segment(address=address, id=remote_id)


def plan_step(change: Change) -> Step:
    """The API writes that carry out one change, or why it cannot be carried out."""
    kind, action = change.kind, change.action
    caps = MailerLite.capabilities
    if kind not in caps.kinds:
        return Step(change, problem=f"MailerLite does not manage {kind}s ({change.address}).")
    collection = COLLECTION[kind]
    remote_id = change.remote_id
    if action is not Action.CREATE and remote_id is None:
        return Step(change, problem=f"{change.address} has no MailerLite id to {action} it by.")
    old = change.before.address if change.before is not None else change.address

    if action is Action.CREATE:
        if kind not in caps.creatable:
            hint = caps.create_hints.get(kind, "")
            return Step(change, problem=f"Cannot create {change.address}. {hint}".strip())
        return _create(change, collection)
    if action is Action.RENAME:
        if kind not in caps.renamable:
            return Step(change, problem=f"MailerLite cannot rename {kind}s ({old}).")
        body = {"name": change.address.name}
        doing = f'renaming {old} (id {remote_id}) to "{change.address.name}"'
        return Step(change, (Write("PUT", f"{collection}/{remote_id}", body, doing),))
    if action is Action.UPDATE and kind == "webhook":
        body = webhook_body(change.after, only={c.attribute for c in change.attributes})
        doing = f"updating {old} (id {remote_id})"
        return Step(change, (Write("PUT", f"webhooks/{remote_id}", body, doing),))
    if action is Action.UPDATE:
        new_name = getattr(change.after, "name", None)
        if kind != "field" or new_name is None:
            return Step(change, problem=f"MailerLite can change only a field's name ({old}).")
        doing = f'renaming {old} (id {remote_id}) to "{new_name}"'
        return Step(change, (Write("PUT", f"fields/{remote_id}", {"name": new_name}, doing),))
    delete = Write("DELETE", f"{collection}/{remote_id}", None, f"deleting {old} (id {remote_id})")
    if action is Action.DELETE:
        return Step(change, (delete,))
    if action is Action.REPLACE and kind == "field":
        created = _create(change, collection)
        return Step(change, (delete, *created.writes), created.problem)
    return Step(change, problem=f"MailerLite cannot {action} {kind}s ({old}).")


def _create(change: Change, collection: str) -> Step:
    doing = f"creating {change.address}"
    if collection == "groups":
        return Step(change, (Write("POST", "groups", {"name": change.address.name}, doing),))
    after = change.after
    if collection == "webhooks":
        if getattr(after, "url", None) is None:
            return Step(change, problem=f"{change.address} needs a url and events.")
        body = {"name": change.address.name, **webhook_body(after)}
        return Step(change, (Write("POST", "webhooks", body, doing),))
    field_type = getattr(after, "type", None)
    if field_type is None:
        return Step(change, problem=f"{change.address} needs a type (text, number or date).")
    name = getattr(after, "name", None) or change.address.name
    return Step(change, (Write("POST", "fields", {"name": name, "type": field_type}, doing),))


def webhook_body(webhook: Resource | None, only: set[str] | None = None) -> dict[str, Any]:
    """The managed attributes of a webhook as the API takes them, the URL in clear."""
    body: dict[str, Any] = {}
    for name, value in (webhook.attributes() if webhook is not None else {}).items():
        if value is None or (only is not None and name not in only):
            continue
        if isinstance(value, SecretUrl):
            value = value.reveal()
        body[name] = list(value) if isinstance(value, tuple) else value
    return body


def succeeded(change: Change, body: Any, request: str = "") -> Outcome:
    """The Outcome of a change MailerLite accepted, with the object it now holds; unknown
    when the answer cannot show that object (see `answers.written`)."""
    if change.action is Action.DELETE:
        return Outcome(change, ok=True)
    data = body.get("data") if isinstance(body, dict) else None
    if change.action in NEEDS_ID or isinstance(data, dict):
        try:
            data = written(body, "data", shapes.MAILERLITE[change.kind], request)
        except BadAnswer as exc:
            return unreadable_write(change, exc)
    result = resource_from(change.kind, data) if isinstance(data, dict) else change.after
    warning = ""
    if (
        change.kind == "field"
        and change.action in (Action.CREATE, Action.REPLACE)
        and result is not None
        and result.key != change.address.name
    ):
        warning = key_mismatch(change, result.key)
    return Outcome(change, ok=True, result=result, warning=warning)


def key_mismatch(change: Change, got: str) -> str:
    wanted = change.address.name
    name = getattr(change.after, "name", None) or wanted
    return (
        f'MailerLite derived the key "{got}" from the name "{name}", not the declared key '
        f'"{wanted}"; the field exists now as {change.address.renamed(got)}. Declare the '
        f'key "{got}" in the configuration (or a name from which MailerLite derives '
        f'"{wanted}"), otherwise the next plan will create the field again.'
    )
