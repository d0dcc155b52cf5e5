"""What every benchmark shares: running espform in-process, counting the requests the
embedded sandbox served, and measuring wall time and peak memory.

Time and memory are measured in separate passes of the same command: tracemalloc slows
Python code down several times, so a timed pass under it would mostly time tracemalloc.
A command that changes the account runs every further pass on a copy of the account as
it was before the first (`Snapshot`), so all passes do the same work.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.sandbox import open_app
from reconciler.sandbox.core import SandboxRequest

T = TypeVar("T")


@dataclass
class Measurement:
    """One command on one account: what it cost."""

    requests: int
    seconds: float
    peak_bytes: int
    #: Anything else the scenario counted (changes, subscribers, bounds...).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / (1024 * 1024)


class Sandbox:
    """A sandbox account file, driven through its own request handler (admin API)."""

    def __init__(self, flavor: str, db: Path) -> None:
        self.flavor = flavor
        self.db = db

    @contextmanager
    def session(self) -> Iterator[Callable[..., tuple[int, Any]]]:
        """`call(method, path, body=None, query="")` against one open app."""
        app = open_app(self.flavor, self.db)

        def call(method: str, path: str, body: Any = None, query: str = "") -> tuple[int, Any]:
            payload = b"" if body is None else json.dumps(body).encode()
            headers = {"authorization": "Bearer benchmark", "content-type": "application/json"}
            response = app.handle(SandboxRequest.build(method, path, query, headers, payload))
            return response.status, response.payload()

        try:
            yield call
        finally:
            app.close()

    def call(self, method: str, path: str, body: Any = None, query: str = "") -> tuple[int, Any]:
        with self.session() as call:
            return call(method, path, body, query)

    def reset_requests(self) -> None:
        status, _ = self.call("DELETE", "/_sandbox/stats")
        assert status == 204, status

    def requests(self) -> int:
        """API requests served since the last reset (a MailerLite batch counts once)."""
        status, payload = self.call("GET", "/_sandbox/stats")
        assert status == 200, payload
        return int(payload["total"])


class Snapshot:
    """A copy of an account file, taken with SQLite's backup API (safe in WAL mode)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.copy = db.with_name(db.name + ".snapshot")
        _backup(db, self.copy)

    def discard(self) -> None:
        self.copy.unlink(missing_ok=True)

    def restore(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(str(self.db) + suffix).unlink(missing_ok=True)
        self.db.unlink(missing_ok=True)
        _backup(self.copy, self.db)


def _backup(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def espform(*args: str | Path, ok: tuple[int, ...] = (0, 2)) -> Result:
    """Run the espform command in this process; fail loudly on an unexpected exit code."""
    result = CliRunner().invoke(main, [str(a) for a in args], env={"NO_COLOR": "1"})
    if result.exit_code not in ok:
        raise RuntimeError(
            f"espform {' '.join(map(str, args))} exited {result.exit_code}:\n{result.output}"
            + (f"\n{result.exception!r}" if result.exception else "")
        )
    return result


def measure(
    sandbox: Sandbox, command: Callable[[], T], *, changes_account: bool, timed_passes: int = 2
) -> tuple[Measurement, T]:
    """Time `command` (and count its requests), then measure its peak memory.

    The time is the best of `timed_passes`: other processes on the machine only ever
    add time, so the fastest pass is the closest to the command's own cost. A command
    that changes the account is restored from a snapshot before each further pass.
    Returns the measurement and what the first pass returned.
    """
    snapshot = Snapshot(sandbox.db) if changes_account else None
    best = float("inf")
    requests = 0
    value: T | None = None
    try:
        for attempt in range(max(timed_passes, 1)):
            if attempt and snapshot is not None:
                snapshot.restore()
            sandbox.reset_requests()
            gc.collect()
            started = time.perf_counter()
            result = command()
            best = min(best, time.perf_counter() - started)
            if attempt == 0:
                value, requests = result, sandbox.requests()
        if snapshot is not None:
            snapshot.restore()
        gc.collect()
        tracemalloc.start()
        try:
            command()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        if snapshot is not None:
            snapshot.discard()
    # Every pass started from the same account, so the last one leaves it as the first
    # one left it: the next step of a scenario continues from there.
    return Measurement(requests=requests, seconds=best, peak_bytes=peak), cast(T, value)
