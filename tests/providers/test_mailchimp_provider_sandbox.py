"""The Mailchimp provider against the embedded sandbox: the code path of the real API.

Plans come from the engine, so this also checks that what the provider reads back
compares equal to what it was asked to make. The engine orders changes by depth first,
so a segment (depth 2) is written before the interests (depth 3) of the same plan; the
segment here therefore only names an interest that exists before its plan.
"""

from __future__ import annotations

from pathlib import Path

from provider_support import SleepRecorder, run
from test_mailchimp_provider_support import config

from reconciler.conditions import canonical
from reconciler.engine import Plan, diff
from reconciler.engine.plan import Action
from reconciler.model import (
    Address,
    Audience,
    Interest,
    InterestCategory,
    MergeField,
    Resource,
    SavedSegment,
    Settings,
    State,
    Tag,
)
from reconciler.providers.base import ApplyResult
from reconciler.providers.mailchimp import Mailchimp
from reconciler.providers.registry import create_provider

SHOP = Address.of("mailchimp", "audience", "Pet Care Club")
CLUB = Address.of("mailchimp", "audience", "Pet Care Members")
SETTINGS = Settings(prune=frozenset({"merge_field"}))


def desired(audience: Address, *, second: bool = False, match: str | None = None) -> State:
    """The account as declared: first version, or the second with renames and edits.

    `match` adds the saved segment, with that match.
    """
    category = audience.child("interest_category", "Pets at home")
    tag = "Gold" if second else "VIP"
    resources: list[Resource] = [
        Audience(
            address=audience,
            renamed_from=("Pet Care Club",) if second else (),
            contact={
                "company": "Pawsitive Vets Ltd",
                "address1": "12 Kennel Road",
                "city": "Bath" if second else "Bristol",
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
        ),
        MergeField(
            address=audience.child("merge_field", "ANIMAL" if second else "PETTYPE"),
            renamed_from=("PETTYPE",) if second else (),
            name="Pet type",
            type="dropdown",
            options={"choices": ["Dog", "Cat", "Parrot"] if second else ["Dog", "Cat"]},
        ),
        MergeField(
            address=audience.child("merge_field", "VISITS"),
            name="Visits",
            type="text" if second else "number",
        ),
        InterestCategory(address=category, type="checkboxes"),
        Interest(address=category.child("interest", "Dog")),
        Interest(
            address=category.child("interest", "Kitten" if second else "Cat"),
            renamed_from=("Cat",) if second else (),
        ),
        Tag(address=audience.child("tag", tag), renamed_from=("VIP",) if second else ()),
    ]
    if match is not None:
        resources.append(
            SavedSegment(
                address=audience.child("segment", "VIP dog owners"),
                match=match,
                conditions=canonical(
                    [
                        {
                            "condition_type": "StaticSegment",
                            "field": "static_segment",
                            "op": "static_is",
                            "value": {"tag": tag},
                        },
                        {
                            "condition_type": "Interests",
                            "field": {"interest_category": "Pets at home"},
                            "op": "interestcontains",
                            "value": [{"interest": "Dog"}],
                        },
                    ]
                ),
            )
        )
    if not second:
        resources.append(MergeField(address=audience.child("merge_field", "OLD"), type="text"))
    return State("mailchimp", resources)


async def plan_and_apply(provider: Mailchimp, want: State) -> tuple[Plan, ApplyResult, State]:
    plan = diff(want, await provider.read(), SETTINGS, provider.capabilities)
    result = await provider.apply(plan.changes)
    return plan, result, await provider.read()


def test_create_then_rename_update_replace_and_delete_through_the_sandbox(
    tmp_path: Path,
) -> None:
    provider = create_provider(
        config(sandbox=tmp_path / "mc.db", api_key=None, base_url=None), sleep=SleepRecorder()
    )
    assert isinstance(provider, Mailchimp)
    versions = [
        desired(SHOP),
        desired(CLUB, second=True, match="all"),
        desired(CLUB, second=True, match="any"),
    ]

    async def scenario() -> list[tuple[Plan, ApplyResult, State]]:
        try:
            return [await plan_and_apply(provider, version) for version in versions]
        finally:
            await provider.aclose()

    (plan_one, one, read_one), (plan_two, two, read_two), (plan_three, three, read_three) = run(
        scenario
    )
    for result in (one, two, three):
        assert result.ok, result.failed
    for version, state in zip(versions, (read_one, read_two, read_three), strict=True):
        assert diff(version, state, SETTINGS, Mailchimp.capabilities).changes == []

    assert {c.action for c in plan_one.changes} == {Action.CREATE}
    assert {f.key for f in read_one.of_kind("merge_field", SHOP) if f.builtin} == {
        "FNAME",
        "LNAME",
        "ADDRESS",
        "PHONE",
        "BIRTHDAY",
    }
    assert {(c.kind, c.action) for c in plan_two.changes} == {
        ("audience", Action.RENAME),
        ("merge_field", Action.RENAME),
        ("merge_field", Action.REPLACE),
        ("merge_field", Action.DELETE),
        ("interest", Action.RENAME),
        ("tag", Action.RENAME),
        ("segment", Action.CREATE),
    }
    assert [(c.kind, c.action) for c in plan_three.changes] == [("segment", Action.UPDATE)]

    def ids(state: State) -> dict[str, str | None]:
        return {
            r.key: r.id for r in state if r.kind in ("audience", "merge_field", "tag", "interest")
        }

    before, after = ids(read_one), ids(read_two)
    # Renames keep their ids, and so their members and values.
    assert after["Pet Care Members"] == before["Pet Care Club"]
    assert after["ANIMAL"] == before["PETTYPE"]
    assert after["Gold"] == before["VIP"]
    assert after["Kitten"] == before["Cat"]
    fields = {f.key: f for f in read_two.of_kind("merge_field", CLUB)}
    assert "OLD" not in fields and "PETTYPE" not in fields
    assert fields["VISITS"].id != before["VISITS"]
    assert getattr(fields["VISITS"], "type", None) == "text"
    segment = read_three.of_kind("segment", CLUB)[0]
    assert getattr(segment, "match", None) == "any"
    assert {"tag": "Gold"} in [c.get("value") for c in getattr(segment, "conditions", ())]
