"""Webhooks end to end on the embedded sandbox: plan, apply, update, delete, import.

Each webhook URL here carries a secret token. No output may show it: plans in every
format, saved plan files, apply and drift reports and --verbose logs show the host and
the URL's digest only. The store is read straight through the sandbox's own API to see
what the account really holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from click.testing import Result

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport
from reconciler.secret_url import SecretUrl

Espform = Callable[..., Result]

TOKEN = "wh-s3cret-9f2c4e"
URL = f"https://crm.example.com/hooks/esp?token={TOKEN}"
NEW_TOKEN = "wh-s3cret-rotated-77aa1b"
NEW_URL = f"https://crm.example.com/hooks/esp?token={NEW_TOKEN}"
SECRETS = (TOKEN, NEW_TOKEN)


def sandbox_api(flavor: str, db: Path) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app(flavor, db)),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer any-token"},
        auth=("any", "0123456789abcdef0123456789abcdef-us6") if flavor == "mailchimp" else None,
    )


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def run(espform: Espform, *args: str | Path, url: str = URL) -> Result:
    """espform with HOOK_URL set; fails the test on any secret in its output."""
    result = espform(*args, env={"HOOK_URL": url})
    assert_no_secret(result.output, str(result.exception or ""))
    return result


def plan_everywhere(espform: Espform, config: Path, out: Path, url: str = URL) -> str:
    """Plan as text, Markdown, JSON and a saved file; the text plan. Every one of them
    shows the URL's digest and none the secret."""
    digest = SecretUrl(url).digest
    shown: list[str] = []
    for fmt in ("text", "markdown", "json"):
        planned = run(espform, "plan", "-c", config, "--format", fmt, "--verbose", url=url)
        assert planned.exit_code == 0, planned.output
        shown.append(planned.stdout)
    saved = run(espform, "plan", "-c", config, "--out", out, url=url)
    assert saved.exit_code == 0, saved.output
    shown.append(out.read_text())
    json.loads(shown[2])  # the JSON plan is a document, not text with a URL in it
    for text in shown:
        assert digest in text
    assert_no_secret(*shown)
    return shown[0]


# --- MailerLite -------------------------------------------------------------------------

ML_HEAD = "provider: {type: mailerlite, sandbox: sb.db}\n"
ML_PRUNE = "settings: {prune: {webhooks: true}, max_delete_percent: 100}\n"


def ml_webhooks(db: Path) -> list[dict[str, Any]]:
    with sandbox_api("mailerlite", db) as api:
        return list(api.get("/api/webhooks").json()["data"])


