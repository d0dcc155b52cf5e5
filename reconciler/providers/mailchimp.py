"""Mailchimp (Marketing API 3.0 at https://<dc>.api.mailchimp.com/3.0).

Manages audiences and, within each, merge fields, interest categories ("group titles")
with their interests ("group names"), tags and saved segments with native conditions.
Every kind can be created, renamed in place (keeping its id, values and members) and
deleted. Deleting an audience erases its contacts and reports for good; the plan marks
it destructive.

Example configuration::

    provider:
      type: mailchimp
      # An API key from Account → Extras → API keys; read from the environment. Its
      # suffix (-us6) names the data center, from which base_url is derived.
      api_key: ${env:MAILCHIMP_API_KEY}
      # Optional: Mailchimp allows 10 simultaneous connections per key, shared by every
      # app using it; espform keeps at most this many requests in flight (default 10),
      # lower it to leave room for the other apps.
      max_connections: 8
      # Optional: use the embedded local Mailchimp stored in this file instead; no key
      # is needed then.
      # sandbox: .espform/sandbox.db

Requests are the cost: `read` asks for 1000 items per page with only the fields it
needs, reads the audiences' lists in parallel, and never reads objects one by one.
Rule-driven tags (`scan_members`, `apply_membership`) read an audience's contacts a
page of 1000 at a time and change tag membership in batches of 500; see
`mailchimp_members`.
Mailchimp sends no Retry-After, so a 429, a 403 without a body (its throttling signal)
and a 5xx are retried with growing, jittered waits.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from typing import ClassVar

import httpx

from reconciler import __version__
from reconciler.config.provider import MailchimpProvider
from reconciler.engine.membership import Member, MembershipChange
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Capabilities, State
from reconciler.providers.ambiguity import Settler
from reconciler.providers.base import (
    ApplyResult,
    MembershipOutcome,
    MembershipProgress,
    Outcome,
    Progress,
    ProviderError,
    half_replaced,
    write_failed,
)
from reconciler.providers.http import HttpClient, HttpProvider, Sleep, api_origin, basic
from reconciler.providers.mailchimp_errors import MailchimpErrors, api_url_of, missing_api_key
from reconciler.providers.mailchimp_ids import IdBook, Unresolved
from reconciler.providers.mailchimp_members import change_tag_members, scan_audience
from reconciler.providers.mailchimp_read import BUILTIN_MERGE_TAGS, NAME, read_account
from reconciler.providers.mailchimp_write import Step, finish, plan_calls
from reconciler.providers.pacing import mailchimp_pacer

__all__ = ["Mailchimp"]

KINDS = frozenset({"audience", "merge_field", "interest_category", "interest", "tag", "segment"})
API_PATH = "/3.0"
#: Basic auth takes any user name; the key is the password.
USERNAME = "espform"


def _sets_up_defaults(change: Change, changes: Sequence[Change]) -> bool:
    """True for a new audience whose default merge fields are declared in this plan."""
    if change.kind != "audience" or change.action is not Action.CREATE:
        return False
    return any(
        c.kind == "merge_field"
        and c.action is Action.CREATE
        and c.address.parent == change.address
        and c.address.name in BUILTIN_MERGE_TAGS
        for c in changes
    )


def throttled(response: httpx.Response) -> bool:
    """A 403 without a body is Mailchimp's high-volume throttling, not a refusal."""
    return response.status_code == 403 and not response.content.strip()


