"""`integrations:` on the partner-program example: what it depends on is guarded."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler.model import Address
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

EXAMPLE = Path(__file__).parents[2] / "examples" / "partner-program-mailerlite"
PETS = Path(__file__).parents[2] / "examples" / "petmanager-mailchimp"
MC_KEY = "0123456789abcdef0123456789abcdef-us6"


def _applied(tmp_path: Path, espform, example: Path = EXAMPLE) -> Path:
    folder = tmp_path / example.name
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns(".espform"))
    config = folder / "espform.yaml"
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return config


def _account(flavor: str, db: Path) -> httpx.Client:
    """The example's sandbox, to change by hand as a user in the ESP's app would."""
    return httpx.Client(
        transport=SandboxTransport(open_app(flavor, db)),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer any-token"},
        auth=("any", MC_KEY) if flavor == "mailchimp" else None,
    )


def _edit(config: Path, old: str, new: str, count: int = 1) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, count))


def test_replacing_a_field_the_integration_writes_is_refused_unless_forced(tmp_path, espform):
    config = _applied(tmp_path, espform)
    _edit(config, "partner_key: {type: text", "partner_key: {type: number")

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'mailerlite.field["partner_key"] would be replaced' in refused.output
    assert 'integration "partner program" depends on it' in refused.output
    assert re.search(r"declared at \S*espform\.yaml:\d+:\d+", refused.output)
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 1 and "refuses this plan" in applied.output

    forced = espform("plan", "-c", config, "--force", "--detailed-exitcode")
    assert forced.exit_code == 2, forced.output


def test_renaming_a_depended_group_is_refused(tmp_path, espform):
    config = _applied(tmp_path, espform)
    _edit(config, "  Partners: {}", "  Partner accounts: {renamed_from: [Partners]}")
    _edit(config, "    groups: [Partners]", "    groups: [Partner accounts]")
    _edit(config, "{in_group: Partners}", "{in_group: Partner accounts}", -1)

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'would be renamed to "Partner accounts"' in refused.output
    assert "partner program" in refused.output


def test_pruning_a_group_it_uses_is_refused_unless_forced(tmp_path, espform):
    config = _applied(tmp_path, espform)
    _edit(config, "  Partners: {}", "  Partners: {}\n  Referred Customers: {}")
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    # No longer declared, pruned, but still named by the integration.
    _edit(config, "\n  Referred Customers: {}", "")
    _edit(
        config,
        "  max_membership_change_percent: 30",
        "  prune: {groups: true}\n  max_membership_change_percent: 30",
    )
    _edit(config, "    groups: [Partners]", "    groups: [Partners, Referred Customers]")

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'mailerlite.group["Referred Customers"] would be deleted' in refused.output
    assert 'integration "partner program" depends on it' in refused.output
    forced = espform("apply", "-c", config, "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert espform("plan", "-c", config, "--detailed-exitcode").exit_code == 0


def test_a_misspelt_name_is_an_error_at_its_place(tmp_path, espform):
    folder = tmp_path / EXAMPLE.name
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".espform"))
    config = folder / "espform.yaml"
    _edit(config, "fields: [partner_key, status", "fields: [partner_kee, status")

    result = espform("validate", "-c", config)
    assert result.exit_code == 1
    assert re.search(
        r"espform\.yaml:\d+:\d+: integration \"partner program\" uses field", result.output
    )
    assert "did you mean 'partner_key'?" in result.output


def test_drift_reports_a_group_deleted_by_hand_as_breaking_first(tmp_path, espform):
    config = _applied(tmp_path, espform)
    _delete_by_hand(config, 'mailerlite.group["Partners"]')

    text = espform("drift", "-c", config)
    assert text.exit_code == 2, text.output
    assert "Breaking: an integration or automation depends on these:" in text.output
    assert (
        'mailerlite.group["Partners"]: missing from the account; breaks integration '
        '"partner program"' in text.output
    )
    assert text.output.index("Breaking:") < text.output.index("Missing:")

    report = tmp_path / "drift.md"
    markdown = espform("drift", "-c", config, "--report", report)
    assert markdown.exit_code == 2
    body = report.read_text()
    assert body.index("Breaking:") < body.index("Missing")
    assert "[!CAUTION]" in body

    as_json = espform("drift", "-c", config, "--format", "json")
    (breaking,) = json.loads(as_json.output)["breaking"]
    assert breaking["address"] == 'mailerlite.group["Partners"]'
    assert breaking["depended_on_by"] == [{"kind": "integration", "name": "partner program"}]


def test_renaming_the_audience_the_crm_syncs_to_is_refused(tmp_path, espform):
    config = _applied(tmp_path, espform, PETS)
    _edit(
        config,
        "  Pet Manager Customers:\n",
        "  Pet Manager Clients:\n    renamed_from: [Pet Manager Customers]\n",
    )
    _edit(config, "audience: Pet Manager Customers", "audience: Pet Manager Clients")

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert 'would be renamed to "Pet Manager Clients"' in refused.output
    assert 'integration "pet manager" depends on it' in refused.output


def test_a_misspelt_merge_tag_is_an_error_at_its_place(tmp_path, espform):
    folder = tmp_path / PETS.name
    shutil.copytree(PETS, folder, ignore=shutil.ignore_patterns(".espform"))
    config = folder / "espform.yaml"
    _edit(config, "merge_fields: [CTYPE]", "merge_fields: [CTYP]")

    result = espform("validate", "-c", config)
    assert result.exit_code == 1
    assert "did you mean 'CTYPE'?" in result.output


#: Per example: the group (MailerLite) or merge field (Mailchimp) an integration needs,
#: as deleted by hand in the app, and the integration that breaks.
BREAKS = {
    "booking-mailerlite": ('mailerlite.group["Booking customers"]', "booking system"),
    "donations-mailerlite": ('mailerlite.group["Monthly donors"]', "donation platform"),
    "partner-program-mailerlite": ('mailerlite.group["Partners"]', "partner program"),
    "petmanager-mailchimp": (
        'mailchimp.audience["Pet Manager Customers"].merge_field["CTYPE"]',
        "pet manager",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_example_reports_a_hand_deleted_dependency_as_breaking(name, tmp_path, espform):
    example = EXAMPLE.parent / name
    config = _applied(tmp_path, espform, example)
    address, integration = BREAKS[name]
    _delete_by_hand(config, address)

    drift = espform("drift", "-c", config)
    assert drift.exit_code == 2, drift.output
    assert f'{address}: missing from the account; breaks integration "{integration}"' in (
        drift.output
    )
    assert drift.output.index("Breaking:") < drift.output.index("Missing:")


@dataclass(frozen=True)
class Prune:
    """How to take out of an example's config an object its integration depends on, so
    that the plan deletes it: the blocks to drop and the edits (pruning its kind, mostly)."""

    address: str
    integration: str
    drop: tuple[str, ...]
    edits: tuple[tuple[str, str], ...] = ()


#: Per example, an object its integration depends on, left out of the config together
#: with what else needs it (a rule); never one whose name is close to a name still
#: declared, since the integration's use of it would then be refused as a typo.
PRUNES = {
    "booking-mailerlite": Prune(
        'mailerlite.group["Booking customers"]',
        "booking system",
        drop=("groups:",),  # its rule-driven group goes with it
        edits=(("\nfields:", "\nsettings:\n  prune: {groups: true}\n\nfields:"),),
    ),
    "donations-mailerlite": Prune(
        'mailerlite.field["donor_type"]',
        "donation platform",
        drop=("  donor_type:",),
        edits=(
            ('  ignore: ["Campaign: *"]', '  ignore: ["Campaign: *"]\n  prune: {fields: true}'),
        ),
    ),
    "partner-program-mailerlite": Prune(
        'mailerlite.field["total_sales"]',
        "partner program",
        drop=("  total_sales:", "  Top Sellers:"),
        edits=(("  max_membership_", "  prune: {fields: true}\n  max_membership_"),),
    ),
    "petmanager-mailchimp": Prune(
        # Merge fields are pruned already; its tags become plain tags, without rules.
        'mailchimp.audience["Pet Manager Customers"].merge_field["CTYPE"]',
        "pet manager",
        drop=(
            "      CTYPE:",
            *(
                f"        rule: {{field: CTYPE, equals: {t}}}"
                for t in ("Dog owner", "Cat owner", "Breeder")
            ),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(PRUNES))
def test_each_example_refuses_to_prune_a_dependency_unless_forced(name, tmp_path, espform):
    config = _applied(tmp_path, espform, EXAMPLE.parent / name)
    prune = PRUNES[name]
    for line in prune.drop:
        _drop_block(config, line)
    for old, new in prune.edits:
        _edit(config, old, new)

    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert f"{prune.address} would be deleted" in refused.output
    assert re.search(
        rf'integration "{prune.integration}" depends on it \(declared at '
        r"\S*espform\.yaml:\d+:\d+\)",
        refused.output,
    ), refused.output
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 1 and "refuses this plan" in applied.output

    forced = espform("apply", "-c", config, "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert f"{prune.address}: deleted" in forced.output
    again = espform("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def _drop_block(config: Path, first: str) -> None:
    """Remove the line that starts with `first` and the lines indented under it."""
    lines = config.read_text().splitlines(keepends=True)
    (start,) = [i for i, line in enumerate(lines) if line.startswith(first)]
    indent = len(first) - len(first.lstrip())
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the block belong to what follows
    config.write_text("".join(lines[:start] + lines[end:]))


def _delete_by_hand(config: Path, address: str) -> None:
    db = config.parent / ".espform" / "sandbox.db"
    name = Address.parse(address).name
    if address.startswith("mailerlite."):
        with _account("mailerlite", db) as account:
            groups = account.get("/api/groups", params={"limit": 1000}).json()["data"]
            (group,) = [g for g in groups if g["name"] == name]
            assert account.delete(f"/api/groups/{group['id']}").status_code == 204
        return
    with _account("mailchimp", db) as account:
        (audience,) = account.get("/3.0/lists").json()["lists"]
        path = f"/3.0/lists/{audience['id']}/merge-fields"
        fields = account.get(path, params={"count": 1000}).json()["merge_fields"]
        (field,) = [f for f in fields if f["tag"] == name]
        assert account.delete(f"{path}/{field['merge_id']}").status_code == 204
