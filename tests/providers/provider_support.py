"""Shared helpers for the provider tests: fixtures on disk, a sleep that never waits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from reconciler.config.provider import MailerLiteProvider
from reconciler.engine.plan import Action, Change
from reconciler.model import Address, Field, Group, Segment
from reconciler.providers.mailerlite import MailerLite

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mailerlite"
BASE = "https://connect.mailerlite.com"
TOKEN = "mlk-test-5d1f0c9e-do-not-print"
ENV = "MAILERLITE_API_TOKEN"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class SleepRecorder:
    """Stands in for asyncio.sleep: records each requested wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def config(**overrides: Any) -> MailerLiteProvider:
    values: dict[str, Any] = {"type": "mailerlite", "token": SecretStr(TOKEN), **overrides}
    return MailerLiteProvider(**values).model_copy(update={"credential_env": ENV})


def make_provider(
    *,
    sleep: SleepRecorder | None = None,
    max_attempts: int = 4,
    transport: httpx.AsyncBaseTransport | None = None,
) -> MailerLite:
    return MailerLite(
        config(), transport=transport, max_attempts=max_attempts, sleep=sleep or SleepRecorder()
    )


def run(scenario: Callable[[], Any]) -> Any:
    """Run an async scenario function to completion in a fresh event loop."""
    return asyncio.run(scenario())


def address(kind: str, name: str) -> Address:
    return Address.of("mailerlite", kind, name)


def create_group(name: str) -> Change:
    return Change(
        address("group", name), Action.CREATE, None, Group(address=address("group", name))
    )


def create_field(key: str, type_: str = "text", name: str | None = None) -> Change:
    after = Field(address=address("field", key), name=name, type=type_)
    return Change(address("field", key), Action.CREATE, None, after)


def rename(kind: str, old: str, new: str, remote_id: str) -> Change:
    cls = {"group": Group, "segment": Segment}[kind]
    before = cls(address=address(kind, old), id=remote_id)
    after = cls(address=address(kind, new), renamed_from=(old,))
    return Change(address(kind, new), Action.RENAME, before, after)


def delete(kind: str, name: str, remote_id: str) -> Change:
    cls = {"group": Group, "segment": Segment, "field": Field}[kind]
    return Change(
        address(kind, name), Action.DELETE, cls(address=address(kind, name), id=remote_id), None
    )


def update_field(key: str, remote_id: str, old_name: str, new_name: str) -> Change:
    before = Field(address=address("field", key), id=remote_id, name=old_name, type="text")
    after = Field(address=address("field", key), name=new_name, type="text")
    return Change(address("field", key), Action.UPDATE, before, after)


def replace_field(key: str, remote_id: str, name: str, old_type: str, new_type: str) -> Change:
    before = Field(address=address("field", key), id=remote_id, name=name, type=old_type)
    after = Field(address=address("field", key), name=name, type=new_type)
    return Change(address("field", key), Action.REPLACE, before, after, destructive=True)
