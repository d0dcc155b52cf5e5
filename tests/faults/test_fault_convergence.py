"""`espform apply` over a sandbox that misbehaves converges, with no duplicate and nothing lost.

Each test seeds an account with thousands of generated subscribers, declares hundreds
of objects and rules that move tens of thousands of memberships, arms random faults of
every kind on the sandbox (seeded, so a failure can be repeated), and runs `espform
apply` until it exits 0 (an apply may stop partway: a later one carries on). Then,
with the faults off, plan shows no change, the store holds no two objects of one name,
and every rule-driven group or tag holds exactly the subscribers its rule selects,
counted here from the store itself rather than through espform.

No real sleeping: the sandbox's latency and Retry-After are tiny and the client's
waits between attempts are skipped (the clock is injected through the provider
factory), so the whole file runs in well under a minute.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler import workflow
from reconciler.cli import main
from reconciler.cli.sandbox import seed_account
from reconciler.config.model import Config
from reconciler.providers.base import Provider
from reconciler.providers.registry import create_provider
from reconciler.sandbox import open_app, population
from reconciler.sandbox.population import Person
from reconciler.sandbox.transport import SandboxTransport

#: Applies after which the account must have converged, faults notwithstanding.
MAX_APPLIES = 12
FAULTS = {"kinds": ["500", "502", "503", "429", "latency", "drop-before", "drop-after",
                    "truncated", "non-json", "html-200"],
          "latency_ms": 1, "retry_after": 0}  # fmt: skip


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Providers as the CLI makes them, with their waits between attempts skipped."""

    def factory(config: Config) -> Provider:
        return create_provider(config.provider, sleep=_no_wait)

    monkeypatch.setattr(workflow, "_default_factory", factory)
    monkeypatch.setenv("NO_COLOR", "1")


