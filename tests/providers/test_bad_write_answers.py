"""Writes answered 2xx with something unreadable: never taken for done, settled by a read.

A create whose answer has no id (or is not JSON at all) may have been carried out; the
apply re-reads the account (see `ambiguity.Settler`) and believes what the read shows.
When the read does not show it either, the change is reported unknown and the next
plan shows it still to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import respx
from click.testing import CliRunner
from provider_support import BASE, create_group, make_provider, run
from test_mailchimp_provider_support import BASE as MC_BASE
from test_mailchimp_provider_support import make_provider as make_mailchimp

from reconciler.cli import main
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Tag
from reconciler.providers.ambiguity import MAX_ROUNDS
from reconciler.providers.base import ApplyResult
from reconciler.providers.mailchimp_read import LIST_FIELDS

EMPTY = {"data": [], "links": {"next": None}, "meta": {"current_page": 1, "last_page": 1}}
GROUP_A = {"data": [{"id": "4242", "name": "A"}], "links": {"next": None}, "meta": {}}
NO_ID = httpx.Response(201, json={"data": {"name": "A"}})
HTML = httpx.Response(200, text="<html>Saved!</html>", headers={"content-type": "text/html"})


def mailerlite_apply(answer: httpx.Response, *, shows_it: bool) -> tuple[ApplyResult, int, int]:
    """Create group A with the POST answered by `answer`; the groups list shows A after
    the first POST when `shows_it`. Returns the result, POSTs sent and group reads."""

    async def scenario() -> tuple[ApplyResult, int, int]:
        with respx.mock(base_url=BASE, assert_all_called=False) as mock:
            post = mock.post("/api/groups").mock(return_value=answer)

            def groups(request: httpx.Request) -> httpx.Response:
                return httpx.Response(200, json=GROUP_A if shows_it and post.called else EMPTY)

            reads = mock.get("/api/groups").mock(side_effect=groups)
            for collection in ("fields", "segments", "webhooks"):
                mock.get(f"/api/{collection}").respond(200, json=EMPTY)
            provider = make_provider()
            result = await provider.apply([create_group("A")])
            await provider.aclose()
            return result, post.call_count, reads.call_count

    return run(scenario)


def test_a_create_answered_without_an_id_is_settled_by_reading_the_account() -> None:
    result, posts, reads = mailerlite_apply(NO_ID, shows_it=True)
    assert result.ok
    (outcome,) = result.outcomes
    assert outcome.result is not None and outcome.result.id == "4242"
    assert posts == 1 and reads >= 1


def test_an_unreadable_2xx_to_a_create_is_ambiguous_and_re_read_not_sent_again() -> None:
    result, posts, reads = mailerlite_apply(HTML, shows_it=True)
    assert result.ok, result.outcomes
    assert result.outcomes[0].result is not None and result.outcomes[0].result.id == "4242"
    assert posts == 1 and reads >= 1


def test_a_create_without_an_id_that_no_read_shows_stays_unknown() -> None:
    result, posts, _reads = mailerlite_apply(NO_ID, shows_it=False)
    (outcome,) = result.outcomes
    assert not outcome.ok and outcome.unknown
    assert outcome.error.startswith("POST /api/groups answered something espform cannot read")
    assert "data.id is missing" in outcome.error
    assert "run `espform plan`" in outcome.error
    assert posts <= MAX_ROUNDS


PETS = {"id": "abc123", "name": "Pets"}


def test_a_mailchimp_create_without_an_id_is_settled_by_reading_the_account() -> None:
    audience = Address.of("mailchimp", "audience", "Pets")
    tag = audience.child("tag", "Dog")
    change = Change(tag, Action.CREATE, None, Tag(address=tag))

    async def scenario() -> tuple[ApplyResult, int]:
        with respx.mock(base_url=f"{MC_BASE}/3.0", assert_all_called=False) as mock:
            post = mock.post("/lists/abc123/segments").respond(200, json={"name": "Dog"})

            def segments(request: httpx.Request) -> httpx.Response:
                listed = [{"id": 77, "name": "Dog", "type": "static"}] if post.called else []
                return httpx.Response(200, json={"segments": listed, "total_items": len(listed)})

            mock.get("/lists", params={"fields": LIST_FIELDS}).respond(
                200, json={"lists": [PETS], "total_items": 1}
            )
            mock.get("/lists/abc123/segments").mock(side_effect=segments)
            for key, path in (
                ("merge_fields", "merge-fields"),
                ("categories", "interest-categories"),
                ("webhooks", "webhooks"),
            ):
                mock.get(f"/lists/abc123/{path}").respond(200, json={key: [], "total_items": 0})
            provider = make_mailchimp(max_attempts=1)
            await provider.read()
            result = await provider.apply([change])
            await provider.aclose()
            return result, post.call_count

    result, posts = run(scenario)
    assert result.ok, result.outcomes
    assert result.outcomes[0].result is not None and result.outcomes[0].result.id == "77"
    assert posts == 1


def test_apply_reports_the_unproven_create_and_the_next_plan_shows_it(tmp_path: Path) -> None:
    config = tmp_path / "espform.yaml"
    config.write_text("provider: {type: mailerlite, token: '${env:ML_TOKEN}'}\ngroups:\n  A: {}\n")
    env = {"ML_TOKEN": "mlk-write-answers", "NO_COLOR": "1"}
    invoke: Callable[..., Any] = CliRunner().invoke
    with respx.mock(base_url=f"{BASE}/api", assert_all_called=False) as mock:
        mock.post("/groups").mock(return_value=NO_ID)
        mock.get(url__regex=r".*/api/(groups|fields|segments|webhooks).*").respond(200, json=EMPTY)
        applied = invoke(main, ["apply", "-c", str(config), "--auto-approve"], env=env)
        planned = invoke(main, ["plan", "-c", str(config)], env=env)
    assert applied.exit_code == 1, applied.output
    assert "Traceback" not in applied.output
    assert "POST /api/groups answered something espform cannot read: data.id is missing" in (
        applied.output
    )
    assert planned.exit_code == 0, planned.output
    assert 'mailerlite.group["A"] will be created' in planned.output
