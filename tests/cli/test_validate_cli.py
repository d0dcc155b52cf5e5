"""`espform validate` runs without the credentials; plan, apply and drift need them."""

from __future__ import annotations

import pytest
import respx

CONFIG = """
provider: {type: mailchimp, api_key: '${env:MC_KEY_FOR_TEST}'}
audiences: {}
"""


@respx.mock(assert_all_mocked=True)
def test_validate_checks_the_file_without_reading_the_credential(write_config, espform):
    config = write_config(CONFIG)
    result = espform("validate", "-c", config, env={"MC_KEY_FOR_TEST": None})

    assert result.exit_code == 0, result.output
    assert "The configuration is valid (nothing declared)." in result.output
    assert (
        "Note: credentials were not checked, only how they are written "
        "(${env:MC_KEY_FOR_TEST}); plan, apply and drift read them."
    ) in result.output


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"], ["drift"]])
def test_the_commands_that_connect_still_need_it(command, write_config, espform):
    config = write_config(CONFIG)
    result = espform(*command, "-c", config, env={"MC_KEY_FOR_TEST": None})

    assert result.exit_code == 1
    assert f"{config}:2:38: environment variable MC_KEY_FOR_TEST is not set" in result.output


def test_validate_takes_files_as_arguments_as_pre_commit_passes_them(write_config, espform):
    good = write_config(CONFIG, name="espform.yaml")
    bad = write_config("provider: {type: mailerlite, sandbox: x.db}\ngroup: {}\n", "other.yaml")

    both = espform("validate", good, bad, env={"MC_KEY_FOR_TEST": None})
    assert both.exit_code == 1
    assert f"{bad}:2:1: unknown top-level key 'group'" in both.output
    assert "1 problem in 1 of 2 config files" in both.output

    one = espform("validate", good, env={"MC_KEY_FOR_TEST": None})
    assert one.exit_code == 0, one.output
    assert "The configuration is valid" in one.output
    # Given along with files, -c adds its file rather than being replaced by them.
    other = write_config(CONFIG, name="second.yaml")
    with_c = espform("validate", good, "-c", other, env={"MC_KEY_FOR_TEST": None})
    assert with_c.exit_code == 0, with_c.output
    assert f"{good}: valid" in with_c.output and f"{other}: valid" in with_c.output
