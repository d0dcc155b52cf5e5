"""Mailchimp sandbox: interest categories ("group titles") and interests ("group names")."""

from __future__ import annotations

import re

from conftest_mailchimp import (  # noqa: F401  (fixtures register by being imported)
    McApi,
    assert_problem,
    error_fields,
    mc_api_fixture,
    mc_app_fixture,
    mc_client_fixture,
    mc_db_path_fixture,
    mc_list_id_fixture,
    mc_make_app_fixture,
    md5_hash,
)


def test_category_crud(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/interest-categories"
    created = mc_api.client.post(path, json={"title": "Pets", "type": "checkboxes"})

    assert created.status_code == 200
    category = created.json()
    assert re.fullmatch(r"[0-9a-f]{10}", category["id"])
    assert category["list_id"] == mc_list_id
    assert category["display_order"] == 1

    one = f"{path}/{category['id']}"
    patched = mc_api.client.patch(one, json={"title": "Pet kinds", "type": "dropdown"})
    assert patched.json()["title"] == "Pet kinds"
    assert patched.json()["type"] == "dropdown"  # the spec lets PATCH change the type
    assert mc_api.client.get(one).json()["title"] == "Pet kinds"

    listing = mc_api.client.get(path).json()
    assert listing["total_items"] == 1
    assert listing["list_id"] == mc_list_id
    assert [c["id"] for c in listing["categories"]] == [category["id"]]

    assert mc_api.client.delete(one).status_code == 204
    assert_problem(mc_api.client.get(one), 404, "Resource Not Found")


def test_category_validation(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/interest-categories"
    assert error_fields(mc_api.client.post(path, json={"title": "X"})) == {"type"}
    assert error_fields(mc_api.client.post(path, json={"title": "X", "type": "multi"})) == {"type"}
    mc_api.add_category(mc_list_id, "Pets")
    duplicate = mc_api.client.post(path, json={"title": "pets", "type": "radio"})
    assert_problem(duplicate, 400, "Invalid Resource")


def test_display_order_sorts_categories_and_interests(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/interest-categories"
    mc_api.client.post(path, json={"title": "Second", "type": "radio", "display_order": 5})
    mc_api.client.post(path, json={"title": "First", "type": "radio", "display_order": 1})
    assert [c["title"] for c in mc_api.client.get(path).json()["categories"]] == [
        "First",
        "Second",
    ]

    category = mc_api.add_category(mc_list_id, "Food")
    interests = f"{path}/{category}/interests"
    late = mc_api.client.post(interests, json={"name": "Late", "display_order": 9}).json()
    early = mc_api.client.post(interests, json={"name": "Early", "display_order": 2}).json()
    assert [i["name"] for i in mc_api.client.get(interests).json()["interests"]] == [
        "Early",
        "Late",
    ]
    mc_api.client.patch(f"{interests}/{late['id']}", json={"display_order": 1})
    assert [i["id"] for i in mc_api.client.get(interests).json()["interests"]] == [
        late["id"],
        early["id"],
    ]


def test_interest_crud_and_subscriber_count(mc_api: McApi, mc_list_id: str) -> None:
    category = mc_api.add_category(mc_list_id, "Pets")
    path = f"/lists/{mc_list_id}/interest-categories/{category}/interests"
    cat = mc_api.client.post(path, json={"name": "Cats"}).json()
    dog = mc_api.client.post(path, json={"name": "Dogs"}).json()
    assert cat["category_id"] == category
    assert cat["subscriber_count"] == "0"

    mc_api.put_member(mc_list_id, "a@example.com", interests={cat["id"]: True})
    mc_api.put_member(mc_list_id, "b@example.com", interests={cat["id"]: True, dog["id"]: True})
    mc_api.put_member(
        mc_list_id, "c@example.com", status_if_new="unsubscribed", interests={cat["id"]: True}
    )

    assert mc_api.client.get(f"{path}/{cat['id']}").json()["subscriber_count"] == "2"
    listing = mc_api.client.get(path).json()
    assert listing["category_id"] == category
    assert listing["total_items"] == 2

    renamed = mc_api.client.patch(f"{path}/{dog['id']}", json={"name": "Puppies"})
    assert renamed.json()["name"] == "Puppies"
    assert error_fields(mc_api.client.post(path, json={"name": "cats"})) == {"name"}

    assert mc_api.client.delete(f"{path}/{dog['id']}").status_code == 204
    member = mc_api.client.get(f"/lists/{mc_list_id}/members/{md5_hash('b@example.com')}").json()
    assert member["interests"] == {cat["id"]: True}


def test_member_interests_list_every_interest_of_the_audience(
    mc_api: McApi, mc_list_id: str
) -> None:
    pets = mc_api.add_category(mc_list_id, "Pets")
    cats = mc_api.add_interest(mc_list_id, pets, "Cats")
    dogs = mc_api.add_interest(mc_list_id, pets, "Dogs")

    member = mc_api.put_member(mc_list_id, "a@example.com", interests={dogs: True})
    assert member["interests"] == {cats: False, dogs: True}

    updated = mc_api.put_member(mc_list_id, "a@example.com", interests={cats: True, dogs: False})
    assert updated["interests"] == {cats: True, dogs: False}

    unknown = mc_api.client.put(
        f"/lists/{mc_list_id}/members/{md5_hash('a@example.com')}",
        json={"interests": {"0000000000": True}},
    )
    assert_problem(unknown, 400, "Invalid Resource")


def test_deleting_a_category_deletes_its_interests(mc_api: McApi, mc_list_id: str) -> None:
    pets = mc_api.add_category(mc_list_id, "Pets")
    cats = mc_api.add_interest(mc_list_id, pets, "Cats")
    mc_api.put_member(mc_list_id, "a@example.com", interests={cats: True})

    mc_api.client.delete(f"/lists/{mc_list_id}/interest-categories/{pets}")

    member = mc_api.client.get(f"/lists/{mc_list_id}/members/{md5_hash('a@example.com')}")
    assert member.json()["interests"] == {}
    gone = mc_api.client.get(f"/lists/{mc_list_id}/interest-categories/{pets}/interests/{cats}")
    assert_problem(gone, 404, "Resource Not Found")


def test_at_most_sixty_interests_per_audience(mc_api: McApi, mc_list_id: str) -> None:
    first = mc_api.add_category(mc_list_id, "A")
    second = mc_api.add_category(mc_list_id, "B")
    for i in range(30):
        mc_api.add_interest(mc_list_id, first, f"A{i}")
        mc_api.add_interest(mc_list_id, second, f"B{i}")

    refused = mc_api.client.post(
        f"/lists/{mc_list_id}/interest-categories/{first}/interests", json={"name": "Extra"}
    )

    assert_problem(refused, 400, "Invalid Resource")
