"""`plan --out FILE` and `apply FILE` end to end on the embedded sandbox.

The account is changed between plan and apply through the sandbox's MailerLite API, the
way a person in the ESP's app or another integration would change it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import respx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

BASE = """
provider: {type: mailerlite, sandbox: sb.db}
settings:
  prune: {groups: true}
fields:
  tier: {type: text, name: Tier}
groups:
  Partners: {}
  Gold: {}
"""
# Renames Gold (keeping its id), renames the tier field, creates New.
CHANGED = """
provider: {type: mailerlite, sandbox: sb.db}
settings:
  prune: {groups: true}
fields:
  tier: {type: text, name: Level}
groups:
  Partners: {}
  Gold Partners: {renamed_from: [Gold]}
  New: {}
"""


@contextmanager
def by_hand(db: Path) -> Iterator[httpx.Client]:
    """A client of the sandbox's MailerLite API, as someone outside espform uses it."""
    app = open_app("mailerlite", db)
    try:
        with httpx.Client(
            transport=SandboxTransport(app),
            base_url="http://sandbox.invalid",
            headers={"Authorization": "Bearer t"},
        ) as client:
            yield client
    finally:
        app.close()


def groups(db: Path) -> dict[str, str]:
    with by_hand(db) as client:
        return {g["name"]: g["id"] for g in client.get("/api/groups").json()["data"]}


def field_id(client: httpx.Client, key: str) -> str:
    data = client.get("/api/fields", params={"limit": 100}).json()["data"]
    return next(f["id"] for f in data if f["key"] == key)


