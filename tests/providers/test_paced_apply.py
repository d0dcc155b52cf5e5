"""A long apply against a rate-limited sandbox: no 429, and only the pauses the limit forces.

The in-process MailerLite sandbox enforces a small budget (a few requests per minute)
and announces it in `X-RateLimit-Limit`; the client is configured for MailerLite's 120
and has to learn the lower figure from the answers. Client pacer and sandbox limiter
read one fake clock, which moves only when the client sleeps, so the apply spans
several real-length windows (60 s) in well under a second, and nothing here is timed.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
from pathlib import Path

import httpx

from reconciler.cli.progress import WaitLine
from reconciler.config.loader import load_config
from reconciler.config.model import Config
from reconciler.providers.base import Provider
from reconciler.providers.mailerlite import MailerLite
from reconciler.providers.pacing import reporting_waits
from reconciler.sandbox.mailerlite import create_app
from reconciler.sandbox.transport import SandboxTransport
from reconciler.workflow import Accounts, Run

#: Requests per minute the sandbox allows; the client is not told it beforehand.
LIMIT = 4
WINDOW_S = 60.0
FIELDS = 8
GROUPS = 400  # created through batches of 50


class SharedClock:
    """Fake time for both sides: a sleep that returns at once and moves `now` on."""

    def __init__(self) -> None:
        # Wall-clock-like values, since the sandbox also stamps created_at with them.
        self.now = time.time()
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _config(tmp_path: Path) -> Config:
    fields = "".join(f"  field_{n}: {{type: text}}\n" for n in range(FIELDS))
    groups = "".join(f"  Region {n}: {{}}\n" for n in range(GROUPS))
    path = tmp_path / "espform.yaml"
    path.write_text(
        "provider: {type: mailerlite, token: '${env:ML_TOKEN}'}\n"
        f"fields:\n{fields}groups:\n{groups}"
    )
    return load_config(path, {"ML_TOKEN": "paced-test-token"})


def test_a_long_apply_under_a_small_rate_limit_meets_no_429_and_converges(
    tmp_path: Path,
) -> None:
    clock = SharedClock()
    app = create_app(tmp_path / "ml.db", rate_limit=LIMIT, clock=clock.clock, sleep=lambda _: None)
    config = _config(tmp_path)

    def factory(cfg: Config) -> Provider:
        return MailerLite(cfg.provider, transport=SandboxTransport(app), sleep=clock)  # type: ignore[arg-type]

    async def plan_and_apply() -> tuple[Run, Run]:
        async with Accounts([config], factory) as accounts:
            (run,) = await accounts.plan()
            assert isinstance(run, Run)
            await accounts.execute(run)
        async with Accounts([config], factory) as accounts:
            (again,) = await accounts.plan()
            assert isinstance(again, Run)
        return run, again

    lines = io.StringIO()
    started = clock.now
    try:
        with reporting_waits(WaitLine(lines)):
            run, again = asyncio.run(plan_and_apply())
        with httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox") as admin:
            stats = admin.get("/_sandbox/stats").json()
    finally:
        app.close()

    assert run.applied is not None and run.applied.ok, run.applied
    assert not again.plan.has_changes, "a second plan still finds changes"
    assert stats["throttled_total"] == 0, stats
    requests = stats["total"]
    # Long enough to need several windows, so the client must have paused.
    assert requests > 2 * LIMIT, stats
    waits = lines.getvalue().splitlines()
    assert waits and all(w.endswith(": MailerLite rate limit") for w in waits), waits
    # Only the pauses the limit forces: `requests` fit in ceil(requests / LIMIT) windows,
    # so fake time moved on by less than one window per window after the first, plus
    # the moment each answer takes (the client frees a place a window after its answer).
    windows = math.ceil(requests / LIMIT)
    assert clock.now - started <= (windows - 1) * WINDOW_S + 1.0, (requests, clock.slept)
    assert len(waits) <= windows - 1, waits
