"""Injected faults: a queue of per-request misbehaviours, consumed by the next API requests.

The queue lives in the database, so a test can arm faults and then run `espform` in
another process against the same sandbox file.

Payload of `POST /_sandbox/faults` (all keys optional, at least one of status, drop,
latency_ms):
    {"status": 429|500|503|..., "count": n, "retry_after": s, "latency_ms": ms, "drop": n}
- `drop: n` closes the connection without an answer on the next n requests;
- then `status` answers the following `count` (default 1) requests with that error
  (429 bodies and headers as MailerLite's throttle; `Retry-After` when `retry_after` is
  given, and always on 429, default 60);
- `latency_ms` delays every faulted request; given alone, it delays the next `count`
  requests, which are then served normally.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from reconciler.sandbox.core import SandboxResponse

MAX_FAULTS_PER_CALL = 10_000
DEFAULT_RETRY_AFTER_S = 60


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    drop: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "drop": self.drop,
        }


class FaultPayloadError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _whole(data: dict[str, Any], key: str, default: int, minimum: int = 0) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultPayloadError(key, f"{key} must be a whole number of at least {minimum}")
    return value


def parse_faults(data: dict[str, Any]) -> list[Fault]:
    """The per-request faults a payload asks for, in the order they will strike."""
    unknown = set(data) - {"status", "count", "retry_after", "latency_ms", "drop"}
    if unknown:
        raise FaultPayloadError(sorted(unknown)[0], f"unknown fault option {sorted(unknown)[0]!r}")
    status = data.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise FaultPayloadError("status", "status must be an HTTP error status (400-599)")
    drops = _whole(data, "drop", 0)
    latency_ms = _whole(data, "latency_ms", 0)
    retry_after = data.get("retry_after")
    if retry_after is not None:
        retry_after = _whole(data, "retry_after", 0)
    if status is None and drops == 0 and latency_ms == 0:
        raise FaultPayloadError("status", "give at least one of status, drop, latency_ms")
    count = _whole(data, "count", 1 if status is not None or drops == 0 else 0)
    if drops + count > MAX_FAULTS_PER_CALL:
        raise FaultPayloadError("count", f"at most {MAX_FAULTS_PER_CALL} faults per call")
    dropped = [Fault(None, None, latency_ms, True)] * drops
    served = [Fault(status, retry_after, latency_ms, False)] * count
    return dropped + served


def enqueue(db: sqlite3.Connection, faults: list[Fault]) -> None:
    db.executemany(
        "INSERT INTO pending_faults (status, retry_after, latency_ms, drop_conn)"
        " VALUES (?, ?, ?, ?)",
        [(f.status, f.retry_after, f.latency_ms, int(f.drop)) for f in faults],
    )


def _row_fault(row: sqlite3.Row) -> Fault:
    return Fault(row["status"], row["retry_after"], row["latency_ms"], bool(row["drop_conn"]))


def take(db: sqlite3.Connection) -> Fault | None:
    """Remove and return the next fault, if any (call inside a write transaction)."""
    row = db.execute("SELECT * FROM pending_faults ORDER BY seq LIMIT 1").fetchone()
    if row is None:
        return None
    db.execute("DELETE FROM pending_faults WHERE seq = ?", (row["seq"],))
    return _row_fault(row)


def pending(db: sqlite3.Connection) -> list[Fault]:
    return [_row_fault(row) for row in db.execute("SELECT * FROM pending_faults ORDER BY seq")]


def clear(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM pending_faults")


def fault_response(fault: Fault, rate_limit: int) -> SandboxResponse:
    """The answer a faulted request gets (for faults with a status)."""
    assert fault.status is not None
    headers: dict[str, str] = {}
    if fault.status == 429:
        message = "Too Many Attempts."
        retry_after = fault.retry_after if fault.retry_after is not None else DEFAULT_RETRY_AFTER_S
        headers.update(
            {
                "retry-after": str(retry_after),
                "x-ratelimit-limit": str(rate_limit),
                "x-ratelimit-remaining": "0",
            }
        )
    else:
        message = "Server Error" if fault.status == 500 else _phrase(fault.status)
        if fault.retry_after is not None:
            headers["retry-after"] = str(fault.retry_after)
    return SandboxResponse.json(fault.status, {"message": message}, headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
