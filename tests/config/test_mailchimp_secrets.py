"""The Mailchimp API key never shows: not in reprs, errors, nor tracebacks."""

from __future__ import annotations

import traceback

import pytest
from config_support import ENV, MC_KEY, Load, Write
from mailchimp_support import BASE, HEAD

from reconciler.config import load_config
from reconciler.errors import ConfigError

#: A key without its data-center suffix: its text must not leak through the error.
NO_DC = MC_KEY.rsplit("-", 1)[0]


def _everything_shown(exc: ConfigError) -> str:
    shown = [str(exc), repr(exc), *map(repr, exc.issues)]
    shown += traceback.format_exception(exc)
    return "\n".join(shown)


def _refused(write: Write, text: str, environ: dict[str, str]) -> ConfigError:
    name = write(text)
    with pytest.raises(ConfigError) as caught:
        load_config(name, environ)
    return caught.value


def test_key_is_not_in_the_repr_nor_the_dump_of_the_config(load: Load) -> None:
    config = load(BASE)

    assert MC_KEY not in repr(config)
    assert MC_KEY not in repr(config.provider)
    assert MC_KEY not in config.provider.model_dump_json()


def test_key_in_clear_is_refused_without_being_quoted(write: Write) -> None:
    error = _refused(write, f"provider:\n  type: mailchimp\n  api_key: {MC_KEY}\n", {})

    (issue,) = error.issues
    assert "${env:MAILCHIMP_API_KEY}" in str(issue)
    assert MC_KEY not in _everything_shown(error)
    assert NO_DC not in _everything_shown(error)


def test_key_without_data_center_names_the_variable_not_the_key(write: Write) -> None:
    error = _refused(write, HEAD, {"MAILCHIMP_API_KEY": NO_DC})

    (issue,) = error.issues
    assert str(issue).startswith("espform.yaml:3:12: the API key in environment variable ")
    assert "MAILCHIMP_API_KEY" in str(issue)
    assert NO_DC not in _everything_shown(error)


def test_key_without_data_center_from_a_file_names_the_file(write: Write) -> None:
    write(f"{NO_DC}\n", name="mailchimp.key")
    error = _refused(write, "provider:\n  type: mailchimp\n  api_key: ${file:mailchimp.key}\n", {})

    (issue,) = error.issues
    assert "the API key in secret file 'mailchimp.key' does not end with a data center" in str(
        issue
    )
    assert NO_DC not in _everything_shown(error)


def test_key_used_where_a_value_is_expected_is_not_echoed(write: Write) -> None:
    error = _refused(
        write,
        BASE.replace("country: US", "country: ${env:MAILCHIMP_API_KEY}"),
        ENV,
    )

    assert len(error.issues) == 1
    assert MC_KEY not in _everything_shown(error)
