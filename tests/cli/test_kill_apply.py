"""`espform apply` killed with SIGKILL at many points leaves an account that converges.

Each flavor's served sandbox (a separate process, SQLite behind it) is seeded, and an
apply of a config with structural objects and rule-driven membership is started as a
subprocess and killed at a chosen request count, seen through `/_sandbox/stats`: the
kill points are counts of requests, not moments, so the test does not depend on timing.
The kill points are spread over the request count of an apply nobody killed, measured
first on a twin of the seeded account (see `_kill_offsets`). The applies run with
--force: a killed apply leaves a group part-filled, and the rest of its members is then
more than the membership threshold allows. Every request is slowed down a little by
the sandbox's latency fault so that the kill lands at (or within a request or two of)
the chosen count.

After every kill, planning again must show only remaining work: a subset of the first
plan's changes and members, never an object twice. The next apply is killed further on;
after the last point, one apply runs to the end and the plan is empty.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import workflow
from reconciler.config import load_config
from reconciler.sandbox import population
from tests.cli.conftest import serve_sandbox

#: Per flavor, so 20 in all.
KILL_POINTS = 10
SUBSCRIBERS = 6000
LATENCY_MS = 20
MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us6"
ESPFORM = (sys.executable, "-m", "reconciler")
ENV = {"ML_TOKEN": "kill-test-token", "MC_KEY": MAILCHIMP_KEY}


def _mailerlite_config(url: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        spec.key: {"type": spec.type, "name": spec.name} for spec in population.MAILERLITE_FIELDS
    }
    fields |= {f"extra_{n}": {"type": "text"} for n in range(12)}
    groups: dict[str, Any] = {f"Plain {n}": {} for n in range(60)}
    groups |= {
        "Gold customers": {
            "rule": {"all": [{"status": "active"}, {"field": "tier", "equals": "gold"}]}
        },
        "Active partners": {
            "rule": {"all": [{"status": "active"}, {"field": "partner_key", "is_set": True}]}
        },
        "Big spenders": {"rule": {"field": "total_earned", "gte": 500}},
        # More members to move, so that the kill points have writes to fall between.
        "Silver customers": {"rule": {"field": "tier", "equals": "silver"}},
        "Bronze customers": {"rule": {"field": "tier", "equals": "bronze"}},
        "Europe": {"rule": {"field": "region", "equals": "Europe"}},
        "Subscribed": {"rule": {"status": "active"}},
    }
    # The sandbox is served without limits: pacing to MailerLite's 120 a minute would
    # only make the test wait.
    provider = {"type": "mailerlite", "token": "${env:ML_TOKEN}", "base_url": url}
    provider["requests_per_minute"] = 100_000
    return {"provider": provider, "fields": fields, "groups": groups}


def _mailchimp_config(url: str) -> dict[str, Any]:
    settings = population.AUDIENCE_SETTINGS
    merge_fields: dict[str, Any] = {
        spec.key: {"name": spec.name, "type": spec.type, "public": spec.public}
        | ({"options": {"choices": spec.options["choices"]}} if spec.type == "dropdown" else {})
        for spec in population.MAILCHIMP_MERGE_FIELDS
    }
    # Mailchimp writes objects one at a time: these give the kill points writes to fall between.
    # Merge fields and interests are created one at a time, tags up to 10 at once: most
    # writes are of the former, so that a kill stops the apply close to its point. (The
    # sandbox allows 30 merge fields per audience, as Mailchimp's plans do.)
    merge_fields |= {f"EXTRA{n}": {"name": f"Extra {n}", "type": "text"} for n in range(20)}
    tags: dict[str, Any] = {f"Plain {n}": {} for n in range(10)}
    tags |= {
        "Gold customers": {
            "rule": {"all": [{"status": "active"}, {"field": "TIER", "equals": "gold"}]}
        },
        "Frequent visitors": {"rule": {"field": "VISITS", "gt": 5}},
        "Breeders": {"rule": {"field": "CTYPE", "equals": "Breeder"}},
    }
    audience = {
        "contact": {key: value for key, value in settings["contact"].items() if value},
        "permission_reminder": settings["permission_reminder"],
        "campaign_defaults": settings["campaign_defaults"],
        "email_type_option": False,
        "double_optin": False,
        "merge_fields": merge_fields,
        "tags": tags,
        "interest_categories": {
            "Kill points": {"type": "checkboxes", "interests": [f"Point {n}" for n in range(30)]}
        },
    }
    provider = {"type": "mailchimp", "api_key": "${env:MC_KEY}", "base_url": url}
    audiences = {population.DEFAULT_AUDIENCE: audience}
    return {"provider": provider, "audiences": audiences}


def _seed(flavor: str, db: Path) -> None:
    command = [sys.executable, "-m", "reconciler", "sandbox", "seed", "--flavor", flavor]
    subprocess.run(
        [*command, "--db", str(db), "--subscribers", str(SUBSCRIBERS), "--seed", "3"],
        check=True,
        capture_output=True,
    )


class Account:
    """The served sandbox as the test sees it: request counts, faults, and the names of
    what it holds (to catch an object created twice)."""

    def __init__(self, flavor: str, url: str) -> None:
        self.flavor = flavor
        auth = ("any", MAILCHIMP_KEY) if flavor == "mailchimp" else None
        headers = {} if auth else {"Authorization": f"Bearer {ENV['ML_TOKEN']}"}
        self.client = httpx.Client(base_url=url, auth=auth, headers=headers, timeout=30)

    def requests(self) -> int:
        return int(self.client.get("/_sandbox/stats").json()["total"])

    def slow_down(self) -> None:
        self.client.delete("/_sandbox/faults")
        response = self.client.post(
            "/_sandbox/faults", json={"latency_ms": LATENCY_MS, "count": 5000}
        )
        assert response.status_code in (200, 201), response.text

    def names(self) -> list[str]:
        """Every object's name, kind first; a duplicate shows up as a repeated entry."""
        if self.flavor == "mailerlite":
            fields = self.client.get("/api/fields", params={"limit": 100}).json()["data"]
            groups = self.client.get("/api/groups", params={"limit": 1000}).json()["data"]
            return [f"field {f['key']}" for f in fields] + [f"group {g['name']}" for g in groups]
        (audience,) = self.client.get("/3.0/lists").json()["lists"]
        base = f"/3.0/lists/{audience['id']}"
        fields = self.client.get(f"{base}/merge-fields", params={"count": 1000}).json()
        segments = self.client.get(f"{base}/segments", params={"count": 1000}).json()
        return [f"merge field {f['tag']}" for f in fields["merge_fields"]] + [
            f"segment {s['name']}" for s in segments["segments"]
        ]


