"""A webhook create whose answer is lost makes one webhook, never two.

The embedded sandbox commits the create, then drops the connection (`drop-after`): the
provider cannot know it worked, reads the account again and adopts the webhook it
finds, by name on MailerLite and by URL on Mailchimp (whose webhooks have no name).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from reconciler.config.provider import MailchimpProvider, MailerLiteProvider
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, AudienceWebhook, Resource, Webhook
from reconciler.providers.ambiguity import MAX_ROUNDS
from reconciler.providers.base import ApplyResult
from reconciler.providers.http import HttpProvider
from reconciler.providers.registry import create_provider
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport
from reconciler.secret_url import SecretUrl

URL = "https://crm.example.com/hooks/unsubscribed?token=lost-answer-s3cret"


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


def sandbox(flavor: str, db: Path) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app(flavor, db)),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer any-token"},
        auth=("any", "0123456789abcdef0123456789abcdef-us6") if flavor == "mailchimp" else None,
    )


def apply_with_lost_answer(
    provider: HttpProvider,
    db: Path,
    flavor: str,
    change: Change,
    reread: int,
    duplicate_check: int = 0,
) -> ApplyResult:
    """Read, lose the answer of the next request (the create), apply. `reread`: the
    requests that read again what the create touched; `duplicate_check`: those that look
    for a concurrent apply's copy of what was created."""

    async def scenario() -> ApplyResult:
        try:
            await provider.read()
            reads = provider.request_count
            with sandbox(flavor, db) as admin:
                assert admin.post("/_sandbox/faults", json={"kind": "drop-after"}).is_success
            result = await provider.apply([change], None)
            # The create, then what it touched read once more to learn what became of it.
            assert provider.request_count == reads + 1 + reread + duplicate_check
            with sandbox(flavor, db) as admin:
                assert "queued" not in admin.get("/_sandbox/faults").json()
            return result
        finally:
            await provider.aclose()

    return asyncio.run(scenario())


def create(resource: Resource) -> Change:
    return Change(resource.address, Action.CREATE, None, resource)


UNSUBSCRIBES = Webhook(
    address=Address.of("mailerlite", "webhook", "Unsubscribes"),
    url=SecretUrl(URL),
    events=("subscriber.unsubscribed",),
    enabled=True,
)


def mailerlite_provider(db: Path) -> HttpProvider:
    provider = create_provider(MailerLiteProvider(type="mailerlite", sandbox=db), sleep=_no_wait)
    assert isinstance(provider, HttpProvider)
    return provider


