"""Fault injection shared by every sandbox flavor: what can go wrong between a client and an ESP.

Each kind stands for something real clients meet:

- `NNN` (e.g. `500`, `503`): the ESP answers that error, its body shaped as the flavor's
  own errors; nothing is written.
- `429`: throttled, with `Retry-After`; nothing is written.
- `latency`: the request is served normally and its answer leaves `latency_ms` after
  the fault struck: the latency is the ESP's response time, which the sandbox's own
  serving time (its writes are serialized on one SQLite file) counts towards instead of
  adding to, as a real ESP serves many requests at once.
- `drop-before`: the connection closes before the request reaches the handler: nothing
  is written, no answer.
- `drop-after`: the handler runs and commits, then the connection closes without an
  answer: the write happened and the client cannot know.
- `truncated`: the handler runs and commits; its JSON answer arrives cut in half.
- `non-json`: the handler runs and commits; a plain-text body replaces its answer.
- `html-200`: a proxy answers 200 with an HTML page; the request never reaches the API.

Faults strike in two ways, both stored in the SQLite file so that a test can arm them
from another process: a *queue* (the next N API requests suffer a kind, in order) and a
*rate* (each API request suffers one of the listed kinds with probability `rate`, drawn
from a generator seeded with `seed`, so that a run can be repeated). Queued faults come
first. The admin paths are never faulted.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from reconciler.sandbox.core import SandboxResponse

__all__ = [
    "DEFAULT_KINDS",
    "FaultError",
    "FaultInjector",
    "FaultSettings",
    "Strike",
    "clear",
    "enqueue",
    "ensure_schema",
    "load_settings",
    "parse_kind",
    "parse_settings",
    "save_settings",
    "status_of",
]

NAMED_KINDS = ("latency", "drop-before", "drop-after", "truncated", "non-json", "html-200")
DEFAULT_KINDS: tuple[str, ...] = ("500", "503", "429", *NAMED_KINDS)
MAX_QUEUED = 10_000
_STATUS = re.compile(r"^[45]\d\d$")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sandbox_fault_settings"
    " (id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT NOT NULL,"
    " armed INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS sandbox_fault_queue"
    " (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL)",
)

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
    b"<body><h1>We'll be right back</h1></body></html>"
)
NOT_JSON = b"upstream answered OK\n"
_JSON = {"content-type": "application/json"}


class FaultError(ValueError):
    """A fault setting that cannot be used; `key` names the offending option."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def parse_kind(text: str) -> str:
    """A fault kind in its canonical spelling, or FaultError."""
    kind = str(text).strip().lower()
    if kind in NAMED_KINDS or _STATUS.match(kind):
        return kind
    raise FaultError(
        "kinds",
        f"unknown fault kind {text!r}; use an HTTP error status such as 500 or 429, "
        f"or one of: {', '.join(NAMED_KINDS)}",
    )


def status_of(kind: str) -> int | None:
    return int(kind) if _STATUS.match(kind) else None


@dataclass(frozen=True)
class FaultSettings:
    """Random faults: each API request suffers one of `kinds` with probability `rate`."""

    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    seed: int | None = None
    #: How late a `latency` answer comes, and the `Retry-After` a `429` sends; small
    #: values keep test runs fast.
    latency_ms: int = 50
    retry_after: int = 1

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "kinds": list(self.kinds)}


