"""What of an API base URL may be shown, and which parts of one espform refuses.

A base URL can carry secrets: `https://user:password@host`, a signed query string, a
token in a fragment. The config refuses those parts (`refused_parts`), and everything
that names the API in a message or a repr shows only `api_origin(url)`, so that a URL
that slipped past the config (built in code, say) still reveals nothing.

Kept free of HTTP and config imports: the config loader, the providers and the reports
all use it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["UNSHOWN_URL", "api_origin", "refused_parts"]

#: What messages say for a base URL that has no recognisable scheme and host.
UNSHOWN_URL = "the configured base URL"


def api_origin(url: str) -> str:
    """`scheme://host[:port]` of an API URL: the only part of it any message or repr shows.

    A user name, password, path, query string or fragment may carry a secret (a proxy
    password, a signed query), so they are dropped rather than trusted to be absent.
    """
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # an unparsable port or bracketed host: show none of it
        return UNSHOWN_URL
    if not scheme or not host:
        return UNSHOWN_URL
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def refused_parts(url: str) -> list[str]:
    """The parts of `url` a base URL must not have, in words; empty when it is fine.

    Checked on the characters rather than on what `urlsplit` makes of them, so that an
    empty query (`host/?`) or a user name without a password (`user@host`) counts too.
    """
    _scheme, _sep, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    found = []
    if "@" in authority:
        found.append("a user name or password")
    if "?" in rest.split("#", 1)[0]:
        found.append("a query string")
    if "#" in rest:
        found.append("a fragment")
    return found
