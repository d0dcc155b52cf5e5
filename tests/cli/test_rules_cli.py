"""Rule-driven groups through the commands, on a small sandbox account: what plan shows
in each format, saved plans, --target, drift, renames, and groups without a rule."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli.progress import MembershipMeter
from reconciler.engine.membership import MemberRef, MembershipChange
from reconciler.model import Address
from reconciler.providers.base import MembershipOutcome
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

CONFIG = """\
provider: {type: mailerlite, sandbox: sb.db}
fields:
  tier: {type: text}
groups:
  Partners: {}
  Gold:
    rule: {field: tier, equals: gold}
  Active:
    rule: {status: active}
"""


def api(db: Path) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app("mailerlite", db)),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer test"},
    )


def members(client: httpx.Client, group: str) -> set[str]:
    groups = {g["name"]: g["id"] for g in client.get("/api/groups").json()["data"]}
    found: set[str] = set()
    for status in ("active", "unsubscribed", "unconfirmed", "bounced", "junk"):
        body = client.get(
            f"/api/groups/{groups[group]}/subscribers",
            params={"limit": 1000, "filter[status]": status},
        ).json()
        found |= {item["email"] for item in body["data"]}
    return found


def seed(client: httpx.Client, count: int, *, start: int = 1, **spec: Any) -> None:
    generate = {"count": count, "start": start, "email": "p{n}@example.test", **spec}
    assert client.post("/_sandbox/subscribers", json={"generate": generate}).status_code == 201


@pytest.fixture
def account(tmp_path: Path, write_config, espform) -> Path:
    """The config applied (fields and groups exist), then 12 subscribers: p1..p8 active
    with tiers cycling gold, silver, bronze, gold..., p9..p12 unsubscribed gold."""
    config = write_config(CONFIG)
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    with api(tmp_path / "sb.db") as client:
        seed(client, 8, fields={"tier": ["bronze", "gold", "silver"]})
        seed(client, 4, start=9, status="unsubscribed", fields={"tier": "gold"})
    return config


def test_plan_shows_counts_then_examples_and_json_lists_every_member(account, espform):
    text = espform("plan", "-c", account, "--detailed-exitcode")
    assert text.exit_code == 2, text.output
    # Gold: p1, p4, p7 (active) and p9..p12 (unsubscribed, but the rule names no status).
    assert '# mailerlite.group["Gold"] members: +7 -0 (of 0 now)' in text.output
    assert "+ p10@example.test, p11@example.test, p12@example.test, … and 4 more" in text.output
    assert '# mailerlite.group["Active"] members: +8 -0 (of 0 now)' in text.output
    assert "Partners" not in text.output.split("Members of rule-driven groups:")[1]
    assert "Membership: +15 -0 in 2 groups." in text.output

    document = json.loads(espform("plan", "-c", account, "--format", "json").stdout)
    gold = next(m for m in document["membership"] if m["address"].endswith('["Gold"]'))
    assert {ref["email"] for ref in gold["add"]} == {
        f"p{n}@example.test" for n in (1, 4, 7, 9, 10, 11, 12)
    }
    assert all(ref["id"].isdigit() for ref in gold["add"]) and gold["remove"] == []
    assert document["membership_summary"] == {"add": 15, "remove": 0, "targets": 2}

    markdown = espform("plan", "-c", account, "--format", "markdown").stdout
    assert "#### Membership (2)" in markdown
    assert "| <code>mailerlite.group[&quot;Gold&quot;]</code> | 7 | 0 | 0 |" in markdown
    assert "p10@example.test" in markdown and "p9@example.test" not in markdown


def test_apply_makes_membership_true_and_leaves_groups_without_a_rule_alone(
    account, espform, tmp_path
):
    with api(tmp_path / "sb.db") as client:
        ids = {s["email"]: s["id"] for s in client.get("/api/subscribers").json()["data"]}
        partners = client.get("/api/groups").json()["data"]
        partners_id = next(g["id"] for g in partners if g["name"] == "Partners")
        client.post(f"/api/subscribers/{ids['p2@example.test']}/groups/{partners_id}")

    applied = espform("apply", "-c", account, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert 'mailerlite.group["Gold"]: members +7 -0' in applied.stdout
    assert "Apply complete! 0 created" in applied.stdout
    # Not a terminal: no progress line.
    assert "Membership: 0" not in applied.output and "\r" not in applied.output
    with api(tmp_path / "sb.db") as client:
        assert members(client, "Gold") == {f"p{n}@example.test" for n in (1, 4, 7, 9, 10, 11, 12)}
        assert members(client, "Active") == {f"p{n}@example.test" for n in range(1, 9)}
        assert members(client, "Partners") == {"p2@example.test"}

        # A gold partner unsubscribes: out of Active, still in Gold.
        client.put(f"/api/subscribers/{ids['p1@example.test']}", json={"status": "unsubscribed"})
    again = espform("plan", "-c", account)
    assert '# mailerlite.group["Active"] members: +0 -1 (of 8 now)' in again.output
    assert "- p1@example.test" in again.output
    assert 'group["Gold"] members' not in again.output


def test_a_saved_plan_is_refused_when_the_members_to_change_differ(account, espform, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert espform("plan", "-c", account, "--out", plan_file).exit_code == 0
    with api(tmp_path / "sb.db") as client:
        seed(client, 1, start=50, fields={"tier": "gold"})
    stale = espform("apply", plan_file, "-c", account)
    assert stale.exit_code == 1
    assert 'mailerlite.group["Gold"]: members would now change by +8 -0, the plan has +7 -0' in (
        stale.output
    )
    assert 'mailerlite.group["Active"]: members would now change by +9 -0, the plan has +8 -0' in (
        stale.output
    )
    with api(tmp_path / "sb.db") as client:
        assert members(client, "Gold") == set()  # nothing was changed

    assert espform("plan", "-c", account, "--out", plan_file).exit_code == 0
    applied = espform("apply", plan_file, "-c", account, "--verbose")
    assert applied.exit_code == 0, applied.output
    assert "Membership: +17 -0 in 2 groups." in applied.stdout
    assert "API requests: 10 (read: 4 requests; scan of the account: 5 requests" in applied.stderr
    assert "membership: 1 request" in applied.stderr


def test_target_narrows_membership_to_the_targeted_group(account, espform):
    planned = espform("plan", "-c", account, "--target", 'mailerlite.group["Gold"]')
    assert 'group["Gold"] members: +7 -0' in planned.output
    assert 'group["Active"]' not in planned.output
    assert "Membership: +7 -0 in 1 group." in planned.output


def test_drift_reports_members_that_differ_from_the_rules(account, espform):
    drift = espform("drift", "-c", account, "--verbose")
    assert drift.exit_code == 2, drift.output
    assert "Membership: members differ from the rules" in drift.stdout
    assert "Drift: 0 changed, 0 missing, 0 unexpected. Membership: +15 -0 in 2 groups." in (
        drift.stdout
    )
    assert "scan of the account: 5 requests (5 pages, 12 subscribers)" in drift.stderr
    report = json.loads(espform("drift", "-c", account, "--format", "json").stdout)
    assert report["drifted"] is True
    assert report["membership_summary"] == {"add": 15, "remove": 0, "targets": 2}


def test_renaming_a_rule_driven_group_keeps_its_members(account, espform, write_config, tmp_path):
    assert espform("apply", "-c", account, "--auto-approve").exit_code == 0
    write_config(CONFIG.replace("  Gold:\n", "  Gold Partners:\n    renamed_from: Gold\n"))
    planned = espform("plan", "-c", account)
    assert 'mailerlite.group["Gold Partners"] will be renamed from "Gold"' in planned.output
    assert "Membership" not in planned.output  # the members are right under the old name
    with api(tmp_path / "sb.db") as client:
        seed(client, 1, start=60, fields={"tier": "gold"})
    applied = espform("apply", "-c", account, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert 'mailerlite.group["Gold Partners"]: members +1 -0' in applied.stdout
    with api(tmp_path / "sb.db") as client:
        assert "p60@example.test" in members(client, "Gold Partners")
        assert len(members(client, "Gold Partners")) == 8


def test_no_rule_no_scan(tmp_path, write_config, espform):
    config = write_config("provider: {type: mailerlite, sandbox: sb.db}\ngroups:\n  A: {}\n")
    result = espform("plan", "-c", config, "--verbose")
    assert result.exit_code == 0
    # Fields, groups, segments and webhooks: one list each.
    assert result.stderr.strip() == "API requests: 4 (read: 4 requests)"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_apply_counts_members_done_out_of_the_total():
    refs = [MemberRef(str(n), f"m{n}@example.test") for n in range(150)]
    gold = MembershipChange(Address.of("mailerlite", "group", "Gold"), refs[:100], [], 0)
    vip = MembershipChange(Address.of("mailerlite", "group", "VIP"), [], refs[100:], 50)
    screen = Terminal()
    meter = MembershipMeter(150, screen)
    meter(MembershipOutcome(gold, 50, 0))
    meter(MembershipOutcome(vip, 0, 49, "1 of 50 member changes failed", failed=1))
    meter(MembershipOutcome(gold, 100, 0))
    meter.finish()
    assert screen.getvalue() == (
        "\rMembership: 50 / 150 members"
        "\rMembership: 100 / 150 members"
        "\rMembership: 150 / 150 members\n"
    )
    piped = io.StringIO()
    quiet = MembershipMeter(150, piped)
    quiet(MembershipOutcome(gold, 100, 0))
    quiet.finish()
    assert piped.getvalue() == ""
