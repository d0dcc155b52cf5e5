"""`--target` on plan and apply, end to end on the embedded sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

CONFIG = """
provider: {type: mailerlite, sandbox: sb.db}
fields:
  tier: {type: text}
groups:
  Partners: {}
  Leads: {}
"""
PARTNERS = 'mailerlite.group["Partners"]'


def account(db: Path) -> tuple[set[str], set[str]]:
    """Group names and field keys, read through the sandbox's API."""
    app = open_app("mailerlite", db)
    try:
        with httpx.Client(
            transport=SandboxTransport(app),
            base_url="http://sandbox.invalid",
            headers={"Authorization": "Bearer t"},
        ) as client:
            groups = {g["name"] for g in client.get("/api/groups").json()["data"]}
            data = client.get("/api/fields", params={"limit": 100}).json()["data"]
    finally:
        app.close()
    return groups, {f["key"] for f in data}


def test_only_the_targeted_change_is_planned_and_applied(tmp_path, write_config, espform):
    config = write_config(CONFIG)
    planned = espform("plan", "-c", config, "--target", PARTNERS)
    assert planned.exit_code == 0, planned.output
    assert f"{PARTNERS} will be created" in planned.output
    assert "Leads" not in planned.output and "tier" not in planned.output
    assert "Plan: 1 to create, 0 to update, 0 to delete." in planned.output
    assert f"Targeted plan: only changes at {PARTNERS}" in planned.output

    applied = espform("apply", "-c", config, "--target", PARTNERS, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete! 1 created" in applied.output
    groups, fields = account(tmp_path / "sb.db")
    assert groups == {"Partners"}
    assert "tier" not in fields

    rest = espform("plan", "-c", config)
    assert "Plan: 2 to create" in rest.output


def test_several_targets_add_up(tmp_path, write_config, espform):
    config = write_config(CONFIG)
    result = espform(
        "apply",
        "-c",
        config,
        "--auto-approve",
        "--target",
        PARTNERS,
        "--target",
        'mailerlite.field["tier"]',
    )
    assert result.exit_code == 0, result.output
    groups, fields = account(tmp_path / "sb.db")
    assert groups == {"Partners"} and "tier" in fields


def test_an_unknown_target_is_an_error_and_changes_nothing(tmp_path, write_config, espform):
    config = write_config(CONFIG)
    result = espform(
        "apply", "-c", config, "--auto-approve", "--target", 'mailerlite.group["Partner"]'
    )
    assert result.exit_code == 1
    assert (
        'mailerlite.group["Partner"] names nothing declared in the config nor present in '
        'the account; did you mean mailerlite.group["Partners"]?'
    ) in result.output
    groups, fields = account(tmp_path / "sb.db")
    assert groups == set() and "tier" not in fields


def test_an_invalid_target_is_refused_before_the_account_is_read(tmp_path, write_config, espform):
    config = write_config(CONFIG)
    result = espform("plan", "-c", config, "--target", "group.Partners")
    assert result.exit_code == 1
    assert "'group.Partners' is not a resource address" in result.output
    assert 'e.g. mailerlite.group["Partners"]' in result.output
    assert not (tmp_path / "sb.db").exists()


def test_a_saved_plan_keeps_its_targets(tmp_path, write_config, espform):
    config = write_config(CONFIG)
    out = tmp_path / "plan.json"
    saved = espform("plan", "-c", config, "--target", PARTNERS, "--out", out)
    assert saved.exit_code == 0, saved.output
    document = json.loads(out.read_text())
    assert document["targets"] == [PARTNERS]
    assert [c["address"] for c in document["changes"]] == [PARTNERS]

    retargeted = espform("apply", out, "-c", config, "--target", 'mailerlite.group["Leads"]')
    assert retargeted.exit_code == 1
    assert "keeps the targets it was planned with" in retargeted.output

    applied = espform("apply", out, "-c", config)
    assert applied.exit_code == 0, applied.output
    assert account(tmp_path / "sb.db")[0] == {"Partners"}
