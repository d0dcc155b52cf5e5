"""MailerLite's error answers (Laravel-style JSON), raised by handlers as `ApiError`."""

from __future__ import annotations

import json

from reconciler.sandbox.core import SandboxResponse

#: Laravel model classes named in MailerLite's 404 bodies.
GROUP_MODEL = "App\\Models\\Group\\Group"
FIELD_MODEL = "App\\Models\\Field"
SEGMENT_MODEL = "App\\Models\\Segment"
SUBSCRIBER_MODEL = "App\\Models\\Subscriber\\Subscriber"
WEBHOOK_MODEL = "App\\Models\\Webhook"


class ApiError(Exception):
    """An error answer; `errors` holds Laravel validation messages by input key."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: dict[str, list[str]] | None = None,
        *,
        pretty: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.pretty = pretty
        self.headers = headers or {}

    def response(self) -> SandboxResponse:
        payload: dict[str, object] = {"message": self.message}
        if self.errors is not None:
            payload["errors"] = self.errors
        # Recorded model-404 bodies are pretty-printed; everything else is compact.
        body = json.dumps(payload, indent=4 if self.pretty else None).encode()
        return SandboxResponse(
            self.status, body, {"content-type": "application/json", **self.headers}
        )


def validation_failed(errors: dict[str, list[str]]) -> ApiError:
    """422 whose message is the first error text, as recorded (not "The given data...")."""
    first = next(iter(errors.values()))[0]
    return ApiError(422, first, errors)


def invalid(key: str, message: str) -> ApiError:
    return validation_failed({key: [message]})


def model_not_found(model: str, ident: str | None) -> ApiError:
    """404 for an unknown id; the subscriber form names no id and ends with a dot."""
    suffix = f" {ident}" if ident is not None else "."
    return ApiError(404, f"No query results for model [{model}]{suffix}", pretty=True)


def route_not_found(path: str) -> ApiError:
    return ApiError(404, f"The route {path.lstrip('/')} could not be found.")


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    shown: list[str] = []
    for routed in allowed:  # Laravel lists HEAD with every GET route
        shown += [routed, "HEAD"] if routed == "GET" else [routed]
    return ApiError(
        405,
        f"The {method} method is not supported for this route. "
        f"Supported methods: {', '.join(shown)}.",
        headers={"allow": ", ".join(shown)},
    )
