"""MailerLite sandbox: fields, built-in fields and server-derived keys."""

from __future__ import annotations

import pytest
from mailerlite_support import MlApi

from reconciler.sandbox.mailerlite.keys import derive_key, slugify

BUILTINS = [
    ("1", "Name", "name"),
    ("2", "Last name", "last_name"),
    ("3", "Company", "company"),
    ("4", "Country", "country"),
    ("5", "City", "city"),
    ("6", "Phone", "phone"),
    ("7", "State", "state"),
    ("8", "Zip", "z_i_p"),
]


def test_every_new_account_has_the_eight_builtin_fields(ml_api: MlApi) -> None:
    body = ml_api.client.get("/api/fields").json()

    assert [(f["id"], f["name"], f["key"]) for f in body["data"]] == BUILTINS
    assert all(f["is_default"] and f["type"] == "text" for f in body["data"])
    assert all(f["used_in_automations"] is False for f in body["data"])
    assert body["meta"]["per_page"] == 100 and body["meta"]["total"] == 8


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("My Field", "my_field"),
        ("Test field nodejs 348710", "test_field_nodejs_348710"),
        ("test create field", "test_create_field"),
        ("http://localhost:8888 total spent", "httplocalhost8888_total_spent"),
    ],
)
def test_create_answers_201_with_the_derived_key(ml_api: MlApi, name: str, key: str) -> None:
    response = ml_api.client.post("/api/fields", json={"name": name, "type": "number"})

    assert response.status_code == 201
    field = response.json()["data"]
    assert field["key"] == key
    assert field["name"] == name and field["type"] == "number"
    assert field["is_default"] is False and "used_in_automations" not in field
    assert int(field["id"]) > 8


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Partner-Key", "partner_key"),
        ("  Spaced   out  ", "spaced_out"),
        ("Crème brûlée", "creme_brulee"),
        ("a__b--c", "a_b_c"),
        ("mail@home", "mail_at_home"),
        ("!!!", ""),
    ],
)
def test_slug_rules(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_derived_key_collisions_get_a_numbered_suffix() -> None:
    assert derive_key("Tier", set()) == "tier"
    assert derive_key("Tier", {"tier"}) == "tier_2"
    assert derive_key("Tier", {"tier", "tier_2"}) == "tier_3"
    assert derive_key("???", set()) == "field"


def test_colliding_key_through_the_api(ml_api: MlApi) -> None:
    first = ml_api.create_field("Last-Name")  # differs from "Last name" but slugs alike

    assert first["key"] == "last_name_2"


def test_rename_keeps_the_key(ml_api: MlApi) -> None:
    field = ml_api.create_field("My Field")

    renamed = ml_api.client.put(f"/api/fields/{field['id']}", json={"name": "Renamed"})
    listed = ml_api.client.get("/api/fields", params={"filter[keyword]": "renamed"}).json()

    assert renamed.status_code == 200
    assert renamed.json()["data"] == field | {"name": "Renamed"}
    assert [(f["id"], f["key"]) for f in listed["data"]] == [(field["id"], "my_field")]


def test_put_ignores_a_type(ml_api: MlApi) -> None:
    field = ml_api.create_field("Total", "number")

    renamed = ml_api.client.put(f"/api/fields/{field['id']}", json={"name": "T", "type": "date"})

    assert renamed.json()["data"]["type"] == "number"


def test_validation_errors(ml_api: MlApi) -> None:
    bad_type = ml_api.client.post("/api/fields", json={"name": "X", "type": "boolean"})
    missing = ml_api.client.post("/api/fields", json={})
    too_long = ml_api.client.post("/api/fields", json={"name": "n" * 256, "type": "text"})

    assert bad_type.status_code == 422
    assert bad_type.json() == {
        "message": "The selected type is invalid.",
        "errors": {"type": ["The selected type is invalid."]},
    }
    assert missing.json()["errors"] == {
        "name": ["The name field is required."],
        "type": ["The type field is required."],
    }
    assert too_long.json()["errors"]["name"] == ["The name may not be greater than 255 characters."]


def test_field_names_must_be_unique_ignoring_case(ml_api: MlApi) -> None:
    field = ml_api.create_field("Tier")

    duplicate = ml_api.client.post("/api/fields", json={"name": "tier", "type": "text"})
    builtin = ml_api.client.post("/api/fields", json={"name": "Name", "type": "text"})
    other = ml_api.create_field("Other")
    rename_clash = ml_api.client.put(f"/api/fields/{other['id']}", json={"name": "TIER"})
    rename_self = ml_api.client.put(f"/api/fields/{field['id']}", json={"name": "Tier"})

    expected = {
        "message": "Field name must be unique",
        "errors": {"name": ["Field name must be unique"]},
    }
    assert duplicate.status_code == 422 and duplicate.json() == expected
    assert builtin.json() == expected
    assert rename_clash.status_code == 422
    assert rename_self.status_code == 200


def test_delete_answers_204_then_404(ml_api: MlApi) -> None:
    field = ml_api.create_field("Temporary")

    deleted = ml_api.client.delete(f"/api/fields/{field['id']}")
    again = ml_api.client.delete(f"/api/fields/{field['id']}")

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert again.json() == {
        "message": f"No query results for model [App\\Models\\Field] {field['id']}"
    }


def test_deleting_a_field_drops_its_values(ml_api: MlApi) -> None:
    field = ml_api.create_field("Tier")
    ml_api.upsert("t@example.com", fields={"tier": "gold"})

    ml_api.client.delete(f"/api/fields/{field['id']}")
    ml_api.create_field("Tier")
    subscriber = ml_api.client.get("/api/subscribers/t@example.com").json()["data"]

    assert subscriber["fields"]["tier"] is None


def test_builtin_fields_can_be_relabelled_but_not_deleted(ml_api: MlApi) -> None:
    rename = ml_api.client.put("/api/fields/1", json={"name": "First name"})
    delete = ml_api.client.delete("/api/fields/8")

    assert rename.status_code == 200
    assert rename.json()["data"]["key"] == "name"
    assert rename.json()["data"]["name"] == "First name"
    assert delete.status_code == 422 and "id" in delete.json()["errors"]
    keys = [f["key"] for f in ml_api.client.get("/api/fields").json()["data"]]
    assert keys[0] == "name" and "z_i_p" in keys


def test_list_filters_and_sorts(ml_api: MlApi) -> None:
    ml_api.create_field("Birthday", "date")
    ml_api.create_field("Score", "number")
    ml_api.create_field("Alias", "text")

    numbers = ml_api.client.get("/api/fields", params={"filter[type]": "number"}).json()
    by_name = ml_api.client.get("/api/fields", params={"sort": "name", "limit": 3}).json()
    by_type_desc = ml_api.client.get("/api/fields", params={"sort": "-type", "limit": 2}).json()
    bad_type = ml_api.client.get("/api/fields", params={"filter[type]": "bool"})

    assert [f["name"] for f in numbers["data"]] == ["Score"]
    assert [f["name"] for f in by_name["data"]] == ["Alias", "Birthday", "City"]
    assert by_name["meta"]["last_page"] == 4 and by_name["meta"]["total"] == 11
    assert [f["type"] for f in by_type_desc["data"]] == ["text", "text"]
    assert bad_type.status_code == 422


def test_get_one_field_is_not_a_route(ml_api: MlApi) -> None:
    response = ml_api.client.get("/api/fields/1")

    assert response.status_code == 405
