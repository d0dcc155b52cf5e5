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
#: A Mailchimp key of the real shape (32 hex digits, data center suffix); not a real one.
MC_KEY = "5e8b1c0d9a7f4e3b2c1d0e9f8a7b6c5d-us21"
ENV = {"MAILERLITE_API_TOKEN": TOKEN, "MAILCHIMP_API_KEY": MC_KEY}
