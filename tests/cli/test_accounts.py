"""Several accounts at once: `-c FOLDER` or `-c A -c B`, on two embedded sandboxes."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import httpx
import pytest
import respx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

A = "provider: {type: mailerlite, sandbox: a.db}\ngroups:\n  Alpha: {}\n"
B = "provider: {type: mailerlite, sandbox: b.db}\ngroups:\n  Beta: {}\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """accounts/a.yaml and accounts/b.yml, plus a file that is not a config."""
    path = tmp_path / "accounts"
    path.mkdir()
    (path / "a.yaml").write_text(A)
    (path / "b.yml").write_text(B)
    (path / "README.md").write_text("not a config\n")
    return path


def group_names(db: Path) -> set[str]:
    app = open_app("mailerlite", db)
    try:
        with httpx.Client(
            transport=SandboxTransport(app),
            base_url="http://sandbox.invalid",
            headers={"Authorization": "Bearer t"},
        ) as client:
            return {g["name"] for g in client.get("/api/groups").json()["data"]}
    finally:
        app.close()


def test_a_folder_is_planned_per_account_under_headings(folder, espform):
    result = espform("plan", "-c", folder, "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    out = result.output
    a_head = out.index(f"Config {folder / 'a.yaml'}: mailerlite (embedded sandbox)")
    b_head = out.index(f"Config {folder / 'b.yml'}: mailerlite (embedded sandbox)")
    alpha = out.index('mailerlite.group["Alpha"] will be created')
    beta = out.index('mailerlite.group["Beta"] will be created')
    assert a_head < alpha < b_head < beta  # each plan under its own config's heading
    assert "README" not in out
    assert "2 accounts:" in out
    assert out.count("Plan: 1 to create, 0 to update, 0 to delete.") == 4  # plans + overview


def test_apply_all_then_no_changes(folder, espform):
    applied = espform("apply", "-c", folder, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert applied.output.count("Apply complete! 1 created") == 2
    assert group_names(folder / "a.db") == {"Alpha"}
    assert group_names(folder / "b.db") == {"Beta"}
    again = espform("plan", "-c", folder, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_the_exit_code_is_the_worst_of_the_accounts(folder, espform):
    a, b = folder / "a.yaml", folder / "b.yml"
    assert espform("apply", "-c", a, "--auto-approve").exit_code == 0
    assert espform("plan", "-c", a, "--detailed-exitcode").exit_code == 0
    assert espform("plan", "-c", a, "-c", b, "--detailed-exitcode").exit_code == 2
    assert espform("plan", "-c", a, "-c", b).exit_code == 0
    assert espform("drift", "-c", a, "-c", b).exit_code == 2

    # b cannot be planned (a segment MailerLite cannot create): 1 beats 2, and a still
    # gets its report.
    b.write_text(B + "segments:\n  VIP: {}\n")
    a.write_text(A + "  Extra: {}\n")
    result = espform("plan", "-c", folder, "--detailed-exitcode")
    assert result.exit_code == 1
    assert 'mailerlite.group["Extra"] will be created' in result.output
    assert f'{b}:5:3: segment "VIP" does not exist' in result.output
    assert espform("drift", "-c", folder).exit_code == 1


def test_json_is_keyed_by_config_path(folder, espform):
    (folder / "b.yml").write_text(B + "segments:\n  VIP: {}\n")
    result = espform("plan", "-c", folder, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["document"] == "espform-plans"
    assert document["format_version"] == "1.1"
    a, b = str(folder / "a.yaml"), str(folder / "b.yml")
    assert list(document["accounts"]) == [a, b]
    assert document["accounts"][a]["document"] == "espform-plan"
    assert [c["address"] for c in document["accounts"][a]["changes"]] == [
        'mailerlite.group["Alpha"]'
    ]
    error = document["accounts"][b]
    assert error["document"] == "espform-error" and error["config"] == b
    assert any('segment "VIP" does not exist' in line for line in error["errors"])

    drift = json.loads(espform("drift", "-c", folder / "a.yaml", "--format", "json").stdout)
    assert drift["document"] == "espform-drift"  # one file named alone: the usual document
    drifts = json.loads(espform("drift", "-c", folder, "--format", "json").stdout)
    assert drifts["document"] == "espform-drift-reports"
    assert drifts["accounts"][a]["document"] == "espform-drift"


def test_markdown_is_one_comment_with_a_section_per_account(folder, espform):
    result = espform("plan", "-c", folder, "--format", "markdown")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("<!-- espform:plan -->\n## espform plan for 2 accounts")
    assert text.count("<!-- espform:plan -->") == 1
    assert f"| <code>{folder / 'a.yaml'}</code> | Plan: 1 to create" in text
    assert f"### espform plan for mailerlite (embedded sandbox), config {folder / 'b.yml'}" in (
        text
    )


def test_one_invalid_config_stops_every_account(folder, espform):
    (folder / "b.yml").write_text(
        "provider: {type: mailerlite, sandbox: b.db}\ngroups:\n  Beta: {renamed_from: 5}\n"
    )
    (folder / "c.yaml").write_text(
        "provider: {type: mailerlite, sandbox: c.db}\nfields:\n  x: {}\n"
    )
    for command in (["plan"], ["apply", "--auto-approve"], ["drift"], ["validate"]):
        result = espform(*command, "-c", folder)
        assert result.exit_code == 1, result.output
        assert f"{folder / 'b.yml'}:3:24: groups.Beta.renamed_from" in result.output
        assert f"{folder / 'c.yaml'}:3:3: custom field 'x' needs a type" in result.output
        assert "2 problems in 2 of 3 config files; nothing was sent to any account." in (
            result.output
        )
    assert not (folder / "a.db").exists()  # the valid account was never opened


@respx.mock(assert_all_mocked=True)
def test_no_request_reaches_a_valid_real_account_when_another_config_is_invalid(tmp_path, espform):
    route = respx.route(host="connect.mailerlite.com")
    real = tmp_path / "real.yaml"
    real.write_text(
        "provider:\n  type: mailerlite\n  token: ${env:ML_TOKEN_FOR_TEST}\ngroups:\n  A: {}\n"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("provider: {type: mailerlite, sandbox: x.db}\ngroups: [A]\n")
    result = espform("apply", "-c", real, "-c", broken, "--auto-approve",
                     env={"ML_TOKEN_FOR_TEST": "tok-123"})  # fmt: skip
    assert result.exit_code == 1
    assert f"{broken}:2:9: groups: expected a mapping" in result.output
    assert route.call_count == 0


def test_a_refused_account_stops_the_apply_of_every_account(folder, espform):
    b = folder / "b.yml"
    names = [f"G{n:02d}" for n in range(12)]
    b.write_text(B + "".join(f"  {n}: {{}}\n" for n in names))
    assert espform("apply", "-c", b, "--auto-approve").exit_code == 0
    b.write_text(
        "provider: {type: mailerlite, sandbox: b.db}\nsettings:\n  prune: {groups: true}\n"
        "groups:\n  Beta: {}\n"
    )
    result = espform("apply", "-c", folder, "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "groups: 12 of 13 (92.3%) would be deleted" in result.output
    assert "nothing was applied to any account" in result.output
    assert not (folder / "a.db").exists() or group_names(folder / "a.db") == set()
    assert len(group_names(b.parent / "b.db")) == 13


@pytest.fixture
def terminal(monkeypatch):
    """Standard input counts as a terminal, so that apply asks."""
    # The package exports the `apply` command under the module's name: fetch the module.
    module = importlib.import_module("reconciler.cli.apply")
    monkeypatch.setattr(module, "_interactive", lambda: True)


def test_interactive_apply_asks_per_account(folder, espform, terminal):
    result = espform("apply", "-c", folder, input="y\nn\n")
    # Declining is not success, as in Terraform, even after an applied account.
    assert result.exit_code == 1, result.output
    assert result.output.count("Do you want to perform these actions?") == 2
    assert "Apply complete! 1 created" in result.output
    assert "Apply cancelled." in result.output
    assert "not attempted" not in result.output  # b was the last account
    assert group_names(folder / "a.db") == {"Alpha"}
    assert group_names(folder / "b.db") == set()


def test_declining_one_account_stops_the_accounts_after_it(folder, espform, terminal):
    (folder / "c.yaml").write_text(A.replace("a.db", "c.db").replace("Alpha", "Gamma"))
    result = espform("apply", "-c", folder, input="n\ny\ny\n")
    assert result.exit_code == 1, result.output
    assert result.output.count("Do you want to perform these actions?") == 1
    assert "Apply cancelled." in result.output
    assert (
        f"not attempted, after the cancellation above: {folder / 'b.yml'}, {folder / 'c.yaml'}"
    ) in result.output
    for db in ("a.db", "b.db", "c.db"):
        assert not (folder / db).exists() or group_names(folder / db) == set()


def test_declining_a_single_account_exits_1(folder, espform, terminal):
    result = espform("apply", "-c", folder / "a.yaml", input="n\n")
    assert result.exit_code == 1, result.output
    assert result.output.rstrip().endswith("Apply cancelled.")
    assert not (folder / "a.db").exists() or group_names(folder / "a.db") == set()


def test_saved_plans_stay_single_account(folder, tmp_path, espform):
    out = tmp_path / "plan.json"
    result = espform("plan", "-c", folder, "--out", out)
    assert result.exit_code == 1
    assert "--out saves the plan of one account" in result.output and not out.exists()

    assert espform("plan", "-c", folder / "a.yaml", "--out", out).exit_code == 0
    result = espform("apply", out, "-c", folder)
    assert result.exit_code == 1
    assert "a saved plan belongs to one account" in result.output


def test_validate_reports_each_file_and_an_empty_folder_is_an_error(folder, tmp_path, espform):
    result = espform("validate", "-c", folder)
    assert result.exit_code == 0, result.output
    assert f"{folder / 'a.yaml'}: valid (1 group)." in result.output
    assert "All 2 configurations are valid." in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = espform("plan", "-c", empty)
    assert result.exit_code == 1
    assert "no *.yaml or *.yml config file" in result.output


def test_the_same_file_twice_is_one_account(folder, espform):
    result = espform("plan", "-c", folder, "-c", folder / "a.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.count('mailerlite.group["Alpha"] will be created') == 1
