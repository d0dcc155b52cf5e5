"""`MailerLiteApp`: one sandbox account answering MailerLite-shaped HTTP requests.

The order in which a request is treated mirrors the real service: admin paths aside,
injected faults strike first (they stand for the network and load balancers), then
authentication (401 carries no rate-limit headers), then the per-minute budget, then
routing (404 route, 405 method) and the handler. Every answer after authentication
carries `x-ratelimit-limit` / `x-ratelimit-remaining` when limits are enforced; without
them (`rate_limit=None`) there is no budget and no header claims one.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable

from reconciler.sandbox import faults as shared_faults
from reconciler.sandbox.core import Router, SandboxRequest, SandboxResponse
from reconciler.sandbox.mailerlite import faults, stats
from reconciler.sandbox.mailerlite.admin import PREFIX as ADMIN_PREFIX
from reconciler.sandbox.mailerlite.admin import AdminApi
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import ApiError, method_not_allowed, route_not_found
from reconciler.sandbox.mailerlite.ratelimit import Decision, FixedWindowLimiter
from reconciler.sandbox.mailerlite.routes_batch import BatchRoutes
from reconciler.sandbox.mailerlite.routes_fields import FieldRoutes
from reconciler.sandbox.mailerlite.routes_groups import GroupRoutes
from reconciler.sandbox.mailerlite.routes_segments import SegmentRoutes
from reconciler.sandbox.mailerlite.routes_subscribers import SubscriberRoutes
from reconciler.sandbox.mailerlite.routes_webhooks import WebhookRoutes
from reconciler.sandbox.mailerlite.routing import Account, Endpoint
from reconciler.sandbox.mailerlite.store import Clock, Store
from reconciler.sandbox.mailerlite.views import GroupCountCache

#: MailerLite's documented budget, reported in headers even when not enforced.
DEFAULT_RATE_LIMIT = 120
IMPORT_RATE_LIMIT = 5
WINDOW_S = 60.0
_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)


class MailerLiteApp:
    flavor = "mailerlite"

    def __init__(
        self,
        store: Store,
        *,
        token: str | None = None,
        rate_limit: int | None = None,
        clock: Clock = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.token = token
        self.enforce_limits = rate_limit is not None
        self.limiter = FixedWindowLimiter(rate_limit or DEFAULT_RATE_LIMIT, WINDOW_S, clock)
        self.import_limiter = FixedWindowLimiter(IMPORT_RATE_LIMIT, WINDOW_S, clock)
        self._sleep = sleep
        self.faults = shared_faults.FaultInjector(self._fault_answer, sleep)
        with store.write(bookkeeping=True) as db:
            shared_faults.ensure_schema(db)
        self.account = Account(store, GroupCountCache(store))
        self.admin = AdminApi(self.account)
        self.router = Router()
        for routes in (
            GroupRoutes(self.account),
            FieldRoutes(self.account),
            SegmentRoutes(self.account),
            SubscriberRoutes(self.account),
            WebhookRoutes(self.account),
            BatchRoutes(self._dispatch_batched, self._check_import_budget),
        ):
            routes.register(self.router)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
            return self.admin.handle(request)
        return self._handle_api(request)

    def close(self) -> None:
        self.store.close()

    def _handle_api(self, request: SandboxRequest) -> SandboxResponse:
        with self.store.write(bookkeeping=True) as db:
            stats.record(db, stats.HTTP, self._route_key(request.method, request.path))
            fault = faults.take(db)
            strike = self.faults.pick(db) if fault is None else None
        if strike is not None:
            return self.faults.serve(strike, lambda: self._serve_api(request))
        if fault is not None:
            if fault.latency_ms:
                self._sleep(fault.latency_ms / 1000)
            if fault.drop:
                return SandboxResponse.dropped()
            if fault.status is not None:
                return faults.fault_response(fault, self.limiter.limit)
        return self._serve_api(request)

    def _fault_answer(self, status: int, retry_after: int | None) -> SandboxResponse:
        return faults.fault_response(faults.Fault(status, retry_after), self.limiter.limit)

    def _serve_api(self, request: SandboxRequest) -> SandboxResponse:
        if not self._authenticated(request.headers.get("authorization", "")):
            return ApiError(401, "Unauthenticated.").response()
        if not self.enforce_limits:
            # Without limits there is no budget to report: a client steered by the
            # headers must not slow down for one that is never enforced.
            return self._dispatch(ApiCall.from_request(request))
        decision = self.limiter.hit()
        if not decision.allowed:
            with self.store.write(bookkeeping=True) as db:
                stats.record(db, stats.THROTTLED, self._route_key(request.method, request.path))
            return self._throttled(decision, "Too Many Attempts.")
        response = self._dispatch(ApiCall.from_request(request))
        for name, value in decision.headers().items():
            # An import-budget 429 already names its own (smaller) budget.
            response.headers.setdefault(name, value)
        return response

    def _authenticated(self, header: str) -> bool:
        match = _BEARER.match(header)
        if match is None:
            return False
        # Constant-time, like a real API compares credentials.
        return self.token is None or hmac.compare_digest(match.group(1), self.token)

    def _route_key(self, method: str, path: str) -> str:
        found = self.router.match("GET" if method.upper() == "HEAD" else method, path)
        if isinstance(found, tuple) and isinstance(found[0], Endpoint):
            return found[0].template
        # Not the raw path: a client's base URL may put a token in it, and the stats
        # table outlives the request.
        return f"{method.upper()} {stats.UNKNOWN_ROUTE}"

    def _dispatch(self, call: ApiCall) -> SandboxResponse:
        # HEAD is served by GET routes (the loopback server leaves the body out).
        found = self.router.match("GET" if call.method == "HEAD" else call.method, call.path)
        try:
            if found is None:
                raise route_not_found(call.path)
            if not isinstance(found, tuple):
                raise method_not_allowed(call.method, self.router.methods_for(call.path))
            handler, params = found
            return handler(call, **params)
        except ApiError as error:
            return error.response()

    def _dispatch_batched(self, call: ApiCall) -> SandboxResponse:
        with self.store.write(bookkeeping=True) as db:
            stats.record(db, stats.BATCH, self._route_key(call.method, call.path))
        return self._dispatch(call)

    def _check_import_budget(self) -> None:
        decision = self.import_limiter.hit()
        if self.enforce_limits and not decision.allowed:
            raise ApiError(
                429,
                "You're being rate limited on import creation.",
                headers=_throttle_headers(decision),
            )

    @staticmethod
    def _throttled(decision: Decision, message: str) -> SandboxResponse:
        return ApiError(429, message, headers=_throttle_headers(decision)).response()


def _throttle_headers(decision: Decision) -> dict[str, str]:
    return {
        "retry-after": str(decision.retry_after),
        "x-ratelimit-limit": str(decision.limit),
        "x-ratelimit-remaining": "0",
    }
