"""The sandbox-only admin API under /_sandbox: seeding, request statistics, faults.

No authentication, not counted in statistics, never rate limited or faulted. Errors use
the API's 422 shape (`message` plus `errors` by key). See the package docstring for the
payloads.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import faults as shared_faults
from reconciler.sandbox.core import Router, SandboxRequest, SandboxResponse
from reconciler.sandbox.mailerlite import faults, stats
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import ApiError, invalid, method_not_allowed
from reconciler.sandbox.mailerlite.routes_automations import seed_automation
from reconciler.sandbox.mailerlite.routes_segments import segment_total
from reconciler.sandbox.mailerlite.routing import Account, no_content, ok
from reconciler.sandbox.mailerlite.seeding import (
    Generator,
    SeedSubscriber,
    seed_segment,
    seed_subscribers,
)
from reconciler.sandbox.mailerlite.views import segment_json

PREFIX = "/_sandbox"


def _group_ids(value: Any, key: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(str(v).isdigit() for v in value):
        raise invalid(key, f"{key} must be a list of group ids")
    return tuple(int(v) for v in value)


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(key, f"{key} must be an object of field key to value")
    return value


def _seed_rows(data: dict[str, Any]) -> list[SeedSubscriber] | Generator:
    if "generate" in data:
        spec = data["generate"]
        if not isinstance(spec, dict) or not isinstance(spec.get("count"), int):
            raise invalid("generate.count", "generate needs a whole number count")
        email = spec.get("email", "subscriber{n}@example.test")
        if not isinstance(email, str) or "{n}" not in email:
            raise invalid("generate.email", 'generate.email must contain "{n}"')
        return Generator(
            count=spec["count"],
            email=email,
            start=int(spec.get("start", 1)),
            status=str(spec.get("status", "active")),
            fields=_mapping(spec.get("fields"), "generate.fields"),
            groups=_group_ids(spec.get("groups"), "generate.groups"),
        )
    items = data.get("subscribers")
    if not isinstance(items, list):
        raise invalid("subscribers", "give subscribers (a list) or generate (an object)")
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("email"), str):
            raise invalid(f"subscribers.{index}", "each subscriber needs an email")
        rows.append(
            SeedSubscriber(
                email=item["email"],
                status=str(item.get("status", "active")),
                fields=_mapping(item.get("fields"), f"subscribers.{index}.fields"),
                groups=_group_ids(item.get("groups"), f"subscribers.{index}.groups"),
            )
        )
    return rows


class AdminApi:
    def __init__(self, account: Account) -> None:
        self.account = account
        self.router = Router()
        for method, path, handler in (
            ("GET", "", self.index),
            ("GET", "/stats", self.get_stats),
            ("DELETE", "/stats", self.reset_stats),
            ("GET", "/faults", self.list_faults),
            ("POST", "/faults", self.add_faults),
            ("DELETE", "/faults", self.clear_faults),
            ("GET", "/faults/random", self.get_random_faults),
            ("PUT", "/faults/random", self.set_random_faults),
            ("DELETE", "/faults/random", self.stop_random_faults),
            ("POST", "/subscribers", self.seed_subscribers),
            ("POST", "/segments", self.seed_segment),
            ("POST", "/automations", self.seed_automation),
        ):
            self.router.add(method, PREFIX + path, handler)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        call = ApiCall.from_request(request)
        found = self.router.match(request.method, request.path)
        try:
            if found is None:
                raise ApiError(404, f"No sandbox admin endpoint {request.path}.")
            if not isinstance(found, tuple):
                raise method_not_allowed(request.method, self.router.methods_for(request.path))
            handler, params = found
            return handler(call, **params)
        except ApiError as error:
            return error.response()

    def index(self, call: ApiCall) -> SandboxResponse:
        return ok(
            {
                "flavor": "mailerlite",
                "endpoints": [
                    "GET /_sandbox/stats",
                    "DELETE /_sandbox/stats",
                    "GET /_sandbox/faults",
                    "POST /_sandbox/faults",
                    "DELETE /_sandbox/faults",
                    "GET /_sandbox/faults/random",
                    "PUT /_sandbox/faults/random",
                    "DELETE /_sandbox/faults/random",
                    "POST /_sandbox/subscribers",
                    "POST /_sandbox/segments",
                    "POST /_sandbox/automations",
                ],
            }
        )

    def get_stats(self, call: ApiCall) -> SandboxResponse:
        with self.account.store.read() as db:
            return ok(stats.snapshot(db))

    def reset_stats(self, call: ApiCall) -> SandboxResponse:
        with self.account.store.write(bookkeeping=True) as db:
            stats.reset(db)
        return no_content()

    def list_faults(self, call: ApiCall) -> SandboxResponse:
        with self.account.store.read() as db:
            listed: dict[str, Any] = {"pending": [f.as_json() for f in faults.pending(db)]}
            if kinds := shared_faults.queued(db):
                listed["queued"] = kinds
            return ok(listed)

    def add_faults(self, call: ApiCall) -> SandboxResponse:
        data = call.data()
        if "kind" in data:
            return self._queue_kind(data)
        try:
            planned = faults.parse_faults(call.data())
        except faults.FaultPayloadError as error:
            raise invalid(error.key, str(error)) from None
        with self.account.store.write(bookkeeping=True) as db:
            faults.enqueue(db, planned)
            (waiting,) = db.execute("SELECT count(*) FROM pending_faults").fetchone()
        return ok({"added": len(planned), "pending": waiting}, 201)

    def clear_faults(self, call: ApiCall) -> SandboxResponse:
        with self.account.store.write(bookkeeping=True) as db:
            faults.clear(db)
            shared_faults.clear(db)
        return no_content()

    def _queue_kind(self, data: dict[str, Any]) -> SandboxResponse:
        """`{"kind": "drop-after", "count": n}`: a fault of any shared kind, queued."""
        if set(data) - {"kind", "count"}:
            raise invalid("kind", "a queued fault of a kind takes only kind and count")
        count = data.get("count", 1)
        try:
            if isinstance(count, bool) or not isinstance(count, int):
                raise shared_faults.FaultError("count", "count must be a whole number")
            with self.account.store.write(bookkeeping=True) as db:
                shared_faults.enqueue(db, str(data["kind"]), count)
                waiting = len(shared_faults.queued(db))
        except shared_faults.FaultError as error:
            raise invalid(error.key, str(error)) from None
        return ok({"added": count, "pending": waiting}, 201)

    def get_random_faults(self, call: ApiCall) -> SandboxResponse:
        with self.account.store.read() as db:
            settings = shared_faults.load_settings(db)
        return ok({"random": settings.as_json() if settings else None})

    def set_random_faults(self, call: ApiCall) -> SandboxResponse:
        try:
            settings = shared_faults.parse_settings(call.data())
        except shared_faults.FaultError as error:
            raise invalid(error.key, str(error)) from None
        with self.account.store.write(bookkeeping=True) as db:
            shared_faults.save_settings(db, settings)
        return ok({"random": settings.as_json()})

    def stop_random_faults(self, call: ApiCall) -> SandboxResponse:
        with self.account.store.write(bookkeeping=True) as db:
            shared_faults.save_settings(db, None)
        return no_content()

    def seed_subscribers(self, call: ApiCall) -> SandboxResponse:
        rows = _seed_rows(call.data())
        result = seed_subscribers(
            self.account.store, rows.rows() if isinstance(rows, Generator) else rows
        )
        return ok({"created": result.created, "skipped": result.skipped}, 201)

    def seed_segment(self, call: ApiCall) -> SandboxResponse:
        data = call.data()
        name = data.get("name")
        if not isinstance(name, str):
            raise invalid("name", "name is required")
        emails, rule = data.get("emails"), data.get("filter")
        if emails is not None and not (
            isinstance(emails, list) and all(isinstance(e, str) for e in emails)
        ):
            raise invalid("emails", "emails must be a list of addresses")
        parsed_rule = None
        if rule is not None:
            if not isinstance(rule, dict) or not isinstance(rule.get("field"), str):
                raise invalid("filter", 'filter must look like {"field": key, "equals": value}')
            if "equals" not in rule or set(rule) - {"field", "equals"}:
                raise invalid("filter", 'filter must look like {"field": key, "equals": value}')
            parsed_rule = (rule["field"], rule["equals"])
        row = seed_segment(self.account.store, name, emails=emails, rule=parsed_rule)
        with self.account.store.read() as db:
            return ok({"data": segment_json(row, segment_total(db, row), listed=False)}, 201)

    def seed_automation(self, call: ApiCall) -> SandboxResponse:
        """`{"name", "enabled", "triggers": [{"type", "group_ids"}]}`: an automation as
        built in the app, which the API can only read."""
        return ok({"data": seed_automation(self.account.store, call.data())}, 201)