def saved(tmp_path: Path, write_config: Any, espform: Any) -> Path:
    """Apply BASE, switch the config to CHANGED, and save the plan to plan.json."""
    config = write_config(BASE)
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    write_config(CHANGED)
    out = tmp_path / "plan.json"
    result = espform("plan", "-c", config, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.exists()
    return out


def test_stale_plan_is_refused_then_a_fresh_one_applies(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    config = tmp_path / "espform.yaml"
    db = tmp_path / "sb.db"
    with by_hand(db) as client:
        gold = groups(db)["Gold"]
        assert client.put(f"/api/groups/{gold}", json={"name": "Gold (old)"}).status_code == 200
    before = groups(db)

    refused = espform("apply", out, "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'mailerlite.group["Gold"]: vanished' in refused.output
    assert "stale" in refused.output and "nothing was changed" in refused.output
    assert groups(db) == before  # not even the untouched parts of the plan ran

    fresh = tmp_path / "fresh.json"
    assert espform("plan", "-c", config, "--out", fresh).exit_code == 0
    applied = espform("apply", fresh, "-c", config)
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.output
    assert set(groups(db)) == {"Partners", "Gold Partners", "New"}
    again = espform("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output


def test_saved_plan_applies_exactly_its_changes(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    db = tmp_path / "sb.db"
    gold = groups(db)["Gold"]

    applied = espform("apply", out, "-c", tmp_path / "espform.yaml")  # no --auto-approve
    assert applied.exit_code == 0, applied.output
    assert "Apply complete! 1 created, 1 updated, 1 renamed, 0 replaced, 0 deleted." in (
        applied.output
    )
    assert groups(db)["Gold Partners"] == gold  # renamed in place, not re-created
    with by_hand(db) as client:
        fields = client.get("/api/fields", params={"limit": 100}).json()["data"]
    assert {f["key"]: f["name"] for f in fields}["tier"] == "Level"


def test_field_changed_or_deleted_by_hand_is_named(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    config = tmp_path / "espform.yaml"
    with by_hand(tmp_path / "sb.db") as client:
        tier = field_id(client, "tier")
        assert client.put(f"/api/fields/{tier}", json={"name": "Rank"}).status_code == 200

    changed = espform("apply", out, "-c", config)
    assert changed.exit_code == 1
    assert 'mailerlite.field["tier"]: changed in the account' in changed.output

    with by_hand(tmp_path / "sb.db") as client:
        assert client.delete(f"/api/fields/{tier}").status_code == 204
    vanished = espform("apply", out, "-c", config)
    assert vanished.exit_code == 1
    assert 'mailerlite.field["tier"]: vanished' in vanished.output


def test_object_that_appeared_or_a_new_difference_is_named(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    config = tmp_path / "espform.yaml"
    db = tmp_path / "sb.db"
    with by_hand(db) as client:
        assert client.post("/api/groups", json={"name": "New"}).status_code in (200, 201)
        # Partners is not touched by the plan: only re-planning can notice it is gone.
        assert client.delete(f"/api/groups/{groups(db)['Partners']}").status_code == 204

    refused = espform("apply", out, "-c", config)
    assert refused.exit_code == 1
    assert 'mailerlite.group["New"]: appeared in the account' in refused.output
    assert 'mailerlite.group["Partners"]: now needs a create' in refused.output
    assert "Partners" not in groups(db)


def test_config_edited_after_plan_is_refused(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    config = write_config(CHANGED + "# reviewed\n")
    before = groups(tmp_path / "sb.db")
    result = espform("apply", out, "-c", config)
    assert result.exit_code == 1
    assert "config file" in result.output and "changed since the plan" in result.output
    assert groups(tmp_path / "sb.db") == before


def test_empty_saved_plan_applies_nothing(tmp_path, write_config, espform):
    config = write_config(BASE)
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    out = tmp_path / "empty.json"
    assert espform("plan", "-c", config, "--out", out).exit_code == 0
    assert json.loads(out.read_text())["changes"] == []
    result = espform("apply", out, "-c", config)
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output


def test_plan_file_holds_no_secret_and_matches_plan_json(tmp_path, write_config, espform):
    secret = "ml-tok-9f8e7d6c5b4a"
    # The secret is read from the environment into a webhook URL (the sandbox takes no
    # token, and refuses one written beside it).
    config = write_config(
        """
        provider:
          type: mailerlite
          sandbox: sb.db
        groups:
          Partners: {}
        webhooks:
          Unsubscribes:
            url: ${env:ML_TEST_HOOK}
            events: [subscriber.unsubscribed]
        """
    )
    out = tmp_path / "plan.json"
    hook = f"https://hooks.example/unsubscribed?token={secret}"
    result = espform(
        "plan", "-c", config, "--out", out, "--format", "json", env={"ML_TEST_HOOK": hook}
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert secret not in text and secret not in result.output

    document = json.loads(text)
    assert json.loads(result.stdout) == document
    assert document["document"] == "espform-plan"
    assert document["format_version"] == "1.1"
    assert document["provider"] == "mailerlite"
    assert document["target"] == "embedded sandbox"
    assert document["config_digest"] == "sha256:" + hashlib.sha256(config.read_bytes()).hexdigest()
    assert document["fingerprints"] == {
        'mailerlite.group["Partners"]': None,
        'mailerlite.webhook["Unsubscribes"]': None,
    }
    group, webhook = document["changes"]
    assert group["address"] == 'mailerlite.group["Partners"]'
    assert group["action"] == "create"
    assert webhook["address"] == 'mailerlite.webhook["Unsubscribes"]'
    change = group
    assert set(change) >= {"before", "after", "attributes", "destructive", "reason"}


def test_fingerprints_cover_what_a_plan_touches(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    fingerprints = json.loads(out.read_text())["fingerprints"]
    assert set(fingerprints) == {
        'mailerlite.field["tier"]',
        'mailerlite.group["Gold"]',
        'mailerlite.group["Gold Partners"]',  # a rename needs its new name to be free
        'mailerlite.group["New"]',
    }
    assert fingerprints['mailerlite.group["New"]'] is None
    assert fingerprints['mailerlite.group["Gold"]'].startswith("sha256:")


def test_bad_foreign_and_newer_plan_files_are_clear_errors(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    config = tmp_path / "espform.yaml"
    document = json.loads(out.read_text())

    def apply_file(name: str, content: str) -> str:
        path = tmp_path / name
        path.write_text(content)
        result = espform("apply", path, "-c", config)
        assert result.exit_code == 1, result.output
        return result.output

    assert "not JSON" in apply_file("garbage.json", "{not json")
    assert "not an espform plan file" in apply_file(
        "terraform.json", json.dumps({"format_version": "1.2", "resource_changes": []})
    )
    newer = apply_file("newer.json", json.dumps({**document, "format_version": "2.0"}))
    assert "format 2.0" in newer and "Upgrade espform" in newer
    unpinned = {**document, "fingerprints": {}}
    assert "has no fingerprint" in apply_file("unpinned.json", json.dumps(unpinned))
    missing = espform("apply", tmp_path / "absent.json", "-c", config)
    assert missing.exit_code == 1 and "not found" in missing.output
    assert "Gold" in groups(tmp_path / "sb.db")  # none of them changed anything


def test_plan_markdown_is_a_pr_comment(tmp_path, write_config, espform):
    config = write_config(BASE)
    result = espform("plan", "-c", config, "--format", "markdown", "--detailed-exitcode")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "<!-- espform:plan -->",
        f"### espform plan for mailerlite (embedded sandbox), config {config}",
    ]
    assert "**Plan: 3 to create, 0 to update, 0 to delete.**" in result.stdout
    assert result.stdout.count("<details><summary><code>+</code>") == 3


def test_a_plan_made_for_another_account_is_refused(tmp_path, write_config, espform):
    # Byte for byte the same config: only the environment says which account it is.
    config = write_config(
        """
        provider: {type: mailerlite, token: '${env:ML_TOKEN}', base_url: '${env:ML_URL}'}
        groups: {Partners: {}}
        """
    )
    out = tmp_path / "plan.json"
    empty = {"data": [], "links": {"next": None}, "meta": {"current_page": 1}}
    with respx.mock(assert_all_called=False) as api:
        for host in ("eu.example", "us.example"):
            for kind in ("fields", "groups", "segments", "webhooks"):
                api.get(f"https://{host}/api/{kind}").mock(
                    return_value=httpx.Response(200, json=empty)
                )
        writes = api.route(method__in=["POST", "PUT", "DELETE"])
        planned = espform(
            "plan", "-c", config, "--out", out,
            env={"ML_TOKEN": "t", "ML_URL": "https://eu.example"},
        )  # fmt: skip
        assert planned.exit_code == 0, planned.output
        applied = espform(
            "apply", out, "-c", config, env={"ML_TOKEN": "t", "ML_URL": "https://us.example"}
        )

    assert applied.exit_code == 1
    assert (
        f"the saved plan {out} was made for another account: mailerlite (eu.example), but "
        f"the config {config} points at mailerlite (us.example); nothing was changed."
    ) in " ".join(applied.output.split())
    assert writes.call_count == 0
    assert json.loads(out.read_text())["target"] == "eu.example"


def test_a_plan_made_on_the_sandbox_is_refused_against_a_real_host(tmp_path, write_config, espform):
    out = saved(tmp_path, write_config, espform)
    config = write_config(CHANGED.replace("sandbox: sb.db", "token: '${env:ML_TOKEN}'"))

    applied = espform("apply", out, "-c", config, env={"ML_TOKEN": "t"})

    assert applied.exit_code == 1
    text = " ".join(applied.output.split())
    assert "was made for another account: mailerlite (embedded sandbox)" in text
    assert "points at mailerlite (connect.mailerlite.com)" in text
    assert "changed since the plan" not in text  # the account, not the edit, is the reason


def test_a_plan_made_for_another_provider_is_refused(tmp_path, write_config, espform):
    config = write_config("provider: {type: mailchimp, sandbox: sb.db}\n")
    out = tmp_path / "plan.json"
    assert espform("plan", "-c", config, "--out", out).exit_code == 0
    write_config(BASE)  # the same file now configures a MailerLite sandbox

    applied = espform("apply", out, "-c", config)

    assert applied.exit_code == 1
    assert "another account: mailchimp (embedded sandbox)" in applied.output
    assert "points at mailerlite (embedded sandbox)" in applied.output
