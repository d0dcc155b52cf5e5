"""Shared by the import tests: sandbox accounts built through their own API, in-process."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.config import load_config
from reconciler.model import State
from reconciler.providers.registry import create_provider
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

SANDBOX_URL = "http://sandbox.invalid"
#: Every left-out object is reported on stderr like this.
LEFT_OUT = re.compile(r'^Commented out (\w+(?:\.?\w+\["(?:[^"\\]|\\.)*"\])+): (.*)$', re.MULTILINE)
#: Names that YAML, the loader's `${...}` references or plain typing make awkward.
AWKWARD = [
    "yes",
    "No",
    "off",
    "1",
    "0.5",
    "null",
    "~",
    "true",
    "a: b",
    "#hash",
    "- dash",
    "it's",
    'say "hi"',
    "Ünïcödé",
    "日本語",
    "🐶 dogs",
    "${env:HOME}",
    "$${x}",
    "50% off!",
    "[x]",
    "{y}",
    "*star",
    "&amp",
    "!bang",
    "@at",
    "`tick",
    "? q",
    "key:",
    "2024-01-01",
    "1e3",
    ".inf",
    "<<",
    "tab\there",
    "line\u2028sep",
    "bell\x07",
    "a  b",
    "VIP",
    "vip",
    "Émile",
    "émile",
]


@contextmanager
def mailerlite_api(db: Path) -> Iterator[httpx.Client]:
    """A client on the MailerLite sandbox stored at `db`: Bearer auth, `/api/...` paths."""
    app = open_app("mailerlite", db)
    client = httpx.Client(
        transport=SandboxTransport(app),
        base_url=SANDBOX_URL,
        headers={"Authorization": "Bearer any-token"},
    )
    try:
        yield client
    finally:
        client.close()
        app.close()


@contextmanager
def mailchimp_api(db: Path) -> Iterator[httpx.Client]:
    """A client on the Mailchimp sandbox stored at `db`: Basic auth, `/3.0/...` paths."""
    app = open_app("mailchimp", db)
    client = httpx.Client(
        transport=SandboxTransport(app),
        base_url=f"{SANDBOX_URL}/3.0",
        auth=("espform-tests", "any-key-us1"),
    )
    try:
        yield client
    finally:
        client.close()
        app.close()


def audience_body(name: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "contact": {
            "company": "Pet Care",
            "address1": "1 High St",
            "city": "Leeds",
            "country": "GB",
        },
        "permission_reminder": "You signed up at our shop.",
        "campaign_defaults": {
            "from_name": "Pet Care",
            "from_email": "news@petcare.example",
            "subject": "",
            "language": "en",
        },
        "email_type_option": False,
    }
    body.update(overrides)
    return body


def espform(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env={"NO_COLOR": "1", **(env or {})})


def left_out(result: Result) -> dict[str, str]:
    """Address (as `printable` shows it) -> reason, of every object the import reported as
    commented out."""
    return dict(LEFT_OUT.findall(result.stderr))


def observed(config_path: Path) -> State:
    """The account the config points at, read through its provider."""
    config = load_config(config_path)

    async def read() -> State:
        provider = create_provider(config.provider)
        try:
            return await provider.read()
        finally:
            await provider.aclose()

    return asyncio.run(read())
