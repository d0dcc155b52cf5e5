"""Every bad config in the corpus is refused for the reason its name gives.

`expected.yaml` beside the files says, for each one, where the first error points
(`line:col`) and what it says. Each file goes through `espform validate` and through
`espform plan`: both exit 1 with that one error and no traceback, and `plan` sends not one
HTTP request (nothing read, nothing applied) and never opens the sandbox store.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from corpus_support import run_espform
from ruamel.yaml import YAML

CORPUS = Path(__file__).parent.parent / "fixtures" / "bad_configs"
FILES = sorted(CORPUS.glob("[0-9][0-9][0-9]-*.yaml"))
EXPECTED: dict[str, dict[str, str]] = YAML(typ="safe").load(CORPUS / "expected.yaml")


def _assert_refused(result: Result, expected: dict[str, str]) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    first = re.search(r"^espform\.yaml:(\d+:\d+): (.*)$", result.output, re.MULTILINE)
    assert first, result.output
    assert first.group(1) == expected["at"], result.output
    assert first.group(2).startswith(expected["message"]), result.output
    # Only that defect: a file refused for something else too would not test its reason.
    assert "Error: 1 problem in espform.yaml;" in result.output, result.output


def test_corpus_holds_at_least_80_files_each_with_an_expectation() -> None:
    names = {p.name for p in FILES}
    assert len(names) >= 80
    assert names == set(EXPECTED), (
        f"without an expectation: {sorted(names - set(EXPECTED))}; "
        f"expectation without a file: {sorted(set(EXPECTED) - names)}"
    )
    assert all(
        set(e) <= {"at", "message", "checked_by"} and e["message"] for e in EXPECTED.values()
    )


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_validate_refuses_it_for_its_reason(path: Path, in_tmp: Path) -> None:
    shutil.copy(path, in_tmp / "espform.yaml")
    expected = EXPECTED[path.name]
    result = run_espform("validate", "espform.yaml")
    if expected.get("checked_by") == "plan":
        # validate checks how a credential is written, not its value (it may run where
        # the secret is not set); plan reads it and refuses below.
        assert result.exit_code == 0, result.output
        assert "credentials were not checked" in result.output
        return
    _assert_refused(result, expected)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_plan_refuses_it_before_any_request(
    path: Path, in_tmp: Path, requests_sent: list[str]
) -> None:
    shutil.copy(path, in_tmp / "espform.yaml")
    _assert_refused(run_espform("plan", "-c", "espform.yaml"), EXPECTED[path.name])
    assert requests_sent == []
    assert not (in_tmp / "sb.db").exists()


def _plan_json(in_tmp: Path, text: str) -> dict[str, Any]:
    (in_tmp / "espform.yaml").write_text(text, encoding="utf-8")
    result = run_espform("plan", "-c", "espform.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# Files once in the corpus that are valid and planned as written, so kept here.
@pytest.mark.parametrize(
    ("name", "address"),
    [
        # YAML 1.2: `yes` is the text "yes" (only true/false are booleans).
        ("yes", 'mailerlite.group["yes"]'),
        # One name with surrounding spaces is allowed (accounts hold such names and
        # import writes them quoted); only two names equal but for spaces are refused.
        ("' Partners'", 'mailerlite.group[" Partners"]'),
        # Keys are never interpolated, so names stay what the file says (and an account's
        # group called "${env:HOME}" imports and reads back as itself).
        ("${env:HOME}", 'mailerlite.group["${env:HOME}"]'),
    ],
)
def test_unusual_but_valid_group_name_is_planned_as_written(
    name: str, address: str, in_tmp: Path
) -> None:
    plan = _plan_json(
        in_tmp, f"provider:\n  type: mailerlite\n  sandbox: sb.db\ngroups:\n  {name}: {{}}\n"
    )
    assert [(c["address"], c["action"]) for c in plan["changes"]] == [(address, "create")]