def _plan(config_path: Path) -> workflow.Run:
    config = load_config(config_path, ENV)
    (outcome,) = asyncio.run(workflow.plan_all([config]))
    assert isinstance(outcome, workflow.Run), outcome
    return outcome


def _work(run: workflow.Run) -> tuple[set[tuple[str, str]], dict[str, set[tuple[str, str]]]]:
    """A plan as sets: (address, action) per change, and the member emails per target
    and direction."""
    changes = {(str(c.address), c.action.value) for c in run.plan.changes}
    members: dict[str, set[tuple[str, str]]] = {}
    for change in run.plan.membership:
        members[str(change.address)] = {("add", m.email) for m in change.add} | {
            ("remove", m.email) for m in change.remove
        }
    return changes, members


def _measured_requests(flavor: str, seeded: Path, tmp_path: Path) -> int:
    """Requests an apply that nobody kills sends, counted on a twin of the seeded
    account: the kill points are spread over what an apply really does."""
    twin = tmp_path / f"twin-{seeded.name}"
    shutil.copyfile(seeded, twin)
    with serve_sandbox(twin, flavor) as url:
        account = Account(flavor, url)
        config_path = tmp_path / "twin.yaml"
        config_path.write_text(json.dumps(_config(flavor, url)))
        start = account.requests()
        result = subprocess.run(
            _apply_command(config_path), capture_output=True, text=True, env=_env()
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return account.requests() - start


def _kill_offsets(flavor: str, reads: int, total: int) -> list[int]:
    """Where each apply is killed, counted from its start (seeded, so repeatable).

    Two points fall inside the read. The others are spread at random over the writes of
    the unkilled apply, and each apply is killed after its read plus the gap to the
    next point: applies go on from where the last one stopped, so together they walk
    through the writes. Requests in flight when one is killed are still carried out,
    so each apply does a little more than its gap: the points stay in the first 60%.
    """
    rng = random.Random(f"kill-{flavor}")
    writes = total - reads
    assert writes > 5 * KILL_POINTS, (reads, total)
    inside = [rng.randint(1, reads - 1) for _ in range(2)]
    points = sorted(rng.sample(range(1, writes * 6 // 10), KILL_POINTS - 2))
    gaps = [b - a for a, b in zip([0, *points], points, strict=False)]
    return [*inside, *(-gap for gap in gaps)]


def _env() -> dict[str, str]:
    return {**os.environ, **ENV, "NO_COLOR": "1"}


def _config(flavor: str, url: str) -> dict[str, Any]:
    return (_mailerlite_config if flavor == "mailerlite" else _mailchimp_config)(url)


def _assert_remaining(first: workflow.Run, now: workflow.Run, where: str) -> None:
    first_changes, first_members = _work(first)
    changes, members = _work(now)
    assert changes <= first_changes, f"{where}: unexpected changes {changes - first_changes}"
    for address, moves in members.items():
        unexpected = moves - first_members.get(address, set())
        assert not unexpected, f"{where}: unexpected members of {address}: {sorted(unexpected)[:5]}"


def _apply_command(config_path: Path) -> list[str]:
    """The apply every round runs: forced, since a killed apply can leave a rule-driven
    group part-filled beyond the membership threshold."""
    apply = [sys.executable, "-m", "reconciler", "apply", "-c", str(config_path)]
    return [*apply, "--auto-approve", "--force"]


def _apply_killed_at(config_path: Path, account: Account, count: int) -> int:
    """Start an apply and SIGKILL it once the sandbox has seen `count` more requests;
    returns the requests seen when it died."""
    start = account.requests()
    process = subprocess.Popen(
        _apply_command(config_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if account.requests() - start >= count:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if process.poll() is None:
            process.kill()
        output, _ = process.communicate(timeout=10)
    killed = process.returncode == -signal.SIGKILL
    assert killed, f"the apply ended on its own before request {count}:\n{output}"
    return account.requests() - start


def _assert_unique(account: Account, where: str) -> None:
    repeated = [name for name, n in Counter(account.names()).items() if n > 1]
    assert not repeated, f"{where}: objects present twice: {repeated}"


@pytest.mark.parametrize("flavor", ["mailerlite", "mailchimp"])
def test_kill_9_at_many_points_converges(flavor: str, tmp_path: Path) -> None:
    db = tmp_path / f"{flavor}.db"
    _seed(flavor, db)
    total = _measured_requests(flavor, db, tmp_path)
    with serve_sandbox(db, flavor) as url:
        account = Account(flavor, url)
        config_path = tmp_path / "espform.yaml"
        config_path.write_text(json.dumps(_config(flavor, url)))
        first = _plan(config_path)
        assert first.plan.changes and first.plan.membership
        offsets = _kill_offsets(flavor, first.requests, total)
        account.slow_down()
        tried: list[int] = []
        left: list[int] = []
        now = first
        for point, offset in enumerate(offsets):
            # A negative offset is a gap past this apply's own read (see _kill_offsets).
            count = offset if offset > 0 else now.requests - offset
            seen = _apply_killed_at(config_path, account, count)
            tried.append(seen)
            where = f"{flavor}, kill {point + 1} after {seen} requests"
            _assert_unique(account, where)
            now = _plan(config_path)
            _assert_remaining(first, now, where)
            left.append(sum(c.size for c in now.plan.membership) + len(now.plan.changes))
        account.client.delete("/_sandbox/faults")
        result = subprocess.run(
            _apply_command(config_path), capture_output=True, text=True, env=_env()
        )
        assert result.returncode == 0, result.stdout + result.stderr
        final = subprocess.run(
            [*ESPFORM, "plan", "-c", str(config_path), "--detailed-exitcode"],
            capture_output=True,
            text=True,
            env=_env(),
        )
        assert final.returncode == 0, final.stdout + final.stderr
        _assert_unique(account, f"{flavor}, after the last apply")
        # The kills landed inside the reads (nothing done yet) and inside the writes
        # (part done): most of them with work made and work left.
        total_work = sum(c.size for c in first.plan.membership) + len(first.plan.changes)
        assert len(tried) == KILL_POINTS and all(seen > 0 for seen in tried)
        assert left[0] == total_work and left[-1] < total_work, (total_work, left)
        assert sum(1 for n in left if 0 < n < total_work) >= KILL_POINTS // 2, (total_work, left)
