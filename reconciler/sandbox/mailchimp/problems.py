"""Error answers as Mailchimp sends them: `application/problem+json` documents.

Shape per the fact sheet (section 5): `type`, `title`, `status`, `detail`, `instance`
(a request id), plus `errors[{field, message}]` on validation failures. Titles are the
spaced words seen in recordings ("Resource Not Found", "Invalid Resource"). The titles
that recordings show without a `type` ("Member Exists", "Forgotten Email Not
Subscribed", "Member In Compliance State") are sent without one here too, so clients
that insist on `type` fail against the sandbox as they would in production.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from reconciler.sandbox.core import SandboxResponse

ERROR_DOC_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"
SCHEMA_LINK = "/schema/3.0/Definitions/ProblemDetailDocument.json"

#: Recorded without `type` (fact sheet, section 5).
UNTYPED_TITLES = frozenset(
    {"Member Exists", "Forgotten Email Not Subscribed", "Member In Compliance State"}
)


@dataclass(frozen=True)
class FieldError:
    """One entry of a validation problem's `errors` array."""

    field: str
    message: str


@dataclass(eq=False)
class Problem(Exception):
    """Raised by handlers; the app turns it into a problem+json response."""

    status: int
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    def response(self, host_url: str) -> SandboxResponse:
        request_id = str(uuid.uuid4())
        body: dict[str, object] = {}
        if self.title not in UNTYPED_TITLES:
            body["type"] = ERROR_DOC_TYPE
        body.update(
            {"title": self.title, "status": self.status, "detail": self.detail},
        )
        body["instance"] = request_id
        if self.errors:
            body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        headers = {
            "content-type": PROBLEM_CONTENT_TYPE,
            "x-request-id": request_id,
            "link": f'<{host_url}{SCHEMA_LINK}>; rel="describedBy"',
            **self.headers,
        }
        return SandboxResponse(status=self.status, body=json.dumps(body).encode(), headers=headers)


def not_found() -> Problem:
    return Problem(404, "Resource Not Found", "The requested resource could not be found.")


def invalid(detail: str, errors: list[FieldError] | None = None) -> Problem:
    """400 Invalid Resource: the catch-all for bodies that fail validation."""
    return Problem(400, "Invalid Resource", detail, list(errors or []))


def invalid_fields(errors: list[FieldError]) -> Problem:
    return invalid("The resource submitted could not be validated; see errors[] per field.", errors)


def method_not_allowed(allowed: list[str], detail: str | None = None) -> Problem:
    return Problem(
        405,
        "Method Not Allowed",
        detail or "The requested method and resource are not compatible; see the Allow header.",
        headers={"allow": ", ".join(allowed)},
    )


def too_many_requests(limit: int) -> Problem:
    return Problem(
        429,
        "Too Many Requests",
        f"You have exceeded the limit of {limit} simultaneous connections.",
    )


def api_key_missing() -> Problem:
    return Problem(
        401,
        "API Key Missing",
        "No API key was sent; use HTTP Basic auth with any user name and the key as password.",
    )


def api_key_invalid() -> Problem:
    return Problem(
        401,
        "API Key Invalid",
        "The API key sent is not valid for this account or data centre.",
    )


def json_parse_error(reason: str) -> Problem:
    return Problem(400, "JSON Parse Error", f"The request body is not valid JSON: {reason}.")


def fields_invalid(names: list[str]) -> Problem:
    return Problem(
        422,
        "Requested Fields Invalid",
        "Some requested fields do not exist in this response: " + ", ".join(names) + ".",
    )
