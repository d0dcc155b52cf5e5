"""What of an API base URL may be shown, and which parts of one espform refuses.

A base URL can carry secrets: `https://user:password@host`, a signed query string, a
token in a fragment. The config refuses those parts (`refused_parts`), and everything
that names the API in a message or a repr shows only `api_origin(url)`, so that a URL
that slipped past the config (built in code, say) still reveals nothing.

Kept free of HTTP and config imports: the config loader, the providers and the reports
all use it.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

__all__ = ["UNSHOWN_URL", "api_origin", "path_secrets", "refused_parts"]

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


#: Path segments shorter than this are API roots (`api`, `3.0`, `v2`), not secrets, and
#: hiding them would blank out ordinary words of an ESP's messages.
SECRET_SEGMENT_MIN = 8


def path_secrets(url: str) -> list[str]:
    """The texts of a base URL's path that a message must not show, longest first.

    A path is allowed in `provider.base_url` (a proxy's route) and may hold a token; an
    ESP or proxy answering 404 often quotes the path it could not route. The whole path
    and each segment of at least SECRET_SEGMENT_MIN characters are returned, as written,
    decoded and percent-encoded.
    """
    try:
        path = urlsplit(url.strip()).path.strip("/")
    except ValueError:
        return []
    found: set[str] = set()
    for part in (path, *path.split("/")):
        if len(part) >= SECRET_SEGMENT_MIN:
            found.update({part, unquote(part), quote(unquote(part), safe="")})
    return sorted(found, key=len, reverse=True)
