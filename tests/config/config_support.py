"""Constants and fixture types shared by the config tests.

A module of its own (not `conftest`): other test folders have a conftest too, and only a
unique module name is safe to import from test modules.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.config import Config

Write = Callable[..., str]
Load = Callable[..., Config]
IssuesOf = Callable[..., list[str]]

#: Looks like a real key so that a leak would be obvious; it is not one.
TOKEN = "mlsk_live_7f3a9c2e1b8d4f60"
ENV = {"MAILERLITE_API_TOKEN": TOKEN}
