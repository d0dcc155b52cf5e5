"""The sandbox-only admin API under `/_sandbox` (no auth, not counted, not limited).

See the package docstring for the endpoints and their payloads.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import faults as shared_faults
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
        if path.removeprefix(PREFIX).startswith("/faults"):
            shared = self._shared_faults(route, body)
            if shared is not None:
                return shared
        if route == ("GET", "/faults"):
            with self.store.transaction(write=False) as db:
                listed: dict[str, Any] = {"faults": pending_faults(db)}
                if kinds := shared_faults.queued(db):
                    listed["queued"] = kinds
                return SandboxResponse.json(200, listed)
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
                shared_faults.clear(db)
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

    def _shared_faults(self, route: tuple[str, str], body: Any) -> SandboxResponse | None:
        """Random faults (`/faults/random`) and queued faults of a kind (`{"kind": ...}`)."""
        try:
            if route == ("POST", "/faults") and isinstance(body, dict) and "kind" in body:
                count = body.get("count", 1)
                if set(body) - {"kind", "count"} or not isinstance(count, int):
                    raise shared_faults.FaultError("kind", "give kind and a whole count only")
                with self.store.transaction(bookkeeping=True) as db:
                    shared_faults.enqueue(db, str(body["kind"]), count)
                    return SandboxResponse.json(200, {"queued": shared_faults.queued(db)})
            if route == ("GET", "/faults/random"):
                with self.store.transaction(write=False) as db:
                    settings = shared_faults.load_settings(db)
                return SandboxResponse.json(
                    200, {"random": settings.as_json() if settings else None}
                )
            if route == ("PUT", "/faults/random"):
                settings = shared_faults.parse_settings(body)
                with self.store.transaction(bookkeeping=True) as db:
                    shared_faults.save_settings(db, settings)
                return SandboxResponse.json(200, {"random": settings.as_json()})
            if route == ("DELETE", "/faults/random"):
                with self.store.transaction(bookkeeping=True) as db:
                    shared_faults.save_settings(db, None)
                return SandboxResponse.empty()
        except shared_faults.FaultError as error:
            return _error(400, f"{error.key}: {error}")
        return None


def is_admin(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


__all__ = ["AdminApi", "is_admin"]
