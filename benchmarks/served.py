"""The sandbox served over loopback, and the reference reads espform is compared with.

`espform sandbox serve` runs as its own process with `--no-rate-limit` (so the
sandbox never answers 429 and reads measure the client, not the ESP's limit), as a user
would start it. The reference reads use
httpx directly and fetch and json-parse the very pages espform's plan reads:

- *bare loop*: one page after another, the simplest correct client;
- *fastest legal read*: as parallel as the API allows. MailerLite's subscriber list is
  cursor-paged, so each status's pages are sequential, but the five status walks are
  independent and run at once. Mailchimp's members are count/offset-paged: the first
  page gives `total_items`, then every other offset is requested at once within the
  connection limit (10).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.providers.mailchimp_members import MEMBER_FIELDS
from reconciler.providers.mailerlite_scan import SCAN_PAGE_SIZE, SCAN_STATUSES

#: Credentials the served sandbox accepts (it takes any non-empty one).
TOKENS = {"ML_TOKEN": "benchmark-token", "MC_KEY": "0123456789abcdef0123456789abcdef-us6"}
MAILCHIMP_CONNECTIONS = 10
ESPFORM = (sys.executable, "-m", "reconciler")


@contextmanager
def serve(flavor: str, db: Path) -> Iterator[str]:
    """`espform sandbox serve` on a free port; yields its base URL, stops it after."""
    process = subprocess.Popen(
        [
            *ESPFORM,
            "sandbox",
            "serve",
            "--flavor",
            flavor,
            "--db",
            str(db),
            "--port",
            "0",
            "--no-rate-limit",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            raise RuntimeError(f"espform sandbox serve did not start: {line!r}")
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class ProcessRun:
    """One espform command run as its own process."""

    seconds: float
    #: Peak resident set size of that process alone (`wait4`'s rusage), in bytes.
    peak_rss: int
    exit_code: int
    output: str


def run_espform(*args: str | Path) -> ProcessRun:
    """Run `espform ARGS` as a subprocess; its wall time and its own peak RSS."""
    env = {**os.environ, **TOKENS, "NO_COLOR": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*ESPFORM, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    # wait4 gives the rusage of this child only (RUSAGE_CHILDREN would mix in the
    # served sandbox and every other child once they are reaped).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    peak = usage.ru_maxrss * 1024 if sys.platform != "darwin" else usage.ru_maxrss
    return ProcessRun(seconds, peak, process.returncode, output.decode(errors="replace"))


def startup_seconds() -> float:
    """What starting espform costs before it reads anything (best of three)."""
    return min(run_espform("--help").seconds for _ in range(3))


def _mailchimp_auth() -> tuple[str, str]:
    return ("benchmark", TOKENS["MC_KEY"])


def _audience_path(client: httpx.Client) -> str:
    (audience,) = client.get("/3.0/lists", params={"count": 1000}).json()["lists"]
    return f"/3.0/lists/{audience['id']}/members"


def bare_loop(flavor: str, url: str) -> tuple[float, int]:
    """Fetch and parse every subscriber page one after another: seconds, pages."""
    pages = 0
    started = time.perf_counter()
    if flavor == "mailerlite":
        headers = {"Authorization": f"Bearer {TOKENS['ML_TOKEN']}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for status in SCAN_STATUSES:
                cursor: str | None = None
                while True:
                    params: dict[str, Any] = _mailerlite_params(status)
                    if cursor:
                        params["cursor"] = cursor
                    body = client.get("/api/subscribers", params=params).json()
                    pages += 1
                    cursor = body["meta"].get("next_cursor")
                    if not cursor or not body["data"]:
                        break
        return time.perf_counter() - started, pages
    with httpx.Client(base_url=url, auth=_mailchimp_auth(), timeout=120) as client:
        path = _audience_path(client)
        offset, total = 0, 1
        while offset < total:
            params = {"count": 1000, "offset": offset, "fields": MEMBER_FIELDS}
            body = client.get(path, params=params).json()
            pages += 1
            total = body["total_items"]
            if not body["members"]:
                break
            offset += len(body["members"])
    return time.perf_counter() - started, pages


def _mailerlite_params(status: str) -> dict[str, Any]:
    return {"limit": SCAN_PAGE_SIZE, "include": "groups", "filter[status]": status}


def fastest_read(flavor: str, url: str) -> tuple[float, int]:
    """The same pages, as parallel as the API allows: seconds, pages."""
    started = time.perf_counter()
    pages = asyncio.run(_fastest(flavor, url))
    return time.perf_counter() - started, pages


async def _fastest(flavor: str, url: str) -> int:
    limits = httpx.Limits(max_connections=MAILCHIMP_CONNECTIONS)
    if flavor == "mailerlite":
        headers = {"Authorization": f"Bearer {TOKENS['ML_TOKEN']}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:

            async def walk(status: str) -> int:
                pages, cursor = 0, None
                while True:
                    params = _mailerlite_params(status) | ({"cursor": cursor} if cursor else {})
                    body = (await client.get("/api/subscribers", params=params)).json()
                    pages += 1
                    cursor = body["meta"].get("next_cursor")
                    if not cursor or not body["data"]:
                        return pages

            return sum(await asyncio.gather(*(walk(s) for s in SCAN_STATUSES)))
    async with httpx.AsyncClient(
        base_url=url, auth=_mailchimp_auth(), limits=limits, timeout=120
    ) as client:
        (audience,) = (await client.get("/3.0/lists")).json()["lists"]
        path = f"/3.0/lists/{audience['id']}/members"

        async def page(offset: int) -> dict[str, Any]:
            params = {"count": 1000, "offset": offset, "fields": MEMBER_FIELDS}
            return (await client.get(path, params=params)).json()

        first = await page(0)
        step = len(first["members"]) or 1
        rest = await asyncio.gather(*(page(o) for o in range(step, first["total_items"], step)))
        return 1 + len(rest)