def test_mailerlite_adopts_the_webhook_by_name(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    provider = mailerlite_provider(db)
    webhook = UNSUBSCRIBES

    # MailerLite lets two webhooks share a name: the webhook list is read once more
    # to keep one of them if a concurrent apply made another.
    result = apply_with_lost_answer(
        provider, db, "mailerlite", create(webhook), reread=1, duplicate_check=1
    )

    (outcome,) = result.outcomes
    assert outcome.ok, outcome.error
    with sandbox("mailerlite", db) as api:
        stored = api.get("/api/webhooks").json()["data"]
    assert [(w["name"], w["url"]) for w in stored] == [("Unsubscribes", URL)]
    assert outcome.result is not None and outcome.result.id == stored[0]["id"]


SHOP_BODY = {
    "name": "Shop",
    "contact": {"company": "Shop", "address1": "1 Road", "city": "Town", "state": "",
                "zip": "1", "country": "US"},
    "permission_reminder": "You bought something.",
    "campaign_defaults": {"from_name": "Shop", "from_email": "shop@example.test",
                          "subject": "", "language": "en"},
    "email_type_option": False,
}  # fmt: skip
SHOP = Address.of("mailchimp", "audience", "Shop")


def mailchimp_shop(db: Path) -> tuple[HttpProvider, str]:
    """A provider on a Mailchimp sandbox holding the audience "Shop"; and its id."""
    with sandbox("mailchimp", db) as api:
        audience_id = str(api.post("/3.0/lists", json=SHOP_BODY).json()["id"])
    provider = create_provider(MailchimpProvider(type="mailchimp", sandbox=db), sleep=_no_wait)
    assert isinstance(provider, HttpProvider)
    return provider, audience_id


def audience_webhook(label: str, url: str) -> AudienceWebhook:
    return AudienceWebhook(
        address=SHOP.child("webhook", label),
        url=SecretUrl(url),
        events={"subscribe": False, "unsubscribe": True},
        sources={"user": True, "admin": True, "api": False},
    )


def test_mailchimp_adopts_the_webhook_by_url(tmp_path: Path) -> None:
    db = tmp_path / "mc.db"
    provider, audience_id = mailchimp_shop(db)
    # The label from the config: Mailchimp does not store it, so it cannot be what the
    # re-read finds.
    webhook = audience_webhook("unsubscribes to CRM", URL)
    result = apply_with_lost_answer(
        provider, db, "mailchimp", create(webhook), reread=5
    )  # lists + the audience's 4 lists

    (outcome,) = result.outcomes
    assert outcome.ok, outcome.error
    with sandbox("mailchimp", db) as api:
        stored = api.get(f"/3.0/lists/{audience_id}/webhooks").json()["webhooks"]
    assert [w["url"] for w in stored] == [URL]
    assert outcome.result is not None and outcome.result.id == stored[0]["id"]


def test_a_mailerlite_webhook_made_twice_by_racing_applies_is_kept_once(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    provider = mailerlite_provider(db)
    webhook = UNSUBSCRIBES

    async def scenario() -> ApplyResult:
        try:
            await provider.read()
            # Another apply, planned from the same account, creates it first.
            with sandbox("mailerlite", db) as api:
                body = {"name": "Unsubscribes", "url": URL, "events": ["subscriber.unsubscribed"]}
                assert api.post("/api/webhooks", json=body).status_code == 201
            return await provider.apply([create(webhook)], None)
        finally:
            await provider.aclose()

    (outcome,) = asyncio.run(scenario()).outcomes

    assert outcome.ok, outcome.error
    with sandbox("mailerlite", db) as api:
        stored = api.get("/api/webhooks").json()["data"]
    assert len(stored) == 1
    assert outcome.result is not None and outcome.result.id == stored[0]["id"]


def test_changes_after_lost_answers_are_still_sent(tmp_path: Path) -> None:
    """Every round loses one create's answer, more rounds than MAX_ROUNDS: each re-read
    shows the create done, so none of those rounds is a retry, and the creates after
    them are sent too rather than left out of the result."""
    db = tmp_path / "mc.db"
    provider, audience_id = mailchimp_shop(db)
    hooks = [audience_webhook(f"hook {n}", f"{URL}&n={n}") for n in range(MAX_ROUNDS + 2)]

    async def scenario() -> ApplyResult:
        try:
            await provider.read()
            reads = provider.request_count
            with sandbox("mailchimp", db) as admin:
                for _ in range(MAX_ROUNDS + 1):
                    admin.post("/_sandbox/faults", json={"kind": "drop-after"})
                    admin.post("/_sandbox/faults", json={"kind": "latency", "count": reads})
            return await provider.apply([create(hook) for hook in hooks], None)
        finally:
            await provider.aclose()

    result = asyncio.run(scenario())

    assert [o.change.address for o in result.outcomes] == [h.address for h in hooks]
    assert all(o.ok for o in result.outcomes), [o.error for o in result.outcomes]
    with sandbox("mailchimp", db) as api:
        stored = api.get(f"/3.0/lists/{audience_id}/webhooks").json()["webhooks"]
        assert "queued" not in api.get("/_sandbox/faults").json()
    assert sorted(w["url"] for w in stored) == sorted(h.url.reveal() for h in hooks if h.url)
