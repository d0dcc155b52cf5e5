from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main


@pytest.fixture(autouse=True)
def _no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def write_config(tmp_path: Path):
    """Write an espform.yaml (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "espform.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def espform():
    """Run the espform command in-process; returns click's Result."""

    def run(
        *args: str | Path, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)

    return run


@contextmanager
def serve_sandbox(db: Path, flavor: str, *extra: str, limits: bool = False) -> Iterator[str]:
    """`espform sandbox serve` on a free loopback port, as a real subprocess; yields its URL.

    Its request limits are off unless `limits` (tests that do not test pacing stay fast
    whatever they send)."""
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--flavor", flavor]
    if not limits:
        command.append("--no-rate-limit")
    proc = subprocess.Popen(
        [*command, "--port", "0", "--db", str(db), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, f"serve did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[str]:
    """The MailerLite flavor served, accepting only the token `s3cret-token`."""
    with serve_sandbox(tmp_path / "served.db", "mailerlite", "--token", "s3cret-token") as url:
        yield url


@pytest.fixture
def served_mailchimp(tmp_path: Path) -> Iterator[str]:
    """The Mailchimp flavor served, accepting any key."""
    with serve_sandbox(tmp_path / "served-mc.db", "mailchimp") as url:
        yield url


@pytest.fixture
def serve():
    """`serve_sandbox` itself, for tests that pass their own `sandbox serve` flags."""
    return serve_sandbox
