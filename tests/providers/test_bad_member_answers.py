"""A Mailchimp member page whose contacts espform cannot read is one clear error.

The contacts of the member scan (rule-driven tags) are checked like every other list:
a contact without `email_address`, with `tags` that are not a list of named tags, or
null in place of a contact is a `BadAnswer` naming the request and the defect, and
`espform plan` exits 1 with that message and no traceback, before any plan is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from click.testing import CliRunner
from provider_support import run
from test_mailchimp_provider_support import API, AUDIENCE, KEY, PETS, make_provider, mock_account

from reconciler.cli import main
from reconciler.providers.answers import BadAnswer

MEMBERS = f"{API}/lists/{PETS}/members"
REQUEST = "GET /3.0/lists/b7e2c41f09/members?count=1000&offset=0"


def good(**changes: Any) -> dict[str, Any]:
    return {
        "id": "5b1d0c7e1a2f3e4d5c6b7a8990a1b2c3",
        "email_address": "owner@pets.example",
        "status": "subscribed",
        "merge_fields": {"FNAME": "Owner"},
        "tags": [{"id": 30101, "name": "VIP"}],
        "tags_count": 1,
        **changes,
    }


def without_email() -> dict[str, Any]:
    contact = good()
    del contact["email_address"]
    return contact


#: A bad contact, second on its page, and the defect the message must name.
BAD = {
    "no email_address": (without_email(), "members[1].email_address is missing"),
    "tags not a list": (good(tags="VIP"), "members[1].tags is text, expected a list"),
    "a tag without a name": (good(tags=[{"id": 1}]), "members[1].tags[0].name is missing"),
    "merge_fields a list": (good(merge_fields=[]), "members[1].merge_fields is a list"),
    "null contact": (None, "members[1] is null, expected an object"),
}


def _page(bad: Any) -> httpx.Response:
    return httpx.Response(200, json={"members": [good(), bad], "total_items": 2})


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_scan_refuses_a_contact_it_cannot_read(case: str) -> None:
    bad, defect = BAD[case]

    async def scenario() -> None:
        with respx.mock(assert_all_called=False) as mock:
            mock_account(mock)
            mock.get(MEMBERS).mock(return_value=_page(bad))
            provider = make_provider()
            try:
                await provider.read()
                async for _page_of_members in provider.scan_members(AUDIENCE):
                    pass
            finally:
                await provider.aclose()

    with pytest.raises(BadAnswer) as raised:
        run(scenario)
    assert raised.value.request == REQUEST
    assert defect in raised.value.defect


CONFIG = """\
provider: {type: mailchimp, api_key: '${env:MC_KEY}'}
audiences:
  Pet Care Club:
    contact:
      company: Pawsitive Vets Ltd
      address1: 12 Kennel Road
      city: Bristol
      zip: BS1 4DJ
      country: GB
    permission_reminder: You booked a visit with Pawsitive Vets.
    campaign_defaults:
      from_name: Pawsitive Vets
      from_email: hello@pawsitive.example
      subject: ""
      language: en
    email_type_option: false
    double_optin: true
    tags:
      VIP: {rule: {status: subscribed}}
"""


@pytest.mark.parametrize("case", ["no email_address", "null contact"])
def test_plan_exits_1_naming_the_request(tmp_path: Path, case: str) -> None:
    bad, defect = BAD[case]
    config = tmp_path / "espform.yaml"
    config.write_text(CONFIG)
    with respx.mock(assert_all_called=False) as mock:
        mock_account(mock)
        mock.get(MEMBERS).mock(return_value=_page(bad))
        result = CliRunner().invoke(
            main, ["plan", "-c", str(config)], env={"MC_KEY": KEY, "NO_COLOR": "1"}
        )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"{REQUEST} answered something espform cannot read: {defect}" in result.output
    assert KEY.split("-")[0] not in result.output
