"""espform end to end on the Mailchimp sandbox: what the Mailchimp issue must show."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import httpx
import pytest
import respx

from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport

EXAMPLE = Path(__file__).parents[2] / "examples" / "petmanager-mailchimp" / "espform.yaml"

AUDIENCE = """
provider: {type: mailchimp, sandbox: mc.db}
audiences:
  %(audience)s:
    %(renamed)s
    contact: {company: Pet Manager Inc., address1: 12 Harbor Road, city: Portland, country: US}
    permission_reminder: You are a customer of a Pet Manager clinic.
    campaign_defaults:
      {from_name: Pet Manager, from_email: care@petmanager.example, subject: "", language: en}
    email_type_option: false
"""


def mc_client(db: Path) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(open_app("mailchimp", db)),
        base_url="http://sandbox.invalid/3.0",
        auth=("any", "0123456789abcdef0123456789abcdef-us6"),
    )


def ids(db: Path) -> dict[str, str]:
    """Every object's id by a readable path, read straight from the sandbox's API."""
    found: dict[str, str] = {}
    with mc_client(db) as api:
        for audience in api.get("/lists", params={"count": 1000}).json()["lists"]:
            lid = audience["id"]
            found[f"audience:{audience['name']}"] = lid
            for field in api.get(f"/lists/{lid}/merge-fields", params={"count": 1000}).json()[
                "merge_fields"
            ]:
                found[f"merge:{field['tag']}"] = str(field["merge_id"])
            for cat in api.get(f"/lists/{lid}/interest-categories").json()["categories"]:
                found[f"category:{cat['title']}"] = cat["id"]
                path = f"/lists/{lid}/interest-categories/{cat['id']}/interests"
                for interest in api.get(path).json()["interests"]:
                    found[f"interest:{interest['name']}"] = interest["id"]
            for seg in api.get(f"/lists/{lid}/segments", params={"count": 1000}).json()["segments"]:
                found[f"{seg['type']}:{seg['name']}"] = str(seg["id"])
    return found


def test_renames_keep_the_ids_of_audience_merge_tag_interest_and_tag(
    write_config, espform, tmp_path
):
    body = """
    merge_fields:
      CUSTTYPE: {name: Customer type, type: text}
    interest_categories:
      News: {type: checkboxes, interests: [Deals, Tips]}
    tags:
      Dog: {}
"""
    config = write_config(AUDIENCE % {"audience": "Pet Customers", "renamed": ""} + body)
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    before = ids(tmp_path / "mc.db")

    renamed_body = """
    merge_fields:
      CTYPE: {name: Customer type, type: text, renamed_from: [CUSTTYPE]}
    interest_categories:
      News:
        type: checkboxes
        interests:
          - Offers: {renamed_from: [Deals]}
          - Tips
    tags:
      Dog owner: {renamed_from: [Dog]}
"""
    write_config(
        AUDIENCE % {"audience": "Pet Manager Customers", "renamed": "renamed_from: [Pet Customers]"}
        + renamed_body
    )
    planned = espform("plan", "-c", config)
    assert "Plan: 0 to create, 0 to update, 0 to delete (4 to rename)." in planned.output, (
        planned.output
    )
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    after = ids(tmp_path / "mc.db")

    assert after["audience:Pet Manager Customers"] == before["audience:Pet Customers"]
    assert after["merge:CTYPE"] == before["merge:CUSTTYPE"]
    assert after["interest:Offers"] == before["interest:Deals"]
    assert after["static:Dog owner"] == before["static:Dog"]
    assert "audience:Pet Customers" not in after and "merge:CUSTTYPE" not in after
    assert espform("plan", "-c", config, "--detailed-exitcode").exit_code == 0


SEGMENT = """
    merge_fields:
      VISITS: {name: Visits, type: number}
    tags:
      Dog owner: {}
    segments:
      Regulars:
        match: all
        conditions:
%s
"""


def test_segment_conditions_compare_by_meaning_not_by_form(write_config, espform):
    audience = AUDIENCE % {"audience": "Pets", "renamed": ""}
    first = [
        "          - {condition_type: TextMerge, field: VISITS, op: greater, value: 5}",
        "          - {condition_type: StaticSegment, field: static_segment, op: static_is,"
        " value: Dog owner}",
        "          - {condition_type: MemberRating, field: rating, op: greater, value: 3}",
    ]
    config = write_config(audience + SEGMENT % "\n".join(first))
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0

    # Same meaning: other order, numbers written as strings and strings as numbers.
    same = [
        '          - {condition_type: MemberRating, field: rating, op: greater, value: "3"}',
        "          - {condition_type: StaticSegment, field: static_segment, op: static_is,"
        " value: Dog owner}",
        '          - {condition_type: TextMerge, field: VISITS, op: greater, value: "5"}',
    ]
    write_config(audience + SEGMENT % "\n".join(same))
    unchanged = espform("plan", "-c", config, "--detailed-exitcode")
    assert unchanged.exit_code == 0, unchanged.output

    changed = [
        *same[:2],
        '          - {condition_type: TextMerge, field: VISITS, op: greater, value: "10"}',
    ]
    write_config(audience + SEGMENT % "\n".join(changed))
    update = espform("plan", "-c", config, "--detailed-exitcode")
    assert update.exit_code == 2
    assert 'segment["Regulars"] will be updated in place' in update.output
    assert "Plan: 0 to create, 1 to update, 0 to delete." in update.output
    assert espform("apply", "-c", config, "--auto-approve").exit_code == 0
    assert espform("plan", "-c", config, "--detailed-exitcode").exit_code == 0


BAD = """\
provider:
  type: mailchimp
  api_key: ${env:MAILCHIMP_API_KEY}
