"""Rule-driven MailerLite groups end to end, on 100,000 sandbox subscribers.

Five rule-driven groups; subscribers seeded through the sandbox admin API with varied
statuses, text, numbers and dates, most already in the right groups and some not. The
expected membership comes from an evaluation of the rules written here in plain Python,
independently of `reconciler.rules`. Requests are counted by the sandbox itself.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.model import Address
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

CONFIG = """\
provider: {type: mailerlite, sandbox: sb.db}
fields:
  tier: {type: text}
  region: {type: text}
  total_sales: {type: number}
  joined: {type: date}
groups:
  Active Partners:
    rule: {status: active}
  Gold Partners:
    rule: {all: [{in_group: Active Partners}, {field: tier, equals: gold}]}
  Big Sellers:
    rule: {field: total_sales, gte: 5000}
  EMEA, APAC or unknown:
    rule: {any: [{field: region, in: [emea, apac]}, {field: region, is_empty: true}]}
  Joined 2024:
    rule: {all: [{field: joined, between: [2024-01-01, 2024-12-31]}, {not: {status: junk}}]}
"""
SUBSCRIBERS = 100_000
#: One `generate` call each: 99 seeded in the right groups, 8 small ones not.
PROFILES, PER_PROFILE = 99, 1000
WRONG_PROFILES, PER_WRONG_PROFILE = 8, 125
STATUSES = ("active", "unsubscribed", "unconfirmed", "bounced", "junk")

# --- The rules, evaluated independently -------------------------------------------------

_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})( \d{2}:\d{2}:\d{2})?")


def _text(value: Any) -> str | None:
    return value.strip().casefold() or None if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _day(value: Any) -> dt.date | None:
    match = _DAY.fullmatch(value.strip()) if isinstance(value, str) else None
    return dt.date.fromisoformat(match[1]) if match else None


def _big(fields: dict[str, Any]) -> bool:
    sales = _number(fields.get("total_sales"))
    return sales is not None and sales >= 5000


def _joined_2024(status: str, fields: dict[str, Any]) -> bool:
    day = _day(fields.get("joined"))
    return day is not None and dt.date(2024, 1, 1) <= day <= dt.date(2024, 12, 31)


RULES: dict[str, Callable[[str, dict[str, Any]], bool]] = {
    "Active Partners": lambda status, fields: status == "active",
    "Gold Partners": lambda status, fields: (
        status == "active" and _text(fields.get("tier")) == "gold"
    ),
    "Big Sellers": lambda status, fields: _big(fields),
    "EMEA, APAC or unknown": lambda status, fields: (
        _text(fields.get("region")) in (None, "emea", "apac")
    ),
    "Joined 2024": lambda status, fields: _joined_2024(status, fields) and status != "junk",
}


def expected_groups(status: str, fields: dict[str, Any]) -> frozenset[str]:
    return frozenset(name for name, holds in RULES.items() if holds(status, fields))


# --- The seeded account -----------------------------------------------------------------

#: Each option is a list of spellings the rules treat alike, cycled through by `generate`,
#: with how often it is picked: options that match no rule come up most, so that groups
#: hold what real ones would, a minority of the account.
TIERS = {
    ("gold",): 1,
    (" Gold ", "GOLD"): 1,
    ("silver",): 2,
    ("bronze", "Bronze"): 3,
    (None,): 1,
    ("goldish",): 1,
}
REGIONS = {
    ("emea",): 1,
    ("EMEA", " emea"): 1,
    ("apac",): 1,
    ("americas", "americas "): 9,
    (None,): 1,
    ("  ",): 1,
    ("latam",): 3,
}
SALES = {
    (0,): 3,
    (4999, 4999.99): 3,
    (5000,): 1,
    (5000.5, "5000.5"): 1,
    (120000,): 1,
    ("n/a",): 2,
    (None,): 3,
    (99,): 3,
}
JOINED = {
    ("2023-12-31",): 4,
    ("2024-01-01",): 1,
    ("2024-06-15", "2024-06-15 08:00:00"): 1,
    ("2024-12-31 23:59:59",): 1,
    ("2025-01-01",): 4,
    (None,): 4,
    ("not a date",): 1,
    ("2025-05-05 10:00:00",): 2,
}


def _pick(rng: random.Random, options: dict[tuple[Any, ...], int]) -> list[Any]:
    return list(rng.choices(list(options), weights=list(options.values()))[0])


@dataclass(frozen=True)
class Profile:
    start: int
    count: int
    status: str
    fields: dict[str, list[Any]]
    #: Seeded in the wrong state for this group (added when it should not be, or left
    #: out when it should be in): the first plan must put it right.
    wrong: str | None

    def subscribers(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(email, fields) as `generate` makes them: the n-th row takes item n % len."""
        for n in range(self.start, self.start + self.count):
            values = {key: items[n % len(items)] for key, items in self.fields.items()}
            yield f"sub{n}@example.test", {k: v for k, v in values.items() if v is not None}


