"""`import_account`: read an account through its provider and write its config file.

The steps: build the provider the options describe (the real ESP, a URL, or the
embedded sandbox), read the account, convert the State to a document, then check the
written text the way `espform plan` will read it, leaving out whatever it objects to,
until it loads and plans no changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from reconciler.config.provider import MailchimpProvider, MailerLiteProvider, ProviderConfig
from reconciler.importer.convert import DISPLAY, Origin, build_document, header
from reconciler.importer.document import Document, Entry
from reconciler.importer.verify import Problem, check, path_at
from reconciler.importer.yaml_writer import write_yaml
from reconciler.mailchimp_keys import data_center_host
from reconciler.model import Capabilities, State
from reconciler.providers.base import Provider
from reconciler.providers.registry import create_provider

DEFAULT_HOSTS = {"mailerlite": "connect.mailerlite.com", "mailchimp": "api.mailchimp.com"}


class ImportFailure(Exception):
    """The written config would not load or plan cleanly, and it could not be helped."""


@dataclass(frozen=True)
class ImportRequest:
    """What `espform import` was asked to read, and how the config should refer to it."""

    provider: str
    #: The credential's value (None with a sandbox) and the variable it came from.
    credential: SecretStr | None
    credential_env: str
    base_url: str | None = None
    #: The sandbox file to read from.
    sandbox: Path | None = None
    #: How `provider.sandbox` is written: relative to the config file's folder.
    sandbox_in_config: str | None = None
    day: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())


@dataclass(frozen=True)
class LeftOut:
    """An object written commented out, and why."""

    address: str
    reason: str
    #: Found by checking the written file rather than by the conversion rules.
    late: bool = False


@dataclass(frozen=True)
class ImportResult:
    text: str
    left_out: list[LeftOut]
    #: Settings dropped from objects that are written: (address, why).
    dropped: list[tuple[str, str]]
    account: str
    requests: int
    #: Variables the written file reads webhook URLs from: the user must set them.
    secret_env: tuple[str, ...] = ()


ProviderFactory = Callable[[ProviderConfig], Provider]


async def import_account(
    request: ImportRequest, factory: ProviderFactory = create_provider
) -> ImportResult:
    provider = factory(provider_config(request))
    try:
        observed = await provider.read()
        requests = provider.request_count
    finally:
        await provider.aclose()
    origin = Origin(
        provider=request.provider,
        credential_env=request.credential_env,
        base_url=request.base_url,
        sandbox=request.sandbox_in_config,
        account=describe_account(request),
        day=request.day,
    )
    document = build_document(observed, origin)
    text = settle(document, origin, observed, provider.capabilities)
    return ImportResult(
        text=text,
        left_out=[LeftOut(e.address, e.note, e.late) for e in document.objects() if not e.active],
        dropped=[(e.address, d) for e in document.written() for d in e.dropped],
        account=origin.account,
        requests=requests,
        secret_env=tuple(_referenced(document)),
    )


def _referenced(document: Document) -> list[str]:
    """The secret variables the written (not commented-out) entries refer to."""
    names = []
    for entry in document.written():
        url = entry.value.get("url") if isinstance(entry.value, dict) else None
        for name in document.secret_env:
            if url == f"${{env:{name}}}":
                names.append(name)
    return names


def provider_config(request: ImportRequest) -> ProviderConfig:
    if request.provider == "mailerlite":
        return MailerLiteProvider(
            type="mailerlite",
            token=request.credential,
            base_url=request.base_url or f"https://{DEFAULT_HOSTS['mailerlite']}",
            sandbox=request.sandbox,
            credential_env=request.credential_env,
        )
    return MailchimpProvider(
        type="mailchimp",
        api_key=request.credential,
        base_url=request.base_url,
        sandbox=request.sandbox,
        credential_env=request.credential_env,
    )


def describe_account(request: ImportRequest) -> str:
    """The account as a header names it: never a credential, only a host or a file."""
    name = DISPLAY[request.provider]
    if request.sandbox is not None:
        return f"the embedded {name} sandbox {request.sandbox_in_config or request.sandbox}"
    if request.base_url is not None:
        url = urlsplit(request.base_url)
        port = f":{url.port}" if url.port else ""
        return f"the {name} account at {url.hostname}{port}"
    host = DEFAULT_HOSTS[request.provider]
    if request.provider == "mailchimp" and request.credential is not None:
        # The data center is the key's suffix: the one part of it that is not secret.
        host = data_center_host(request.credential.get_secret_value()) or host
    return f"the {name} account at {host}"


def settle(document: Document, origin: Origin, observed: State, capabilities: Capabilities) -> str:
    """The document's text once the loader and the engine accept it as planning no
    changes; entries they object to are left out, one round at a time."""
    for _ in range(sum(1 for _ in document.objects()) + 1):
        document.header = header(document, origin)
        text = write_yaml(document)
        problems = check(text, observed, capabilities, origin.credential_env, document.secret_env)
        if not problems:
            return text
        culprits = [(_culprit(document, text, p), p) for p in problems]
        stuck = [p for entry, p in culprits if entry is None]
        if stuck:
            raise ImportFailure(_explain(stuck))
        for entry, problem in culprits:
            assert entry is not None
            entry.leave_out(problem.message, late=True)
    raise ImportFailure("the written config kept failing its own check")


def _culprit(document: Document, text: str, problem: Problem) -> Entry | None:
    if problem.location is None:
        return None
    path = path_at(text, problem.location)
    return document.locate(path) if path is not None else None


def _explain(problems: list[Problem]) -> str:
    listed = "; ".join(f"{p.location or 'config'}: {p.message}" for p in problems)
    return f"the config written from this account does not load as expected ({listed})"
