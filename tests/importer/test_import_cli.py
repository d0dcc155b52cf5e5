"""`espform import` as a user runs it: credentials, --out, --base-url, --sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_support import audience_body, espform, mailchimp_api, mailerlite_api

SECRET = "ml-secret-token-0123456789"
MC_SECRET = "0123456789abcdef0123456789abcdef-us1"


@pytest.fixture
def ml_account(tmp_path: Path) -> Path:
    db = tmp_path / "account.db"
    with mailerlite_api(db) as api:
        assert api.post("/api/groups", json={"name": "Partners"}).status_code == 201
        body = {"name": "Partner key", "type": "text"}
        assert api.post("/api/fields", json=body).status_code == 201
    return db


@pytest.fixture
def mc_account(tmp_path: Path) -> Path:
    db = tmp_path / "mc.db"
    with mailchimp_api(db) as api:
        audience = api.post("/lists", json=audience_body("Shop")).json()
        tag = {"name": "Dog owner", "static_segment": []}
        assert api.post(f"/lists/{audience['id']}/segments", json=tag).status_code == 200
    return db


@pytest.mark.parametrize(
    ("provider", "variable"),
    [("mailerlite", "MAILERLITE_API_KEY"), ("mailchimp", "MAILCHIMP_API_KEY")],
)
def test_a_missing_credential_is_an_error_naming_the_variable(provider: str, variable: str) -> None:
    result = espform("import", "--provider", provider)
    assert result.exit_code == 1
    assert variable in result.stderr
    assert "--sandbox" in result.stderr
    assert result.stdout == ""


def test_an_empty_credential_is_an_error() -> None:
    result = espform("import", "--provider", "mailchimp", env={"MAILCHIMP_API_KEY": ""})
    assert result.exit_code == 1
    assert "MAILCHIMP_API_KEY is set but empty" in result.stderr


def test_imports_to_stdout_and_reports_on_stderr(ml_account: Path) -> None:
    result = espform("import", "--provider", "mailerlite", "--sandbox", ml_account)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# yaml-language-server: $schema=./espform.schema.json\n")
    assert "  Partners: {}\n" in result.stdout
    assert f"  sandbox: {ml_account.as_posix()}\n" in result.stdout
    assert "Imported the embedded MailerLite sandbox" in result.stderr
    assert not [line for line in result.stdout.splitlines() if line.startswith("Imported")]


def test_out_writes_the_file_with_the_sandbox_relative_to_it(
    ml_account: Path, tmp_path: Path
) -> None:
    out = tmp_path / "config" / "espform.yaml"
    out.parent.mkdir()
    result = espform("import", "--provider", "mailerlite", "--sandbox", ml_account, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = out.read_text()
    assert "  sandbox: ../account.db\n" in text
    # No credential is needed for the sandbox: the reference is only shown as a comment.
    assert "  # token: ${env:MAILERLITE_API_KEY}" in text
    planned = espform("plan", "-c", out, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_out_refuses_to_replace_a_file_unless_forced(ml_account: Path, tmp_path: Path) -> None:
    out = tmp_path / "espform.yaml"
    out.write_text("# mine\n")
    refused = espform("import", "--provider", "mailerlite", "--sandbox", ml_account, "--out", out)
    assert refused.exit_code == 1
    assert "--force" in refused.stderr
    assert out.read_text() == "# mine\n"
    forced = espform(
        "import", "--provider", "mailerlite", "--sandbox", ml_account, "--out", out, "--force"
    )
    assert forced.exit_code == 0, forced.output
    assert "Partners: {}" in out.read_text()


def test_base_url_is_recorded_and_the_key_only_as_a_reference(
    ml_account: Path, tmp_path: Path, serve
) -> None:
    url = serve("mailerlite", ml_account, SECRET)
    out = tmp_path / "espform.yaml"
    env = {"MAILERLITE_API_KEY": SECRET}
    result = espform(
        "import", "--provider", "mailerlite", "--base-url", url + "/", "--out", out, env=env
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "  token: ${env:MAILERLITE_API_KEY}\n" in text
    assert f"  base_url: {url}\n" in text
    assert SECRET not in text + result.output
    assert f"the MailerLite account at {url.removeprefix('http://')}" in text
    planned = espform("plan", "-c", out, "--detailed-exitcode", env=env)
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


def test_the_documented_token_variable_is_accepted_and_referenced(ml_account: Path, serve) -> None:
    url = serve("mailerlite", ml_account, SECRET)
    env = {"MAILERLITE_API_TOKEN": SECRET}
    result = espform("import", "--provider", "mailerlite", "--base-url", url, env=env)
    assert result.exit_code == 0, result.output
    assert "  token: ${env:MAILERLITE_API_TOKEN}\n" in result.stdout
    assert SECRET not in result.output


def test_mailchimp_over_http_with_its_api_path_in_the_url(
    mc_account: Path, tmp_path: Path, serve
) -> None:
    url = serve("mailchimp", mc_account, MC_SECRET)
    out = tmp_path / "espform.yaml"
    env = {"MAILCHIMP_API_KEY": MC_SECRET}
    # The provider appends /3.0 itself, and the config refuses a base_url ending in it.
    given = f"{url}/3.0"
    result = espform(
        "import", "--provider", "mailchimp", "--base-url", given, "--out", out, env=env
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "  api_key: ${env:MAILCHIMP_API_KEY}\n" in text
    assert f"  base_url: {url}\n" in text
    assert "      Dog owner: {}\n" in text
    assert MC_SECRET not in text + result.output
    planned = espform("plan", "-c", out, "--detailed-exitcode", env=env)
    assert planned.exit_code == 0, planned.output


def test_a_wrong_key_fails_without_showing_it(ml_account: Path, serve) -> None:
    url = serve("mailerlite", ml_account, SECRET)
    wrong = "not-the-right-token-987"
    result = espform(
        "import", "--provider", "mailerlite", "--base-url", url, env={"MAILERLITE_API_KEY": wrong}
    )
    assert result.exit_code == 1
    assert "MAILERLITE_API_KEY" in result.stderr
    assert wrong not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sandbox", "missing.db"], "sandbox file missing.db not found"),
        (["--sandbox", "x.db", "--base-url", "http://localhost:1"], "exclude each other"),
        (["--base-url", "ftp://example.com"], "--base-url must be an http(s) URL"),
        (["--base-url", "https://user:pw@example.com"], "must not hold credentials"),
        (["--base-url", "https://example.com/?key=1"], "must not hold credentials"),
    ],
)
def test_option_errors(args: list[str], message: str) -> None:
    result = espform("import", "--provider", "mailerlite", *args, env={"MAILERLITE_API_KEY": "k"})
    assert result.exit_code == 1
    assert message in result.stderr


def test_unknown_provider_is_a_usage_error_with_exit_1() -> None:
    result = espform("import", "--provider", "sendgrid")
    assert result.exit_code == 1
    assert "sendgrid" in result.stderr


def test_a_malformed_base_url_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAILERLITE_API_KEY", "key-for-test")
    result = espform("import", "--provider", "mailerlite", "--base-url", "proxyuser:proxyPASS@host")
    assert result.exit_code == 1
    assert "proxyPASS" not in result.output
