"""The `provider:` section: which ESP, how to reach it, and its credential."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from reconciler.urls import api_origin


class _ProviderBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Use the embedded sandbox stored at this path instead of any server. Relative paths
    #: are resolved against the config file's folder by the loader.
    sandbox: Path | None = None
    #: Name of the environment variable the credential came from (set by the loader, not
    #: by users), so errors can say which variable to check without showing its value.
    credential_env: str | None = Field(default=None, exclude=True)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # A base URL may carry a password or a signed query that the config refused
        # only if it came through the loader; a repr shows no more than the host.
        for name, value in super().__repr_args__():
            yield name, api_origin(value) if name == "base_url" and value else value


class MailerLiteProvider(_ProviderBase):
    """MailerLite's connect API. `/api/...` paths are appended to base_url."""

    type: Literal["mailerlite"]
    token: SecretStr | None = None
    base_url: str = "https://connect.mailerlite.com"
    #: Requests per minute espform allows itself on this account. MailerLite allows 120
    #: per account, shared by every integration using it: set it lower to leave them
    #: room. Above 120 only helps against a sandbox served with a higher --rate-limit;
    #: a server announcing a lower limit (X-RateLimit-Limit) is obeyed anyway.
    requests_per_minute: int = Field(default=120, ge=1, le=100_000)


class MailchimpProvider(_ProviderBase):
    """Mailchimp Marketing API v3. `/3.0/...` paths are appended to base_url."""

    type: Literal["mailchimp"]
    api_key: SecretStr | None = None
    #: Default: `https://{dc}.api.mailchimp.com`, the data center taken from the key's
    #: `-usNN` suffix (the loader fills it in).
    base_url: str | None = None
    #: Requests espform keeps in flight at once on this key. Mailchimp allows 10
    #: simultaneous connections per key, shared by every app using it: set it lower to
    #: leave them room.
    max_connections: int = Field(default=10, ge=1, le=10)


ProviderConfig = MailerLiteProvider | MailchimpProvider