def profiles() -> list[Profile]:
    rng = random.Random(20260301)
    found: list[Profile] = []
    start = 1
    for index in range(PROFILES + WRONG_PROFILES):
        status = rng.choices(STATUSES, weights=(45, 20, 15, 12, 8))[0]
        fields = {
            "tier": _pick(rng, TIERS),
            "region": _pick(rng, REGIONS),
            "total_sales": _pick(rng, SALES),
            "joined": _pick(rng, JOINED),
        }
        if index < PROFILES:
            found.append(Profile(start, PER_PROFILE, status, fields, None))
            start += PER_PROFILE
        else:  # every group once or more: the first plan adds and removes in each
            wrong = list(RULES)[index % len(RULES)]
            found.append(Profile(start, PER_WRONG_PROFILE, status, fields, wrong))
            start += PER_WRONG_PROFILE
    return found


def api(db: Path) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app("mailerlite", db)),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer test"},
        timeout=120,
    )


def seed(client: httpx.Client, group_ids: dict[str, str]) -> None:
    for profile in profiles():
        # Profiles are built so that all their subscribers belong in the same groups.
        (groups,) = {expected_groups(profile.status, f) for _e, f in profile.subscribers()}
        if profile.wrong is not None:
            groups = groups ^ {profile.wrong}
        response = client.post(
            "/_sandbox/subscribers",
            json={
                "generate": {
                    "count": profile.count,
                    "start": profile.start,
                    "email": "sub{n}@example.test",
                    "status": profile.status,
                    "fields": profile.fields,
                    "groups": sorted(group_ids[name] for name in groups),
                }
            },
        )
        assert response.json() == {"created": profile.count, "skipped": 0}


def membership_as_seeded() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Emails by group: those the rules put in each, and those seeded in each."""
    want: dict[str, set[str]] = {name: set() for name in RULES}
    seeded: dict[str, set[str]] = {name: set() for name in RULES}
    for profile in profiles():
        for email, fields in profile.subscribers():
            groups = expected_groups(profile.status, fields)
            for name in groups:
                want[name].add(email)
            for name in groups ^ ({profile.wrong} if profile.wrong else set()):
                seeded[name].add(email)
    return want, seeded


def members_by_group(client: httpx.Client, group_ids: dict[str, str]) -> dict[str, set[str]]:
    """Every member of each group, every status (the list defaults to active only)."""
    found: dict[str, set[str]] = {}
    for name, group_id in group_ids.items():
        emails: set[str] = set()
        for status in STATUSES:
            cursor = None
            while True:
                params = {"limit": 1000, "filter[status]": status}
                if cursor:
                    params["cursor"] = cursor
                body = client.get(f"/api/groups/{group_id}/subscribers", params=params).json()
                emails |= {item["email"] for item in body["data"]}
                cursor = body["meta"]["next_cursor"]
                if not cursor:
                    break
        found[name] = emails
    return found


def batched(client: httpx.Client, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sub-request answers of `POST /api/batch`, 50 at a time, all successful."""
    answers = []
    for start in range(0, len(requests), 50):
        body = client.post("/api/batch", json={"requests": requests[start : start + 50]}).json()
        assert body["failed"] == 0, body
        answers += body["responses"]
    return answers


def membership_of(document: dict[str, Any]) -> dict[str, tuple[set[str], set[str]]]:
    """{group name: (emails added, emails removed)} of a JSON plan."""
    return {
        Address.parse(item["address"]).name: (
            {ref["email"] for ref in item["add"]},
            {ref["email"] for ref in item["remove"]},
        )
        for item in document["membership"]
    }


def diff_of(
    before: dict[str, set[str]], after: dict[str, set[str]]
) -> dict[str, tuple[set[str], set[str]]]:
    changed = {}
    for name in RULES:
        added, removed = after[name] - before[name], before[name] - after[name]
        if added or removed:
            changed[name] = (added, removed)
    return changed


def requests_printed(stderr: str) -> int:
    match = re.search(r"API requests: ([\d,]+) \(", stderr)
    assert match, stderr
    return int(match[1].replace(",", ""))


def stats(client: httpx.Client) -> int:
    total: int = client.get("/_sandbox/stats").json()["total"]
    client.delete("/_sandbox/stats")
    return total


