"""Turn Mailchimp's error responses into messages that say what to do.

Mailchimp answers errors with `application/problem+json`: `title` is short and stable
per kind of problem ("Invalid Resource", "Resource Not Found"), `detail` describes this
occurrence, and validation errors add an undeclared `errors: [{field, message}]`. The
advice is chosen by status and title; `detail` and the field messages are passed on.

A 403 *without* a body is not a permission problem but throttling at high volume (the
HTTP client retries it); only when retries run out does it reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from reconciler.mailchimp_keys import data_center_url
from reconciler.providers.base import ProviderError
from reconciler.providers.http import HttpFailure

__all__ = ["MailchimpErrors", "api_url_of", "missing_api_key"]

CONNECTION_LIMIT = "10 simultaneous connections per API key, shared by every app using it"
REDACTED = "**********"


@dataclass(frozen=True)
class Problem:
    """The parts of a problem document worth showing."""

    title: str = ""
    detail: str = ""
    #: `field: message` for each entry of `errors[]`.
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, body: Any) -> Problem:
        if not isinstance(body, dict):
            return cls(detail=str(body or "").strip()[:200])
        entries = body.get("errors")
        fields: list[str] = []
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict):
                    name = str(entry.get("field") or "").strip()
                    text = str(entry.get("message") or "").strip()
                    fields.append(f"{name}: {text}" if name else text)
        return cls(
            title=str(body.get("title") or "").strip(),
            detail=str(body.get("detail") or "").strip(),
            fields=tuple(fields),
        )

    def summary(self, status: int) -> str:
        """`400 Invalid Resource: detail; FIELD: message`."""
        head = f"{status} {self.title}".strip()
        parts = [p for p in (self.detail, *self.fields) if p]
        return f"{head}: {'; '.join(parts)}" if parts else head


@dataclass(frozen=True)
class MailchimpErrors:
    """The `ErrorMapper` for one configured account; knows where its key came from."""

    credential_env: str | None = None
    #: `scheme://host[:port]` of the API (`http.api_origin`): never the whole base_url,
    #: which may carry a path or query that is not for display.
    api: str = "https://<dc>.api.mailchimp.com"
    #: Scrubbed from every message, in case a server or proxy ever echoes it.
    api_key: SecretStr | None = field(default=None, repr=False)

    def __call__(self, failure: HttpFailure) -> ProviderError:
        return ProviderError(self._scrub(self.describe(failure)))

    def describe(self, failure: HttpFailure) -> str:
        doing = failure.context or f"calling {failure.method} {failure.path}"
        head = f"{doing[:1].upper()}{doing[1:]} failed"
        status = failure.status
        if status is None:
            return (
                f"{head}: could not reach Mailchimp at {self.api} ({failure.attempts} "
                f"attempts; last error: {failure.transport_error}). Check the network "
                "connection and provider.base_url, then run again."
            )
        problem = Problem.parse(failure.payload)
        said = problem.summary(status)
        if status == 401:
            return f"{head}: Mailchimp rejected the API key ({said}). {self._key_hint()}"
        if status == 403 and not _has_body(failure.payload):
            return (
                f"{head}: Mailchimp kept throttling the requests (403 without a body, "
                f"{failure.attempts} attempts). It allows {CONNECTION_LIMIT}; wait a few "
                "minutes, or lower provider.max_connections, and run again."
            )
        if status == 403:
            return (
                f"{head}: Mailchimp forbids it ({said}). The key works, but its user, the "
                "account's plan or its compliance state does not allow this; use a key of "
                "an account owner or admin, or change it in Mailchimp's app."
            )
        if status == 404 and failure.method != "GET":
            return (
                f"{head}: Mailchimp no longer has that object ({said}); it was changed or "
                "deleted since the plan was made. Run `espform plan` again."
            )
        if status == 404:
            return (
                f"{head}: Mailchimp answered {said}. Check that provider.base_url "
                f"({self.api}) is the API host of the key's data center."
            )
        if status == 400:
            return (
                f"{head}: Mailchimp refused it ({said}). Fix the configuration and run "
                "`espform plan` again."
            )
        if status == 429:
            return (
                f"{head}: Mailchimp still answered 429 Too Many Requests after "
                f"{failure.attempts} attempts. It allows {CONNECTION_LIMIT}; stop other "
                "tools using this key or lower provider.max_connections, then run again."
            )
        if status >= 500:
            return (
                f"{head}: Mailchimp answered {said} after {failure.attempts} attempts. The "
                "fault is on Mailchimp's side; try again in a few minutes and check its "
                "status page if it persists."
            )
        return (
            f"{head}: Mailchimp answered {said}. Check the configuration; if it looks right, "
            "this response is unexpected."
        )

    def _key_hint(self) -> str:
        where = (
            f"the environment variable {self.credential_env}"
            if self.credential_env
            else "provider.api_key in the configuration"
        )
        return (
            f"Check {where}: it must hold a current key from Mailchimp's Account → Extras → "
            "API keys, ending in its data center (e.g. -us6), and provider.base_url "
            f"({self.api}) must be that data center's host."
        )

    def _scrub(self, text: str) -> str:
        if self.api_key is None:
            return text
        secret = self.api_key.get_secret_value()
        return text.replace(secret, REDACTED) if secret else text


def _has_body(payload: Any) -> bool:
    if isinstance(payload, dict | list):
        return bool(payload)
    return bool(str(payload or "").strip())


def missing_api_key(credential_env: str | None) -> ProviderError:
    where = (
        f"set the environment variable {credential_env}"
        if credential_env
        else "set provider.api_key (for example `api_key: ${env:MAILCHIMP_API_KEY}`)"
    )
    return ProviderError(
        f"no Mailchimp API key: {where}, or set provider.sandbox to use the local sandbox."
    )


def api_url_of(api_key: SecretStr, credential_env: str | None) -> str:
    """`https://usNN.api.mailchimp.com` from the key's suffix, for when none is configured."""
    url = data_center_url(api_key.get_secret_value())
    if url is None:
        where = credential_env or "provider.api_key"
        raise ProviderError(
            f"the Mailchimp API key in {where} does not end in a data center such as -us6; "
            "copy the whole key from Mailchimp, or set provider.base_url."
        )
    return url