class Mailchimp(HttpProvider):
    """The Mailchimp provider; see the module docstring for its configuration."""

    name: ClassVar[str] = NAME
    capabilities: ClassVar[Capabilities] = Capabilities(
        kinds=KINDS,
        creatable=KINDS,
        renamable=KINDS,
        deletable=KINDS,
        # Mailchimp compares tag names ignoring case and may change their case itself.
        case_insensitive=frozenset({"tag"}),
    )

    def __init__(
        self,
        config: MailchimpProvider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 5,
        sleep: Sleep = asyncio.sleep,
        on_close: Callable[[], None] | None = None,
        paced: bool = True,
    ) -> None:
        if config.api_key is None:
            raise missing_api_key(config.credential_env)
        base_url = config.base_url or api_url_of(config.api_key, config.credential_env)
        base_url = base_url.rstrip("/").removesuffix(API_PATH)
        self._errors = MailchimpErrors(config.credential_env, api_origin(base_url), config.api_key)
        self._on_close = on_close
        #: Member pages requested ahead while scanning: as many as may be in flight.
        self._window = config.max_connections
        #: Address → id, from the last read and every outcome since.
        self._book: IdBook | None = None
        self._http = HttpClient(
            base_url + API_PATH,
            authorization=basic(USERNAME, config.api_key),
            headers={"User-Agent": f"espform/{__version__}"},
            max_concurrency=config.max_connections,
            max_attempts=max_attempts,
            backoff=1.0,
            jitter=0.5,
            sleep=sleep,
            transport=transport,
            error_mapper=self._errors,
            retry_when=throttled,
            pacer=mailchimp_pacer(base_url, config) if paced else None,
        )

    async def read(self) -> State:
        state = await read_account(self._http)
        self._book = IdBook(state)
        return state

    async def apply(
        self, changes: Sequence[Change], progress: Progress | None = None
    ) -> ApplyResult:
        """Carry out the changes, settling by re-reads those whose answer was lost (see
        `ambiguity`); Mailchimp refuses a second tag, segment, merge tag, category or
        interest of one name, so a racing apply's object is adopted after that refusal."""
        settler = Settler(
            self._apply_once, self.read, case_insensitive=self.capabilities.case_insensitive
        )
        return await settler.apply(changes, progress)

    async def _apply_once(
        self, changes: Sequence[Change], progress: Progress | None = None
    ) -> ApplyResult:
        result = ApplyResult()
        book = await self._ids_for(changes)
        for change in changes:
            outcome = await self._carry_out(plan_calls(change, book), book)
            result.outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
            if not outcome.ok:
                break
            if _sets_up_defaults(change, changes):
                try:
                    await self._record_default_fields(change.address, book)
                except ProviderError as exc:
                    # The audience exists now, but its declared default fields cannot be
                    # set up: stop here, saying so, and let the next plan show the rest.
                    result.outcomes[-1] = dataclasses.replace(
                        outcome,
                        ok=False,
                        error=(
                            f"{change.address} was created, but the default fields it came "
                            f"with could not be read: {exc}. Run plan again to finish."
                        ),
                    )
                    break
        return result

    async def _record_default_fields(self, audience: Address, book: IdBook) -> None:
        """Learn the ids of the default merge fields a new audience came with."""
        list_id = book.current(audience)
        if list_id is None:
            return
        body = await self._http.request_json(
            "GET",
            f"/lists/{list_id}/merge-fields",
            params={"count": "1000", "fields": "merge_fields.merge_id,merge_fields.tag"},
            context=f"reading the default fields of {audience}",
        )
        for item in (body or {}).get("merge_fields", []):
            if item.get("tag") in BUILTIN_MERGE_TAGS:
                book.record(audience.child("merge_field", item["tag"]), str(item["merge_id"]))

    def scan_members(self, scope: Address | None) -> AsyncIterator[list[Member]]:
        """Every contact of the audience `scope`, a page at a time (none if it does not
        exist yet: an audience created by this plan starts empty)."""
        if scope is None or scope.kind != "audience":
            what = scope or "the whole account"
            raise ProviderError(f"Mailchimp keeps contacts per audience; cannot scan {what}")
        return self._scan(scope)

    async def _scan(self, audience: Address) -> AsyncIterator[list[Member]]:
        if self._book is None:
            await self.read()
        assert self._book is not None
        list_id = self._book.current(audience)
        if list_id is None:
            return
        # Closed with this generator, so that pages read ahead never outlive the scan.
        pages = scan_audience(self._http, list_id, window=self._window, audience=audience.name)
        async with aclosing(pages):
            async for page in pages:
                yield page

    async def apply_membership(
        self, changes: Sequence[MembershipChange], progress: MembershipProgress | None = None
    ) -> list[MembershipOutcome]:
        """Add and remove each tag's members; every change is tried, failed or not."""
        if self._book is None:
            await self.read()
        assert self._book is not None
        outcomes: list[MembershipOutcome] = []
        for change in changes:
            outcome = await self._change_members(change, self._book)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
        return outcomes

    async def _change_members(self, change: MembershipChange, book: IdBook) -> MembershipOutcome:
        audience = change.address.parent
        if change.address.kind != "tag" or audience is None:
            error = f"{change.address}: Mailchimp keeps rule-driven membership on tags only"
            return MembershipOutcome(change, 0, 0, error)
        if not change.add and not change.remove:
            return MembershipOutcome(change, 0, 0)
        try:
            list_id = book.current(audience)
            if list_id is None:
                raise Unresolved(f"{audience} does not exist in the account")
            # Tags created or renamed earlier in this apply are in the book already.
            tag_id = book.child_id(audience, "tag", change.address.name, fold_case=True)
        except Unresolved as exc:
            return MembershipOutcome(
                change, 0, 0, f"Cannot change the members of {change.address}: {exc}"
            )
        return await change_tag_members(self._http, list_id, tag_id, change)

    async def _ids_for(self, changes: Sequence[Change]) -> IdBook:
        """The id book; read once first if a change needs ids no read has supplied.

        That happens when a saved plan is applied by a provider that has not read.
        """
        if self._book is None:
            if any(change.address.parent is not None for change in changes):
                await self.read()
            if self._book is None:
                self._book = IdBook()
        return self._book

    async def _carry_out(self, step: Step, book: IdBook) -> Outcome:
        change = step.change
        if step.problem:
            return Outcome(change, ok=False, error=step.problem)
        body = None
        for number, call in enumerate(step.calls):
            try:
                body = await self._http.request_json(
                    call.method, call.path, json=call.body, context=call.doing
                )
            except ProviderError as exc:
                if half_replaced(change, number):
                    book.deleted(
                        change.before.address if change.before else change.address, change.remote_id
                    )
                return write_failed(change, number, exc)
        return finish(change, body, book)
