"""The sandbox-only admin API under `/_sandbox` (no auth, not counted, not limited).

See the package docstring for the endpoints and their payloads.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.core import SandboxRequest, SandboxResponse
from reconciler.sandbox.mailchimp.limits import (
    ConnectionGate,
    Fault,
    add_fault,
    pending_faults,
    read_stats,
)
from reconciler.sandbox.mailchimp.seed import SeedError, parse_plan, seed_members
from reconciler.sandbox.mailchimp.store import Store

PREFIX = "/_sandbox"


def _error(status: int, message: str) -> SandboxResponse:
    return SandboxResponse.json(status, {"error": message})


def _read_fault(body: Any) -> tuple[Fault, int]:
    if not isinstance(body, dict):
        raise ValueError('send a JSON object such as {"status": 429, "count": 1}')
    status = body.get("status")
    latency = body.get("latency_ms", 0)
    count = body.get("count", 1)
    retry_after = body.get("retry_after")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("status must be an HTTP error status (400-599)")
    if not isinstance(latency, int) or latency < 0:
        raise ValueError("latency_ms must be a whole number of milliseconds, 0 or more")
    if not isinstance(count, int) or count < 1:
        raise ValueError("count must be a whole number, 1 or more")
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise ValueError("retry_after must be a whole number of seconds")
    if status is None and not latency:
        raise ValueError("give a status, a latency_ms, or both")
    title, detail = body.get("title"), body.get("detail")
    fault = Fault(
        status,
        latency,
        retry_after,
        str(title) if title else None,
        str(detail) if detail else None,
    )
    return fault, count


class AdminApi:
    def __init__(self, store: Store, gate: ConnectionGate) -> None:
        self.store = store
        self.gate = gate

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        path = request.path.rstrip("/")
        try:
            body = request.json()
        except ValueError as error:
            return _error(400, f"invalid JSON: {error}")
        route = (request.method, path.removeprefix(PREFIX))
        if route == ("GET", "/stats"):
            with self.store.transaction(write=False) as db:
                counts = read_stats(db)
            return SandboxResponse.json(
                200,
                {
                    "total": sum(counts.values()),
                    "requests": counts,
                    "in_flight": self.gate.in_flight,
                    "peak_in_flight": self.gate.peak,
                    "refused_connections": self.gate.refused,
                },
            )
        if route == ("DELETE", "/stats"):
            with self.store.transaction(bookkeeping=True) as db:
                db.execute("DELETE FROM request_stats")
            self.gate.reset()
            return SandboxResponse.empty()
        if route == ("GET", "/faults"):
            with self.store.transaction(write=False) as db:
                return SandboxResponse.json(200, {"faults": pending_faults(db)})
        if route == ("POST", "/faults"):
            try:
                fault, count = _read_fault(body)
            except ValueError as error:
                return _error(400, str(error))
            with self.store.transaction(bookkeeping=True) as db:
                add_fault(db, fault, count)
                return SandboxResponse.json(200, {"faults": pending_faults(db)})
        if route == ("DELETE", "/faults"):
            with self.store.transaction(bookkeeping=True) as db:
                db.execute("DELETE FROM faults")
            return SandboxResponse.empty()
        if route == ("POST", "/seed/members"):
            try:
                plan = parse_plan(body)
                with self.store.transaction() as db:
                    result = seed_members(db, plan)
            except SeedError as error:
                return _error(400, str(error))
            return SandboxResponse.json(200, {"list_id": plan.list_id, **result})
        return _error(404, f"no admin endpoint {request.method} {request.path}")


def is_admin(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


__all__ = ["AdminApi", "is_admin"]