def _whole(data: dict[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultError(key, f"{key} must be a whole number, 0 or more")
    return value


def parse_settings(data: Any) -> FaultSettings:
    """Settings from an admin payload or CLI flags, checked."""
    if not isinstance(data, dict):
        raise FaultError("rate", 'send a JSON object such as {"rate": 0.1, "seed": 7}')
    unknown = sorted(set(data) - {"rate", "kinds", "seed", "latency_ms", "retry_after"})
    if unknown:
        raise FaultError(unknown[0], f"unknown fault option {unknown[0]!r}")
    rate = data.get("rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise FaultError("rate", "rate must be a number from 0 to 1")
    kinds = data.get("kinds", list(DEFAULT_KINDS))
    if isinstance(kinds, str):
        kinds = [k for k in kinds.split(",") if k.strip()]
    if not isinstance(kinds, list) or not kinds:
        raise FaultError("kinds", "kinds must be a non-empty list of fault kinds")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultError("seed", "seed must be a whole number")
    return FaultSettings(
        rate=float(rate),
        kinds=tuple(parse_kind(k) for k in kinds),
        seed=seed,
        latency_ms=_whole(data, "latency_ms", FaultSettings.latency_ms),
        retry_after=_whole(data, "retry_after", FaultSettings.retry_after),
    )


def ensure_schema(db: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        db.execute(statement)


def save_settings(db: sqlite3.Connection, settings: FaultSettings | None) -> None:
    """Store the random-fault settings; None turns random faults off."""
    previous = _stored(db)
    db.execute("DELETE FROM sandbox_fault_settings")
    if settings is not None:
        # `armed` changes on every save, so that storing the same settings again
        # starts the seeded sequence over (a repeatable run).
        db.execute(
            "INSERT INTO sandbox_fault_settings (id, settings, armed) VALUES (1, ?, ?)",
            (json.dumps(settings.as_json(), sort_keys=True), (previous[1] if previous else 0) + 1),
        )


def _stored(db: sqlite3.Connection) -> tuple[str, int] | None:
    row = db.execute("SELECT settings, armed FROM sandbox_fault_settings WHERE id = 1").fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def load_settings(db: sqlite3.Connection) -> FaultSettings | None:
    stored = _stored(db)
    return None if stored is None else parse_settings(json.loads(stored[0]))


def enqueue(db: sqlite3.Connection, kind: str, count: int = 1) -> None:
    """The next `count` API requests suffer `kind` (after faults queued before)."""
    if not 1 <= count <= MAX_QUEUED:
        raise FaultError("count", f"count must be from 1 to {MAX_QUEUED}")
    db.executemany(
        "INSERT INTO sandbox_fault_queue (kind) VALUES (?)", [(parse_kind(kind),)] * count
    )


def queued(db: sqlite3.Connection) -> list[str]:
    return [str(r[0]) for r in db.execute("SELECT kind FROM sandbox_fault_queue ORDER BY seq")]


def clear(db: sqlite3.Connection) -> None:
    """Remove queued faults and turn random faults off."""
    db.execute("DELETE FROM sandbox_fault_queue")
    db.execute("DELETE FROM sandbox_fault_settings")


@dataclass(frozen=True)
class Strike:
    """The fault one request suffers."""

    kind: str
    latency_ms: int = FaultSettings.latency_ms
    retry_after: int = FaultSettings.retry_after


#: Builds a flavor's own error answer for a status (and Retry-After, for 429).
ErrorAnswer = Callable[[int, int | None], SandboxResponse]


class FaultInjector:
    """Picks the fault a request suffers and carries it out around the real handler.

    One per app; the random generator lives here (seeded again whenever the stored
    settings change), the settings and queue in the database.
    """

    def __init__(self, error_answer: ErrorAnswer, sleep: Callable[[float], None]) -> None:
        self._error_answer = error_answer
        self._sleep = sleep
        self._lock = threading.Lock()
        self._stored: tuple[str, int] | None = None
        self._settings: FaultSettings | None = None
        self._rng = random.Random()

    def pick(self, db: sqlite3.Connection) -> Strike | None:
        """The fault for the request being served (call inside a write transaction)."""
        row = db.execute(
            "SELECT seq, kind FROM sandbox_fault_queue ORDER BY seq LIMIT 1"
        ).fetchone()
        settings = self._current(db)
        latency = settings.latency_ms if settings else FaultSettings.latency_ms
        retry_after = settings.retry_after if settings else FaultSettings.retry_after
        if row is not None:
            db.execute("DELETE FROM sandbox_fault_queue WHERE seq = ?", (row[0],))
            return Strike(str(row[1]), latency, retry_after)
        if settings is None or settings.rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= settings.rate:
                return None
            kind = self._rng.choice(settings.kinds)
        return Strike(kind, latency, retry_after)

    def _current(self, db: sqlite3.Connection) -> FaultSettings | None:
        stored = _stored(db)
        with self._lock:
            if stored != self._stored:
                self._stored = stored
                self._settings = None if stored is None else parse_settings(json.loads(stored[0]))
                seed = self._settings.seed if self._settings else None
                self._rng = random.Random(seed)
            return self._settings

    def serve(self, strike: Strike, handler: Callable[[], SandboxResponse]) -> SandboxResponse:
        """The answer to a request that suffers `strike`; `handler` serves it for real."""
        kind = strike.kind
        status = status_of(kind)
        if status is not None:
            return self._error_answer(status, strike.retry_after if status == 429 else None)
        if kind == "latency":
            started = time.monotonic()
            response = handler()
            remaining = strike.latency_ms / 1000 - (time.monotonic() - started)
            if remaining > 0:
                self._sleep(remaining)
            return response
        if kind == "drop-before":
            return SandboxResponse.dropped()
        if kind == "html-200":
            return SandboxResponse(200, HTML_PAGE, {"content-type": "text/html; charset=utf-8"})
        response = handler()  # the remaining kinds strike after the write is made
        if kind == "drop-after":
            return SandboxResponse.dropped()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
        if kind == "truncated":
            if not response.body:  # an empty answer (204) cannot be cut: send a broken one
                return SandboxResponse(200, b'{"data": ', {**headers, **_JSON})
            body = response.body[: len(response.body) // 2]
            return SandboxResponse(response.status, body, {**headers, **_JSON})
        return SandboxResponse(response.status, NOT_JSON, {**headers, "content-type": "text/plain"})