audiences:
  Pets:
    contact: {company: P, address1: A, city: C, country: US}
    permission_reminder: R
    campaign_defaults: {from_name: P, from_email: p@example.com, subject: "", language: en}
    email_type_option: false
    merge_fields:
      %s: {name: Customer kind, type: text}
    segments:
      Broken:
        match: any
        conditions:
          - {condition_type: TextMerj, field: KIND, op: is, value: x}
          - {condition_type: TextMerge, field: CTYPE, op: is, value: x}
          - {condition_type: TextMerge, field: KIND, op: static_is, value: x}
"""
KEY = {"MAILCHIMP_API_KEY": "f" * 32 + "-us6"}


@respx.mock(assert_all_mocked=True)
def test_invalid_conditions_exit_1_with_locations_and_send_no_request(tmp_path, espform):
    route = respx.route(host__regex=r".*mailchimp\.com")
    config = tmp_path / "espform.yaml"
    config.write_text(BAD % "KIND")
    result = espform("plan", "-c", config, env=KEY)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == [
        f"{config}:16:30: segment 'Broken', condition 1: unknown condition_type 'TextMerj'; "
        "did you mean 'TextMerge'?",
        f"{config}:17:48: segment 'Broken', condition 2: unknown merge tag 'CTYPE' in "
        "audience 'Pets'; declare it under merge_fields (every audience starts with FNAME, "
        "LNAME, ADDRESS, PHONE, BIRTHDAY)",
        f"{config}:18:58: segment 'Broken', condition 3: op 'static_is' is not allowed for "
        "TextMerge; allowed: is, not, contains, notcontain, starts, ends, greater, less, "
        "blank, blank_not",
    ]
    assert "f" * 32 not in result.output
    assert route.call_count == 0


@respx.mock(assert_all_mocked=True)
def test_an_eleven_character_merge_tag_exits_1_at_its_location(tmp_path, espform):
    route = respx.route(host__regex=r".*mailchimp\.com")
    config = tmp_path / "espform.yaml"
    config.write_text(BAD % "CUSTOMERTYP")
    result = espform("validate", "-c", config, env=KEY)
    assert result.exit_code == 1
    assert f"{config}:11:7: merge tag is too long (11 characters)" in result.output
    assert route.call_count == 0


def test_a_default_field_declared_on_a_new_audience_is_set_up_in_place(tmp_path, espform):
    folder = tmp_path / "pets"
    shutil.copytree(EXAMPLE.parent, folder, ignore=shutil.ignore_patterns(".espform"))
    config = folder / "espform.yaml"
    text = config.read_text().replace(
        "    merge_fields:\n", "    merge_fields:\n      FNAME: {name: Given name}\n"
    )
    config.write_text(text)
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert espform("plan", "-c", config, "--detailed-exitcode").exit_code == 0
    with mc_client(folder / ".espform" / "sandbox.db") as api:
        (audience,) = api.get("/lists").json()["lists"]
        fields = api.get(f"/lists/{audience['id']}/merge-fields", params={"count": 100}).json()
        names = {f["tag"]: f["name"] for f in fields["merge_fields"]}
    assert names["FNAME"] == "Given name"
    assert list(names).count("FNAME") == 1


@pytest.mark.serve
def test_example_over_loopback_and_the_official_sdk_sees_it(served_mailchimp, tmp_path, espform):
    import mailchimp_marketing

    config = tmp_path / "espform.yaml"
    text = EXAMPLE.read_text().replace(
        "  sandbox: .espform/sandbox.db\n",
        f"  api_key: ${{env:MAILCHIMP_API_KEY}}\n  base_url: {served_mailchimp}\n",
    )
    config.write_text(text)
    env = {"MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us6"}
    assert espform("plan", "-c", config, "--detailed-exitcode", env=env).exit_code == 2
    applied = espform("apply", "-c", config, "--auto-approve", env=env)
    assert applied.exit_code == 0, applied.output
    assert espform("plan", "-c", config, "--detailed-exitcode", env=env).exit_code == 0

    client = mailchimp_marketing.Client()
    client.set_config({"api_key": env["MAILCHIMP_API_KEY"], "server": "us6"})
    client.api_client.host = f"{served_mailchimp}/3.0"
    (audience,) = client.lists.get_all_lists()["lists"]
    assert audience["name"] == "Pet Manager Customers"
    tags = client.lists.tag_search(audience["id"])["tags"]
    assert sorted(t["name"] for t in tags) == ["Breeder", "Cat owner", "Dog owner"]
    member = client.lists.set_list_member(
        audience["id"],
        hashlib.md5(b"hello@example.com").hexdigest(),
        {
            "email_address": "hello@example.com",
            "status_if_new": "subscribed",
            "merge_fields": {"CTYPE": "Dog owner"},
        },
    )
    client.lists.update_list_member_tags(
        audience["id"], member["id"], {"tags": [{"name": "Dog owner", "status": "active"}]}
    )
    segments = client.lists.list_segments(audience["id"], type="saved")["segments"]
    assert {s["name"] for s in segments} == {"Dog owners who want offers", "Frequent visitors"}
