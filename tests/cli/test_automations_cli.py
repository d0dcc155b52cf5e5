"""MailerLite automations started by a group join guard that group, end to end on the
embedded sandbox: plan refuses to delete or rename it, drift names them when it is gone."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

CONFIG = """\
provider:
  type: mailerlite
  sandbox: {db}
settings:
  prune: {{groups: true}}
groups:
{groups}
"""


def _write(tmp_path: Path, *groups: str) -> Path:
    config = tmp_path / "espform.yaml"
    db = tmp_path / "sandbox.db"
    config.write_text(CONFIG.format(db=db, groups="\n".join(f"  {g}" for g in groups)))
    return config


def _account(tmp_path: Path) -> httpx.Client:
    """The sandbox as the app sees it: automations are built there, not through the API."""
    return httpx.Client(
        transport=SandboxTransport(open_app("mailerlite", tmp_path / "sandbox.db")),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer any-token"},
    )


def _bootstrap(tmp_path: Path, espform, *, enabled: bool = True) -> Path:
    config = _write(tmp_path, "Partners: {}", "Newsletter: {}")
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    with _account(tmp_path) as account:
        groups = {g["name"]: g["id"] for g in account.get("/api/groups").json()["data"]}
        made = account.post(
            "/_sandbox/automations",
            json={
                "name": "Partner welcome",
                "enabled": enabled,
                "triggers": [{"type": "subscriber_joins_group", "group_ids": [groups["Partners"]]}],
            },
        )
        assert made.status_code == 201, made.text
    return config


def test_pruning_a_group_an_automation_starts_from_is_refused_unless_forced(tmp_path, espform):
    _bootstrap(tmp_path, espform)
    config = _write(tmp_path, "Newsletter: {}")

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'mailerlite.group["Partners"] would be deleted' in refused.output
    assert 'automation "Partner welcome"' in refused.output
    assert "triggered when a subscriber joins the group" in refused.output
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 1

    forced = espform("apply", "-c", config, "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert espform("plan", "-c", config, "--detailed-exitcode").exit_code == 0


def test_renaming_that_group_is_refused(tmp_path, espform):
    _bootstrap(tmp_path, espform)
    config = _write(tmp_path, "Resellers: {renamed_from: [Partners]}", "Newsletter: {}")

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'would be renamed to "Resellers"' in refused.output
    assert 'automation "Partner welcome"' in refused.output
    assert espform("plan", "-c", config, "--force", "--detailed-exitcode").exit_code == 2


def test_a_disabled_automation_protects_nothing(tmp_path, espform):
    _bootstrap(tmp_path, espform, enabled=False)
    config = _write(tmp_path, "Newsletter: {}")

    planned = espform("plan", "-c", config, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "Partner welcome" not in planned.output


def test_drift_names_the_automation_when_its_group_is_deleted_by_hand(tmp_path, espform):
    config = _bootstrap(tmp_path, espform)
    with _account(tmp_path) as account:
        groups = {g["name"]: g["id"] for g in account.get("/api/groups").json()["data"]}
        assert account.delete(f"/api/groups/{groups['Partners']}").status_code == 204

    text = espform("drift", "-c", config)
    assert text.exit_code == 2, text.output
    assert (
        'mailerlite.group["Partners"]: missing from the account; breaks automation '
        '"Partner welcome"' in text.output
    )
    assert text.output.index("Breaking:") < text.output.index("Missing:")
    as_json = espform("drift", "-c", config, "--format", "json")
    (breaking,) = json.loads(as_json.output)["breaking"]
    assert breaking["depended_on_by"] == [{"kind": "automation", "name": "Partner welcome"}]
