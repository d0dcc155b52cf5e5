"""The data center a Mailchimp API key names, and the API host that follows from it.

A key looks like `<32 hex digits>-us6`: its suffix after the last dash is the data
center, and the account's API lives at `https://us6.api.mailchimp.com`. The suffix is
the one part of a key that is not secret; nothing here returns or reports any other.

The config loader, the Mailchimp provider and the importer all derive the host this
way, so they agree on which keys name a data center.
"""

from __future__ import annotations

import re

__all__ = ["API_DOMAIN", "data_center", "data_center_host", "data_center_url"]

API_DOMAIN = "api.mailchimp.com"
#: Letters then digits (`us6`, `us21`), the only form Mailchimp data centers take.
_SUFFIX = re.compile(r"[a-z]+[0-9]+")


def data_center(api_key: str) -> str | None:
    """`us6` for `...-us6` (in lower case), or None when the key names no data center."""
    secret, dash, suffix = api_key.strip().rpartition("-")
    suffix = suffix.lower()
    if not secret or not dash or not _SUFFIX.fullmatch(suffix):
        return None
    return suffix


def data_center_host(api_key: str) -> str | None:
    """`us6.api.mailchimp.com` for `...-us6`, or None."""
    center = data_center(api_key)
    return f"{center}.{API_DOMAIN}" if center is not None else None


def data_center_url(api_key: str) -> str | None:
    """`https://us6.api.mailchimp.com` for `...-us6`, or None."""
    host = data_center_host(api_key)
    return f"https://{host}" if host is not None else None
