"""The pet-care CRM's unsubscribe webhook, named in its integration, is guarded as a dependency.

Its docs say unsubscribes in Mailchimp must otherwise be copied back to the CRM by hand:
losing the webhook breaks that loop silently, so drift must call it breaking and a plan
must not delete it unless forced.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport
from tests.cli.test_integrations import PETS
from tests.cli.test_integrations import _applied as _applied_example

MC_KEY = "0123456789abcdef0123456789abcdef-us6"
WEBHOOK = 'mailchimp.audience["Pet Manager Customers"].webhook["unsubscribes to CRM"]'


def _delete_webhook_by_hand(config: Path) -> None:
    db = config.parent / ".espform" / "sandbox.db"
    with httpx.Client(
        transport=SandboxTransport(open_app("mailchimp", db)),
        base_url="http://sandbox.invalid",
        auth=("any", MC_KEY),
    ) as account:
        (audience,) = account.get("/3.0/lists").json()["lists"]
        path = f"/3.0/lists/{audience['id']}/webhooks"
        (webhook,) = account.get(path).json()["webhooks"]
        assert account.delete(f"{path}/{webhook['id']}").status_code == 204


def test_a_hand_deleted_unsubscribe_webhook_is_breaking_drift(tmp_path, espform):
    config = _applied_example(tmp_path, espform, PETS)
    _delete_webhook_by_hand(config)

    drift = espform("drift", "-c", config)
    assert drift.exit_code == 2, drift.output
    assert f'{WEBHOOK}: missing from the account; breaks integration "pet manager"' in (
        drift.output
    )
    assert drift.output.index("Breaking:") < drift.output.index("Missing:")
    assert "PETMANAGER" not in drift.output and "secret" not in drift.output.lower()


def test_the_webhook_cannot_be_undeclared_while_the_crm_names_it(tmp_path, espform):
    config = _applied_example(tmp_path, espform, PETS)
    text = config.read_text()
    start = text.index("    webhooks:        #")
    end = text.index("\n\n", start)
    config.write_text(text[:start] + text[end + 1 :])

    # Mailchimp knows the webhook by URL only: once undeclared, the label names nothing,
    # so the config is an error at the integration's line and nothing is sent.
    refused = espform("plan", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert re.search(
        r"espform\.yaml:\d+:\d+: integration \"pet manager\" uses webhook "
        r"\"unsubscribes to CRM\", which is not declared",
        refused.output,
    )
    assert "nothing was sent" in refused.output

    # Dropping it from the integration too is the explicit way to let it go.
    _drop_from_integration(config)
    _prune_webhooks(config)
    plan = espform("plan", "-c", config, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "will be deleted" in plan.output


def _drop_from_integration(config: Path) -> None:
    text = config.read_text()
    line = "    webhooks: [unsubscribes to CRM]"
    assert line in text
    config.write_text("".join(x for x in text.splitlines(True) if not x.startswith(line)))


def _prune_webhooks(config: Path) -> None:
    text = config.read_text()
    assert "prune: {merge_fields: true}" in text, "the example's prune changed: adjust this"
    config.write_text(
        text.replace("prune: {merge_fields: true}", "prune: {merge_fields: true, webhooks: true}")
    )
