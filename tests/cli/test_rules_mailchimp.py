"""Rules on Mailchimp, end to end on the sandbox: saved segments written as rules.

Contacts are seeded through the sandbox's admin API; what each segment holds is then
compared with the rule's own evaluation (`reconciler.rules.evaluate`) over the
contacts read back through the API, with a catalog written here, not the config's.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import httpx

from reconciler.rules import Catalog, FieldSpec, Rule, SubscriberView, evaluate, parse
from reconciler.rules.status import Status, from_provider
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

KEY = "0123456789abcdef0123456789abcdef-us6"
HEAD = """\
provider: {type: mailchimp, sandbox: mc.db}
audiences:
  Pets:
    contact: {company: Pet Manager Inc., address1: 12 Harbor Road, city: Portland, country: US}
    permission_reminder: You are a customer of a Pet Manager clinic.
    campaign_defaults:
      {from_name: Pet Manager, from_email: care@petmanager.example, subject: "", language: en}
    email_type_option: false
    merge_fields:
      TIER: {name: Tier, type: text}
      PLAN: {name: Plan, type: dropdown, options: {choices: [Gold, Silver, Bronze]}}
      VISITS: {name: Visits, type: number}
      JOINED: {name: Joined, type: date}
    tags:
      VIP: {}
      Dog owner: {}
