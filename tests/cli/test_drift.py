"""`espform drift` end to end: the account is changed by hand through the sandbox's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

CONFIG = """
provider: {type: mailerlite, sandbox: sb.db}
fields:
  tier: {type: text, name: Tier}
groups:
  Partners: {}
  Gold: {}
"""


@contextmanager
def by_hand(db: Path) -> Iterator[httpx.Client]:
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


def group_id(client: httpx.Client, name: str) -> str:
    return next(g["id"] for g in client.get("/api/groups").json()["data"] if g["name"] == name)


@pytest.fixture
def config(tmp_path, write_config, espform) -> Path:
    """CONFIG, applied: the account starts in sync."""
    path = write_config(CONFIG)
    assert espform("apply", "-c", path, "--auto-approve").exit_code == 0
    return path


def test_in_sync_exits_0(config, espform):
    result = espform("drift", "-c", config)
    assert result.exit_code == 0, result.output
    assert "No drift. The account matches the configuration." in result.output


def test_group_renamed_by_hand_is_reported_in_every_format(tmp_path, config, espform):
    with by_hand(tmp_path / "sb.db") as client:
        gold = group_id(client, "Gold")
        assert client.put(f"/api/groups/{gold}", json={"name": "Gold VIP"}).status_code == 200

    md, js = tmp_path / "drift.md", tmp_path / "drift.json"
    text = espform("drift", "-c", config, "--report", md)
    assert text.exit_code == 2, text.output
    assert 'mailerlite.group["Gold"]' in text.output
    assert "Drift: 0 changed, 1 missing, 0 unexpected; 1 not managed" in text.output

    report = md.read_text()
    assert report.startswith("<!-- espform:drift -->")
    assert "<code>mailerlite.group[&quot;Gold&quot;]</code>" in report
    assert "<code>mailerlite.group[&quot;Gold VIP&quot;]</code>" in report  # not managed

    assert espform("drift", "-c", config, "--report", js).exit_code == 2
    document = json.loads(js.read_text())
    assert document["document"] == "espform-drift" and document["drifted"] is True
    assert [c["address"] for c in document["missing"]] == ['mailerlite.group["Gold"]']
    assert document["unmanaged"] == ['mailerlite.group["Gold VIP"]']

    printed = espform("drift", "-c", config, "--format", "json")
    assert json.loads(printed.stdout) == document


def test_deleted_group_and_renamed_field_are_drift(tmp_path, config, espform):
    with by_hand(tmp_path / "sb.db") as client:
        assert client.delete(f"/api/groups/{group_id(client, 'Partners')}").status_code == 204
        fields = client.get("/api/fields", params={"limit": 100}).json()["data"]
        tier = next(f["id"] for f in fields if f["key"] == "tier")
        assert client.put(f"/api/fields/{tier}", json={"name": "Rank"}).status_code == 200

    result = espform("drift", "-c", config, "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert [c["address"] for c in document["missing"]] == ['mailerlite.group["Partners"]']
    (changed,) = document["changed"]
    assert changed["address"] == 'mailerlite.field["tier"]'
    assert changed["attributes"] == [{"attribute": "name", "before": "Rank", "after": "Tier"}]

    markdown = espform("drift", "-c", config, "--format", "markdown")
    assert markdown.exit_code == 2
    assert '- name = "Rank"' in markdown.stdout and '+ name = "Tier"' in markdown.stdout


def test_unmanaged_objects_are_reported_but_not_drift_unless_asked(tmp_path, config, espform):
    with by_hand(tmp_path / "sb.db") as client:
        assert client.post("/api/groups", json={"name": "Made by hand"}).status_code in (200, 201)

    result = espform("drift", "-c", config)
    assert result.exit_code == 0, result.output
    assert 'mailerlite.group["Made by hand"]' in result.output
    assert "1 not managed (not counted as drift)" in result.output

    strict = espform("drift", "-c", config, "--unmanaged-is-drift", "--format", "json")
    assert strict.exit_code == 2
    assert json.loads(strict.stdout)["unmanaged"] == ['mailerlite.group["Made by hand"]']


def test_undeclared_object_of_a_pruned_kind_is_drift(tmp_path, write_config, espform):
    config = write_config(CONFIG + "settings:\n  prune: {groups: true}\n")
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    with by_hand(tmp_path / "sb.db") as client:
        assert client.post("/api/groups", json={"name": "Stray"}).status_code in (200, 201)

    result = espform("drift", "-c", config, "--format", "json")
    assert result.exit_code == 2
    (unexpected,) = json.loads(result.stdout)["unexpected"]
    assert unexpected["address"] == 'mailerlite.group["Stray"]'
    assert unexpected["action"] == "delete"


def test_report_extension_must_be_md_or_json(tmp_path, config, espform):
    result = espform("drift", "-c", config, "--report", tmp_path / "drift.txt")
    assert result.exit_code == 1  # not 2: a usage error must not read as drift
    assert ".md" in result.output and ".json" in result.output
    assert not (tmp_path / "drift.txt").exists()


def test_error_exits_1(tmp_path, write_config, espform):
    config = write_config("provider: {type: mailerlite, sandbox: sb.db}\nsegments:\n  VIP: {}\n")
    result = espform("drift", "-c", config)
    assert result.exit_code == 1
    assert 'segment "VIP" does not exist' in result.output
