"""One reading of a Mailchimp key's data center, shared by config, provider and importer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from reconciler.config import load_config
from reconciler.config.provider import MailchimpProvider
from reconciler.errors import ConfigError
from reconciler.importer.run import ImportRequest, describe_account
from reconciler.mailchimp_keys import data_center, data_center_host, data_center_url
from reconciler.providers.base import ProviderError
from reconciler.providers.mailchimp import Mailchimp

HEX = "5e8b1c0d9a7f4e3b2c1d0e9f8a7b6c5d"


@pytest.mark.parametrize(
    ("key", "center"),
    [
        (f"{HEX}-us6", "us6"),
        (f"{HEX}-us21", "us21"),
        (f"  {HEX}-us21\n", "us21"),  # pasted with a newline
        (f"{HEX}-US6", "us6"),
        ("a-b-us1", "us1"),  # the last dash counts
        (HEX, None),
        (f"{HEX}-", None),
        ("-us6", None),  # a suffix with no key before it
        (f"{HEX}-abc", None),  # letters only: no data center is named so
        (f"{HEX}-6", None),
        (f"{HEX}-us6x", None),
    ],
)
def test_the_suffix_names_the_data_center(key: str, center: str | None) -> None:
    assert data_center(key) == center
    host = f"{center}.api.mailchimp.com" if center else None
    assert data_center_host(key) == host
    assert data_center_url(key) == (f"https://{host}" if host else None)


def _configured(tmp_path: Path, key: str) -> str | None:
    path = tmp_path / "espform.yaml"
    path.write_text("provider: {type: mailchimp, api_key: '${env:MC_KEY}'}\n")
    try:
        provider = load_config(path, {"MC_KEY": key}).provider
    except ConfigError:
        return None
    return provider.base_url


def _connected(key: str) -> str | None:
    config = MailchimpProvider(type="mailchimp", api_key=SecretStr(key))
    try:
        provider = Mailchimp(config)
    except ProviderError:
        return None
    asyncio.run(provider.aclose())
    return repr(provider).removeprefix("Mailchimp(api='").removesuffix("')")


def _imported(key: str) -> str:
    request = ImportRequest("mailchimp", SecretStr(key), "MC_KEY")
    return describe_account(request).removeprefix("the Mailchimp account at ")


@pytest.mark.parametrize("key", [f"{HEX}-us6", f"{HEX}-US6", f"{HEX}-abc", HEX])
def test_config_provider_and_importer_agree(tmp_path: Path, key: str) -> None:
    expected = data_center_url(key)
    assert _configured(tmp_path, key) == expected
    assert _connected(key) == expected
    assert _imported(key) == (data_center_host(key) or "api.mailchimp.com")
