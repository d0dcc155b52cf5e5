"""Fault injection on both sandbox flavors: every kind, queued and at a seeded rate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import open_app
from reconciler.sandbox.core import SandboxApp
from reconciler.sandbox.transport import SandboxTransport

#: Per flavor: where groups/audiences are created, a body for one, and how to count them.
FLAVORS = {
    "mailerlite": ("/api/groups", {"name": "Partners"}, "data"),
    "mailchimp": (
        "/3.0/lists",
        {
            "name": "Shop",
            "contact": {
                "company": "Shop",
                "address1": "1 Road",
                "city": "Town",
                "state": "",
                "zip": "1",
                "country": "US",
            },
            "permission_reminder": "You bought something.",
            "campaign_defaults": {
                "from_name": "Shop",
                "from_email": "shop@example.test",
                "subject": "",
                "language": "en",
            },
            "email_type_option": False,
        },
        "lists",
    ),
}


@pytest.fixture(params=sorted(FLAVORS))
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(flavor: str, tmp_path: Path) -> Iterator[SandboxApp]:
    opened = open_app(flavor, tmp_path / f"{flavor}.db")
    yield opened
    opened.close()


@pytest.fixture
def client(app: SandboxApp) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(app),
        base_url="http://sandbox.invalid",
        headers={"Authorization": "Bearer any-token"},
    )


def _count(client: httpx.Client, flavor: str) -> int:
    path, _body, key = FLAVORS[flavor]
    return len(client.get(path).json()[key])


def _create(client: httpx.Client, flavor: str) -> httpx.Response:
    path, body, _key = FLAVORS[flavor]
    return client.post(path, json=body)


def test_drop_before_writes_nothing_and_drop_after_writes(client: httpx.Client, flavor: str):
    client.post("/_sandbox/faults", json={"kind": "drop-before"})
    with pytest.raises(httpx.RemoteProtocolError):
        _create(client, flavor)
    assert _count(client, flavor) == 0

    client.post("/_sandbox/faults", json={"kind": "drop-after"})
    with pytest.raises(httpx.RemoteProtocolError):
        _create(client, flavor)
    assert _count(client, flavor) == 1


@pytest.mark.parametrize("kind", ["truncated", "non-json"])
def test_mangled_answers_come_after_the_write(client: httpx.Client, flavor: str, kind: str):
    client.post("/_sandbox/faults", json={"kind": kind})
    response = _create(client, flavor)
    assert response.is_success
    with pytest.raises(ValueError):
        response.json()
    assert _count(client, flavor) == 1


def test_html_200_never_reaches_the_api(client: httpx.Client, flavor: str):
    client.post("/_sandbox/faults", json={"kind": "html-200"})
    response = _create(client, flavor)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert _count(client, flavor) == 0


def test_status_and_429_answer_in_the_flavors_error_shape(client: httpx.Client, flavor: str):
    client.post("/_sandbox/faults", json={"kind": "503"})
    client.post("/_sandbox/faults", json={"kind": "429"})
    unavailable, throttled = _create(client, flavor), _create(client, flavor)
    assert unavailable.status_code == 503
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "1"
    shape = "message" if flavor == "mailerlite" else "title"
    assert shape in unavailable.json() and shape in throttled.json()
    assert _count(client, flavor) == 0


def test_random_faults_are_seeded_and_repeatable(client: httpx.Client, flavor: str):
    path = FLAVORS[flavor][0]
    settings = {"rate": 0.5, "kinds": ["500", "503"], "seed": 11}

    def run() -> list[int]:
        client.put("/_sandbox/faults/random", json=settings)  # storing again reseeds
        return [client.get(path).status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < first.count(200) < 35
    assert set(first) == {200, 500, 503}
    assert client.get("/_sandbox/faults/random").json()["random"]["seed"] == 11

    assert client.delete("/_sandbox/faults/random").status_code == 204
    assert {client.get(path).status_code for _ in range(20)} == {200}


def test_bad_fault_settings_are_refused(client: httpx.Client):
    assert client.put("/_sandbox/faults/random", json={"rate": 2}).status_code >= 400
    refused = client.put("/_sandbox/faults/random", json={"rate": 0.1, "kinds": ["boom"]})
    assert refused.status_code >= 400
    assert "boom" in refused.text
    assert client.post("/_sandbox/faults", json={"kind": "boom"}).status_code >= 400


def test_delete_faults_clears_queued_and_random(client: httpx.Client, flavor: str):
    client.post("/_sandbox/faults", json={"kind": "500", "count": 3})
    client.put("/_sandbox/faults/random", json={"rate": 1.0, "kinds": ["503"]})
    client.delete("/_sandbox/faults")
    assert client.get(FLAVORS[flavor][0]).status_code == 200
    assert client.get("/_sandbox/faults/random").json()["random"] is None
