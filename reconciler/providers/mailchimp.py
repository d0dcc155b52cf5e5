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
      # app using it; espform stays below that (default 8).
      max_connections: 8
      # Optional: use the embedded local Mailchimp stored in this file instead; no key
      # is needed then.
      # sandbox: .espform/sandbox.db

Requests are the cost: `read` asks for 1000 items per page with only the fields it
needs, reads the audiences' lists in parallel, and never reads objects one by one.
Mailchimp sends no Retry-After, so a 429, a 403 without a body (its throttling signal)
and a 5xx are retried with growing, jittered waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import ClassVar

import httpx

from reconciler import __version__
from reconciler.config.provider import MailchimpProvider
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Capabilities, State
from reconciler.providers.base import ApplyResult, Outcome, Progress, ProviderError
from reconciler.providers.http import HttpClient, Sleep, basic
from reconciler.providers.mailchimp_errors import (
    MailchimpErrors,
    data_center_url,
    missing_api_key,
)
from reconciler.providers.mailchimp_ids import IdBook
from reconciler.providers.mailchimp_read import BUILTIN_MERGE_TAGS, NAME, read_account
from reconciler.providers.mailchimp_write import Step, finish, plan_calls

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


class Mailchimp:
    """The Mailchimp provider; see the module docstring for its configuration."""

    name: ClassVar[str] = NAME
    capabilities: ClassVar[Capabilities] = Capabilities(
        kinds=KINDS, creatable=KINDS, renamable=KINDS, deletable=KINDS
    )

    def __init__(
        self,
        config: MailchimpProvider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 5,
        sleep: Sleep = asyncio.sleep,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        if config.api_key is None:
            raise missing_api_key(config.credential_env)
        base_url = config.base_url or data_center_url(config.api_key, config.credential_env)
        base_url = base_url.rstrip("/").removesuffix(API_PATH)
        self._errors = MailchimpErrors(config.credential_env, base_url, config.api_key)
        self._on_close = on_close
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
        )

    def __repr__(self) -> str:
        return f"Mailchimp(base_url={self._http.base_url!r})"

    @property
    def request_count(self) -> int:
        return self._http.request_count

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
            if self._on_close is not None:
                self._on_close()

    async def read(self) -> State:
        state = await read_account(self._http)
        self._book = IdBook(state)
        return state

    async def apply(
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
                await self._record_default_fields(change.address, book)
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
                error = str(exc)
                if number > 0 and change.action is Action.REPLACE:
                    book.deleted(
                        change.before.address if change.before else change.address, change.remote_id
                    )
                    error = (
                        f"{change.address} was deleted but could not be created again, so "
                        f"it is missing now: {error}"
                    )
                return Outcome(change, ok=False, error=error)
        return finish(change, body, book)
