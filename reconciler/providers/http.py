"""The HTTP client every provider talks through: auth, JSON, retries, concurrency, paging.

It knows nothing about any ESP's resources. A provider gives it a base URL, the value of
its Authorization header and an `ErrorMapper` that turns a failed request into a
`ProviderError` whose message tells the user what to do.

The credential is held as a `SecretStr` and only written into the outgoing request by
an `httpx.Auth` hook, so it never sits in the client's default headers, in a repr, in a
log line or in an exception message.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from reconciler.providers.answers import (
    MAX_PAGES,
    BadAnswer,
    PageGuard,
    Shape,
    check_items,
    optional_int,
    request_label,
    section,
)
from reconciler.providers.base import ProviderError
from reconciler.providers.pacing import Pacer, Wait, report
from reconciler.urls import api_origin, path_secrets

__all__ = [
    "ErrorMapper",
    "HttpClient",
    "HttpFailure",
    "JSONObject",
    "RetryWhen",
    "Sleep",
    "api_origin",
    "basic",
    "bearer",
    "gather_or_cancel",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)

JSONObject = dict[str, Any]
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
#: Says whether a failed response that is not in RETRY_STATUSES is still worth retrying
#: (an ESP may signal throttling in its own way, e.g. a 403 without a body).
RetryWhen = Callable[[httpx.Response], bool]

#: Statuses worth another attempt: the server did not (or could not) process the request.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: What a write that is not idempotent (POST, PATCH) may be retried on: answers that say
#: the request was not carried out. A 5xx or a connection lost mid-request may have
#: carried it out already, and sending a create again could make a duplicate.
WRITE_RETRY_STATUSES = frozenset({408, 429})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class HttpFailure:
    """A request that failed for good, handed to the provider's `ErrorMapper`."""

    method: str
    path: str
    #: What the request was for, in the provider's words (`renaming group "A"`).
    context: str
    attempts: int
    #: None when no response came back at all (connection refused or dropped).
    status: int | None = None
    #: The parsed JSON body, or the start of the text when it was not JSON.
    payload: Any = None
    retry_after: float | None = None
    #: The transport error's description when there was no response.
    transport_error: str = ""


ErrorMapper = Callable[[HttpFailure], ProviderError]


def bearer(token: SecretStr) -> SecretStr:
    """The Authorization header value for a bearer token, still secret."""
    return SecretStr(f"Bearer {token.get_secret_value()}")


def basic(username: str, password: SecretStr) -> SecretStr:
    """The Authorization header value for HTTP Basic auth, still secret."""
    pair = f"{username}:{password.get_secret_value()}".encode()
    return SecretStr(f"Basic {base64.b64encode(pair).decode('ascii')}")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds when it is an integer; HTTP-date forms are not used by ESPs."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    return None


def default_error_mapper(failure: HttpFailure) -> ProviderError:
    """A plain message for providers that have no mapper of their own."""
    where = f"{failure.method} {failure.path}"
    if failure.status is None:
        return ProviderError(
            f"{where} failed after {failure.attempts} attempts: {failure.transport_error}"
        )
    return ProviderError(f"{where} answered {failure.status}: {failure.payload!r}")


class _HeaderAuth(httpx.Auth):
    """Writes the secret header into each request at send time and nowhere else."""

    def __init__(self, header: str, value: SecretStr) -> None:
        self._header = header
        self._value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._value.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return f"_HeaderAuth({self._header}: **********)"


