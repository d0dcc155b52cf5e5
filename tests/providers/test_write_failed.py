"""`write_failed`: how a provider words a change whose request failed."""

from __future__ import annotations

import pytest

from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Field
from reconciler.providers.base import ProviderError, half_replaced, write_failed

ADDRESS = Address.of("mailerlite", "field", "tier")


def change(action: Action) -> Change:
    return Change(
        ADDRESS,
        action,
        Field(address=ADDRESS, type="text", id="7"),
        Field(address=ADDRESS, type="number"),
    )


@pytest.mark.parametrize(
    ("action", "failed_at"), [(Action.UPDATE, 0), (Action.UPDATE, 1), (Action.REPLACE, 0)]
)
def test_a_failure_that_removed_nothing_is_the_error_itself(action: Action, failed_at: int):
    outcome = write_failed(change(action), failed_at, ProviderError("HTTP 422: type is invalid"))
    assert not outcome.ok and not half_replaced(change(action), failed_at)
    assert outcome.error == "HTTP 422: type is invalid"


def test_a_replace_that_failed_after_its_delete_says_the_object_is_gone() -> None:
    replace = change(Action.REPLACE)
    outcome = write_failed(replace, 1, ProviderError("HTTP 500"))
    assert half_replaced(replace, 1)
    assert not outcome.ok and outcome.change is replace
    assert outcome.error == (
        'mailerlite.field["tier"] was deleted but could not be created again, so it is '
        "missing now: HTTP 500"
    )