"""
#: The same fields as the config declares (and the defaults), for the rules' evaluation.
CATALOG = Catalog(
    fields={
        "TIER": FieldSpec("text"),
        "PLAN": FieldSpec("dropdown", ("Gold", "Silver", "Bronze")),
        "VISITS": FieldSpec("number"),
        "JOINED": FieldSpec("date"),
        "FNAME": FieldSpec("text"),
        "BIRTHDAY": FieldSpec("birthday"),
        "ADDRESS": FieldSpec("address"),
    },
    provider="mailchimp",
    tags=frozenset({"VIP", "Dog owner"}),
)
SEGMENTS: dict[str, dict[str, Any]] = {
    "Gold regulars": {
        "all": [
            {"status": "active"},
            {"field": "TIER", "equals": "gold"},
            {"field": "VISITS", "gt": 2},
        ]
    },
    "Gold or silver plan": {"field": "PLAN", "in": ["gold", "silver"]},
    "Frequent": {"field": "VISITS", "gte": 3},
    "Winter joiners": {"field": "JOINED", "between": ["2024-01-01", "2024-02-29"]},
    "Dog owners, not VIP": {"all": [{"has_tag": "Dog owner"}, {"not": {"has_tag": "vip"}}]},
    "Example or no tier": {
        "any": [
            {"field": "email", "ends_with": "@example.com"},
            {"field": "TIER", "is_empty": True},
        ]
    },
    "Portland": {"field": "ADDRESS", "contains": "portland"},
    "Mid-July birthdays": {"field": "BIRTHDAY", "in": ["07/14", "07/15"]},
    "Neither gold": {
        "not": {"any": [{"field": "TIER", "contains": "gold"}, {"field": "PLAN", "equals": "Gold"}]}
    },
    "Active, few visits": {
        "all": [{"status": "subscribed"}, {"field": "VISITS", "not_in": [0, 1]}]
    },
}


def segments_yaml(segments: dict[str, dict[str, Any]]) -> str:
    # JSON is YAML's flow style: each rule is written as its data.
    lines = ["    segments:"]
    for name, rule in segments.items():
        lines += [f"      {name}:", f"        rule: {json.dumps(rule)}"]
    return "\n".join(lines) + "\n"


def api(db: Path, *, admin: bool = False) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app("mailchimp", db)),
        base_url="http://sandbox.invalid" + ("" if admin else "/3.0"),
        auth=("any", KEY),
    )


STATUSES = ["subscribed", "unsubscribed", "pending", "cleaned", "transactional", "subscribed"]
TIERS = ["gold", "Gold", "GOLD", "golden", "silver", "", "Gold Star"]
PLANS = ["Gold", "Silver", "Bronze", ""]
VISITS = [0, 1, 2, 2.5, 3, 4, ""]
DAYS = ["2023-12-31", "2024-01-01", "2024-02-29", "2024-03-01", ""]
BIRTHDAYS = ["07/14", "07/15", "07/16", ""]
ADDRESSES = [
    {"addr1": "1 Main St", "city": "Portland", "state": "OR", "zip": "97201"},
    {"addr1": "9 Portland Ave", "city": "Salem", "state": "OR", "zip": "97301"},
    {"addr1": "5 Oak Rd", "city": "Seattle", "state": "WA", "zip": "98101"},
    "",
]
TAGS = [["VIP"], ["Dog owner"], ["VIP", "Dog owner"], [], ["Dog owner"]]


def contacts(count: int) -> list[dict[str, Any]]:
    """Varied contacts, the same on every run."""
    draw = random.Random(20240601)
    made = []
    for i in range(count):
        values = {
            "TIER": draw.choice(TIERS),
            "PLAN": draw.choice(PLANS),
            "VISITS": draw.choice(VISITS),
            "JOINED": draw.choice(DAYS),
            "BIRTHDAY": draw.choice(BIRTHDAYS),
            "ADDRESS": draw.choice(ADDRESSES),
        }
        domain = draw.choice(["example.com", "Mail.Example.org"])
        made.append(
            {
                "email_address": f"Owner{i}@{domain}",
                "status": draw.choice(STATUSES),
                "merge_fields": {k: v for k, v in values.items() if v != ""},
                "tags": draw.choice(TAGS),
            }
        )
    return made


def seed(db: Path, members: list[dict[str, Any]]) -> str:
    with api(db) as client:
        (audience,) = client.get("/lists").json()["lists"]
    with api(db, admin=True) as admin:
        answer = admin.post(
            "/_sandbox/seed/members", json={"list_id": audience["id"], "members": members}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["created"] == len(members)
    return str(audience["id"])


def read_back(db: Path, list_id: str) -> list[SubscriberView]:
    """Every contact as the API lists it, in the shape rules read."""
    people: list[SubscriberView] = []
    with api(db) as client:
        total, offset = 1, 0
        while offset < total:
            body = client.get(
                f"/lists/{list_id}/members", params={"count": 1000, "offset": offset}
            ).json()
            total, offset = body["total_items"], offset + 1000
            people += [
                SubscriberView(
                    email=m["email_address"],
                    status=from_provider("mailchimp", m["status"]),
                    fields=m["merge_fields"],
                    # Fewer than 50 tags each here, so the member object lists them all.
                    tags=frozenset(t["name"] for t in m["tags"]),
                )
                for m in body["members"]
            ]
    return people


def rule_of(data: object) -> Rule:
    rule, issues = parse(data)
    assert rule is not None and not issues
    return rule


NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def test_segment_rules_become_saved_segments_holding_exactly_the_rules_contacts(
    write_config, espform, tmp_path
):
    config = write_config(HEAD + segments_yaml(SEGMENTS))
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    db = tmp_path / "mc.db"
    list_id = seed(db, contacts(84))
    people = read_back(db, list_id)
    assert len(people) == 84

    with api(db) as client:
        saved = client.get(f"/lists/{list_id}/segments", params={"count": 1000}).json()
        by_name = {s["name"]: s for s in saved["segments"] if s["type"] == "saved"}
        assert set(by_name) == set(SEGMENTS)
        for name, data in SEGMENTS.items():
            rule = rule_of(data)
            matches = {p.email for p in people if evaluate(rule, p, NOW, CATALOG)}
            subscribed = {p.email for p in people if p.status is Status.ACTIVE}
            # Mailchimp counts a segment's subscribed contacts.
            assert by_name[name]["member_count"] == len(matches & subscribed), name
            assert 0 < len(matches & subscribed) < len(subscribed), f"{name} tests nothing"
            if "status" in json.dumps(data):
                continue
            # Without a status in the rule, the conditions hold for every status alike:
            # asked to include the others, the segment lists the rule's contacts there too.
            listed = client.get(
                f"/lists/{list_id}/segments/{by_name[name]['id']}/members",
                params={
                    "count": 1000,
                    "include_unsubscribed": "true",
                    "include_cleaned": "true",
                    "include_transactional": "true",
                },
            ).json()["members"]
            shown = {p.email for p in people if p.status is not Status.UNCONFIRMED}
            assert {m["email_address"] for m in listed} == matches & shown, name

    # Read back, the native conditions compare equal to the compiled ones.
    again = espform("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_a_segment_rule_without_an_exact_native_form_is_refused_by_validate(write_config, espform):
    segments = {
        "Frequent VIPs": {"all": [{"has_tag": "VIP"}, {"field": "VISITS", "gte": 3}]},
        "Partners": {"in_group": "Partners"},
        "Lapsed": {"field": "JOINED", "within_days": 30},
    }
    config = write_config(HEAD + segments_yaml(segments))
    result = espform("validate", "-c", config)
    assert result.exit_code == 1
    lines = config.read_text().splitlines()

    def at(fragment: str) -> str:
        line = next(n for n, text in enumerate(lines, 1) if fragment in text)
        return f"{config}:{line}:{lines[line - 1].index(fragment) + 1}"

    frequent = at('{"field": "VISITS", "gte"')
    partners = at('{"in_group"')
    lapsed = at('{"field": "JOINED", "within_days"')
    assert (
        f"{frequent}: segment 'Frequent VIPs': {{field: VISITS, gte: 3}} has no exact "
        "Mailchimp segment condition: it becomes 2 conditions matched with any, which "
        "inside all: would need nested groups"
    ) in result.output
    assert "declare the rule on a tag instead (tags: {NAME: {rule: ...}})" in result.output
    assert (
        f"{partners}: in_group: 'Partners': Mailchimp has no groups; to test a tag, write "
        "{has_tag: Partners}"
    ) in result.output
    assert (
        f"{lapsed}: segment 'Lapsed': {{field: JOINED, within_days: 30}} has no exact "
        "Mailchimp segment condition: it depends on the day it is evaluated"
    ) in result.output
    assert "3 problems" in result.output


TAG_RULES: dict[str, dict[str, Any]] = {
    "Gold": {"all": [{"status": "active"}, {"field": "PLAN", "equals": "gold"}]},
    "Frequent": {"field": "VISITS", "gte": 3},
    "Gold and frequent": {"all": [{"has_tag": "Gold"}, {"has_tag": "Frequent"}]},
    "Known": {"field": "email", "contains": "@"},
}


def tags_yaml(rules: dict[str, dict[str, Any]]) -> str:
    lines = ["    tags:", "      VIP: {}", "      Dog owner: {}"]
    for name, rule in rules.items():
        lines += [f"      {name}:", f"        rule: {json.dumps(rule)}"]
    return "\n".join(lines) + "\n"


def members_by_tag(people: list[SubscriberView]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for person in people:
        for tag in person.tags:
            found.setdefault(tag, set()).add(person.email)
    return found


def test_rule_driven_tags_plan_apply_and_then_hold_exactly_the_rules_contacts(
    write_config, espform, tmp_path
):
    head = HEAD.split("    tags:\n")[0]
    settings = "settings: {max_membership_change_percent: 1000}\n"
    config = write_config(
        head.replace("audiences:\n", settings + "audiences:\n") + tags_yaml(TAG_RULES)
    )
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    db = tmp_path / "mc.db"
    seeded = contacts(1200)
    for i, member in enumerate(seeded):  # some hold a rule-driven tag they should not
        if i % 7 == 0:
            member["tags"] = [*member["tags"], "Gold"]
    list_id = seed(db, seeded)

    planned = espform("plan", "-c", config, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert 'tag["Known"] members: +1,200 -0' in planned.output
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = espform("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    views = read_back(db, list_id)
    held = members_by_tag(views)
    everyone = {m["email_address"] for m in seeded}
    assert {v.email for v in views} == everyone
    expected: dict[str, set[str]] = {}
    for name in ("Gold", "Frequent", "Known"):
        rule = rule_of(TAG_RULES[name])
        expected[name] = {v.email for v in views if evaluate(rule, v, NOW, CATALOG)}
    both = rule_of(TAG_RULES["Gold and frequent"])
    expected["Gold and frequent"] = {
        v.email
        for v in views
        if evaluate(
            both,
            SubscriberView(
                v.email,
                v.status,
                v.fields,
                tags={t for t in ("Gold", "Frequent") if v.email in expected[t]},
            ),
            NOW,
            CATALOG,
        )
    }
    for name, emails in expected.items():
        assert held.get(name, set()) == emails, name
        assert len(emails) > 0, name
    assert expected["Known"] == everyone


def test_renaming_an_audience_and_changing_a_tag_rule_in_one_plan(write_config, espform, tmp_path):
    head = HEAD.split("    tags:\n")[0]
    before = {"Frequent": {"field": "VISITS", "gte": 3}}
    after = {"Frequent": {"field": "VISITS", "gte": 2}}
    settings = "settings: {max_membership_change_percent: 1000}\naudiences:\n"
    config = write_config(head.replace("audiences:\n", settings) + tags_yaml(before))
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    db = tmp_path / "mc.db"
    list_id = seed(db, contacts(300))
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    renamed = head.replace("  Pets:\n", "  Pet Owners:\n    renamed_from: [Pets]\n")
    write_config(renamed.replace("audiences:\n", settings) + tags_yaml(after))

    planned = espform("plan", "-c", config, "--detailed-exitcode", "--format", "json")
    assert planned.exit_code == 2, planned.output
    document = json.loads(planned.output)
    assert [(c["address"], c["action"]) for c in document["changes"]] == [
        ('mailchimp.audience["Pet Owners"]', "rename")
    ]
    views = read_back(db, list_id)
    was, now = rule_of(before["Frequent"]), rule_of(after["Frequent"])
    gained = {v.email for v in views if evaluate(now, v, NOW, CATALOG)} - {
        v.email for v in views if evaluate(was, v, NOW, CATALOG)
    }
    assert gained, "the seeded contacts must include some with 2 to 3 visits"
    (membership,) = document["membership"]
    assert membership["address"] == 'mailchimp.audience["Pet Owners"].tag["Frequent"]'
    assert {ref["email"] for ref in membership["add"]} == gained
    assert membership["remove"] == []

    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = espform("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # one apply made it all true
    held = members_by_tag(read_back(db, list_id)).get("Frequent", set())
    assert held == {v.email for v in views if evaluate(now, v, NOW, CATALOG)}
