"""Ctrl-C (SIGINT) and SIGTERM during `espform apply`: a summary, no traceback, 130/143.

The apply runs as a subprocess against the served MailerLite sandbox, slowed down by
its latency fault so that the signal lands while writes are going on; the signal is
sent once the sandbox has seen a chosen number of requests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconciler import workflow
from tests.cli.conftest import serve_sandbox
from tests.cli.test_kill_apply import (
    ENV,
    ESPFORM,
    Account,
    _assert_remaining,
    _assert_unique,
    _plan,
    _seed,
)

GROUPS = 160  # four batches of structural writes


def _config(url: str) -> str:
    groups = "\n".join(f"  Plain {n}: {{}}" for n in range(GROUPS))
    return (
        f"provider: {{type: mailerlite, token: '${{env:ML_TOKEN}}', base_url: '{url}'}}\n"
        "settings: {max_membership_change_percent: 100}\n"
        "fields: {tier: {type: text}}\n"
        f"groups:\n{groups}\n"
        "  Gold: {rule: {field: tier, equals: gold}}\n"
    )


def _start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ESPFORM, "apply", "-c", str(config), "--auto-approve", "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ENV, "NO_COLOR": "1"},
    )


def _wait_for(account: Account, start: int, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while account.requests() - start < count:
        assert process.poll() is None, "the apply ended before the signal"
        assert time.monotonic() < deadline, "the apply never got that far"
        time.sleep(0.005)


@contextmanager
def _running(
    tmp_path: Path, writes: int
) -> Iterator[tuple[Account, Path, workflow.Run, subprocess.Popen[str]]]:
    """A seeded, served account and an apply of `_config` against it, `writes` requests
    past its reads (each request slowed down by 150 ms)."""
    db = tmp_path / "ml.db"
    _seed("mailerlite", db)
    with serve_sandbox(db, "mailerlite") as url:
        account = Account("mailerlite", url)
        config = tmp_path / "espform.yaml"
        config.write_text(_config(url))
        first = _plan(config)
        account.client.post("/_sandbox/faults", json={"latency_ms": 150, "count": 1000})
        start = account.requests()
        process = _start(config)
        try:
            _wait_for(account, start, first.requests + writes, process)
            yield account, config, first, process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_apply_with_a_summary(signum, code, tmp_path: Path) -> None:
    with _running(tmp_path, writes=2) as (account, config, first, process):
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)

        assert process.returncode == code, out + err
        assert "Traceback" not in err
        assert "Interrupted. Done: " in err
        assert "Not done: " in err
        assert "Run `espform plan` to see what remains." in err
        done = err.split("Interrupted. Done: ")[1].split(" ")[0]
        assert 0 < int(done) < GROUPS + 2, err  # some changes made, not all
        assert "Apply complete" not in out
        account.client.delete("/_sandbox/faults")
        _assert_unique(account, "after the signal")
        _assert_remaining(first, _plan(config), "after the signal")


def test_a_second_ctrl_c_ends_it_too(tmp_path: Path) -> None:
    with _running(tmp_path, writes=1) as (account, _, _, process):
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)

        assert process.returncode == 130, out + err
        assert "Traceback" not in err
        assert "run `espform plan` to see what remains" in err.lower()
        account.client.delete("/_sandbox/faults")
        _assert_unique(account, "after two interrupts")
