"""Every example in examples/ plans, applies and then has nothing left to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*/espform.yaml"))


def test_examples_are_found():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_converges_on_the_sandbox(example: Path, tmp_path: Path, espform):
    folder = tmp_path / example.parent.name
    shutil.copytree(example.parent, folder, ignore=shutil.ignore_patterns(".espform"))
    config = folder / "espform.yaml"

    assert espform("validate", "-c", config).exit_code == 0
    first = espform("plan", "-c", config, "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    applied = espform("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    second = espform("plan", "-c", config, "--detailed-exitcode")
    assert second.exit_code == 0, second.output
    assert "No changes." in second.output
