"""Mailchimp sandbox: audience webhooks, `/lists/{list_id}/webhooks`."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

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
)

URL = "https://crm.example.com/hooks/mc?token=abc"
EVENTS = {"subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign"}


def test_create_answers_the_webhook_with_every_flag(mc_api: McApi, mc_list_id: str) -> None:
    body = {"url": URL, "events": {"unsubscribe": True}, "sources": {"user": True}}
    made = mc_api.ok(mc_api.client.post(f"/lists/{mc_list_id}/webhooks", json=body))

    assert (made["url"], made["list_id"]) == (URL, mc_list_id)
    assert set(made["events"]) == EVENTS
    assert [e for e, on in made["events"].items() if on] == ["unsubscribe"]
    assert made["sources"] == {"user": True, "admin": False, "api": False}
    assert isinstance(made["id"], str) and made["_links"]


def test_the_list_is_one_answer_with_its_total(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/webhooks"
    for n in range(3):
        mc_api.ok(mc_api.client.post(path, json={"url": f"{URL}{n}"}))

    listed = mc_api.ok(mc_api.client.get(path))

    assert [w["url"] for w in listed["webhooks"]] == [f"{URL}{n}" for n in range(3)]
    assert (listed["list_id"], listed["total_items"]) == (mc_list_id, 3)


def test_one_url_is_one_webhook_per_audience(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/webhooks"
    mc_api.ok(mc_api.client.post(path, json={"url": URL}))

    again = mc_api.client.post(path, json={"url": URL})

    body = assert_problem(again, 400, "Invalid Resource")
    assert URL not in body["detail"]
    other = mc_api.create_list("Other shop")
    mc_api.ok(mc_api.client.post(f"/lists/{other}/webhooks", json={"url": URL}))


def test_create_needs_an_http_url(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/webhooks"
    missing = mc_api.client.post(path, json={"events": {"subscribe": True}})
    not_http = mc_api.client.post(path, json={"url": "ftp://crm.example.com/x"})

    assert_problem(missing, 400, "Invalid Resource")
    assert error_fields(missing) == {"url"}
    assert error_fields(not_http) == {"url"}


def test_patch_keeps_the_flags_it_does_not_send(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/webhooks"
    body = {"url": URL, "events": {"unsubscribe": True}, "sources": {"user": True}}
    made = mc_api.ok(mc_api.client.post(path, json=body))

    patched = mc_api.ok(
        mc_api.client.patch(f"{path}/{made['id']}", json={"events": {"cleaned": True}})
    )

    assert patched["id"] == made["id"] and patched["url"] == URL
    assert {e for e, on in patched["events"].items() if on} == {"unsubscribe", "cleaned"}
    assert patched["sources"] == made["sources"]
    assert mc_api.ok(mc_api.client.get(f"{path}/{made['id']}"))["events"] == patched["events"]


def test_delete_answers_204_then_404(mc_api: McApi, mc_list_id: str) -> None:
    path = f"/lists/{mc_list_id}/webhooks"
    made = mc_api.ok(mc_api.client.post(path, json={"url": URL}))

    assert mc_api.client.delete(f"{path}/{made['id']}").status_code == 204

    assert_problem(mc_api.client.delete(f"{path}/{made['id']}"), 404, "Resource Not Found")
    assert mc_api.ok(mc_api.client.get(path))["webhooks"] == []


def test_deleting_the_audience_deletes_its_webhooks(
    mc_api: McApi, mc_list_id: str, mc_db_path: Path
) -> None:
    mc_api.ok(mc_api.client.post(f"/lists/{mc_list_id}/webhooks", json={"url": URL}))

    assert mc_api.client.delete(f"/lists/{mc_list_id}").status_code == 204

    assert_problem(mc_api.client.get(f"/lists/{mc_list_id}/webhooks"), 404, "Resource Not Found")
    with closing(sqlite3.connect(mc_db_path)) as db:
        assert db.execute("SELECT count(*) FROM webhooks").fetchone() == (0,)
