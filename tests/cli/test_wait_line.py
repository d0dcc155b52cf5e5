"""Pauses for rate limits are told on stderr, one line each."""

from __future__ import annotations

import io

from reconciler.cli.progress import WaitLine
from reconciler.providers.pacing import Wait


def test_a_429_pause_says_how_long_why_and_that_the_server_refused() -> None:
    stream = io.StringIO()
    line = WaitLine(stream)

    line(Wait(12.2, "MailerLite rate limit", throttled=True))
    line(Wait(58, "MailerLite rate limit"))

    assert stream.getvalue().splitlines() == [
        "waiting 12 s: MailerLite rate limit (the server answered 429)",
        "waiting 58 s: MailerLite rate limit",
    ]
