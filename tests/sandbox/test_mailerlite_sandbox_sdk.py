"""The official MailerLite Python SDK (mailerlite==0.2.0) against the served sandbox.

The SDK joins its class attribute `ApiClient.HOST` with relative paths, so pointing an
instance's HOST at the loopback server is all it takes. It wants int ids.
"""

from __future__ import annotations

import httpx
import mailerlite
import pytest
import requests
from mailerlite_support import ML_TOKEN

pytestmark = pytest.mark.serve


@pytest.fixture
def sdk(ml_server: str) -> mailerlite.Client:
    client = mailerlite.Client({"api_key": ML_TOKEN, "timeout": 10})
    client.api_client.HOST = f"{ml_server}/"
    return client


def test_groups(sdk: mailerlite.Client) -> None:
    created = sdk.groups.create("SDK group")["data"]
    group_id = int(created["id"])
    sdk.subscribers.create("member@example.com", groups=[created["id"]])

    listed = sdk.groups.list(limit=10, page=1, sort="name", filter={"name": "sdk"})
    renamed = sdk.groups.update(group_id, "SDK group renamed")["data"]
    members = sdk.groups.get_group_subscribers(group_id, limit=5, filter={"status": "active"})
    deleted = sdk.groups.delete(group_id)

    assert [g["id"] for g in listed["data"]] == [created["id"]]
    assert listed["meta"]["path"].startswith("http://127.0.0.1:")
    assert renamed["name"] == "SDK group renamed"
    assert [s["email"] for s in members["data"]] == ["member@example.com"]
    assert members["meta"]["next_cursor"] is None
    assert deleted is True
    with pytest.raises(requests.HTTPError) as raised:
        sdk.groups.delete(group_id)
    assert raised.value.response is not None
    assert raised.value.response.status_code == 404


def test_fields(sdk: mailerlite.Client) -> None:
    created = sdk.fields.create("My Field", "text")["data"]

    listed = sdk.fields.list(limit=100, page=1, sort="name", filter={"type": "text"})
    renamed = sdk.fields.update(int(created["id"]), "My renamed field")["data"]
    deleted = sdk.fields.delete(int(created["id"]))

    assert created["key"] == "my_field"
    assert "my_field" in [f["key"] for f in listed["data"]]
    assert (renamed["name"], renamed["key"]) == ("My renamed field", "my_field")
    assert deleted is True
    assert [f["key"] for f in sdk.fields.list()["data"]][-1] == "z_i_p"


def test_segments(sdk: mailerlite.Client, ml_server: str) -> None:
    sdk.subscribers.create("seg@example.com")
    seeded = httpx.post(
        f"{ml_server}/_sandbox/segments", json={"name": "Seeded", "emails": ["seg@example.com"]}
    ).json()["data"]
    segment_id = int(seeded["id"])

    listed = sdk.segments.list(limit=25, page=1)
    fetched = sdk.segments.get(segment_id)["data"]
    updated = sdk.segments.update(segment_id, "Renamed segment")
    deleted = sdk.segments.delete(segment_id)

    assert [(s["name"], s["total"]) for s in listed["data"]] == [("Seeded", 1)]
    assert fetched["id"] == seeded["id"]
    assert updated is True and deleted is True
    assert sdk.segments.list()["data"] == []


def test_subscribers_and_membership(sdk: mailerlite.Client) -> None:
    group = sdk.groups.create("Members")["data"]
    created = sdk.subscribers.create("Person@Example.com", fields={"name": "Pat"})["data"]
    subscriber_id = int(created["id"])

    upserted = sdk.subscribers.update("person@example.com", fields={"city": "Oslo"})["data"]
    by_email = sdk.subscribers.get("person@example.com")["data"]
    by_id = sdk.subscribers.get(subscriber_id)["data"]
    listed = sdk.subscribers.list(limit=10, filter={"status": "active"})
    count = sdk.subscribers.count()
    assigned = sdk.subscribers.assign_subscriber_to_group(subscriber_id, int(group["id"]))
    in_group = sdk.groups.get_group_subscribers(int(group["id"]))["data"]
    unassigned = sdk.subscribers.unassign_subscriber_from_group(subscriber_id, int(group["id"]))
    deleted = sdk.subscribers.delete(subscriber_id)

    assert created["email"] == "person@example.com"
    assert upserted["fields"]["name"] == "Pat" and upserted["fields"]["city"] == "Oslo"
    assert by_email["id"] == by_id["id"] == created["id"]
    assert [s["id"] for s in listed["data"]] == [created["id"]]
    assert count == {"total": 1}
    assert assigned["data"]["id"] == group["id"]
    assert [s["id"] for s in in_group] == [created["id"]]
    assert unassigned is True and deleted is True
    assert sdk.subscribers.count() == {"total": 0}


def test_batch(sdk: mailerlite.Client) -> None:
    answer = sdk.batches.request(
        [
            {"method": "POST", "path": "api/groups", "body": {"name": "Batched"}},
            {"method": "GET", "path": "api/campaigns/list"},
        ]
    )

    assert (answer["total"], answer["successful"], answer["failed"]) == (2, 1, 1)
    assert [r["code"] for r in answer["responses"]] == [201, 404]


def test_wrong_token_and_dropped_connections(ml_server: str) -> None:
    bad = mailerlite.Client({"api_key": "", "timeout": 10})
    bad.api_client.HOST = f"{ml_server}/"
    with pytest.raises(requests.HTTPError) as raised:
        bad.groups.list()
    assert raised.value.response is not None
    assert raised.value.response.status_code == 401
    assert raised.value.response.json() == {"message": "Unauthenticated."}

    good = mailerlite.Client({"api_key": ML_TOKEN, "timeout": 10})
    good.api_client.HOST = f"{ml_server}/"
    httpx.post(f"{ml_server}/_sandbox/faults", json={"drop": 1})
    with pytest.raises(requests.ConnectionError):
        good.groups.list()
    assert good.groups.list()["data"] == []
