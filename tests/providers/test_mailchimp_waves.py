"""Independent Mailchimp creates go out together; everything else one at a time."""

from __future__ import annotations

from pathlib import Path

import httpx
from provider_support import SleepRecorder, run
from test_mailchimp_provider_support import config

from reconciler.engine import diff
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Audience, MergeField, Settings, State, Tag
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.mailchimp_waves import WAVE_LIMIT, waves
from reconciler.providers.registry import create_provider
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

SHOP = Address.of("mailchimp", "audience", "Pet Care Club")
TAGS = 30


def _create(resource: Tag | MergeField | Audience) -> Change:
    return Change(resource.address, Action.CREATE, None, resource)


def _tag(name: str) -> Tag:
    return Tag(address=SHOP.child("tag", name))


def test_only_consecutive_tag_or_segment_creates_share_a_wave() -> None:
    gone = _tag("Old")
    changes = [
        _create(Audience(address=SHOP)),
        *[_create(_tag(f"T{n}")) for n in range(3)],
        _create(MergeField(address=SHOP.child("merge_field", "PET"), type="text")),
        _create(_tag("T3")),
        Change(gone.address, Action.DELETE, gone, None),
        Change(gone.address, Action.DELETE, gone, None),
    ]

    assert [len(w) for w in waves(changes)] == [1, 3, 1, 1, 1, 1]
    assert [c for w in waves(changes) for c in w] == changes


def test_a_wave_holds_at_most_the_limit() -> None:
    changes = [_create(_tag(f"T{n}")) for n in range(WAVE_LIMIT + 3)]

    assert [len(w) for w in waves(changes)] == [WAVE_LIMIT, 3]


def _audience() -> Audience:
    return Audience(
        address=SHOP,
        contact={
            "company": "Pawsitive Vets Ltd",
            "address1": "12 Kennel Road",
            "city": "Bristol",
            "country": "GB",
        },
        permission_reminder="You booked a visit with Pawsitive Vets.",
        campaign_defaults={
            "from_name": "Pawsitive Vets",
            "from_email": "hello@pawsitive.example",
            "subject": "",
            "language": "en",
        },
        email_type_option=False,
    )


def test_new_tags_are_created_several_at_once_within_the_connection_limit(
    tmp_path: Path,
) -> None:
    db = tmp_path / "mc.db"
    app = open_app("mailchimp", db, max_connections=10)
    provider = create_provider(
        config(sandbox=db, api_key=None, base_url=None),
        transport=SandboxTransport(app),
        sleep=SleepRecorder(),
    )
    assert isinstance(provider, Mailchimp)
    admin = httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox")
    with_tags = State("mailchimp", [_audience(), *[_tag(f"Tag {n:02d}") for n in range(TAGS)]])

    async def scenario() -> tuple[int, State]:
        try:
            first = diff(
                State("mailchimp", [_audience()]),
                await provider.read(),
                Settings(),
                provider.capabilities,
            )
            assert (await provider.apply(first.changes)).ok
            plan = diff(with_tags, await provider.read(), Settings(), provider.capabilities)
            # A small delay on each create, so that answers do not come back before the
            # next request is sent and overlap is what the client makes of it.
            armed = admin.post("/_sandbox/faults", json={"latency_ms": 20, "count": TAGS})
            assert armed.status_code == 200, armed.text
            admin.delete("/_sandbox/stats")
            result = await provider.apply(plan.changes)
            assert result.ok, result.failed
            return len(plan.changes), await provider.read()
        finally:
            await provider.aclose()

    try:
        created, after = run(scenario)
        stats = admin.get("/_sandbox/stats").json()
    finally:
        admin.close()
        app.close()

    assert created == TAGS
    assert {t.key for t in after.of_kind("tag", SHOP)} == {f"Tag {n:02d}" for n in range(TAGS)}
    assert 1 < stats["peak_in_flight"] <= 10, stats
    assert stats["refused_connections"] == 0, stats
