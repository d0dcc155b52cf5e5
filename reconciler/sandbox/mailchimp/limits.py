"""The connection limit, injected faults and request counts.

Mailchimp allows 10 simultaneous connections per key and answers 429 beyond that
(fact sheet, section 4). `ConnectionGate` counts requests in flight in this process;
both the in-process transport and the loopback server run requests in threads, so the
count is real concurrency. Faults and request counts live in the SQLite file, so a test
can inject a fault or read counts from another process than the one serving.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus

from reconciler.sandbox.core import SandboxResponse
from reconciler.sandbox.mailchimp.problems import Problem, too_many_requests


class ConnectionGate:
    """Admits at most `limit` requests at once; the rest are told to back off."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_flight = 0
        #: The most requests ever in flight at once, and how many were refused: what a
        #: test of client-side pacing reads (reset with the request counts).
        self.peak = 0
        self.refused = 0

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def reset(self) -> None:
        with self._lock:
            self.peak = self._in_flight
            self.refused = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Holds a place for the request's whole life; yields whether it was admitted."""
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
            admitted = self._in_flight <= self.limit
            self.refused += 0 if admitted else 1
        try:
            yield admitted
        finally:
            with self._lock:
                self._in_flight -= 1


@dataclass(frozen=True)
class Fault:
    """What the next API request suffers: a delay, then optionally an error status."""

    status: int | None
    latency_ms: int
    retry_after: int | None = None
    title: str | None = None
    detail: str | None = None


def count_request(db: sqlite3.Connection, key: str) -> None:
    db.execute(
        "INSERT INTO request_stats (key, count) VALUES (?, 1)"
        " ON CONFLICT (key) DO UPDATE SET count = count + 1",
        (key,),
    )


def read_stats(db: sqlite3.Connection) -> dict[str, int]:
    return {k: int(c) for k, c in db.execute("SELECT key, count FROM request_stats ORDER BY key")}


def take_fault(db: sqlite3.Connection) -> Fault | None:
    """The oldest pending fault, using up one of its requests."""
    row = db.execute("SELECT * FROM faults ORDER BY seq LIMIT 1").fetchone()
    if row is None:
        return None
    if row["remaining"] <= 1:
        db.execute("DELETE FROM faults WHERE seq = ?", (row["seq"],))
    else:
        db.execute("UPDATE faults SET remaining = remaining - 1 WHERE seq = ?", (row["seq"],))
    return Fault(row["status"], row["latency_ms"], row["retry_after"], row["title"], row["detail"])


def add_fault(db: sqlite3.Connection, fault: Fault, count: int) -> None:
    db.execute(
        "INSERT INTO faults (status, remaining, retry_after, latency_ms, title, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (fault.status, count, fault.retry_after, fault.latency_ms, fault.title, fault.detail),
    )


def pending_faults(db: sqlite3.Connection) -> list[dict[str, object]]:
    return [
        {
            "status": r["status"],
            "count": r["remaining"],
            "retry_after": r["retry_after"],
            "latency_ms": r["latency_ms"],
        }
        for r in db.execute("SELECT * FROM faults ORDER BY seq")
    ]


def fault_response(fault: Fault, host_url: str, limit: int) -> SandboxResponse | None:
    """The error a fault answers with; None when it only delays the request."""
    if fault.status is None:
        return None
    headers = {} if fault.retry_after is None else {"retry-after": str(fault.retry_after)}
    if fault.status == 403 and not (fault.title or fault.detail):
        # At high volume Mailchimp throttles with a 403 that has no JSON body at all.
        return SandboxResponse(403, b"", headers)
    if fault.status == 429:
        problem = too_many_requests(limit)
    else:
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        problem = Problem(fault.status, phrase, "The sandbox injected this error for a test.")
    problem.title = fault.title or problem.title
    problem.detail = fault.detail or problem.detail
    problem.headers.update(headers)
    return problem.response(host_url)
