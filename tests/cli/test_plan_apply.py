"""espform end to end on the embedded sandbox: the commands as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
import respx

from reconciler.providers.ambiguity import MAX_ROUNDS
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

QUICKSTART = Path(__file__).parents[2] / "examples" / "quickstart" / "espform.yaml"


def sandbox_client(db: Path) -> httpx.Client:
    app = open_app("mailerlite", db)
    return httpx.Client(
        transport=SandboxTransport(app),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer test"},
    )


def test_quickstart_plans_applies_and_then_has_no_changes(tmp_path, espform):
    config = tmp_path / "espform.yaml"
    shutil.copy(QUICKSTART, config)

    first = espform("plan", "-c", config, "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert '+ field "partner_key"' in first.output
    assert '+ group "Active Partners"' in first.output
    assert "Plan: 8 to create, 0 to update, 0 to delete." in first.output

    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert 'mailerlite.group["Partners"]: created (id ' in applied.output
    assert "Apply complete! 8 created" in applied.output

    again = espform("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes. The account matches the configuration." in again.output

    with sandbox_client(tmp_path / ".espform" / "sandbox.db") as client:
        fields = client.get("/api/fields", params={"limit": 100}).json()["data"]
        by_key = {f["key"]: f for f in fields}
        assert by_key["total_sales"]["type"] == "number"
        assert by_key["partner_key"]["name"] == "Partner key"
        groups = {g["name"] for g in client.get("/api/groups").json()["data"]}
        assert groups == {"Partners", "Active Partners", "Referred Customers"}


def test_rename_through_renamed_from_keeps_id_and_members(tmp_path, write_config, espform):
    config = write_config(
        """
        provider: {type: mailerlite, sandbox: sb.db}
        groups:
          Gold: {}
        """
    )
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    with sandbox_client(tmp_path / "sb.db") as client:
        (gold,) = client.get("/api/groups").json()["data"]
        for n in range(3):
            r = client.post(
                "/api/subscribers", json={"email": f"p{n}@example.com", "groups": [gold["id"]]}
            )
            assert r.status_code == 201

    write_config(
        """
        provider: {type: mailerlite, sandbox: sb.db}
        groups:
          Gold Partners: {renamed_from: [Gold]}
        """
    )
    planned = espform("plan", "-c", config)
    assert '~ group "Gold" -> "Gold Partners"' in planned.output
    assert "0 to create, 0 to update, 0 to delete (1 to rename)" in planned.output
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0

    with sandbox_client(tmp_path / "sb.db") as client:
        (renamed,) = client.get("/api/groups").json()["data"]
        assert renamed["id"] == gold["id"] and renamed["name"] == "Gold Partners"
        members = client.get(f"/api/groups/{gold['id']}/subscribers").json()["data"]
        assert sorted(m["email"] for m in members) == [f"p{n}@example.com" for n in range(3)]
    assert "No changes" in espform("plan", "-c", config).output


def test_plan_json_is_a_versioned_document(tmp_path, write_config, espform):
    config = write_config(
        """
        provider: {type: mailerlite, sandbox: sb.db}
        fields:
          tier: {type: text}
        """
    )
    result = espform("plan", "-c", config, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["format_version"] == "1.1"
    assert document["summary"]["create"] == 1
    (change,) = document["changes"]
    assert change["address"] == 'mailerlite.field["tier"]'
    assert change["action"] == "create"
    assert change["after"] == {"key": "tier", "type": "text"}


def test_field_type_change_is_shown_as_destructive_replace(tmp_path, write_config, espform):
    write_config("provider: {type: mailerlite, sandbox: sb.db}\nfields:\n  tier: {type: text}\n")
    config = tmp_path / "espform.yaml"
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    write_config("provider: {type: mailerlite, sandbox: sb.db}\nfields:\n  tier: {type: number}\n")
    result = espform("plan", "-c", config)
    assert '-/+ field "tier"' in result.output
    assert '~ type = "text" -> "number" # forces replacement' in result.output
    assert "cannot change a field's type" in result.output
    assert "1 replaced" in result.output


def test_apply_refuses_without_terminal_or_auto_approve(tmp_path, write_config, espform):
    config = write_config("provider: {type: mailerlite, sandbox: sb.db}\ngroups:\n  A: {}\n")
    result = espform("apply", "-c", config)
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert not (tmp_path / "sb.db").exists()


def test_missing_segment_is_a_plan_error_pointing_at_the_config(tmp_path, write_config, espform):
    config = write_config("provider: {type: mailerlite, sandbox: sb.db}\nsegments:\n  VIP: {}\n")
    result = espform("plan", "-c", config)
    assert result.exit_code == 1
    assert f'{config}:3:3: segment "VIP" does not exist' in result.output
    assert "rule" in result.output


@respx.mock(assert_all_mocked=True)
def test_malformed_config_exits_1_with_locations_and_sends_no_request(write_config, espform):
    route = respx.route(host="connect.mailerlite.com")
    config = write_config(
        """
        provider:
          type: mailerlite
          token: ${env:ML_TOKEN_FOR_TEST}
        fields:
          tier: {type: colour}
        groups:
          Partners: {renamed_from: 5, extra: true}
        """
    )
    result = espform("plan", "-c", config, env={"ML_TOKEN_FOR_TEST": "tok-123"})
    assert result.exit_code == 1
    assert f"{config}:6:" in result.output  # the bad field type
    assert f"{config}:8:" in result.output  # the unknown key in the group
    assert "nothing was sent" in result.output
    assert "tok-123" not in result.output
    assert route.call_count == 0


@pytest.mark.serve
def test_plan_and_apply_over_loopback_against_sandbox_serve(served_sandbox, write_config, espform):
    config = write_config(
        f"""
        provider:
          type: mailerlite
          token: ${{env:MAILERLITE_API_TOKEN}}
          base_url: {served_sandbox}
        fields:
          partner_key: {{type: text, name: Partner key}}
        groups:
          Partners: {{}}
        """
    )
    env = {"MAILERLITE_API_TOKEN": "s3cret-token"}
    assert espform("plan", "-c", config, "--detailed-exitcode", env=env).exit_code == 2
    applied = espform("apply", "-c", config, "--auto-approve", env=env)
    assert applied.exit_code == 0, applied.output
    assert espform("plan", "-c", config, "--detailed-exitcode", env=env).exit_code == 0

    wrong = espform("plan", "-c", config, env={"MAILERLITE_API_TOKEN": "wrong-token"})
    assert wrong.exit_code == 1
    assert "MAILERLITE_API_TOKEN" in wrong.output
    assert "wrong-token" not in wrong.output and "s3cret-token" not in wrong.output


@pytest.mark.serve
def test_official_sdk_sees_what_espform_applied_through_sandbox_serve(
    served_sandbox, write_config, espform
):
    """The command users run (`espform sandbox serve`), espform and the SDK side by side."""
    import mailerlite

    config = write_config(
        f"""
        provider:
          type: mailerlite
          token: ${{env:MAILERLITE_API_TOKEN}}
          base_url: {served_sandbox}
        groups:
          Partners: {{}}
        """
    )
    env = {"MAILERLITE_API_TOKEN": "s3cret-token"}
    assert espform("apply", "-c", config, "--auto-approve", env=env).exit_code == 0

    sdk = mailerlite.Client({"api_key": "s3cret-token", "timeout": 10})
    sdk.api_client.HOST = f"{served_sandbox}/"
    (group,) = sdk.groups.list(limit=10, page=1)["data"]
    assert group["name"] == "Partners"
    sdk.subscribers.create("partner@example.com", groups=[group["id"]])
    sdk.groups.update(int(group["id"]), "Partners (renamed by hand)")

    drifted = espform("plan", "-c", config, env=env)
    assert 'mailerlite.group["Partners"] will be created' in drifted.output
    assert 'mailerlite.group["Partners (renamed by hand)"]' in drifted.output  # not managed


def _listed(*items: dict) -> dict:
    return {"data": list(items), "links": {"next": None}, "meta": {"current_page": 1}}


def test_a_failed_batch_names_every_change_in_it_and_counts_only_the_rest_as_not_sent(
    write_config, espform
):
    config = write_config(
        """
        provider: {type: mailerlite, token: '${env:ML_TOKEN_FOR_TEST}'}
        settings: {prune: {groups: true}, max_delete_percent: 100}
        groups: {A: {}, B: {}, C: {}}
        """
    )
    with respx.mock(base_url="https://connect.mailerlite.com/api", assert_all_called=False) as api:
        api.get("/fields").respond(200, json=_listed())
        api.get("/segments").respond(200, json=_listed())
        api.get("/webhooks").respond(200, json=_listed())
        api.get("/groups").respond(200, json=_listed({"id": "7", "name": "Old"}))
        # Deleting a group reads what automations it would stop.
        api.get("/automations").respond(200, json=_listed())
        batch = api.post("/batch").respond(503, json={"message": "Service Unavailable"})
        deleted = api.delete("/groups/7").respond(204)
        result = espform(
            "apply", "-c", config, "--auto-approve", env={"ML_TOKEN_FOR_TEST": "tok-123"}
        )

    assert result.exit_code == 1, result.output
    # Read again after each failure, the account shows nothing made: resent, up to
    # MAX_ROUNDS times, then reported unknown.
    assert batch.call_count == MAX_ROUNDS and deleted.call_count == 0
    for name in "ABC":
        assert f'mailerlite.group["{name}"]: state unknown' in result.output
    assert result.output.count("answered 503") == 1  # the batch's last error, printed once
    assert (
        "3 changes may or may not have been made (sent, but the batch failed as a whole): "
        'mailerlite.group["A"], mailerlite.group["B"], mailerlite.group["C"]'
    ) in result.output
    assert (
        "apply stopped at a failed batch (0 created, 0 updated, 0 renamed, 0 replaced, "
        "0 deleted; 3 in an unknown state; 1 not attempted)."
    ) in result.output
