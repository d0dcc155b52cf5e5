"""`import_request`: the credential, URL and sandbox checks behind `espform import`."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.importer.request import (
    RequestError,
    checked_base_url,
    import_request,
    sandbox_in_config,
)


def test_the_first_credential_variable_set_wins_and_only_its_name_is_kept() -> None:
    env = {"MAILERLITE_API_TOKEN": "second", "MAILERLITE_API_KEY": "first"}
    request = import_request("mailerlite", None, None, None, env)
    assert request.credential is not None
    assert request.credential.get_secret_value() == "first"
    assert request.credential_env == "MAILERLITE_API_KEY"
    assert "first" not in repr(request)


def test_the_documented_token_variable_is_accepted() -> None:
    request = import_request("mailerlite", None, None, None, {"MAILERLITE_API_TOKEN": "t"})
    assert request.credential_env == "MAILERLITE_API_TOKEN"


def test_a_missing_credential_names_every_variable_and_the_sandbox_way_out() -> None:
    with pytest.raises(RequestError) as err:
        import_request("mailerlite", None, None, None, {})
    assert str(err.value) == (
        "MAILERLITE_API_KEY or MAILERLITE_API_TOKEN is not set: export the MailerLite API key "
        "in MAILERLITE_API_KEY, or import from a local sandbox with --sandbox PATH."
    )


def test_an_empty_credential_is_refused() -> None:
    with pytest.raises(RequestError, match="MAILCHIMP_API_KEY is set but empty"):
        import_request("mailchimp", None, None, None, {"MAILCHIMP_API_KEY": ""})


def test_a_sandbox_needs_no_credential_and_is_recorded_relative_to_the_config(
    tmp_path: Path,
) -> None:
    db = tmp_path / "data" / "account.db"
    db.parent.mkdir()
    db.write_bytes(b"")
    request = import_request("mailchimp", None, str(db), tmp_path / "espform.yaml", {})
    assert request.credential is None and request.credential_env == "MAILCHIMP_API_KEY"
    assert request.sandbox == db
    assert request.sandbox_in_config == "data/account.db"
    assert sandbox_in_config(db, None) == db.as_posix()


def test_a_missing_sandbox_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RequestError, match=r"sandbox file .*missing\.db not found"):
        import_request("mailerlite", None, str(tmp_path / "missing.db"), None, {})


@pytest.mark.parametrize(
    ("provider", "given", "kept"),
    [
        ("mailerlite", " https://proxy.example.com/ ", "https://proxy.example.com"),
        ("mailchimp", "https://us6.api.mailchimp.com/3.0/", "https://us6.api.mailchimp.com"),
        ("mailerlite", "http://127.0.0.1:8080/root", "http://127.0.0.1:8080/root"),
    ],
)
def test_a_base_url_is_kept_as_the_config_will_hold_it(provider: str, given: str, kept: str):
    assert checked_base_url(provider, given) == kept
    assert checked_base_url(provider, None) is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ftp://example.com", "--base-url must be an http(s) URL"),
        ("proxyuser:proxyPASS@host", "--base-url must be an http(s) URL"),
        ("https://user:proxyPASS@example.com", "must not hold credentials"),
        ("https://example.com/?key=1", "must not hold credentials"),
        ("https://example.com/#frag", "must not hold credentials"),
    ],
)
def test_a_bad_base_url_is_refused_without_being_echoed(given: str, message: str) -> None:
    with pytest.raises(RequestError) as err:
        import_request("mailerlite", given, None, None, {"MAILERLITE_API_KEY": "k"})
    assert message in str(err.value)
    assert "proxyPASS" not in str(err.value) and "key=1" not in str(err.value)
