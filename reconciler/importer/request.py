"""What `espform import` is asked to read: the credential, the API's URL or the sandbox file.

Checked before anything is read, each problem with a message that says what to do
instead. Neither the credential nor a refused URL is ever quoted: a malformed URL may
still carry a password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr, TypeAdapter, ValidationError

from reconciler.config.document import base_url_type
from reconciler.config.mailchimp import API_PATH
from reconciler.importer.convert import DISPLAY
from reconciler.importer.run import ImportRequest

__all__ = ["CREDENTIAL_ENV", "RequestError", "import_request", "sandbox_in_config"]

#: Where the credential is looked for, first match wins. MAILERLITE_API_TOKEN is the
#: name the rest of espform's documentation uses, so it is accepted too.
CREDENTIAL_ENV: dict[str, tuple[str, ...]] = {
    "mailerlite": ("MAILERLITE_API_KEY", "MAILERLITE_API_TOKEN"),
    "mailchimp": ("MAILCHIMP_API_KEY",),
}
#: The URL is written into the config as `provider.base_url`, so it must pass the very
#: check the config applies there.
_BASE_URL = TypeAdapter(base_url_type("https://api.example.com"))


class RequestError(Exception):
    """An option of `espform import` cannot be used; the message says what to do."""


def import_request(
    provider: str,
    base_url: str | None,
    sandbox_path: str | None,
    out: Path | None,
    environ: Mapping[str, str] | None = None,
) -> ImportRequest:
    """The request for `provider`, read from the sandbox file or with the credential
    found in `environ` (the process environment by default)."""
    base_url = checked_base_url(provider, base_url)
    names = CREDENTIAL_ENV[provider]
    if sandbox_path is not None:
        sandbox = Path(sandbox_path)
        if not sandbox.is_file():
            raise RequestError(
                f"sandbox file {sandbox_path} not found; check the path given to --sandbox."
            )
        return ImportRequest(
            provider=provider,
            credential=None,
            credential_env=names[0],
            sandbox=sandbox,
            sandbox_in_config=sandbox_in_config(sandbox, out),
        )
    env = os.environ if environ is None else environ
    found = next((name for name in names if name in env), None)
    if found is None:
        either = " or ".join(names)
        raise RequestError(
            f"{either} is not set: export the {DISPLAY[provider]} API key in {names[0]}, or import "
            "from a local sandbox with --sandbox PATH."
        )
    if not env[found]:
        raise RequestError(
            f"the environment variable {found} is set but empty; export the API key in it."
        )
    return ImportRequest(
        provider=provider,
        credential=SecretStr(env[found]),
        credential_env=found,
        base_url=base_url,
    )


def checked_base_url(provider: str, given: str | None) -> str | None:
    """`--base-url` as the config will hold it: no trailing slash, and for Mailchimp
    without the API path, which its provider appends itself."""
    if given is None:
        return None
    url = given.strip().rstrip("/")
    if provider == "mailchimp":
        url = url.removesuffix(API_PATH)
    try:
        _BASE_URL.validate_python(url)
    except ValidationError:
        # The value is not echoed: a malformed URL may still carry a password.
        raise RequestError(
            "--base-url must be an http(s) URL such as https://api.example.com"
        ) from None
    parts = urlsplit(url)
    if "@" in parts.netloc or parts.query or parts.fragment:
        # It is written into the config, where nothing secret may appear in clear.
        raise RequestError(
            "--base-url must not hold credentials or a query string: it is written into "
            "the config; the API key comes from the environment."
        )
    return url


def sandbox_in_config(sandbox: Path, out: Path | None) -> str:
    """The sandbox path as the config must hold it: relative to the config's folder."""
    if out is None:
        return sandbox.as_posix()
    try:
        relative = os.path.relpath(sandbox.resolve(), out.absolute().parent.resolve())
    except ValueError:  # another drive on Windows: only an absolute path works
        return sandbox.resolve().as_posix()
    return Path(relative).as_posix()
