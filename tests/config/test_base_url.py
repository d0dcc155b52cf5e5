"""provider.base_url: a user name, password, query or fragment is refused, never quoted."""

from __future__ import annotations

import traceback

import pytest
from config_support import ENV, IssuesOf, Load, Write

from reconciler.config import load_config
from reconciler.errors import ConfigError

#: Would be obvious in any output; the tests check that it is in none.
PASSWORD = "hunter2-proxy-pass"

MAILERLITE = """\
provider:
  type: mailerlite
  token: ${env:MAILERLITE_API_TOKEN}
  base_url: ${env:URL}
"""
MAILCHIMP = """\
provider:
  type: mailchimp
  api_key: ${env:MAILCHIMP_API_KEY}
  base_url: ${env:URL}
"""


def _shown(exc: ConfigError) -> str:
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        (f"https://bob:{PASSWORD}@api.example.com", "a user name or password"),
        (f"https://{PASSWORD}@api.example.com/v1", "a user name or password"),
        (f"https://api.example.com/?sig={PASSWORD}", "a query string"),
        ("https://api.example.com/?", "a query string"),
        (f"https://api.example.com/#{PASSWORD}", "a fragment"),
        (
            f"https://bob:{PASSWORD}@api.example.com/?a=1#b",
            "a user name or password, a query string or a fragment",
        ),
    ],
    ids=["user-and-password", "user-only", "query", "empty-query", "fragment", "all-three"],
)
@pytest.mark.parametrize("text", [MAILERLITE, MAILCHIMP], ids=["mailerlite", "mailchimp"])
def test_refused_at_its_position_without_quoting_it(
    write: Write, text: str, url: str, refused: str
) -> None:
    name = write(text)
    with pytest.raises(ConfigError) as caught:
        load_config(name, {**ENV, "URL": url})

    credential = "token" if "mailerlite" in text else "api_key"
    assert [str(issue) for issue in caught.value.issues] == [
        f"espform.yaml:4:13: provider.base_url must not contain {refused}: write only the "
        "API's root (scheme, host, optional port and path) and authenticate with "
        f"provider.{credential}"
    ]
    assert PASSWORD not in _shown(caught.value)


def test_a_malformed_url_written_in_clear_is_not_quoted_either(issues_of: IssuesOf) -> None:
    # Fails the shape check (a space) before the parts are looked at: still not echoed.
    issues = issues_of(
        "provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_TOKEN}\n"
        f"  base_url: 'https://bob:{PASSWORD} @api.example.com'\n"
    )
    assert len(issues) == 1 and issues[0].startswith("espform.yaml:4:13: provider.base_url")
    assert PASSWORD not in issues[0]


def test_a_root_with_port_and_path_is_accepted_and_shown_as_its_origin(load: Load) -> None:
    config = load(MAILERLITE, {**ENV, "URL": "https://api.example.com:8443/esp/"})

    assert config.provider.base_url == "https://api.example.com:8443/esp"
    assert "base_url='https://api.example.com:8443'" in repr(config.provider)
