"""Fixtures and helpers for the Mailchimp sandbox tests.

Fixtures are registered under `mc_*` names (`@pytest.fixture(name=...)`); a test module
imports the `*_fixture` functions it needs so pytest finds them in its namespace.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.core import SandboxApp
from reconciler.sandbox.mailchimp import MailchimpSandbox, create_app
from reconciler.sandbox.server import make_server
from reconciler.sandbox.transport import SandboxTransport

MC_KEY = "0123456789abcdef0123456789abcdef-us1"
#: Never a real host: requests only ever reach the mounted transport.
MC_HOST = "http://mailchimp.sandbox.test"
MC_BASE_URL = f"{MC_HOST}/3.0"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"


def md5_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


def audience_body(name: str = "Shop", **overrides: Any) -> dict[str, Any]:
    """A complete create-audience body, as the API requires it."""
    body: dict[str, Any] = {
        "name": name,
        "contact": {
            "company": "Pet Care Ltd",
            "address1": "1 High Street",
            "city": "Leeds",
            "state": "",
            "zip": "LS1 1AA",
            "country": "GB",
        },
        "permission_reminder": "You signed up at our shop.",
        "campaign_defaults": {
            "from_name": "Pet Care",
            "from_email": "news@petcare.example",
            "subject": "",
            "language": "en",
        },
        "email_type_option": False,
    }
    body.update(overrides)
    return body


def mc_client_for(app: SandboxApp, key: str | None = MC_KEY) -> httpx.Client:
    auth = ("anystring", key) if key is not None else None
    return httpx.Client(transport=SandboxTransport(app), base_url=MC_BASE_URL, auth=auth)


def assert_problem(response: httpx.Response, status: int, title: str) -> dict[str, Any]:
    """The response is a problem document with this status and title; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["title"] == title
    assert body["detail"]
    assert body["instance"] == response.headers["x-request-id"]
    return body


def error_fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


class McApi:
    """An httpx client on a Mailchimp sandbox plus shortcuts for common set-up calls."""

    def __init__(self, client: httpx.Client, app: MailchimpSandbox) -> None:
        self.client = client
        self.app = app

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return response.json()

    def create_list(self, name: str = "Shop", **overrides: Any) -> str:
        return str(self.ok(self.client.post("/lists", json=audience_body(name, **overrides)))["id"])

    def add_field(self, list_id: str, **body: Any) -> dict[str, Any]:
        return dict(self.ok(self.client.post(f"/lists/{list_id}/merge-fields", json=body)))

    def add_category(self, list_id: str, title: str, type_: str = "checkboxes") -> str:
        body = {"title": title, "type": type_}
        path = f"/lists/{list_id}/interest-categories"
        return str(self.ok(self.client.post(path, json=body))["id"])

    def add_interest(self, list_id: str, category_id: str, name: str) -> str:
        path = f"/lists/{list_id}/interest-categories/{category_id}/interests"
        return str(self.ok(self.client.post(path, json={"name": name}))["id"])

    def put_member(self, list_id: str, email: str, **body: Any) -> dict[str, Any]:
        body.setdefault("email_address", email)
        body.setdefault("status_if_new", "subscribed")
        path = f"/lists/{list_id}/members/{md5_hash(email)}"
        return dict(self.ok(self.client.put(path, json=body)))

    def tag(self, list_id: str, email: str, *names: str, status: str = "active") -> None:
        path = f"/lists/{list_id}/members/{md5_hash(email)}/tags"
        tags = [{"name": n, "status": status} for n in names]
        response = self.client.post(path, json={"tags": tags})
        assert response.status_code == 204, response.text

    def create_segment(self, list_id: str, name: str, **body: Any) -> dict[str, Any]:
        path = f"/lists/{list_id}/segments"
        return dict(self.ok(self.client.post(path, json={"name": name, **body})))

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, f"{MC_HOST}/_sandbox{path}", **kwargs)


@pytest.fixture(name="mc_db_path")
def mc_db_path_fixture(tmp_path: Path) -> Path:
    return tmp_path / "mailchimp.db"


@pytest.fixture(name="mc_make_app")
def mc_make_app_fixture(mc_db_path: Path) -> Iterator[Callable[..., MailchimpSandbox]]:
    """Opens apps on the test's database file (several may be open at once)."""
    opened: list[MailchimpSandbox] = []

    def make(**options: Any) -> MailchimpSandbox:
        options.setdefault("api_key", MC_KEY)
        app = create_app(options.pop("db_path", mc_db_path), **options)
        opened.append(app)
        return app

    yield make
    for app in opened:
        app.close()


@pytest.fixture(name="mc_app")
def mc_app_fixture(mc_make_app: Callable[..., MailchimpSandbox]) -> MailchimpSandbox:
    return mc_make_app()


@pytest.fixture(name="mc_client")
def mc_client_fixture(mc_app: MailchimpSandbox) -> Iterator[httpx.Client]:
    with mc_client_for(mc_app) as client:
        yield client


@pytest.fixture(name="mc_api")
def mc_api_fixture(mc_client: httpx.Client, mc_app: MailchimpSandbox) -> McApi:
    return McApi(mc_client, mc_app)


@pytest.fixture(name="mc_list_id")
def mc_list_id_fixture(mc_api: McApi) -> str:
    return mc_api.create_list()


@pytest.fixture(name="mc_server")
def mc_server_fixture(mc_app: MailchimpSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served on a free loopback port in a background thread; yields its URL."""
    # Loopback must never go through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = make_server(mc_app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