class HttpClient:
    """A typed JSON client over `httpx.AsyncClient` with bounded concurrency and retries.

    `max_attempts` counts the first try. Waits between attempts grow as
    `backoff * 2**n`, capped at `max_backoff`, plus up to `jitter` times that at random
    (so that parallel requests throttled together do not all come back together); a 429
    with an integer Retry-After waits exactly that long unless it exceeds
    `max_retry_wait`, in which case the failure is reported at once so that the user can
    decide (the message says how long to wait). `retry_when` adds responses to retry
    besides the statuses in RETRY_STATUSES.
    """

    def __init__(
        self,
        base_url: str,
        *,
        authorization: SecretStr | None = None,
        auth_header: str = "Authorization",
        headers: Mapping[str, str] | None = None,
        max_concurrency: int = 10,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_wait: float = 180.0,
        timeout: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        error_mapper: ErrorMapper = default_error_mapper,
        retry_when: RetryWhen | None = None,
        jitter: float = 0.0,
        pacer: Callable[[], Pacer] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._map_error = error_mapper
        self._retry_when = retry_when
        self._jitter = jitter
        self._semaphore = asyncio.Semaphore(max_concurrency)
        #: The account's shared pacer (see `pacing`), looked up per request because it
        #: belongs to the running event loop.
        self._pacer = pacer
        self._request_count = 0
        #: Never shown: the credential, and the base URL's path (it may hold a token).
        self._secret_forms = sorted(
            {*_secret_forms(authorization), *path_secrets(self.base_url)}, key=len, reverse=True
        )
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            auth=_HeaderAuth(auth_header, authorization) if authorization else None,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=timeout,
            transport=transport,
            # The pool never needs more connections than requests we allow in flight.
            limits=httpx.Limits(max_connections=max_concurrency),
        )

    def __repr__(self) -> str:
        return f"HttpClient(api={api_origin(self.base_url)!r}, requests={self._request_count})"

    @property
    def request_count(self) -> int:
        """Requests sent so far, every retry included: that is what rate limits count."""
        return self._request_count

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- requests ---------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        context: str = "",
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise the mapped `ProviderError`."""
        method = method.upper()
        attempt = 0
        #: An earlier attempt may have been carried out (it got a 5xx or lost its answer).
        uncertain = False
        while True:
            attempt += 1
            try:
                response = await self._send(method, path, params, json)
            except httpx.TransportError as exc:
                uncertain = uncertain or not _unsent(exc)
                described = self._scrub(_describe(exc))
                if self._retryable_error(exc, method) and attempt < self.max_attempts:
                    await self._wait(self._backoff_for(attempt), method, path, described)
                    continue
                failure = HttpFailure(method, path, context, attempt, transport_error=described)
                raise _flag_ambiguous(self._map_error(failure), uncertain) from None
            if response.is_success:
                return response
            uncertain = uncertain or response.status_code >= 500
            retry_after = retry_after_seconds(response)
            if self._retryable(response, method) and attempt < self.max_attempts:
                delay = retry_after if retry_after is not None else self._backoff_for(attempt)
                if delay <= self._max_retry_wait:
                    await self._wait_throttled(response, delay, method, path)
                    continue
            failure = HttpFailure(
                method,
                path,
                context,
                attempt,
                status=response.status_code,
                # An ESP or proxy may quote the request back (a 404 names the path).
                payload=self._scrub_payload(_payload(response)),
                retry_after=retry_after,
            )
            raise _flag_ambiguous(self._map_error(failure), uncertain)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        context: str = "",
    ) -> Any:
        """Like `request`, returning the parsed body (None for an empty one, e.g. 204).

        A success whose body cannot be parsed (cut short, plain text, a proxy's HTML
        page) is asked for again when that is harmless (GET, PUT, DELETE); for a write
        it is an ambiguous failure: the write may have been carried out.
        """
        method = method.upper()
        attempt = 0
        while True:
            attempt += 1
            response = await self.request(method, path, params=params, json=json, context=context)
            if not response.content.strip():
                return None
            try:
                return response.json()
            except ValueError:
                if method in IDEMPOTENT and attempt < self.max_attempts:
                    await self._wait(self._backoff_for(attempt), method, path, "unreadable body")
                    continue
                raise ProviderError(
                    f"{request_label(self.base_url, method, path, params)} answered "
                    f"{response.status_code} with a body that is "
                    f"not JSON ({_content_type(response)}); check that provider.base_url "
                    f"({api_origin(self.base_url)}) points at the API",
                    ambiguous=method != "GET",
                ) from None

    async def get(
        self, path: str, *, params: Mapping[str, str | int] | None = None, context: str = ""
    ) -> Any:
        return await self.request_json("GET", path, params=params, context=context)

    async def _send(
        self, method: str, path: str, params: Mapping[str, str | int] | None, json: Any
    ) -> httpx.Response:
        # The semaphore covers one attempt only, so a request sleeping before its retry
        # does not hold a slot that others could use.
        async with self._semaphore:
            pacer = self._pacer() if self._pacer is not None else None
            if pacer is not None:
                await pacer.acquire()
            response = None
            try:
                self._request_count += 1
                response = await self._client.request(
                    method, path, params=dict(params) if params else None, json=json
                )
                await response.aread()
            finally:
                if pacer is not None:
                    pacer.release(response)
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _retryable(self, response: httpx.Response, method: str) -> bool:
        statuses = RETRY_STATUSES if method in IDEMPOTENT else WRITE_RETRY_STATUSES
        if response.status_code in statuses:
            return True
        return self._retry_when is not None and self._retry_when(response)

    @staticmethod
    def _retryable_error(exc: httpx.TransportError, method: str) -> bool:
        if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
            return False  # our own request is malformed: sending it again cannot help
        if method in IDEMPOTENT:
            return True
        # A write is retried only when it cannot have reached the server.
        return _unsent(exc)

    def _scrub(self, text: str) -> str:
        """Remove the credential, in every form it was sent in, from text about to be shown.

        Transport errors can quote the request's headers (an illegal header value is
        reported with the header in full), and error answers the request's path.
        """
        for secret in self._secret_forms:
            text = text.replace(secret, "[redacted]")
        return text

    def _scrub_payload(self, payload: Any) -> Any:
        """`payload` with `_scrub` applied to every string in it, keys included."""
        if isinstance(payload, str):
            return self._scrub(payload)
        if isinstance(payload, list):
            return [self._scrub_payload(item) for item in payload]
        if isinstance(payload, dict):
            return {self._scrub(str(k)): self._scrub_payload(v) for k, v in payload.items()}
        return payload

    def _backoff_for(self, attempt: int) -> float:
        delay = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        if self._jitter:
            delay += random.uniform(0, self._jitter * delay)
        return delay

    async def _wait(self, delay: float, method: str, path: str, why: str) -> None:
        log.info("%s %s: %s, retrying in %.1fs", method, path, why, delay)
        await self._sleep(delay)

    async def _wait_throttled(
        self, response: httpx.Response, delay: float, method: str, path: str
    ) -> None:
        """Wait before retrying a refused request. A 429 with Retry-After is waited by the
        account's pacer, which holds back every request of the account, not this one only,
        and says so; a 429 without it (Mailchimp) is still told before the backoff."""
        pacer = self._pacer() if self._pacer is not None else None
        if pacer is not None and response.status_code == 429:
            if retry_after_seconds(response) is not None:
                log.info("%s %s: 429, the pacer waits %.1fs", method, path, delay)
                return
            report(Wait(delay, pacer.label, throttled=True))
        await self._wait(delay, method, path, str(response.status_code))

    # --- paging -----------------------------------------------------------------------

    async def pages(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        page_param: str = "page",
        context: str = "",
        shape: Shape | None = None,
    ) -> AsyncIterator[list[JSONObject]]:
        """Yield the `data` of each page of a page-numbered list, from page 1.

        Stops when `links.next` is null or `meta.current_page` reaches `meta.last_page`;
        a response with neither (not paginated) or an empty page also ends the list.
        Every item must have `shape`; a page other than the one asked for, a page over
        `limit`, or more pages than `meta.total` (or `meta.last_page`) allows is a
        `BadAnswer`: stopping quietly there would plan from half a list.
        """
        guard = PageGuard(_limit(params, "limit"))
        page = 1
        while True:
            query = {**(params or {}), page_param: page}
            request = request_label(self.base_url, "GET", path, query)
            body = await self.get(path, params=query, context=context)
            data = check_items(body, "data", shape, request)
            links, meta = section(body, "links", request), section(body, "meta", request)
            current = optional_int(meta, "current_page", "meta", request)
            last = optional_int(meta, "last_page", "meta", request)
            if page == 1:
                guard.total = optional_int(meta, "total", "meta", request)
                if last is not None and guard.total is None:
                    guard.total = last * max(len(data), 1)
                    guard.reported = f"meta.last_page was {last} on page 1"
            if current is not None and current != page:
                raise BadAnswer(
                    request, f"meta.current_page is {current} (the server ignores `page`)"
                )
            guard.page(data, request)
            yield data
            has_next = links.get("next") is not None if "next" in links else None
            at_last = current >= last if current is not None and last is not None else None
            if not data or has_next is False or at_last or (has_next is None and at_last is None):
                return
            page += 1

    async def cursor_pages(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        cursor_param: str = "cursor",
        context: str = "",
        shape: Shape | None = None,
    ) -> AsyncIterator[list[JSONObject]]:
        """Yield the `data` of each page of a cursor list until `meta.next_cursor` is null.

        A cursor followed before, a page repeating the one before, a page over `limit` or
        `MAX_PAGES` pages (cursor lists report no total) is a `BadAnswer`.
        """
        guard = PageGuard(_limit(params, "limit"))
        cursor: str | None = None
        while True:
            query: dict[str, str | int] = dict(params or {})
            if cursor is not None:
                query[cursor_param] = cursor
            request = request_label(self.base_url, "GET", path, query)
            body = await self.get(path, params=query, context=context)
            data = check_items(body, "data", shape, request)
            meta = section(body, "meta", request)
            guard.page(data, request)
            yield data
            following = guard.cursor(meta.get("next_cursor"), request)
            if following is None or not data:
                return
            cursor = following

    async def offset_items(
        self,
        path: str,
        *,
        items_key: str,
        params: Mapping[str, str | int] | None = None,
        page_size: int = 1000,
        count_param: str = "count",
        offset_param: str = "offset",
        total_key: str = "total_items",
        context: str = "",
        shape: Shape | None = None,
    ) -> list[JSONObject]:
        """Every item of a count/offset list whose pages report the total.

        The first page gives the total, so the remaining pages are requested at once
        (the concurrency bound still applies) instead of one after another. A missing
        total, a page over `page_size`, an empty page before the total is reached, a
        total that changes between pages, or more pages than `MAX_PAGES` is a
        `BadAnswer`.
        """
        base = {**(params or {}), count_param: page_size}

        async def fetch(offset: int) -> tuple[list[JSONObject], int, str]:
            query = {**base, offset_param: offset}
            request = request_label(self.base_url, "GET", path, query)
            body = await self.get(path, params=query, context=context)
            items = check_items(body, items_key, shape, request)
            total = optional_int(body, total_key, "answer", request)
            if total is None:
                raise BadAnswer(request, f"`{total_key}` is missing")
            PageGuard(page_size).page(items, request)
            return items, total, request

        first, total, request = await fetch(0)
        # Step by what the server actually sent, in case it caps pages below page_size.
        step = len(first)
        if total > step and step == 0:
            raise BadAnswer(request, f"`{total_key}` is {total} but the first page is empty")
        offsets = range(step, total, step) if step else range(0)
        if len(offsets) >= MAX_PAGES:
            raise BadAnswer(
                request,
                f"`{total_key}` is {total}: {len(offsets) + 1} pages of {step}, more than "
                f"the {MAX_PAGES} espform reads of one list",
            )
        rest = await gather_or_cancel([fetch(offset) for offset in offsets])
        for offset, (items, later_total, later) in zip(offsets, rest, strict=True):
            if later_total != total:
                raise BadAnswer(
                    later,
                    f"`{total_key}` is {later_total}, but was {total} on the first page "
                    "(the list changed while being read)",
                )
            if not items and offset < total:
                raise BadAnswer(later, f"the page is empty before `{total_key}` ({total})")
        return [*first, *(item for items, _total, _request in rest for item in items)]


async def gather_or_cancel(awaitables: list[Awaitable[T]]) -> list[T]:
    """All results in order; on the first failure the others are cancelled, then it is raised.

    Unlike a bare `asyncio.gather`, nothing keeps running unobserved after an error.
    """
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _limit(params: Mapping[str, str | int] | None, key: str) -> int | None:
    value = (params or {}).get(key)
    return int(value) if isinstance(value, int) or str(value or "").isdigit() else None


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "no content type").split(";")[0].strip()


def _unsent(exc: httpx.TransportError) -> bool:
    """Whether the request surely never reached the server (the connection was refused)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _flag_ambiguous(error: ProviderError, uncertain: bool) -> ProviderError:
    """Mark a failed request that may have been carried out all the same (see
    ProviderError): an attempt got a 5xx or lost its answer. A later attempt's refusal
    does not settle it (a DELETE's 404 may be the echo of an earlier attempt)."""
    error.ambiguous = uncertain
    return error


def _payload(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _secret_forms(authorization: SecretStr | None) -> list[str]:
    """The header value, its credential part, and a Basic credential's decoded password,
    longest first so that a longer form is replaced before a part of it."""
    if authorization is None:
        return []
    value = authorization.get_secret_value()
    forms = {value, value.strip()}
    scheme, _, credential = value.partition(" ")
    if credential:
        forms.add(credential.strip())
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                decoded = ""
            forms.update(part for part in (decoded, decoded.partition(":")[2]) if part)
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def _describe(exc: httpx.TransportError) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class HttpProvider:
    """What every HTTP-backed provider shares: its client, request count and closing.

    Subclasses set `self._http` and `self._on_close` (closes an embedded sandbox) in
    their constructor.
    """

    _http: HttpClient
    _on_close: Callable[[], None] | None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api={api_origin(self._http.base_url)!r})"

    @property
    def request_count(self) -> int:
        return self._http.request_count

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
            if self._on_close is not None:
                self._on_close()
