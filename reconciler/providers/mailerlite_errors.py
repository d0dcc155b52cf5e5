"""Turn MailerLite's error responses into messages that say what to do.

MailerLite has no machine-readable error codes: bodies are Laravel-style
`{"message": ..., "errors": {field: [text, ...]}}`, so the HTTP status decides the advice
and the `errors` texts are passed on verbatim. The same wording serves direct requests and
the per-request results inside a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.providers.base import ProviderError
from reconciler.providers.http import HttpFailure

RATE_LIMIT = "120 requests per minute"


@dataclass(frozen=True)
class MailerLiteErrors:
    """Builds messages for one configured account (knows where its token came from)."""

    credential_env: str | None = None
    #: `scheme://host[:port]` of the API (`http.api_origin`): never the whole base_url,
    #: which may carry a path or query that is not for display.
    api: str = "https://connect.mailerlite.com"

    def __call__(self, failure: HttpFailure) -> ProviderError:
        """The `ErrorMapper` handed to the HTTP client."""
        if failure.status is None:
            return ProviderError(
                f"could not reach MailerLite at {self.api} while {_doing(failure)} "
                f"({failure.attempts} attempts; last error: {failure.transport_error}). "
                "Check the network connection and provider.base_url, then run again."
            )
        return ProviderError(
            self.describe(
                failure.status,
                failure.payload,
                doing=_doing(failure),
                attempts=failure.attempts,
                retry_after=failure.retry_after,
                write=failure.method != "GET",
            )
        )

    def describe(
        self,
        status: int,
        body: Any,
        *,
        doing: str,
        attempts: int = 1,
        retry_after: float | None = None,
        write: bool = True,
    ) -> str:
        """One sentence of what went wrong and one of what to do."""
        message = _message(body)
        head = f"{doing[:1].upper()}{doing[1:]} failed"
        if status == 401:
            return f"{head}: MailerLite rejected the API token (401). " + self._token_hint()
        if status == 403:
            return (
                f"{head}: MailerLite denied it (403: {message or 'action denied'}). The token "
                "works but its user or the account's plan may not do this; use a token of "
                "an account admin or check the plan's limits."
            )
        if status == 404 and write:
            return (
                f"{head}: MailerLite no longer has that object (404: {message or 'not found'}); "
                "it was changed or deleted since the plan was made. Run `espform plan` again."
            )
        if status == 404:
            return (
                f"{head}: MailerLite answered 404 ({message or 'not found'}). Check that "
                f"provider.base_url ({self.api}) is the connect API, not the legacy one."
            )
        if status == 422:
            return (
                f"{head}: MailerLite refused it (422): {_validation(body) or message}. "
                "Fix the configuration and run `espform plan` again."
            )
        if status == 429:
            wait = f"{retry_after:.0f} seconds" if retry_after is not None else "a minute"
            return (
                f"{head}: MailerLite's rate limit ({RATE_LIMIT}) was still exceeded after "
                f"{attempts} attempts. Wait {wait} (its Retry-After) and run again; other "
                "tools using the same account share this limit."
            )
        if status >= 500 or status == 408:
            return (
                f"{head}: MailerLite answered {status} after {attempts} attempts. The fault "
                "is on MailerLite's side; try again in a few minutes and check its status "
                "page if it persists."
            )
        return (
            f"{head}: MailerLite answered {status}"
            + (f" ({message})" if message else "")
            + ". Check the configuration; if it looks right, this response is unexpected."
        )

    def _token_hint(self) -> str:
        where = (
            f"the environment variable {self.credential_env}"
            if self.credential_env
            else "provider.token in the configuration"
        )
        return (
            f"Check {where}: it must hold a current key from MailerLite's Integrations → "
            "MailerLite API page. A key stops working when the user who created it leaves "
            "the account."
        )


def missing_token(credential_env: str | None) -> ProviderError:
    where = (
        f"set the environment variable {credential_env}"
        if credential_env
        else "set provider.token (for example `token: ${env:MAILERLITE_API_TOKEN}`)"
    )
    return ProviderError(
        f"no MailerLite API token: {where}, or set provider.sandbox to use the local sandbox."
    )


def _doing(failure: HttpFailure) -> str:
    return failure.context or f"calling {failure.method} {failure.path}"


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or "").strip()
    return str(body or "").strip()[:200]


def _validation(body: Any) -> str:
    """`errors` flattened to `name: text; type: text`, in the order MailerLite gave them."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), dict):
        return ""
    parts: list[str] = []
    for field, texts in body["errors"].items():
        items = texts if isinstance(texts, list) else [texts]
        parts.extend(f"{field}: {text}" for text in items)
    return "; ".join(parts)