SCAN = math.ceil(SUBSCRIBERS / 1000)
#: Reading fields, groups and segments (3 lists), plus the scan's one walk per status
#: (5): each walk may end on a partial page of its own.
CONSTANT = 3 + 5


def test_rule_driven_groups_on_100k_subscribers(tmp_path: Path, espform, write_config):
    config = write_config(CONFIG)
    created = espform("apply", "-c", config, "--auto-approve")
    assert created.exit_code == 0, created.output
    db = tmp_path / "sb.db"
    with api(db) as client:
        group_ids = {g["name"]: g["id"] for g in client.get("/api/groups").json()["data"]}
        assert set(group_ids) == set(RULES)
        seed(client, group_ids)
        assert client.get("/api/subscribers", params={"limit": 0}).json() == {"total": SUBSCRIBERS}
        want, seeded_in = membership_as_seeded()
        stats(client)

        # The first plan corrects exactly the subscribers seeded in the wrong state.
        first = espform("plan", "-c", config, "--format", "json", "--verbose")
        assert first.exit_code == 0, first.output
        document = json.loads(first.stdout)
        assert document["changes"] == []
        first_diff = diff_of(seeded_in, want)
        assert membership_of(document) == first_diff
        assert (
            sum(len(a) + len(r) for a, r in first_diff.values())
            == WRONG_PROFILES * PER_WRONG_PROFILE
        )
        assert requests_printed(first.stderr) == stats(client) <= SCAN + CONSTANT
        # 100 full pages, plus the partial last page of each status that has subscribers.
        scan = re.search(
            r"scan of the account: (\d+) requests \((\d+) pages, 100,000 sub", first.stderr
        )
        assert scan is not None, first.stderr
        assert int(scan.group(1)) == int(scan.group(2)) <= SCAN + 5

        applied = espform("apply", "-c", config, "--auto-approve", "--verbose")
        assert applied.exit_code == 0, applied.output
        added = sum(len(a) for a, _ in first_diff.values())
        removed = sum(len(r) for _, r in first_diff.values())
        assert (
            f"Apply complete! 0 created, 0 updated, 0 renamed, 0 replaced, 0 deleted. "
            f"Membership: +{added:,} -{removed:,} in {len(first_diff)} groups."
        ) in applied.stdout
        used = stats(client)
        assert requests_printed(applied.stderr) == used
        assert used <= SCAN + math.ceil(WRONG_PROFILES * PER_WRONG_PROFILE / 50) + CONSTANT

        again = espform("plan", "-c", config, "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "No changes." in again.output

        # What the API now lists is what the rules say, for every subscriber.
        assert members_by_group(client, group_ids) == want

        # Change 1% of the subscribers through the API, as an integration would.
        picked = [f"sub{n}@example.test" for n in range(7, SUBSCRIBERS + 1, 100)]
        found = batched(client, [{"method": "GET", "path": f"api/subscribers/{e}"} for e in picked])
        ids = {answer["body"]["data"]["email"]: answer["body"]["data"]["id"] for answer in found}
        edits = [
            {"fields": {"tier": "silver"}},
            {"fields": {"tier": " gold"}},
            {"fields": {"total_sales": 7500}},
            {"fields": {"total_sales": 10}},
            {"fields": {"region": None}},
            {"fields": {"region": "americas"}},
            {"fields": {"joined": "2024-03-03"}},
            {"fields": {"joined": "2022-01-01"}},
            {"status": "unsubscribed"},
            {"status": "junk", "fields": {"tier": "gold"}},
        ]
        answers = batched(
            client,
            [
                {"method": "PUT", "path": f"api/subscribers/{ids[email]}", "body": edits[i % 10]}
                for i, email in enumerate(picked)
            ],
        )
        after = {name: set(emails) for name, emails in want.items()}
        for answer in answers:
            data = answer["body"]["data"]
            groups = expected_groups(data["status"], data["fields"])
            for name in RULES:
                (after[name].add if name in groups else after[name].discard)(data["email"])
        expected = diff_of(want, after)
        assert len(expected) == len(RULES)  # every group gains or loses someone
        stats(client)

        changed = espform("plan", "-c", config, "--format", "json", "--verbose")
        assert changed.exit_code == 0, changed.output
        document = json.loads(changed.stdout)
        assert document["changes"] == [] and document["unmanaged"] == []
        assert membership_of(document) == expected
        by_email = {
            ref["email"]: ref["id"] for item in document["membership"] for ref in item["add"]
        }
        assert all(by_email[email] == ids[email] for email in by_email)
        assert requests_printed(changed.stderr) == stats(client) <= SCAN + CONSTANT
