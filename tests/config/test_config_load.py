"""Valid config files load into the expected provider settings, settings and State."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from config_support import ENV, TOKEN, Load, Write

from reconciler.config import Config, load_config
from reconciler.config.mailerlite import MailerLiteDocument
from reconciler.config.provider import MailerLiteProvider
from reconciler.model import Field, Group, Location, Segment, Settings

QUICKSTART = """
# Partner program: the fields and groups the integration writes to.
provider:
  type: mailerlite
  token: ${env:MAILERLITE_API_TOKEN}
settings:
  prune: {groups: true, segments: false}
  ignore: ["Imported *", "Test*"]
fields:
  partner_key: {name: Partner key, type: text}
  status: {type: text}
  total_sales: {name: Total sales, type: number}
  total_earned: {name: Total earned, type: number}
  tier: {type: text}
groups:
  Partners: {}
  Active Partners:
  Referred Customers:
    renamed_from: [Referrals, Referred]
"""


def _shape(config: Config) -> list[tuple[Any, ...]]:
    """Everything the loader sets, including what resource equality ignores."""
    out: list[tuple[Any, ...]] = []
    for r in config.desired:
        attrs = tuple(sorted(r.attributes().items()))
        out.append((type(r).__name__, str(r.address), attrs, r.builtin, r.renamed_from, r.source))
    return out


def test_quickstart_loads_into_the_expected_state(load: Load) -> None:
    config = load(QUICKSTART)

    def at(line: int) -> Location:
        return Location("espform.yaml", line, 3)

    assert config.path == Path("espform.yaml")
    assert config.settings == Settings(prune=frozenset({"group"}), ignore=("Imported *", "Test*"))
    assert config.desired.provider == "mailerlite"
    assert _shape(config) == [
        ("Field", 'mailerlite.field["partner_key"]', (("name", "Partner key"), ("type", "text")),
         False, (), at(9)),
        ("Field", 'mailerlite.field["status"]', (("name", None), ("type", "text")),
         False, (), at(10)),
        ("Field", 'mailerlite.field["total_sales"]', (("name", "Total sales"), ("type", "number")),
         False, (), at(11)),
        ("Field", 'mailerlite.field["total_earned"]',
         (("name", "Total earned"), ("type", "number")), False, (), at(12)),
        ("Field", 'mailerlite.field["tier"]', (("name", None), ("type", "text")),
         False, (), at(13)),
        ("Group", 'mailerlite.group["Partners"]', (), False, (), at(15)),
        ("Group", 'mailerlite.group["Active Partners"]', (), False, (), at(16)),
        ("Group", 'mailerlite.group["Referred Customers"]', (), False,
         ("Referrals", "Referred"), at(17)),
    ]  # fmt: skip
    assert all(isinstance(r, Field | Group) for r in config.desired)


def test_quickstart_provider_settings(load: Load) -> None:
    provider = load(QUICKSTART).provider

    assert isinstance(provider, MailerLiteProvider)
    assert provider.type == "mailerlite"
    assert provider.token is not None and provider.token.get_secret_value() == TOKEN
    assert provider.credential_env == "MAILERLITE_API_TOKEN"
    assert provider.base_url == "https://connect.mailerlite.com"
    assert provider.sandbox is None


def test_defaults_and_null_entries(load: Load) -> None:
    config = load(
        """
        provider: {type: mailerlite, token: "${env:MAILERLITE_API_TOKEN}"}
        settings:
        fields:
          country: {name: Country of residence}
          z_i_p:
        groups:
          Partners:
        segments:
          Engaged: {}
          Openers: {renamed_from: Opened last month}
        """
    )

    assert config.settings == Settings()
    fields = [r for r in config.desired if isinstance(r, Field)]
    assert [(f.key, f.name, f.type, f.builtin) for f in fields] == [
        ("country", "Country of residence", "text", True),
        ("z_i_p", None, "text", True),
    ]
    segments = [r for r in config.desired if isinstance(r, Segment)]
    assert [(s.key, s.renamed_from) for s in segments] == [
        ("Engaged", ()),
        ("Openers", ("Opened last month",)),
    ]
    assert [r.key for r in config.desired if isinstance(r, Group)] == ["Partners"]


def test_prune_maps_to_singular_kinds(load: Load) -> None:
    config = load(
        """
        provider: {type: mailerlite, token: "${env:MAILERLITE_API_TOKEN}"}
        settings:
          prune: {fields: true, groups: true, segments: true}
        """
    )

    assert config.settings.prune == frozenset({"field", "group", "segment"})
    assert config.settings.ignore == ()


def test_interpolation_from_environ_anywhere_in_strings(load: Load) -> None:
    config = load(
        """
        provider:
          type: mailerlite
          token: ${env:MAILERLITE_API_TOKEN}
          base_url: http://${env:ESP_HOST}:${env:ESP_PORT}/
        settings:
          ignore: ["${env:PREFIX} *", "$${literal}"]
        fields:
          tier: {type: text, name: "${env:PREFIX} tier"}
        """,
        {**ENV, "ESP_HOST": "localhost", "ESP_PORT": "8025", "PREFIX": "Partner"},
    )

    assert config.provider.base_url == "http://localhost:8025"
    assert config.settings.ignore == ("Partner *", "${literal}")
    (tier,) = config.desired
    assert isinstance(tier, Field) and tier.name == "Partner tier"


def test_environ_defaults_to_the_process_environment(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILERLITE_API_TOKEN", "from-process-env")
    name = write("provider: {type: mailerlite, token: '${env:MAILERLITE_API_TOKEN}'}\n")

    config = load_config(name)

    assert config.provider.token is not None
    assert config.provider.token.get_secret_value() == "from-process-env"


def test_token_from_a_file_relative_to_the_config(write: Write, workdir: Path) -> None:
    write(f"  {TOKEN}\n\n", name="deploy/secrets/mailerlite.token")
    name = write(
        "provider:\n  type: mailerlite\n  token: ${file:secrets/mailerlite.token}\n",
        name="deploy/espform.yaml",
    )

    config = load_config(workdir / name, {})

    assert config.provider.token is not None
    assert config.provider.token.get_secret_value() == TOKEN
    assert config.provider.credential_env is None
    assert config.path == workdir / "deploy/espform.yaml"


def test_sandbox_path_is_resolved_against_the_config_folder(write: Write, workdir: Path) -> None:
    name = write(
        "provider:\n  type: mailerlite\n  sandbox: .espform/sandbox.db\n",
        name="project/espform.yaml",
    )

    config = load_config(name, {})

    assert config.provider.sandbox == workdir / "project/.espform/sandbox.db"
    assert config.provider.sandbox.is_absolute()
    assert config.provider.token is None


def test_absolute_sandbox_path_is_kept(load: Load, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "sandbox.db"

    config = load(f"provider: {{type: mailerlite, sandbox: '{target}'}}\n", {})

    assert config.provider.sandbox == target


def test_anchors_and_merge_keys_are_plain_yaml(load: Load) -> None:
    config = load(
        """
        provider: {type: mailerlite, token: "${env:MAILERLITE_API_TOKEN}"}
        fields:
          total_sales: &money {type: number, name: Total sales}
          total_earned:
            <<: *money
            name: Total earned
        """
    )

    fields = [(r.key, r.attributes()) for r in config.desired]
    assert fields == [
        ("total_sales", {"name": "Total sales", "type": "number"}),
        ("total_earned", {"name": "Total earned", "type": "number"}),
    ]


def test_missing_file_is_a_clear_error(workdir: Path) -> None:
    from reconciler.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config("nowhere/espform.yaml", {})

    assert [str(i) for i in caught.value.issues] == ["nowhere/espform.yaml: config file not found"]


def test_document_model_generates_a_json_schema_with_descriptions() -> None:
    schema = MailerLiteDocument.model_json_schema()

    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "provider",
        "settings",
        "fields",
        "groups",
        "segments",
        "webhooks",
        "integrations",
    }
    assert all("description" in p for p in schema["properties"].values())
    for definition in schema["$defs"].values():
        for name, prop in definition.get("properties", {}).items():
            assert "description" in prop, name
    fields = schema["properties"]["fields"]["anyOf"][0]
    assert list(fields["patternProperties"]) == ["^[a-z0-9_]+$"]


def test_empty_secret_file_is_reported_by_name(write: Write) -> None:
    from reconciler.errors import ConfigError

    write("\n", name="token.txt")
    name = write("provider:\n  type: mailerlite\n  token: ${file:token.txt}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(name, {})

    assert [str(i) for i in caught.value.issues] == [
        "espform.yaml:3:10: provider.token is empty: secret file 'token.txt' is empty"
    ]


def test_reference_may_have_spaces_and_file_may_start_with_a_bom(workdir: Path) -> None:
    target = workdir / "espform.yaml"
    target.write_bytes(
        "\ufeffprovider:\n  type: mailerlite\n  token: ${ env:MAILERLITE_API_TOKEN }\n".encode()
    )

    config = load_config("espform.yaml", ENV)

    assert config.provider.credential_env == "MAILERLITE_API_TOKEN"
    assert config.provider.token is not None
    assert config.provider.token.get_secret_value() == TOKEN