def test_mailerlite_webhook_is_created_updated_and_deleted(
    tmp_path: Path, write_config: Callable[..., Path], espform: Espform
) -> None:
    db = tmp_path / "sb.db"
    config = write_config(
        ML_HEAD
        + ML_PRUNE
        + "webhooks:\n"
        + "  Unsubscribes:\n"
        + "    url: ${env:HOOK_URL}\n"
        + "    events: [subscriber.unsubscribed, subscriber.created]\n"
    )
    plan_file = tmp_path / "plan.json"

    text = plan_everywhere(espform, config, plan_file)
    assert 'mailerlite.webhook["Unsubscribes"] will be created' in text
    applied = run(espform, "apply", plan_file, "-c", config)
    assert applied.exit_code == 0, applied.output
    (made,) = ml_webhooks(db)
    assert (made["name"], made["url"], made["enabled"]) == ("Unsubscribes", URL, True)
    assert sorted(made["events"]) == ["subscriber.created", "subscriber.unsubscribed"]
    assert run(espform, "plan", "-c", config, "--detailed-exitcode").exit_code == 0

    # A new token, fewer events, switched off: one PUT to the same webhook.
    write_config(
        ML_HEAD
        + ML_PRUNE
        + "webhooks:\n"
        + "  Unsubscribes:\n"
        + "    url: ${env:HOOK_URL}\n"
        + "    events: [subscriber.unsubscribed]\n"
        + "    enabled: false\n"
    )
    text = plan_everywhere(espform, config, plan_file, url=NEW_URL)
    assert 'mailerlite.webhook["Unsubscribes"] will be updated in place' in text
    assert SecretUrl(URL).digest in text  # the old URL, as the account holds it
    applied = run(espform, "apply", "-c", config, "--auto-approve", url=NEW_URL)
    assert applied.exit_code == 0, applied.output
    (updated,) = ml_webhooks(db)
    assert updated["id"] == made["id"]
    assert (updated["url"], updated["events"], updated["enabled"]) == (
        NEW_URL,
        ["subscriber.unsubscribed"],
        False,
    )
    drift = run(espform, "drift", "-c", config, url=NEW_URL)
    assert drift.exit_code == 0, drift.output

    write_config(ML_HEAD + ML_PRUNE)
    deleted = run(espform, "plan", "-c", config)
    assert 'mailerlite.webhook["Unsubscribes"] will be deleted' in deleted.output
    assert SecretUrl(NEW_URL).digest in deleted.output
    applied = run(espform, "apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert ml_webhooks(db) == []


def test_an_undeclared_mailerlite_webhook_is_left_alone_without_prune(
    tmp_path: Path, write_config: Callable[..., Path], espform: Espform
) -> None:
    with sandbox_api("mailerlite", tmp_path / "sb.db") as api:
        body = {"name": "Other tool", "url": URL, "events": ["subscriber.created"]}
        assert api.post("/api/webhooks", json=body).status_code == 201
    config = write_config(ML_HEAD + "groups: {Partners: {}}\n")

    planned = run(espform, "plan", "-c", config)

    assert planned.exit_code == 0, planned.output
    assert "webhook" not in planned.output.split("Plan:")[1]  # nothing planned for it
    assert "will be deleted" not in planned.output
    assert len(ml_webhooks(tmp_path / "sb.db")) == 1


def test_mailerlite_import_then_plan_shows_no_changes(
    tmp_path: Path, write_config: Callable[..., Path], espform: Espform
) -> None:
    db = tmp_path / "sb.db"
    with sandbox_api("mailerlite", db) as api:
        body = {"name": "Unsubscribes", "url": URL, "events": ["subscriber.unsubscribed"]}
        assert api.post("/api/webhooks", json=body).status_code == 201
        body = {
            "name": "Opens",
            "url": NEW_URL,
            "events": ["campaign.open"],
            "batchable": True,
            "enabled": False,
        }
        assert api.post("/api/webhooks", json=body).status_code == 201
    imported = tmp_path / "imported.yaml"

    result = espform("import", "--provider", "mailerlite", "--sandbox", db, "--out", imported)

    assert result.exit_code == 0, result.output
    text = imported.read_text()
    assert_no_secret(text, result.output)
    variables = re.findall(r"\$\{env:(MAILERLITE_WEBHOOK_\w+)\}", text)
    assert len(variables) == 2 and all(v in result.stderr for v in variables)
    # Each variable is named after its webhook.
    env = {v: NEW_URL if "OPENS" in v else URL for v in variables}
    assert sorted(env.values()) == sorted([URL, NEW_URL])
    planned = espform("plan", "-c", imported, "--detailed-exitcode", env=env)
    assert planned.exit_code == 0, planned.output
    assert "No changes" in planned.output


# --- Mailchimp --------------------------------------------------------------------------

MC_AUDIENCE = """\
provider: {type: mailchimp, sandbox: mc.db}
settings: {prune: {webhooks: %(prune)s}, max_delete_percent: 100}
audiences:
  Shop:
    contact: {company: Shop Inc., address1: 1 Road, city: Town, country: US}
    permission_reminder: You bought something.
    campaign_defaults: {from_name: Shop, from_email: shop@example.test, subject: "", language: en}
    email_type_option: false
"""
MC_WEBHOOK = """\
    webhooks:
      unsubscribes to CRM:
        url: ${env:HOOK_URL}
        events: %(events)s
"""


def mc_webhooks(db: Path) -> list[dict[str, Any]]:
    with sandbox_api("mailchimp", db) as api:
        (audience,) = api.get("/3.0/lists").json()["lists"]
        return list(api.get(f"/3.0/lists/{audience['id']}/webhooks").json()["webhooks"])


def test_mailchimp_webhook_is_created_updated_replaced_by_url_and_deleted(
    tmp_path: Path, write_config: Callable[..., Path], espform: Espform
) -> None:
    db = tmp_path / "mc.db"
    audience = MC_AUDIENCE % {"prune": "true"}
    config = write_config(audience + MC_WEBHOOK % {"events": "[unsubscribe]"})
    plan_file = tmp_path / "plan.json"

    text = plan_everywhere(espform, config, plan_file)
    assert 'mailchimp.audience["Shop"].webhook["unsubscribes to CRM"] will be created' in text
    applied = run(espform, "apply", plan_file, "-c", config)
    assert applied.exit_code == 0, applied.output
    (made,) = mc_webhooks(db)
    assert made["url"] == URL
    assert [e for e, on in made["events"].items() if on] == ["unsubscribe"]
    # Not api: the CRM's own API writes are not echoed back to it.
    assert made["sources"] == {"user": True, "admin": True, "api": False}
    assert run(espform, "plan", "-c", config, "--detailed-exitcode").exit_code == 0

    # Events and sources change in place (PATCH): the same webhook, the same id.
    write_config(
        audience + MC_WEBHOOK % {"events": "[unsubscribe, cleaned]"} + "        sources: [user]\n"
    )
    planned = run(espform, "plan", "-c", config)
    assert "will be updated in place" in planned.output
    assert run(espform, "apply", "-c", config, "--auto-approve").exit_code == 0
    (updated,) = mc_webhooks(db)
    assert updated["id"] == made["id"] and updated["url"] == URL
    assert {e for e, on in updated["events"].items() if on} == {"unsubscribe", "cleaned"}
    assert updated["sources"] == {"user": True, "admin": False, "api": False}

    # A new URL is a new webhook; with prune on, the old one goes (created first).
    text = plan_everywhere(espform, config, plan_file, url=NEW_URL)
    assert 'webhook["unsubscribes to CRM"] will be created' in text
    assert f'webhook["https://crm.example.com/… ({SecretUrl(URL).digest})"] will be deleted' in (
        text
    )
    applied = run(espform, "apply", plan_file, "-c", config, url=NEW_URL)
    assert applied.exit_code == 0, applied.output
    (replaced,) = mc_webhooks(db)
    assert replaced["url"] == NEW_URL and replaced["id"] != made["id"]
    assert run(espform, "drift", "-c", config, url=NEW_URL).exit_code == 0

    write_config(audience)
    applied = run(espform, "apply", "-c", config, "--auto-approve", url=NEW_URL)
    assert applied.exit_code == 0, applied.output
    assert "deleted" in applied.output
    assert mc_webhooks(db) == []


def test_a_changed_mailchimp_url_leaves_the_old_webhook_without_prune(
    tmp_path: Path, write_config: Callable[..., Path], espform: Espform
) -> None:
    config = write_config(
        MC_AUDIENCE % {"prune": "false"} + MC_WEBHOOK % {"events": "[unsubscribe]"}
    )
    assert run(espform, "apply", "-c", config, "--auto-approve").exit_code == 0

    applied = run(espform, "apply", "-c", config, "--auto-approve", url=NEW_URL)

    assert applied.exit_code == 0, applied.output
    assert "1 created" in applied.output and "0 deleted" in applied.output
    assert sorted(w["url"] for w in mc_webhooks(tmp_path / "mc.db")) == sorted([URL, NEW_URL])


def test_mailchimp_import_then_plan_shows_no_changes(
    tmp_path: Path, write_config: Callable[..., Path], espform: Espform
) -> None:
    db = tmp_path / "mc.db"
    config = write_config(
        MC_AUDIENCE % {"prune": "false"} + MC_WEBHOOK % {"events": "[unsubscribe, profile]"}
    )
    assert run(espform, "apply", "-c", config, "--auto-approve").exit_code == 0
    imported = tmp_path / "imported.yaml"

    result = espform("import", "--provider", "mailchimp", "--sandbox", db, "--out", imported)

    assert result.exit_code == 0, result.output
    text = imported.read_text()
    assert_no_secret(text, result.output)
    (variable,) = re.findall(r"\$\{env:(MAILCHIMP_WEBHOOK_\w+)\}", text)
    assert variable in result.stderr
    planned = espform("plan", "-c", imported, "--detailed-exitcode", env={variable: URL})
    assert planned.exit_code == 0, planned.output
    assert "No changes" in planned.output
