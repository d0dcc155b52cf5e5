"""A base URL with a password in it stops every command before any request, unprinted."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("command", ["validate", "plan", "drift", "apply"])
def test_a_password_in_base_url_is_refused_and_never_printed(command, write_config, espform):
    password = "hunter2-proxy-pass"
    config = write_config(
        """
        provider:
          type: mailerlite
          token: ${env:ML_TOKEN}
          base_url: ${env:URL}
        groups: {A: {}}
        """
    )
    env = {"ML_TOKEN": "tok-123", "URL": f"https://bob:{password}@proxy.example:3128/"}
    args = [command, "-c", config] + (["--auto-approve"] if command == "apply" else [])
    result = espform(*args, env=env)

    assert result.exit_code == 1
    assert f"{config}:5:13: provider.base_url must not contain a user name or password" in (
        result.output
    )
    assert password not in result.output
