"""MailerLite automations: a recorded-shape list into typed automations, read only."""

from __future__ import annotations

import copy

import pytest
import respx
from provider_support import BASE, fixture, make_provider, run

from reconciler.engine.automations import GROUP_JOIN_DETAIL, automation_dependents
from reconciler.engine.dependents import Dependent
from reconciler.model import Address, Automation
from reconciler.providers.answers import BadAnswer


def _read(body: object) -> tuple[tuple[Automation, ...], list[str]]:
    async def scenario() -> tuple[tuple[Automation, ...], list[str]]:
        with respx.mock(base_url=BASE) as mock:
            route = mock.get("/api/automations").respond(200, json=body)
            provider = make_provider()
            try:
                found = await provider.read_automations()
            finally:
                await provider.aclose()
            return found, [str(call.request.url.query, "ascii") for call in route.calls]

    result: tuple[tuple[Automation, ...], list[str]] = run(scenario)
    return result


def group(name: str) -> Address:
    return Address.of("mailerlite", "group", name)


def test_group_join_triggers_become_the_groups_each_automation_needs() -> None:
    automations, queries = _read(fixture("automations-list"))

    assert queries == ["limit=100&page=1"]
    assert automations == (
        # The third id has no name in `groups` (deleted since): nothing ties it to a group.
        Automation(
            "140216102300001001",
            "Partner welcome",
            True,
            (group("Partners"), group("Active Partners")),
        ),
        Automation("140216102300001002", "Tier changed", True, ()),
        Automation("140216102300001003", "Gold draft", False, (group("Gold"),)),
    )
    welcome = Dependent("automation", "Partner welcome", GROUP_JOIN_DETAIL)
    # The disabled draft sends nothing, so it guards nothing.
    assert automation_dependents(automations) == {
        group("Active Partners"): (welcome,),
        group("Partners"): (welcome,),
    }


@pytest.mark.parametrize(
    ("path", "value", "defect"),
    [
        (("enabled",), "yes", "data[0].enabled is text, expected true or false"),
        (("triggers", 0, "group_ids"), "140215902214458003", "data[0].triggers is a list"),
        (("triggers", 0, "groups", 0, "name"), None, "expected a list of triggers"),
        (("name",), None, "data[0].name is null"),
    ],
)
def test_a_bad_answer_is_one_clear_error(path: tuple, value: object, defect: str) -> None:
    body = copy.deepcopy(fixture("automations-list"))
    target = body["data"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    with pytest.raises(BadAnswer) as raised:
        _read(body)
    assert "GET /api/automations?limit=100&page=1" in str(raised.value)
    assert defect in str(raised.value)
