"""settings.protect and the change/delete thresholds, end to end on the embedded sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

HEAD = "provider: {type: mailerlite, sandbox: sb.db}\n"
NAMES = [f"Group {n:02d}" for n in range(12)]


def config_text(names: list[str], settings: str = "", fields: str = "") -> str:
    text = HEAD
    if settings:
        text += "settings:\n" + settings
    if fields:
        text += "fields:\n" + fields
    return text + "groups:\n" + "".join(f"  {name}: {{}}\n" for name in names)


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


def group_names(db: Path) -> set[str]:
    with by_hand(db) as client:
        data = client.get("/api/groups", params={"limit": 100}).json()["data"]
    return {g["name"] for g in data}


def field_types(db: Path) -> dict[str, str]:
    with by_hand(db) as client:
        data = client.get("/api/fields", params={"limit": 100}).json()["data"]
    return {f["key"]: f["type"] for f in data}


def seeded(write_config, espform, names: list[str] = NAMES) -> Path:
    config = write_config(config_text(names))
    result = espform("apply", "-c", config, "--auto-approve")
    assert result.exit_code == 0, result.output
    return config


PRUNE = "  prune: {groups: true}\n"


def test_a_mass_delete_is_refused_without_force_and_goes_through_with_it(
    tmp_path, write_config, espform
):
    seeded(write_config, espform)
    config = write_config(config_text(NAMES[:7], PRUNE))
    db = tmp_path / "sb.db"

    planned = espform("plan", "-c", config, "--detailed-exitcode")
    assert planned.exit_code == 1, planned.output
    assert 'mailerlite.group["Group 11"] will be deleted' in planned.output  # still shown
    assert "Plan: 0 to create, 0 to update, 5 to delete." in planned.output
    assert "espform refuses this plan" in planned.output
    assert "groups: 5 of 12 (41.7%) would be deleted or replaced" in planned.output
    assert "more than the 30% allowed by the default max_delete_percent" in planned.output
    assert "--force" in planned.output

    refused = espform("apply", "-c", config, "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "espform refuses this plan" in refused.output
    assert "Apply complete" not in refused.output
    assert group_names(db) == set(NAMES)

    forced_plan = espform("plan", "-c", config, "--force", "--detailed-exitcode")
    assert forced_plan.exit_code == 2, forced_plan.output
    assert "lifted by --force" in forced_plan.output

    forced = espform("apply", "-c", config, "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert "5 deleted" in forced.output
    assert group_names(db) == set(NAMES[:7])


def test_defaults_do_not_apply_below_10_objects(tmp_path, write_config, espform):
    seeded(write_config, espform, NAMES[:9])
    config = write_config(config_text(NAMES[:1], PRUNE))
    result = espform("apply", "-c", config, "--auto-approve")
    assert result.exit_code == 0, result.output
    assert group_names(tmp_path / "sb.db") == {NAMES[0]}


def test_a_per_kind_threshold_overrides_the_default(tmp_path, write_config, espform):
    seeded(write_config, espform)
    lenient = write_config(config_text(NAMES[:7], PRUNE + "  max_delete_percent: {groups: 50}\n"))
    assert espform("plan", "-c", lenient).exit_code == 0

    other_kind = write_config(
        config_text(NAMES[:7], PRUNE + "  max_delete_percent: {fields: 90, default: 40}\n")
    )
    refused = espform("plan", "-c", other_kind)
    assert refused.exit_code == 1
    assert "more than the 40% allowed by settings.max_delete_percent" in refused.output

    strict = write_config(
        config_text(NAMES[:11], PRUNE + "  max_delete_percent: {default: 90, groups: 5}\n")
    )
    refused = espform("plan", "-c", strict)  # 1 of 12 is 8.3%
    assert refused.exit_code == 1
    assert "allowed by settings.max_delete_percent.groups" in refused.output
    assert group_names(tmp_path / "sb.db") == set(NAMES)


def test_a_protected_group_removed_from_the_config_is_never_deleted(
    tmp_path, write_config, espform
):
    seeded(write_config, espform, ["Customers", "Leads"])
    config = write_config(config_text(["Leads"], PRUNE + '  protect: ["Cust*"]\n'))
    db = tmp_path / "sb.db"
    for extra in ([], ["--force"]):
        result = espform("apply", "-c", config, "--auto-approve", *extra)
        assert result.exit_code == 1, result.output
        assert (
            f'mailerlite.group["Customers"] would be deleted, but settings.protect "Cust*" '
            f"({config}:4:13) protects it, even with --force"
        ) in result.output
        assert group_names(db) == {"Customers", "Leads"}
    planned = espform("plan", "-c", config, "--force")
    assert planned.exit_code == 1


def test_a_protected_field_is_never_replaced(tmp_path, write_config, espform):
    write_config(HEAD + "fields:\n  tier: {type: text}\n")
    config = tmp_path / "espform.yaml"
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    write_config(HEAD + "settings:\n  protect: [tier]\nfields:\n  tier: {type: number}\n")
    result = espform("apply", "-c", config, "--auto-approve", "--force")
    assert result.exit_code == 1, result.output
    assert 'mailerlite.field["tier"] would be replaced' in result.output
    assert field_types(tmp_path / "sb.db")["tier"] == "text"


def test_a_refused_plan_is_not_saved_and_a_forced_one_applies_as_saved(
    tmp_path, write_config, espform
):
    seeded(write_config, espform)
    config = write_config(config_text(NAMES[:7], PRUNE))
    out = tmp_path / "plan.json"

    refused = espform("plan", "-c", config, "--out", out)
    assert refused.exit_code == 1
    assert "not saved" in refused.output and not out.exists()

    saved = espform("plan", "-c", config, "--out", out, "--force")
    assert saved.exit_code == 0, saved.output
    safety = json.loads(out.read_text())["safety"]
    assert safety["forced"] is True and safety["refused"] is False
    (violation,) = safety["violations"]
    assert violation["rule"] == "max_delete_percent" and violation["overridden"] is True

    applied = espform("apply", out, "-c", config)  # the review accepted the forced plan
    assert applied.exit_code == 0, applied.output
    assert group_names(tmp_path / "sb.db") == set(NAMES[:7])


def test_plan_json_and_markdown_carry_the_refusal(tmp_path, write_config, espform):
    seeded(write_config, espform)
    config = write_config(config_text(NAMES[:7], PRUNE))
    result = espform("plan", "-c", config, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["safety"]["refused"] is True
    (violation,) = document["safety"]["violations"]
    assert violation | {"message": ""} == {
        "rule": "max_delete_percent",
        "overridden": False,
        "message": "",
        "parent": None,
        "kind": "group",
        "count": 5,
        "total": 12,
        "percent": 41.7,
        "limit": 30.0,
    }

    markdown = espform("plan", "-c", config, "--format", "markdown")
    assert markdown.exit_code == 1
    assert "> [!CAUTION]" in markdown.stdout
    assert "groups: 5 of 12 (41.7%) would be deleted" in markdown.stdout


def test_drift_ignores_thresholds(tmp_path, write_config, espform):
    seeded(write_config, espform)
    config = write_config(config_text(NAMES[:7], PRUNE))
    result = espform("drift", "-c", config)
    assert result.exit_code == 2, result.output
    assert "5 unexpected" in result.output
    assert "refuses" not in result.output


def test_bad_safety_settings_are_reported_where_they_are(write_config, espform):
    config = write_config(
        HEAD
        + "settings:\n"
        + "  max_delete_percent: 130\n"
        + "  max_change_percent: {grups: 10, fields: ten, default: -1}\n"
    )
    result = espform("validate", "-c", config)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(config))]
    assert lines == [
        f"{config}:3:23: settings.max_delete_percent: 130 is out of range; it must be a "
        "percentage from 0 to 100 (100 turns the check off)",
        f"{config}:4:24: unknown kind 'grups' in settings.max_change_percent; allowed keys: "
        "default, fields, groups, segments, webhooks; did you mean 'groups'?",
        f"{config}:4:43: settings.max_change_percent.fields: expected a percentage from 0 "
        "to 100, e.g. 30, got a string",
        f"{config}:4:57: settings.max_change_percent.default: -1 is out of range; it must be "
        "a percentage from 0 to 100 (100 turns the check off)",
    ]


def test_bad_protect_and_minimum_are_reported_where_they_are(write_config, espform):
    config = write_config(HEAD + "settings:\n  protect: Customers\n  threshold_min_objects: 0\n")
    result = espform("validate", "-c", config)
    assert result.exit_code == 1
    assert f"{config}:3:12: settings.protect: expected a list of protect patterns" in (
        result.output
    )
    assert f"{config}:4:26: settings.threshold_min_objects: 0 is out of range" in result.output


def test_mailchimp_thresholds_name_mailchimp_kinds(write_config, espform):
    config = write_config(
        "provider: {type: mailchimp, sandbox: mc.db}\n"
        "settings:\n  max_delete_percent: {merge_field: 10}\n"
    )
    result = espform("validate", "-c", config)
    assert result.exit_code == 1
    assert (
        f"{config}:3:24: unknown kind 'merge_field' in settings.max_delete_percent; allowed "
        "keys: default, audiences, merge_fields, interest_categories, interests, tags, "
        "segments, webhooks; did you mean 'merge_fields'?"
    ) in result.output
