"""Configs at the edges of size, generated here rather than committed.

A 10,000-group file plans correctly with memory capped; a 10 MB file and rules nested
past the YAML depth limit are refused with a place in the file, before any request.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_support import run_espform

from reconciler.config.limits import MAX_DEPTH
from reconciler.config.reading import MAX_FILE_BYTES

resource = pytest.importorskip("resource")

GROUPS = 10_000
#: Address space allowed to the 10,000-group plan. It needs well under 200 MiB; a plan
#: whose memory grew with something worse than the file's size would not fit.
MEMORY_CAP = 512 * 1024 * 1024
HEADER = "provider:\n  type: mailerlite\n  sandbox: sb.db\n"


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def test_ten_thousand_groups_plan_as_ten_thousand_creates(in_tmp: Path) -> None:
    names = [f"Group {i:05d}" for i in range(GROUPS)]
    body = "".join(f"  {name}: {{}}\n" for name in names)
    (in_tmp / "espform.yaml").write_text(f"{HEADER}groups:\n{body}", encoding="utf-8")

    # A real process under an address-space cap: the limit holds for all it allocates.
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "-c", "espform.yaml", "--format", "json"],
        cwd=in_tmp,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=_cap_memory,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    plan = json.loads(done.stdout)
    assert plan["summary"]["create"] == GROUPS
    created = [c["address"] for c in plan["changes"] if c["action"] == "create"]
    assert created == [f'mailerlite.group["{name}"]' for name in names]


def test_ten_megabyte_file_is_refused_before_any_request(
    in_tmp: Path, requests_sent: list[str]
) -> None:
    size = 10 * 1024 * 1024
    assert size > MAX_FILE_BYTES
    filler = "# " + "x" * 97 + "\n"  # comment lines: valid YAML, just far too much of it
    (in_tmp / "espform.yaml").write_text(HEADER + filler * (size // len(filler)), encoding="utf-8")

    for result in (
        run_espform("validate", "espform.yaml"),
        run_espform("plan", "-c", "espform.yaml"),
    ):
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert re.search(
            r"^espform\.yaml:1:1: the config file is 10\.0 MiB \([\d,]+ bytes\), over the "
            r"4\.0 MiB limit",
            result.output,
            re.MULTILINE,
        ), result.output
    assert requests_sent == []
    assert not (in_tmp / "sb.db").exists()


def test_rule_nested_past_the_depth_limit_is_refused_where_it_gets_too_deep(
    in_tmp: Path, requests_sent: list[str]
) -> None:
    levels = 2 * MAX_DEPTH
    lines = ["fields:", "  tier: {type: text, name: Tier}", "groups:", "  Deep:", "    rule:"]
    lines += [" " * (6 + 2 * level) + "not:" for level in range(levels)]
    lines.append(" " * (6 + 2 * levels) + "{field: tier, equals: gold}")
    text = HEADER + "\n".join(lines) + "\n"
    (in_tmp / "espform.yaml").write_text(text, encoding="utf-8")

    for result in (
        run_espform("validate", "espform.yaml"),
        run_espform("plan", "-c", "espform.yaml"),
    ):
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        found = re.search(
            rf"^espform\.yaml:(\d+):(\d+): nested deeper than {MAX_DEPTH} levels; flatten it",
            result.output,
            re.MULTILINE,
        )
        assert found, result.output
        line, column = int(found.group(1)), int(found.group(2))
        # It points into the rule, at the `not:` where the limit is passed.
        assert text.splitlines()[line - 1][column - 1 :] == "not:"
        assert HEADER.count("\n") + 5 < line < HEADER.count("\n") + 5 + levels
    assert requests_sent == []
