"""Client-side pacing to an ESP's request limits, one pacer per account.

MailerLite allows 120 requests per minute per account and answers 429 with Retry-After
beyond that; Mailchimp allows 10 connections at once per key. A long run should never
meet a 429 it could have avoided, so every request waits for its pacer first.

`RequestWindow` (MailerLite) keeps the promise the API documents, "at most N requests
per minute", for *any* minute: it never lets more than `limit` requests be counted in a
span of `window_s` seconds, whether the server counts them in fixed windows (as
Laravel's throttle does) or in a sliding one. A request's place is held while it is in
flight and for `window_s` after its answer came back: the server saw it at some moment
before the answer, so the place is freed no sooner than the server frees it. The
server's word wins over the local estimate: `X-RateLimit-Limit` lowers the budget,
`X-RateLimit-Remaining` below the local estimate means someone else (another
integration sharing the token, or the previous command) used part of it, and a 429's
`Retry-After` stops every request of the account until it has passed.

`ConnectionSlots` (Mailchimp) admits at most `max_connections` requests at once.

Both are shared by every client of the same account (host and credential) within an
event loop, so concurrent tasks, and several configs naming one account, share one
budget. Waits of a second or more are told to the reporter set in `wait_reporter`
(the CLI shows them on the progress line).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import SecretStr

from reconciler.config.provider import MailchimpProvider, MailerLiteProvider
from reconciler.urls import api_origin

__all__ = [
    "ConnectionSlots",
    "Pacer",
    "RequestWindow",
    "Wait",
    "WaitReporter",
    "mailchimp_pacer",
    "mailerlite_pacer",
    "reporting_waits",
    "shared_pacer",
]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Waits shorter than this are not worth a line on the screen.
REPORT_AFTER_S = 1.0


@dataclass(frozen=True)
class Wait:
    """A pause before requests go on: how long, and why (`MailerLite rate limit`)."""

    seconds: float
    reason: str
    #: True when the server refused a request (429); False for pacing ahead of it.
    throttled: bool = False

    def describe(self) -> str:
        seconds = max(1, round(self.seconds))
        return f"waiting {seconds} s: {self.reason}"


WaitReporter = Callable[[Wait], None]
#: Where waits are told; set by the CLI around a run (context variables follow tasks).
wait_reporter: ContextVar[WaitReporter | None] = ContextVar("wait_reporter", default=None)


@contextmanager
def reporting_waits(reporter: WaitReporter) -> Iterator[None]:
    """Tell `reporter` of every wait of the requests made inside this block."""
    token = wait_reporter.set(reporter)
    try:
        yield
    finally:
        wait_reporter.reset(token)


def report(wait: Wait) -> None:
    reporter = wait_reporter.get()
    if reporter is not None and (wait.throttled or wait.seconds >= REPORT_AFTER_S):
        reporter(wait)


class Pacer(Protocol):
    """Admits a request (`acquire`) and learns from its answer (`release`)."""

    #: How waits are explained to the user (`MailerLite rate limit`).
    label: str

    async def acquire(self) -> None: ...

    def release(self, response: httpx.Response | None) -> None: ...


class RequestWindow:
    """At most `limit` requests counted in any `window_s` seconds (see the module doc)."""

    def __init__(
        self,
        limit: int,
        *,
        window_s: float = 60.0,
        label: str = "rate limit",
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 request per window, got {limit}")
        self.configured_limit = limit
        self.limit = limit
        self.window_s = window_s
        self.label = label
        self._clock, self._sleep = (clock, sleep) if clock else timeline(sleep)
        #: When each counted request's place frees up, oldest first (answered requests,
        #: and places the server says others used).
        self._frees_at: deque[float] = deque()
        self._in_flight = 0
        self._blocked_until = 0.0
        self._reported_until = 0.0
        self._answered = asyncio.Event()

    @property
    def used(self) -> int:
        """Places held now: requests in flight plus those answered within the window."""
        self._expire(self._clock())
        return self._in_flight + len(self._frees_at)

    async def acquire(self) -> None:
        while True:
            now = self._clock()
            self._expire(now)
            delay = self._delay(now)
            if delay is None:
                self._in_flight += 1
                return
            if delay == 0.0:
                # Every place is held by a request in flight: wait for an answer, which
                # tells when its place frees.
                self._answered.clear()
                await self._answered.wait()
                continue
            until = now + delay
            if until > self._reported_until + REPORT_AFTER_S:
                # One notice per pause, however many requests wait through it.
                self._reported_until = until
                report(Wait(delay, self.label, throttled=now < self._blocked_until))
            await self._sleep(delay)

    def release(self, response: httpx.Response | None) -> None:
        now = self._clock()
        self._in_flight -= 1
        self._frees_at.append(now + self.window_s)
        if response is not None:
            self._heed(response, now)
        self._answered.set()

    def _delay(self, now: float) -> float | None:
        """None: go now; 0.0: wait for an answer; else seconds until a place frees."""
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._in_flight + len(self._frees_at) < self.limit:
            return None
        if not self._frees_at:
            return 0.0
        return max(self._frees_at[0] - now, 1e-3)

    def _expire(self, now: float) -> None:
        while self._frees_at and self._frees_at[0] <= now:
            self._frees_at.popleft()

    def _heed(self, response: httpx.Response, now: float) -> None:
        limit = _whole(response.headers.get("x-ratelimit-limit"))
        if limit is not None and limit >= 1:
            # Never above what was configured (room left for another integration).
            self.limit = min(self.configured_limit, limit)
        remaining = _whole(response.headers.get("x-ratelimit-remaining"))
        if remaining is not None:
            self._expire(now)
            unknown = (self.limit - self.used) - remaining
            # Requests this client does not know of: held as if made just now, which
            # frees them no sooner than the server does whatever its window.
            self._frees_at.extend([now + self.window_s] * max(0, unknown))
            if unknown > 0:
                self._frees_at = deque(sorted(self._frees_at))
        if response.status_code == 429:
            retry_after = _whole(response.headers.get("retry-after"))
            if retry_after is not None:
                self._blocked_until = max(self._blocked_until, now + retry_after)


class ConnectionSlots:
    """At most `limit` requests of one account in flight at once."""

    def __init__(self, limit: int, *, label: str = "connection limit") -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 connection, got {limit}")
        self.limit = limit
        self.label = label
        self._semaphore = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.peak = 0

    async def acquire(self) -> None:
        await self._semaphore.acquire()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def release(self, response: httpx.Response | None) -> None:
        self.in_flight -= 1
        self._semaphore.release()


#: One pacer per account and event loop: asyncio primitives belong to the loop they
#: were made in, and a loop's end is the end of a run.
_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, ...], Pacer]] = (
    weakref.WeakKeyDictionary()
)


def shared_pacer(
    base_url: str, credential: SecretStr, kind: str, make: Callable[[], Pacer]
) -> Pacer:
    """The pacer of the account at `base_url` with `credential`, made on first use.

    Only a digest of the credential is kept, so the registry never holds the secret.
    """
    loop = asyncio.get_running_loop()
    digest = hashlib.sha256(credential.get_secret_value().encode()).hexdigest()
    pacers = _shared.setdefault(loop, {})
    key = (kind, api_origin(base_url), digest)
    if key not in pacers:
        pacers[key] = make()
    return pacers[key]


def timeline(sleep: Sleep) -> tuple[Clock, Sleep]:
    """A clock and a sleep that agree: the monotonic clock, moved on by every sleep
    that does not really wait (tests hand providers a sleep that returns at once)."""
    if sleep is asyncio.sleep:
        return time.monotonic, asyncio.sleep
    slept = [0.0]

    async def advancing(seconds: float) -> None:
        await sleep(seconds)
        slept[0] += seconds

    return (lambda: time.monotonic() + slept[0]), advancing


def mailerlite_pacer(config: MailerLiteProvider, sleep: Sleep) -> Callable[[], Pacer]:
    """The pacer lookup for a MailerLite account: `requests_per_minute` per minute."""
    assert config.token is not None
    token = config.token

    def make() -> Pacer:
        return RequestWindow(config.requests_per_minute, label="MailerLite rate limit", sleep=sleep)

    return lambda: shared_pacer(config.base_url, token, "mailerlite", make)


def mailchimp_pacer(base_url: str, config: MailchimpProvider) -> Callable[[], Pacer]:
    """The pacer lookup for a Mailchimp key: `max_connections` requests at once."""
    assert config.api_key is not None
    key = config.api_key

    def make() -> Pacer:
        return ConnectionSlots(config.max_connections, label="Mailchimp connection limit")

    return lambda: shared_pacer(base_url, key, "mailchimp", make)


def _whole(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None
