"""Mistyped commands and options exit 1: exit 2 means changes or drift to CI and cron."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ["drfit"],
        ["plan", "--detailed-exit-code"],
        ["drift", "--report", "x.txt"],
        ["sandbox", "serve", "--bogus"],
        ["sandbox", "nonsense"],
        ["import"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_1(args, espform):
    result = espform(*args)
    assert result.exit_code == 1, result.output
    assert "Error" in result.output or "Usage" in result.output


def test_help_still_exits_0(espform):
    assert espform("--help").exit_code == 0
    assert espform("plan", "--help").exit_code == 0
