"""Two `espform apply` runs at once on one account (two CI jobs) leave no duplicate.

Neither ESP lets a client lock an account, so espform cannot stop the race; it makes
each apply end with what the other made: a name the ESP keeps unique is refused to the
second create, which then adopts the object the first one made, and for names it does
not keep unique (MailerLite groups, Mailchimp audiences) each apply keeps the object
with the lowest id and deletes its own newer copy (see `providers.ambiguity`).

Both applies are real subprocesses against one served sandbox whose every answer comes
a little late, so that their writes interleave. Afterwards every name is present once
and a plan shows no change: at once, or after one more apply if one of them stopped
with a clear error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import population
from tests.cli.conftest import serve_sandbox
from tests.cli.test_kill_apply import ENV, MAILCHIMP_KEY

LATENCY_MS = 15
ESPFORM = (sys.executable, "-m", "reconciler")


def _mailerlite_config(url: str) -> dict[str, Any]:
    fields = {f"shared_{n}": {"type": "text", "name": f"Shared {n}"} for n in range(8)}
    fields |= {"tier": {"type": "text", "name": "Tier"}}
    groups: dict[str, Any] = {f"Team {n}": {} for n in range(30)}
    groups["Gold"] = {"rule": {"field": "tier", "equals": "gold"}}
    provider = {"type": "mailerlite", "token": "${env:ML_TOKEN}", "base_url": url}
    return {"provider": provider, "fields": fields, "groups": groups}


def _audience(tags: dict[str, Any]) -> dict[str, Any]:
    settings = population.AUDIENCE_SETTINGS
    return {
        "contact": {key: value for key, value in settings["contact"].items() if value},
        "permission_reminder": settings["permission_reminder"],
        "campaign_defaults": settings["campaign_defaults"],
        "email_type_option": False,
        "double_optin": False,
        "tags": tags,
    }


def _mailchimp_config(url: str) -> dict[str, Any]:
    seeded = _audience({f"Team {n}": {} for n in range(20)})
    seeded["merge_fields"] = {
        spec.key: {"name": spec.name, "type": spec.type, "public": spec.public}
        | ({"options": {"choices": spec.options["choices"]}} if spec.type == "dropdown" else {})
        for spec in population.MAILCHIMP_MERGE_FIELDS
    } | {f"SHARED{n}": {"name": f"Shared {n}", "type": "text"} for n in range(6)}
    seeded["tags"]["Gold"] = {"rule": {"field": "TIER", "equals": "gold"}}
    provider = {"type": "mailchimp", "api_key": "${env:MC_KEY}", "base_url": url}
    # A new audience too: Mailchimp lets two audiences share a name.
    audiences = {population.DEFAULT_AUDIENCE: seeded, "Racing audience": _audience({})}
    return {"provider": provider, "audiences": audiences}


def _names(client: httpx.Client, flavor: str) -> list[str]:
    """Every object's name, kind first; a duplicate shows up as a repeated entry."""
    if flavor == "mailerlite":
        fields = client.get("/api/fields", params={"limit": 100}).json()["data"]
        groups = client.get("/api/groups", params={"limit": 1000}).json()["data"]
        return [f"field {f['name']}" for f in fields] + [f"group {g['name']}" for g in groups]
    lists = client.get("/3.0/lists", params={"count": 1000}).json()["lists"]
    names = [f"audience {a['name']}" for a in lists]
    for audience in lists:
        base = f"/3.0/lists/{audience['id']}"
        fields = client.get(f"{base}/merge-fields", params={"count": 1000}).json()
        segments = client.get(f"{base}/segments", params={"count": 1000}).json()
        names += [f"{audience['name']}: merge field {f['tag']}" for f in fields["merge_fields"]]
        names += [f"{audience['name']}: segment {s['name']}" for s in segments["segments"]]
    return names


def _client(flavor: str, url: str) -> httpx.Client:
    if flavor == "mailchimp":
        return httpx.Client(base_url=url, auth=("any", MAILCHIMP_KEY), timeout=30)
    headers = {"Authorization": f"Bearer {ENV['ML_TOKEN']}"}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def _espform(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ESPFORM, *(str(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **ENV, "NO_COLOR": "1"},
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


@pytest.mark.parametrize("flavor", ["mailerlite", "mailchimp"])
def test_two_applies_at_once_make_no_duplicate(flavor: str, tmp_path: Path) -> None:
    db = tmp_path / f"{flavor}.db"
    seed = ("sandbox", "seed", "--flavor", flavor, "--db", str(db), "--subscribers", "1500")
    subprocess.run([*ESPFORM, *seed, "--seed", "5"], check=True, capture_output=True)
    with serve_sandbox(db, flavor) as url, _client(flavor, url) as client:
        build = _mailerlite_config if flavor == "mailerlite" else _mailchimp_config
        config = tmp_path / "espform.yaml"
        config.write_text(json.dumps(build(url)))
        before = Counter(_names(client, flavor))
        slowed = client.post("/_sandbox/faults", json={"latency_ms": LATENCY_MS, "count": 5000})
        assert slowed.status_code in (200, 201), slowed.text

        apply = ("apply", "-c", config, "--auto-approve", "--force")
        first, second = _espform(*apply), _espform(*apply)
        results = [_finish(first), _finish(second)]
        client.delete("/_sandbox/faults")

        for code, output in results:
            assert code in (0, 1), output
            assert "Traceback" not in output, output
            if code == 1:
                assert "Error:" in output, output
        if any(code != 0 for code, _ in results):
            code, output = _finish(_espform(*apply))  # one rerun finishes the work
            assert code == 0, output
        names = Counter(_names(client, flavor))
        repeated = sorted(name for name, n in names.items() if n > 1)
        assert not repeated, (repeated, [output for _, output in results])
        assert len(names) > len(before)  # the applies did create something
        code, output = _finish(_espform("plan", "-c", config, "--detailed-exitcode"))
        assert code == 0, output
