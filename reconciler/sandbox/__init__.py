"""A local ESP for tests, examples and dry runs: SQLite store behind ESP-shaped HTTP APIs.

The same `SandboxApp` serves in-process (as an httpx transport, see `transport`) and over
loopback (`espform sandbox serve`, see `server`). Each flavor lives in its own subpackage.
"""

from reconciler.sandbox.core import SandboxApp, SandboxRequest, SandboxResponse, open_app

__all__ = ["SandboxApp", "SandboxRequest", "SandboxResponse", "open_app"]
