"""`MailchimpSandbox`: one request's path from arrival to answer.

Order of checks, as a client observes them: the connection limit (429), request
counting, injected faults, authentication (401), routing (404/405), body parsing
(400), then the handler inside one store transaction. `fields`/`exclude_fields` are
applied inside that transaction so that a 422 for a bad field list undoes the write.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from pathlib import Path
from urllib.parse import unquote

from reconciler.sandbox import faults as shared_faults
from reconciler.sandbox.core import Router, SandboxRequest, SandboxResponse
from reconciler.sandbox.mailchimp import (
    account,
    batch_subscribe,
    interests,
    lists,
    members,
    merge_fields,
    segments,
    tags,
    webhooks,
)
from reconciler.sandbox.mailchimp.admin import AdminApi, is_admin
from reconciler.sandbox.mailchimp.context import Ctx, Endpoint, Settings
from reconciler.sandbox.mailchimp.limits import (
    ConnectionGate,
    Fault,
    count_request,
    fault_response,
    take_fault,
)
from reconciler.sandbox.mailchimp.paging import Projection, SeekCache
from reconciler.sandbox.mailchimp.problems import (
    Problem,
    api_key_invalid,
    api_key_missing,
    json_parse_error,
    method_not_allowed,
    not_found,
    too_many_requests,
)
from reconciler.sandbox.mailchimp.store import Store

#: What `Router.match` found for a request.
Found = tuple[object, dict[str, str]] | bool | None

API_PREFIX = "/3.0"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
ENDPOINTS: list[Endpoint] = [
    *account.ENDPOINTS,
    *lists.ENDPOINTS,
    *batch_subscribe.ENDPOINTS,
    *merge_fields.ENDPOINTS,
    *interests.ENDPOINTS,
    *segments.ENDPOINTS,
    *members.ENDPOINTS,
    *tags.ENDPOINTS,
    *webhooks.ENDPOINTS,
]


class _Route:
    """A Router handler: runs an endpoint and serialises its reply."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.key = f"{endpoint.method} {API_PREFIX}{endpoint.template}"

    def __call__(self, ctx: Ctx, **params: str) -> SandboxResponse:
        reply = self.endpoint.handler(ctx, **params)
        if reply.status == 204 or reply.payload is None:
            # Mailchimp labels its empty 204 answers as JSON too (fact sheet, section 6).
            return SandboxResponse.empty(
                reply.status, {"content-type": JSON_CONTENT_TYPE, **reply.headers}
            )
        payload = ctx.projection.apply(reply.payload)
        return SandboxResponse.json(reply.status, payload, reply.headers, JSON_CONTENT_TYPE)


def _host_url(request: SandboxRequest) -> str:
    host = request.headers.get("host") or "127.0.0.1"
    scheme = "https" if host.split(":")[0].endswith(".mailchimp.com") else "http"
    return f"{scheme}://{host}"


class MailchimpSandbox:
    """A Mailchimp Marketing API v3 account stored in one SQLite file."""

    flavor = "mailchimp"

    def __init__(
        self,
        db_path: Path,
        *,
        api_key: str | None = None,
        audience_limit: int | None = None,
        max_connections: int = 10,
    ) -> None:
        self.store = Store(db_path)
        self.api_key = api_key
        self.settings = Settings(audience_limit=audience_limit)
        self.gate = ConnectionGate(max_connections)
        self.seek = SeekCache()
        self.router = Router()
        for endpoint in ENDPOINTS:
            self.router.add(endpoint.method, API_PREFIX + endpoint.template, _Route(endpoint))
        self.admin = AdminApi(self.store, self.gate)
        self.faults = shared_faults.FaultInjector(self._fault_answer, time.sleep)
        with self.store.transaction(bookkeeping=True) as db:
            shared_faults.ensure_schema(db)
        #: The host of the request being served, for error bodies (per thread).
        self._local = threading.local()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        path = unquote(request.path)
        if is_admin(path):
            return self.admin.handle(request)
        host_url = _host_url(request)
        with self.gate.slot() as admitted:
            try:
                return self._serve(request, path, host_url, admitted)
            except Problem as problem:
                return problem.response(host_url)
            except Exception as error:  # a sandbox bug: answer as the API would, and say what
                return Problem(
                    500, "Internal Server Error", f"{type(error).__name__}: {error}"
                ).response(host_url)

    def _serve(
        self, request: SandboxRequest, path: str, host_url: str, admitted: bool
    ) -> SandboxResponse:
        found = self.router.match(request.method, path)
        route = found[0] if isinstance(found, tuple) else None
        # An unknown route is not counted by its path, which may hold a client's token.
        key = route.key if isinstance(route, _Route) else f"{request.method} (unknown route)"
        with self.store.transaction(bookkeeping=True) as db:
            count_request(db, key)
            fault = take_fault(db) if admitted else None
            strike = self.faults.pick(db) if admitted and fault is None else None
        if not admitted:
            raise too_many_requests(self.gate.limit)
        if strike is not None:
            self._local.host_url = host_url
            return self.faults.serve(
                strike, lambda: self._answer(request, path, host_url, found, route)
            )
        if fault is not None:
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            response = fault_response(fault, host_url, self.gate.limit)
            if response is not None:
                return response
        return self._answer(request, path, host_url, found, route)

    def _fault_answer(self, status: int, retry_after: int | None) -> SandboxResponse:
        fault = Fault(status, 0, retry_after)
        host_url = getattr(self._local, "host_url", "http://127.0.0.1")
        return fault_response(fault, host_url, self.gate.limit) or SandboxResponse.empty(status)

    def _answer(
        self, request: SandboxRequest, path: str, host_url: str, found: Found, route: object
    ) -> SandboxResponse:
        """Authenticate, route and run the handler; errors become answers here, so that
        a fault striking after the handler (drop-after) sees the real outcome."""
        try:
            return self._routed(request, path, host_url, found, route)
        except Problem as problem:
            return problem.response(host_url)

    def _routed(
        self, request: SandboxRequest, path: str, host_url: str, found: Found, route: object
    ) -> SandboxResponse:
        self._authenticate(request)
        if found is False:
            raise method_not_allowed(
                [m for m in METHODS if isinstance(self.router.match(m, path), tuple)]
            )
        if not isinstance(found, tuple) or not isinstance(route, _Route):
            raise not_found()
        try:
            body = request.json()
        except ValueError as error:
            raise json_parse_error(str(error)) from None
        with self.store.transaction(write=request.method != "GET") as db:
            ctx = Ctx(
                request=request,
                db=db,
                host_url=host_url,
                projection=Projection.from_request(request),
                body=body,
                settings=self.settings,
                # Paging marks and totals are only trusted between writes; a write
                # request gets a throwaway cache so it never records mid-change state.
                seek=self.seek if request.method == "GET" else SeekCache(),
                version=self.store.version,
            )
            return route(ctx, **found[1])

    def _authenticate(self, request: SandboxRequest) -> None:
        """HTTP Basic with any user name and the key as password, or an OAuth token."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        key = ""
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(credential.strip(), validate=True).decode().partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                raise api_key_invalid() from None
        elif scheme.lower() in ("bearer", "oauth"):
            key = credential.strip()
        if not key:
            raise api_key_missing()
        if self.api_key is not None and not hmac.compare_digest(
            key.encode(), self.api_key.encode()
        ):
            raise api_key_invalid()

    def close(self) -> None:
        self.store.close()
