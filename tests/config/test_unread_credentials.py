"""`load_config(..., resolve_credentials=False)`: everything is checked but the secrets.

What `espform validate` uses, so that a pre-commit hook runs on a machine that holds no
credential; plan, apply and drift load with the credentials resolved.
"""

from __future__ import annotations

import pytest
from config_support import Write

from reconciler.config import load_config
from reconciler.errors import ConfigError

MAILERLITE = """\
provider: {type: mailerlite, token: '${env:ML_TOKEN_UNSET}'}
groups: {Partners: {}}
"""
MAILCHIMP = """\
provider: {type: mailchimp, api_key: '${file:secrets/mailchimp.key}'}
"""


def _issues(name: str, **options: bool) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(name, {}, **options)
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("text", "reference", "key"),
    [
        (MAILERLITE, "${env:ML_TOKEN_UNSET}", "token"),
        (MAILCHIMP, "${file:secrets/mailchimp.key}", "api_key"),
    ],
    ids=["env", "file"],
)
def test_a_missing_credential_is_left_unread_and_unusable(
    write: Write, text: str, reference: str, key: str
) -> None:
    name = write(text)
    # Strict by default: the variable or file must exist.
    assert len(_issues(name)) == 1

    config = load_config(name, {}, resolve_credentials=False)

    assert config.unchecked_credentials == (reference,)
    assert getattr(config.provider, key) is None  # nothing can connect with it


def test_the_credential_must_still_be_a_reference_of_a_valid_form(write: Write) -> None:
    name = write(
        "provider: {type: mailerlite, token: mlsk_live_7f3a9c2e1b8d4f60}\n"
        "fields: {tier: {type: colour}}\n"
    )
    issues = _issues(name, resolve_credentials=False)
    assert issues[0].startswith("espform.yaml:1:37: provider.token must not be written in clear")
    assert "mlsk_live" not in "\n".join(issues)
    assert issues[1].startswith("espform.yaml:2:23: fields.tier.type")

    name = write("provider: {type: mailerlite, token: '${env:9LIVES}'}\n")
    assert _issues(name, resolve_credentials=False) == [
        "espform.yaml:1:37: '${env:9LIVES}' does not name an environment variable (letters, "
        "digits and underscores, not starting with a digit)"
    ]


def test_other_references_are_still_resolved(write: Write) -> None:
    name = write(
        "provider:\n  type: mailerlite\n  token: ${env:ML_TOKEN_UNSET}\n"
        "  base_url: ${env:ML_URL_UNSET}\n"
    )
    assert _issues(name, resolve_credentials=False) == [
        "espform.yaml:4:13: environment variable ML_URL_UNSET is not set (referenced as "
        "${env:ML_URL_UNSET}); export it before running espform"
    ]
