"""POST /api/batch: up to 50 API requests in one, answered in order with HTTP 200 even
when some fail.

Sub-requests run with the batch's authentication and are neither rate limited nor
faulted one by one: the batch is one request against the per-minute budget (whether
sub-requests count is undocumented; the docs present batching as the way to stay under
the limit). A batch made only of `POST api/subscribers` is an import and, when rate
limiting is on, also takes from the import budget (5 per minute). A batch inside a batch
is not routed (404), nor are webhook endpoints, which the docs say a batch does not yet
support.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.core import Router, SandboxResponse
from reconciler.sandbox.mailerlite.call import ApiCall
from reconciler.sandbox.mailerlite.errors import route_not_found, validation_failed
from reconciler.sandbox.mailerlite.routing import add, ok

MAX_REQUESTS = 50
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
IMPORT_PATH = "api/subscribers"
#: Paths a sub-request cannot reach: a batch in a batch, and the webhooks (DOCS-BAT).
NOT_IN_BATCH = ("/api/batch", "/api/webhooks")

Dispatch = Callable[[ApiCall], SandboxResponse]
#: Called for an import batch before it runs; raises ApiError (429) when over budget.
ImportGate = Callable[[], None]


def _envelope_errors(requests: Any) -> dict[str, list[str]]:
    if requests is None or requests == []:
        return {"requests": ["The requests field is required."]}
    if not isinstance(requests, list):
        return {"requests": ["The requests must be an array."]}
    if len(requests) > MAX_REQUESTS:
        return {"requests": [f"The requests may not have more than {MAX_REQUESTS} items."]}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(requests):
        prefix = f"requests.{index}"
        if not isinstance(item, dict):
            errors[prefix] = [f"The {prefix} must be an array."]
            continue
        method, path = item.get("method"), item.get("path")
        if not method:
            errors[f"{prefix}.method"] = [f"The {prefix}.method field is required."]
        elif not isinstance(method, str) or method.upper() not in METHODS:
            errors[f"{prefix}.method"] = [f"The selected {prefix}.method is invalid."]
        if not path:
            errors[f"{prefix}.path"] = [f"The {prefix}.path field is required."]
        elif not isinstance(path, str) or not path.lstrip("/").startswith("api/"):
            errors[f"{prefix}.path"] = [f"The {prefix}.path format is invalid."]
        body = item.get("body")
        if body is not None and not isinstance(body, dict | list):
            errors[f"{prefix}.body"] = [f"The {prefix}.body must be an array."]
    return errors


def is_import(requests: list[dict[str, Any]]) -> bool:
    return all(
        str(item["method"]).upper() == "POST"
        and str(item["path"]).lstrip("/").split("?")[0].rstrip("/") == IMPORT_PATH
        for item in requests
    )


class BatchRoutes:
    def __init__(self, dispatch: Dispatch, import_gate: ImportGate) -> None:
        self.dispatch = dispatch
        self.import_gate = import_gate

    def register(self, router: Router) -> None:
        add(router, "POST", "/api/batch", self.run)

    def run(self, call: ApiCall) -> SandboxResponse:
        requests = call.data().get("requests")
        errors = _envelope_errors(requests)
        if errors:
            raise validation_failed(errors)
        assert isinstance(requests, list)  # checked by _envelope_errors
        if is_import(requests):
            self.import_gate()
        responses: list[dict[str, Any]] = []
        for item in requests:
            sub_call = ApiCall.for_batch(
                item["method"], item["path"], item.get("body"), call.origin
            )
            path = sub_call.path.rstrip("/")
            if any(path == p or path.startswith(f"{p}/") for p in NOT_IN_BATCH):
                answer = route_not_found(sub_call.path).response()
            else:
                answer = self.dispatch(sub_call)
            body = json.loads(answer.body) if answer.body else None
            responses.append({"code": answer.status, "body": body})
        successful = sum(1 for response in responses if 200 <= response["code"] < 300)
        return ok(
            {
                "total": len(responses),
                "successful": successful,
                "failed": len(responses) - successful,
                "responses": responses,
            }
        )
