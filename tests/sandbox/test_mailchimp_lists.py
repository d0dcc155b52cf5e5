"""Mailchimp sandbox: audiences, auth, error documents, paging, partial responses, persistence."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest_mailchimp import (  # noqa: F401  (fixtures register by being imported)
    MC_BASE_URL,
    MC_KEY,
    PROBLEM_TYPE,
    McApi,
    assert_problem,
    audience_body,
    error_fields,
    mc_api_fixture,
    mc_app_fixture,
    mc_client_fixture,
    mc_client_for,
    mc_db_path_fixture,
    mc_list_id_fixture,
    mc_make_app_fixture,
)

from reconciler.sandbox import open_app
from reconciler.sandbox.mailchimp import MailchimpSandbox
from reconciler.sandbox.transport import SandboxTransport


def test_create_audience_returns_200_with_the_settings_echoed(mc_client: httpx.Client) -> None:
    response = mc_client.post("/lists", json=audience_body("Shop"))

    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{10}", body["id"])
    assert body["name"] == "Shop"
    assert body["contact"]["company"] == "Pet Care Ltd"
    assert body["campaign_defaults"]["subject"] == ""
    assert body["email_type_option"] is False
    assert body["visibility"] == "pub"
    assert body["stats"]["member_count"] == 0
    assert body["stats"]["merge_field_count"] == 5
    assert "total_contacts" not in body["stats"]
    links = {link["rel"]: link for link in body["_links"]}
    assert set(links) >= {"self", "parent", "update", "delete", "members", "merge-fields"}
    assert links["self"]["href"] == f"{MC_BASE_URL}/lists/{body['id']}"
    assert links["update"]["method"] == "PATCH"
    assert links["self"]["targetSchema"].endswith("/Lists/Response.json")


def test_create_audience_names_every_missing_required_field(mc_client: httpx.Client) -> None:
    body = audience_body()
    del body["permission_reminder"]
    del body["contact"]["company"]
    del body["campaign_defaults"]["from_email"]
    del body["email_type_option"]

    response = mc_client.post("/lists", json=body)

    problem = assert_problem(response, 400, "Invalid Resource")
    assert problem["type"].startswith("https://mailchimp.com/developer/")
    assert error_fields(response) == {
        "permission_reminder",
        "contact.company",
        "campaign_defaults.from_email",
        "email_type_option",
    }


def test_invalid_country_code_becomes_us(mc_client: httpx.Client) -> None:
    body = audience_body()
    body["contact"]["country"] = "Narnia"

    assert mc_client.post("/lists", json=body).json()["contact"]["country"] == "US"


def test_get_patch_delete_audience(mc_api: McApi, mc_list_id: str) -> None:
    client = mc_api.client
    patched = client.patch(
        f"/lists/{mc_list_id}", json={"name": "Renamed", "contact": {"city": "York"}}
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Renamed"
    assert patched.json()["contact"]["city"] == "York"
    assert patched.json()["contact"]["company"] == "Pet Care Ltd"  # partial PATCH merges

    blanked = client.patch(f"/lists/{mc_list_id}", json={"permission_reminder": ""})
    assert error_fields(blanked) == {"permission_reminder"}

    assert client.get(f"/lists/{mc_list_id}").json()["name"] == "Renamed"
    deleted = client.delete(f"/lists/{mc_list_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(client.get(f"/lists/{mc_list_id}"), 404, "Resource Not Found")


def test_audience_limit_is_enforced_and_reported_in_constraints(
    mc_make_app: Callable[..., MailchimpSandbox],
) -> None:
    with mc_client_for(mc_make_app(audience_limit=2)) as client:
        assert client.get("/lists").json()["constraints"] == {
            "may_create": True,
            "max_instances": 2,
            "current_total_instances": 0,
        }
        for name in ("One", "Two"):
            assert client.post("/lists", json=audience_body(name)).status_code == 200

        refused = client.post("/lists", json=audience_body("Three"))

        assert_problem(refused, 400, "Invalid Resource")
        listing = client.get("/lists").json()
        assert listing["total_items"] == 2
        assert listing["constraints"]["may_create"] is False


def test_unlimited_account_reports_max_instances_minus_one(mc_client: httpx.Client) -> None:
    assert mc_client.get("/lists").json()["constraints"]["max_instances"] == -1


def test_missing_and_wrong_keys_are_refused_with_401(mc_app: MailchimpSandbox) -> None:
    with mc_client_for(mc_app, key=None) as anonymous:
        assert_problem(anonymous.get("/lists"), 401, "API Key Missing")
    with mc_client_for(mc_app, key="ffffffffffffffffffffffffffffffff-us1") as wrong:
        assert_problem(wrong.get("/lists"), 401, "API Key Invalid")
    with mc_client_for(mc_app) as right:
        assert right.get("/lists").status_code == 200
    with httpx.Client(
        transport=SandboxTransport(mc_app),
        base_url=MC_BASE_URL,
        headers={"Authorization": f"Bearer {MC_KEY}"},
    ) as bearer:
        assert bearer.get("/lists").status_code == 200


def test_without_a_configured_key_any_non_empty_key_works(
    mc_make_app: Callable[..., MailchimpSandbox],
) -> None:
    app = mc_make_app(api_key=None)
    with mc_client_for(app, key="whatever-us9") as client:
        assert client.get("/lists").status_code == 200
    with mc_client_for(app, key="") as empty:
        assert_problem(empty.get("/lists"), 401, "API Key Missing")


def test_unknown_path_wrong_method_and_bad_json(mc_client: httpx.Client, mc_list_id: str) -> None:
    assert_problem(mc_client.get("/nothing-here"), 404, "Resource Not Found")
    assert_problem(mc_client.get("/lists/0000000000"), 404, "Resource Not Found")

    wrong = mc_client.put(f"/lists/{mc_list_id}", json={})
    assert_problem(wrong, 405, "Method Not Allowed")
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE", "POST"}

    bad = mc_client.post(
        "/lists", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(bad, 400, "JSON Parse Error")


def test_problem_documents_carry_the_documented_headers(mc_client: httpx.Client) -> None:
    response = mc_client.get("/lists/0000000000")

    assert response.headers["content-type"] == PROBLEM_TYPE
    assert "ProblemDetailDocument.json" in response.headers["link"]
    assert 'rel="describedBy"' in response.headers["link"]


def test_paging_defaults_to_10_and_caps_count_at_1000(mc_api: McApi) -> None:
    for i in range(12):
        mc_api.create_list(f"List {i:02d}")

    first = mc_api.client.get("/lists").json()
    assert len(first["lists"]) == 10
    assert first["total_items"] == 12
    rest = mc_api.client.get("/lists", params={"count": 10, "offset": 10}).json()
    assert [a["name"] for a in rest["lists"]] == ["List 10", "List 11"]
    assert len(mc_api.client.get("/lists", params={"count": 5000}).json()["lists"]) == 12
    bad = mc_api.client.get("/lists", params={"count": "many"})
    assert error_fields(bad) == {"count"}


def test_fields_and_exclude_fields_take_dotted_paths(mc_api: McApi, mc_list_id: str) -> None:
    only = mc_api.client.get(
        "/lists", params={"fields": "lists.id,lists.stats.member_count,total_items"}
    ).json()
    assert only == {
        "lists": [{"id": mc_list_id, "stats": {"member_count": 0}}],
        "total_items": 1,
    }

    trimmed = mc_api.client.get(
        "/lists", params={"exclude_fields": "_links,lists._links,lists.stats,constraints"}
    ).json()
    assert set(trimmed) == {"lists", "total_items"}
    assert "_links" not in trimmed["lists"][0]
    assert "stats" not in trimmed["lists"][0]
    assert trimmed["lists"][0]["name"] == "Shop"

    one = mc_api.client.get(f"/lists/{mc_list_id}", params={"fields": "name,contact.city"})
    assert one.json() == {"name": "Shop", "contact": {"city": "Leeds"}}
    bare = mc_api.client.get(f"/lists/{mc_list_id}", params={"exclude_fields": "_links,stats"})
    assert bare.status_code == 200
    assert "_links" not in bare.json()
    assert "stats" not in bare.json()
    assert bare.json()["id"] == mc_list_id


def test_unknown_requested_field_is_422(mc_client: httpx.Client) -> None:
    response = mc_client.get("/lists", params={"fields": "lists.id,no_such_thing"})

    assert_problem(response, 422, "Requested Fields Invalid")


def test_total_contacts_only_when_asked(mc_api: McApi, mc_list_id: str) -> None:
    mc_api.put_member(mc_list_id, "a@example.com")
    mc_api.put_member(mc_list_id, "b@example.com", status_if_new="unsubscribed")

    stats = mc_api.client.get(
        f"/lists/{mc_list_id}", params={"include_total_contacts": "true"}
    ).json()["stats"]

    assert stats["member_count"] == 1
    assert stats["unsubscribe_count"] == 1
    assert stats["total_contacts"] == 2


def test_lists_filter_by_member_email(mc_api: McApi) -> None:
    with_member = mc_api.create_list("With")
    mc_api.create_list("Without")
    mc_api.put_member(with_member, "Someone@Example.com")

    found = mc_api.client.get("/lists", params={"email": "someone@example.com"}).json()

    assert [a["id"] for a in found["lists"]] == [with_member]


def test_state_survives_reopening_the_file(
    mc_make_app: Callable[..., MailchimpSandbox], mc_db_path: Path
) -> None:
    first = mc_make_app()
    with mc_client_for(first) as client:
        list_id = client.post("/lists", json=audience_body("Kept")).json()["id"]
        McApi(client, first).put_member(list_id, "kept@example.com")
    first.close()

    reopened = open_app("mailchimp", str(mc_db_path), api_key=MC_KEY)
    try:
        with mc_client_for(reopened) as client:
            assert client.get(f"/lists/{list_id}").json()["name"] == "Kept"
            members = client.get(f"/lists/{list_id}/members").json()["members"]
            assert [m["email_address"] for m in members] == ["kept@example.com"]
    finally:
        reopened.close()