def espform(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def admin(flavor: str, db: Path, method: str, path: str, body: object = None) -> httpx.Response:
    app = open_app(flavor, db)
    try:
        with httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox") as client:
            return client.request(method, f"/_sandbox{path}", json=body)
    finally:
        app.close()


def converge(flavor: str, db: Path, config: Path, rate: float, seed: int) -> list[int]:
    """Apply under faults until an apply succeeds; the exit codes of every apply."""
    armed = admin(flavor, db, "PUT", "/faults/random", {**FAULTS, "rate": rate, "seed": seed})
    assert armed.status_code == 200, armed.text
    codes: list[int] = []
    for _ in range(MAX_APPLIES):
        result = espform("apply", "-c", config, "--auto-approve", "--force")
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        assert "sandbox-us1" not in result.output  # the stand-in credential never shows
        codes.append(result.exit_code)
        if result.exit_code == 0:
            break
        assert result.exit_code == 1, result.output
    admin(flavor, db, "DELETE", "/faults")
    assert codes[-1] == 0, f"no convergence after {MAX_APPLIES} applies: {codes}"
    return codes


def assert_no_changes(config: Path) -> None:
    plan = espform("plan", "-c", config, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.output


@pytest.fixture
def store() -> Iterator[list[sqlite3.Connection]]:
    opened: list[sqlite3.Connection] = []
    yield opened
    for db in opened:
        db.close()


def _open(db: Path, opened: list[sqlite3.Connection]) -> sqlite3.Connection:
    connection = sqlite3.connect(db)
    opened.append(connection)
    return connection


# --- MailerLite -------------------------------------------------------------------------

ML_SUBSCRIBERS = 12_000
ML_PLAIN_GROUPS = 120
ML_NEW_FIELDS = 60
#: Rule-driven groups and the SQL (over `subscribers`) that selects their members.
ML_RULES = {
    "Tier gold": ("{field: tier, equals: gold}", "json_extract(fields, '$.tier') = 'gold'"),
    "Tier silver": ("{field: tier, equals: silver}", "json_extract(fields, '$.tier') = 'silver'"),
    "Tier bronze": ("{field: tier, equals: bronze}", "json_extract(fields, '$.tier') = 'bronze'"),
    "Europe": ("{field: region, equals: Europe}", "json_extract(fields, '$.region') = 'Europe'"),
    "Active partners": (
        "{field: status, equals: active}", "json_extract(fields, '$.status') = 'active'"
    ),
    "Subscribed": ("{status: active}", "status = 'active'"),
}  # fmt: skip


def mailerlite_config(tmp_path: Path) -> Path:
    fields = "\n".join(
        f"  custom_{n:03}: {{type: text, name: Custom {n:03}}}" for n in range(ML_NEW_FIELDS)
    )
    plain = "\n".join(f"  Group {n:03}: {{}}" for n in range(ML_PLAIN_GROUPS))
    ruled = "\n".join(f"  {name}:\n    rule: {rule}" for name, (rule, _sql) in ML_RULES.items())
    text = (
        "provider: {type: mailerlite, sandbox: ml.db}\n"
        "fields:\n" + fields + "\n"
        "  tier: {type: text, name: Tier}\n  region: {type: text, name: Region}\n"
        "  status: {type: text, name: Status}\n"
        "groups:\n" + plain + "\n" + ruled + "\n"
    )  # fmt: skip
    path = tmp_path / "espform.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("rate,seed", [(0.1, 101)], ids=["10pct"])
def test_mailerlite_apply_converges_under_faults(tmp_path: Path, store, rate: float, seed: int):
    db = tmp_path / "ml.db"
    seed_account("mailerlite", db, ML_SUBSCRIBERS, seed=7)
    config = mailerlite_config(tmp_path)

    codes = converge("mailerlite", db, config, rate, seed)

    assert_no_changes(config)
    sql = _open(db, store)
    assert sql.execute("SELECT name FROM groups GROUP BY name HAVING count(*) > 1").fetchall() == []
    assert sql.execute("SELECT name FROM fields GROUP BY name HAVING count(*) > 1").fetchall() == []
    (groups,) = sql.execute("SELECT count(*) FROM groups").fetchone()
    assert groups == ML_PLAIN_GROUPS + len(ML_RULES)
    (fields,) = sql.execute("SELECT count(*) FROM fields WHERE key LIKE 'custom_%'").fetchone()
    assert fields == ML_NEW_FIELDS
    moved = 0
    for name, (_rule, where) in ML_RULES.items():
        wanted = {r[0] for r in sql.execute(f"SELECT id FROM subscribers WHERE {where}")}
        held = {
            r[0]
            for r in sql.execute(
                "SELECT subscriber_id FROM memberships JOIN groups ON groups.id = group_id"
                " WHERE groups.name = ?",
                (name,),
            )
        }
        assert held == wanted, name
        moved += len(wanted)
    assert moved > 20_000  # tens of thousands of membership changes were made
    assert len(codes) >= 1


# --- Mailchimp --------------------------------------------------------------------------

MC_SUBSCRIBERS = 8_000
MC_AUDIENCE = "Pet Manager Customers"
MC_PLAIN_TAGS = 60
MC_NEW_FIELDS = 15
MC_CATEGORIES = 3
MC_INTERESTS = 8
#: Rule-driven tags, and the generated people they select.
MC_RULES: dict[str, tuple[str, Callable[[Person], bool]]] = {
    "Dog owners": ("{field: CTYPE, equals: Dog owner}", lambda p: p.customer_type == "Dog owner"),
    "Bronze": ("{field: TIER, equals: bronze}", lambda p: p.tier == "bronze"),
    "Silver": ("{field: TIER, equals: silver}", lambda p: p.tier == "silver"),
    "Europe": ("{field: REGION, equals: Europe}", lambda p: p.region == "Europe"),
}


def mailchimp_config(tmp_path: Path) -> Path:
    settings = json.dumps(
        {
            "contact": {"company": "Pet Manager Inc.", "address1": "12 Harbor Road",
                        "city": "Portland", "state": "OR", "zip": "97201", "country": "US"},
            "permission_reminder": "You are a customer of a Pet Manager clinic.",
            "campaign_defaults": {"from_name": "Pet Manager",
                                  "from_email": "care@petmanager.example",
                                  "subject": "", "language": "en"},
            "email_type_option": False,
        }
    )  # fmt: skip
    merge = "\n".join(
        f"      F{n:02}: {{name: Field {n:02}, type: text}}" for n in range(MC_NEW_FIELDS)
    )
    for spec in population.MAILCHIMP_MERGE_FIELDS:  # as seeded, so that they are no change
        declared = {"name": spec.name, "type": spec.type, "public": spec.public}
        if spec.options:
            declared["options"] = spec.options
        merge += f"\n      {spec.key}: {json.dumps(declared)}"
    categories = "\n".join(
        f"      Topics {c}:\n        type: checkboxes\n        interests: ["
        + ", ".join(f"Topic {c}.{i}" for i in range(MC_INTERESTS))
        + "]"
        for c in range(MC_CATEGORIES)
    )
    plain = "\n".join(f"      Tag {n:03}: {{}}" for n in range(MC_PLAIN_TAGS))
    ruled = "\n".join(
        f"      {name}:\n        rule: {rule}" for name, (rule, _) in MC_RULES.items()
    )
    body = json.loads(settings)
    text = textwrap.dedent(
        f"""\
        provider: {{type: mailchimp, sandbox: mc.db}}
        audiences:
          {MC_AUDIENCE}:
            contact: {json.dumps(body["contact"])}
            permission_reminder: {json.dumps(body["permission_reminder"])}
            campaign_defaults: {json.dumps(body["campaign_defaults"])}
            email_type_option: false
        """
    )
    text += "    merge_fields:\n" + merge + "\n"
    text += "    interest_categories:\n" + categories + "\n"
    text += "    tags:\n" + plain + "\n" + ruled + "\n"
    path = tmp_path / "espform.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("rate,seed", [(0.1, 111)], ids=["10pct"])
def test_mailchimp_apply_converges_under_faults(tmp_path: Path, store, rate: float, seed: int):
    db = tmp_path / "mc.db"
    seed_account("mailchimp", db, MC_SUBSCRIBERS, seed=7, audience=MC_AUDIENCE)
    config = mailchimp_config(tmp_path)

    converge("mailchimp", db, config, rate, seed)

    assert_no_changes(config)
    sql = _open(db, store)
    for table, column in (
        ("lists", "name"),
        ("segments", "list_id, type, lower(name)"),
        ("merge_fields", "list_id, tag"),
        ("interest_categories", "list_id, title"),
        ("interests", "category_id, name"),
    ):
        twice = sql.execute(f"SELECT {column} FROM {table} GROUP BY {column} HAVING count(*) > 1")
        assert twice.fetchall() == [], table
    (tags,) = sql.execute("SELECT count(*) FROM segments WHERE type = 'static'").fetchone()
    assert tags == MC_PLAIN_TAGS + len(MC_RULES)
    (interests,) = sql.execute("SELECT count(*) FROM interests").fetchone()
    assert interests == MC_CATEGORIES * MC_INTERESTS
    moved = 0
    people = list(population.people(MC_SUBSCRIBERS, 7))
    for name, (_rule, selects) in MC_RULES.items():
        wanted = {p.email.lower() for p in people if selects(p)}
        held = {
            r[0].lower()
            for r in sql.execute(
                "SELECT email FROM segment_members"
                " JOIN segments ON segments.id = segment_id"
                " JOIN members ON members.id = member_id WHERE segments.name = ?",
                (name,),
            )
        }
        assert held == wanted, name
        moved += len(wanted)
    assert moved > 8_000
