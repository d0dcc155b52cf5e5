"""Every bad saved plan in tests/fixtures/bad_plans, through `espform apply FILE`.

Each must end with exit code 1, the error its expectations.yaml line names, the file it
is about, no traceback, and not a single request to the ESP: the account (answered by
respx) is never read, let alone written, except for a stale plan, which can only be
told stale by reading it, and is then never written to.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler import plan_json
from reconciler.cli import main
from reconciler.plan_json import MAX_DEPTH, MAX_PLAN_BYTES

CORPUS = Path(__file__).parent.parent / "fixtures" / "bad_plans"
CONFIG = CORPUS / "espform.yaml"
EXPECTATIONS = CORPUS / "expectations.yaml"
#: The files of the folder that are not bad plans.
NOT_CASES = {CONFIG.name, EXPECTATIONS.name}
MINIMUM_CASES = 20
KINDS = ("fields", "groups", "segments", "webhooks")
EMPTY_PAGE = {"data": [], "links": {"next": None}, "meta": {"current_page": 1}}
ENV = {"ESPFORM_TEST_TOKEN": "t", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Expectation:
    message: str
    reads_account: bool = False
    #: A credential-like value in the file that the error must not repeat.
    must_not_show: str | None = None


def expectations() -> dict[str, Expectation]:
    table = YAML(typ="safe").load(EXPECTATIONS)
    return {
        name: Expectation(
            entry["message"], entry.get("reads_account", False), entry.get("must_not_show")
        )
        for name, entry in table.items()
    }


@dataclass
class Account:
    """What the CLI asked of the ESP while the respx mock was on."""

    reads: int = 0
    writes: int = 0


@contextmanager
def account(*, readable: bool) -> Iterator[Account]:
    """The ESP at ml.example: empty if `readable`; every other request is counted too."""
    seen = Account()
    with respx.mock(assert_all_called=False) as api:
        if readable:
            for kind in KINDS:
                api.get(f"https://ml.example/api/{kind}").mock(
                    return_value=httpx.Response(200, json=EMPTY_PAGE)
                )
        reads = api.route(method="GET").mock(return_value=httpx.Response(500))
        writes = api.route().mock(return_value=httpx.Response(500))
        yield seen
        seen.reads = len(api.calls) - writes.call_count
        seen.writes = writes.call_count
        assert reads.call_count == 0, "a read outside the mocked listing endpoints"


def apply(plan: Path, *, readable: bool = False) -> tuple[Result, Account]:
    with account(readable=readable) as seen:
        result = CliRunner().invoke(main, ["apply", str(plan), "-c", str(CONFIG)], env=ENV)
    return result, seen


def assert_refused(result: Result, plan: Path, fragment: str) -> None:
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert fragment in output, result.output
    assert str(plan) in output  # where: the file itself
    assert "Apply complete" not in output


def test_the_corpus_is_complete_and_cannot_silently_shrink():
    files = {p.name for p in CORPUS.iterdir()} - NOT_CASES
    table = expectations()
    assert len(files) >= MINIMUM_CASES
    assert files == set(table), "every bad plan needs one expectation, and the reverse"
    for name, expected in table.items():
        assert expected.message.strip(), name
        assert (CORPUS / name).stat().st_size < 16 * 1024, f"{name}: keep fixtures small"


@pytest.mark.parametrize("name", sorted(expectations()))
def test_each_bad_plan_is_refused_clearly_without_touching_the_account(name: str):
    expected = expectations()[name]
    plan = CORPUS / name

    result, seen = apply(plan, readable=expected.reads_account)

    assert_refused(result, plan, expected.message)
    assert seen.writes == 0
    if expected.reads_account:
        assert seen.reads == len(KINDS)  # read once to learn it is stale, nothing more
        assert "nothing was changed" in result.output
    else:
        assert seen.reads == 0
    if expected.must_not_show:
        assert expected.must_not_show not in result.output


def test_the_config_and_a_good_plan_apply_so_each_refusal_is_the_files_own(tmp_path: Path):
    """The corpus config and account mock accept a sound plan: the defects cause the 1s."""
    good = tmp_path / "good.json"
    with account(readable=True):
        planned = CliRunner().invoke(main, ["plan", "-c", str(CONFIG), "--out", str(good)], env=ENV)
    assert planned.exit_code == 0, planned.output
    with respx.mock(assert_all_called=False) as api:
        for kind in KINDS:
            api.get(f"https://ml.example/api/{kind}").mock(
                return_value=httpx.Response(200, json=EMPTY_PAGE)
            )
        created = api.post("https://ml.example/api/groups").mock(
            return_value=httpx.Response(201, json={"data": {"id": "1", "name": "Partners"}})
        )
        applied = CliRunner().invoke(main, ["apply", str(good), "-c", str(CONFIG)], env=ENV)
        assert applied.exit_code == 0, applied.output
        assert created.call_count == 1


def test_a_folder_is_named_as_such(tmp_path: Path):
    folder = tmp_path / "plans"
    folder.mkdir()
    result, seen = apply(folder)
    assert_refused(result, folder, "is a folder, not a plan file")
    assert "Invalid value" not in result.output  # ours, not click's wording
    assert (seen.reads, seen.writes) == (0, 0)


def test_a_missing_file_says_how_to_make_one(tmp_path: Path):
    absent = tmp_path / "absent.json"
    result, seen = apply(absent)
    assert_refused(result, absent, f"not found. Save a plan with `espform plan --out {absent}`")
    assert (seen.reads, seen.writes) == (0, 0)


def test_a_file_bigger_than_any_plan_is_refused_unread(tmp_path: Path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: no disk space, and instant
        handle.truncate(MAX_PLAN_BYTES + 1)
    result, seen = apply(huge)
    assert_refused(result, huge, "more than the 64 MiB a saved plan may hold, so it was not read")
    assert (seen.reads, seen.writes) == (0, 0)


def test_nesting_beyond_what_json_can_parse_is_bounded(tmp_path: Path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    result, seen = apply(deep)
    assert_refused(result, deep, f"more than {MAX_DEPTH} levels")
    assert (seen.reads, seen.writes) == (0, 0)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_why(tmp_path: Path):
    locked = tmp_path / "locked.json"
    locked.write_text("{}")
    locked.chmod(0)
    result, _ = apply(locked)
    assert_refused(result, locked, "cannot read the plan file")


EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*/espform.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_every_plan_espform_saves_passes_the_checks(example: Path, tmp_path: Path, espform):
    """The reader's checks refuse only what espform never writes: each example's saved
    plan (fields, groups, rules, webhooks, Mailchimp audiences) reads back and applies."""
    folder = tmp_path / example.parent.name
    shutil.copytree(example.parent, folder, ignore=shutil.ignore_patterns(".espform"))
    config, out = folder / "espform.yaml", tmp_path / "plan.json"

    planned = espform("plan", "-c", config, "--out", out)
    assert planned.exit_code == 0, planned.output
    applied = espform("apply", out, "-c", config)
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.output


def test_plan_out_never_saves_a_plan_apply_would_refuse(tmp_path: Path, espform, monkeypatch):
    config = tmp_path / "espform.yaml"
    config.write_text("provider: {type: mailerlite, sandbox: sb.db}\ngroups: {Partners: {}}\n")
    out = tmp_path / "plan.json"
    monkeypatch.setattr(plan_json, "MAX_PLAN_BYTES", 512)  # smaller than this plan

    result = espform("plan", "-c", config, "--out", out)

    assert result.exit_code == 1, result.output
    assert f"the plan was not saved to {out}" in result.output
    assert "Narrow it with --target" in result.output
    assert not out.exists()
