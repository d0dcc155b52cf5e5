"""Helpers for the MailerLite sandbox tests (imported by them and by conftest)."""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.sandbox.mailerlite import MailerLiteApp
from reconciler.sandbox.transport import SandboxTransport

ML_BASE_URL = "https://connect.mailerlite.com"
ML_TOKEN = "ml-test-token"


class MlClock:
    """A clock that only moves when told to (rate-limit windows, timestamps)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01 00:00:00 UTC
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MlApi:
    """An httpx client on a MailerLite sandbox plus shortcuts for common set-up calls."""

    def __init__(self, client: httpx.Client, app: MailerLiteApp) -> None:
        self.client = client
        self.app = app

    def create_group(self, name: str) -> dict[str, Any]:
        response = self.client.post("/api/groups", json={"name": name})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def create_field(self, name: str, type_: str = "text") -> dict[str, Any]:
        response = self.client.post("/api/fields", json={"name": name, "type": type_})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def upsert(self, email: str, **body: Any) -> dict[str, Any]:
        response = self.client.post("/api/subscribers", json={"email": email, **body})
        assert response.status_code in (200, 201), response.text
        return response.json()["data"]

    def admin(self, method: str, path: str, payload: Any = None) -> httpx.Response:
        return self.client.request(method, f"/_sandbox{path}", json=payload)


def ml_client_for(app: MailerLiteApp, token: str | None = ML_TOKEN) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(transport=SandboxTransport(app), base_url=ML_BASE_URL, headers=headers)
