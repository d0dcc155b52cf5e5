"""The credential never shows: not in reprs, not in error messages, not in tracebacks."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from config_support import ENV, TOKEN, Load, Write

from reconciler.config import load_config
from reconciler.errors import ConfigError


def _everything_shown(exc: ConfigError) -> str:
    shown = [str(exc), repr(exc), *map(repr, exc.issues)]
    shown += traceback.format_exception(exc)
    return "\n".join(shown)


def test_token_is_not_in_the_repr_nor_str_of_the_config(load: Load) -> None:
    config = load("provider: {type: mailerlite, token: '${env:MAILERLITE_API_TOKEN}'}\n")

    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in repr(config.provider)
    assert TOKEN not in config.provider.model_dump_json()
    assert config.provider.token is not None
    assert config.provider.token.get_secret_value() == TOKEN


def test_literal_token_is_refused_without_being_quoted(write: Write) -> None:
    name = write(f"provider:\n  type: mailerlite\n  token: {TOKEN}\n  base_url: 5\n")

    with pytest.raises(ConfigError) as caught:
        load_config(name, {})

    assert [i.location.line for i in caught.value.issues if i.location] == [3, 4]
    assert TOKEN not in _everything_shown(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        # The secret lands where a different value is expected.
        "provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_TOKEN}\n"
        "fields:\n  tier: {type: '${env:MAILERLITE_API_TOKEN}'}\n",
        "provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_TOKEN}\n"
        "  base_url: ${env:MAILERLITE_API_TOKEN}\n",
        "provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_TOKEN}\n"
        "fields:\n  tier: {type: text, name: '"
        + "${env:MAILERLITE_API_TOKEN}" * 2
        + "x" * 255
        + "'}\n",
        # Other errors in a file whose token is fine.
        "provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_TOKEN}\n"
        "groups: [a]\nsettings: {prune: {tags: true}}\n",
    ],
    ids=["as-field-type", "as-base-url", "in-too-long-name", "unrelated-errors"],
)
def test_interpolated_secret_never_appears_in_errors(write: Write, text: str) -> None:
    name = write(text)

    with pytest.raises(ConfigError) as caught:
        load_config(name, ENV)

    assert caught.value.issues
    assert TOKEN not in _everything_shown(caught.value)


def test_secret_file_contents_never_appear_in_errors(write: Write, workdir: Path) -> None:
    write(TOKEN, name="token.txt")
    name = write("provider:\n  type: mailerlite\n  token: ${file:token.txt}\n  base_url: 5\n")

    with pytest.raises(ConfigError) as caught:
        load_config(name, {})

    (issue,) = caught.value.issues
    assert "provider.base_url: expected a string, got an integer" in str(issue)
    assert TOKEN not in _everything_shown(caught.value)


def test_config_error_is_not_chained_to_pydantic(write: Write) -> None:
    # pydantic's ValidationError quotes inputs; chained, it would print them.
    name = write("provider:\n  type: mailerlite\n  token: ${env:MAILERLITE_API_TOKEN}\n  x: 1\n")

    with pytest.raises(ConfigError) as caught:
        load_config(name, ENV)

    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_a_token_with_a_trailing_newline_is_refused_without_showing_it(tmp_path) -> None:
    from reconciler.config import load_config
    from reconciler.errors import ConfigError

    path = tmp_path / "espform.yaml"
    path.write_text("provider:\n  type: mailerlite\n  token: ${env:ML_TOKEN}\n")
    try:
        load_config(path, environ={"ML_TOKEN": "s3cret-value\n"})
    except ConfigError as err:
        message = str(err)
    else:
        raise AssertionError("a token with a newline was accepted")
    assert f"{path}:3:10: provider.token contains whitespace or control characters" in message
    assert "s3cret-value" not in message
