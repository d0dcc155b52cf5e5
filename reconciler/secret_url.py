"""A URL that may carry a secret (a webhook's token in its path or query).

`SecretUrl` is a `str` whose text is a redacted form, `https://hooks.example.com/…
(sha256:0123456789abcdef)`: whatever prints, logs, renders or serialises it (plans in
every format, saved plan files, drift reports, error messages, reprs) shows only the
scheme, the host and a digest. The clear URL is reached only through `reveal()`, which
the providers call to send it to the ESP. Two `SecretUrl`s are equal when their clear
URLs are equal, exactly; compared with a plain string (a saved plan read back from
JSON), the redacted text is what is compared.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

#: Hex digits of the SHA-256 shown: enough that two URLs never show alike by chance,
#: and a saved plan made for another URL never matches.
DIGEST_CHARS = 16


def url_digest(url: str) -> str:
    """`sha256:<16 hex>` of the clear URL."""
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()[:DIGEST_CHARS]


def redact(url: str) -> str:
    """The URL as shown: scheme and host (never user info, path or query), and a digest."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not parts.scheme or not host:
        return f"… ({url_digest(url)})"
    return f"{parts.scheme}://{host}/… ({url_digest(url)})"


class SecretUrl(str):
    """A URL shown only as `redact(url)`; `reveal()` gives the clear URL."""

    _clear: str

    def __new__(cls, url: str) -> SecretUrl:
        if isinstance(url, SecretUrl):
            url = url.reveal()
        instance = super().__new__(cls, redact(url))
        instance._clear = url
        return instance

    def reveal(self) -> str:
        """The clear URL: only for the request that sends it to the ESP."""
        return self._clear

    @property
    def digest(self) -> str:
        return url_digest(self._clear)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecretUrl):
            return self._clear == other._clear
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._clear)

    def __reduce__(self) -> tuple[type[SecretUrl], tuple[str]]:
        # copy and deepcopy rebuild from the clear URL (nothing here is ever pickled
        # to disk).
        return (SecretUrl, (self._clear,))

    def __deepcopy__(self, memo: object) -> SecretUrl:
        return self

    def __copy__(self) -> SecretUrl:
        return self
