"""The CI recipes in examples/ci/ and the pre-commit hook in .pre-commit-hooks.yaml.

Every `espform ...` command line in them is parsed by the real click command, so that a
recipe cannot use a flag or a value that does not exist. Their shell steps are run with
a stand-in `espform` to check what each exit code does (only 1 fails a plan or drift
job), the apply step is run against the embedded sandbox with a real stale plan, and the
GitLab helper is run against an in-memory GitLab.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from reconciler import __version__
from reconciler.cli import main
from reconciler.render.markdown import DRIFT_MARKER, PLAN_MARKER

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "examples" / "ci"
GITHUB = {path.name: path for path in sorted((CI / "github").glob("*.yml"))}
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
HELPER = CI / "gitlab" / "espform_gitlab.py"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
SECRETS = ("MAILERLITE_API_TOKEN", "MAILCHIMP_API_KEY")
#: How the apply recipes recognise a plan espform refused as stale.
STALE = "is stale|changed since the plan"
#: Keys of .gitlab-ci.yml that are not jobs.
GITLAB_GLOBALS = {"variables", "stages", "default", "workflow", "include", "image"}

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def github_steps(name: str) -> Iterator[dict[str, Any]]:
    for job in load_yaml(GITHUB[name])["jobs"].values():
        yield from job["steps"]


def github_step(name: str, step_name: str) -> dict[str, Any]:
    return next(s for s in github_steps(name) if s.get("name") == step_name)


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    data = load_yaml(GITLAB)
    return {k: v for k, v in data.items() if k not in GITLAB_GLOBALS}


def gitlab_script(job: str) -> list[str]:
    """A job's script, following `extends` as GitLab does."""
    jobs = gitlab_jobs()
    entry = jobs[job]
    while "script" not in entry:
        entry = jobs[entry["extends"]]
    return entry["script"]


def hook_script() -> str:
    """The hook's command line, to which pre-commit appends the staged files."""
    entry: str = load_yaml(HOOKS)[0]["entry"]
    return entry


def shell_scripts() -> Iterator[tuple[str, str]]:
    """(where, shell text) of every shell step of every recipe and of the hook."""
    for name in GITHUB:
        for step in github_steps(name):
            if "run" in step:
                yield f"{name}: {step.get('name', step['run'][:30])}", step["run"]
    for job_name, job in gitlab_jobs().items():
        for key in ("before_script", "script", "after_script"):
            for line in job.get(key, []):
                yield f".gitlab-ci.yml: {job_name}", line
    yield ".pre-commit-hooks.yaml", hook_script()


# --- Finding and checking espform command lines ---------------------------------------


def _logical_lines(script: str) -> Iterator[list[str]]:
    """Shell lines as tokens, with continuations joined and operators split off."""
    pending = ""
    for line in script.splitlines():
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        lexer = shlex.shlex(pending, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # a quote spans lines: read on
            pending += "\n"
            continue
        pending = ""
        yield tokens
    assert not pending.strip(), f"unterminated shell text: {pending!r}"


def _is_operator(token: str) -> bool:
    return bool(token) and all(c in "();<>|&" for c in token)


def espform_commands(script: str) -> list[list[str]]:
    """The arguments of each `espform` command in `script`, up to redirections and pipes."""
    found = []
    for tokens in _logical_lines(script):
        for start, token in enumerate(tokens):
            if token != "espform":
                continue
            args: list[str] = []
            for index in range(start + 1, len(tokens)):
                word = tokens[index]
                following = tokens[index + 1] if index + 1 < len(tokens) else ""
                if _is_operator(word) or (word.isdigit() and following.startswith(">")):
                    break
                args.append(word)
            found.append(args)
    return found


def check_command(args: list[str]) -> click.Command:
    """Parse `espform ARGS` as the CLI would, without running it; raise if it is wrong."""
    command: click.Command = main
    path = ["espform"]
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest, f"{' '.join(path)} needs a subcommand"
        name, rest = rest[0], rest[1:]
        with click.Context(command, info_name=path[-1]) as ctx:
            sub = command.get_command(ctx, name)
        assert sub is not None, f"`{' '.join(path)} {name}`: no such command"
        command, path = sub, [*path, name]
    # Not resilient: an unknown option, a bad choice or a refused value raises here.
    command.make_context(" ".join(path), rest)
    return command


ALL_COMMANDS = [
    (where, args) for where, script in shell_scripts() for args in espform_commands(script)
]


@pytest.mark.parametrize(
    ("where", "args"), ALL_COMMANDS, ids=[f"{w} | {' '.join(a)}" for w, a in ALL_COMMANDS]
)
def test_every_espform_command_exists_with_these_options(where: str, args: list[str]) -> None:
    check_command(args)


@pytest.mark.parametrize(
    "line",
    [
        "espform plan --detailed-exit-code",
        "espform plan --format html",
        "espform drift --report drift.txt",
        "espform apply --auto-aprove",
        "espform aply plan.json",
        "espform sandbox serv",
    ],
)
def test_the_checker_refuses_what_espform_refuses(line: str) -> None:
    [args] = espform_commands(line)
    with pytest.raises((click.ClickException, AssertionError)):
        check_command(args)


def test_commands_are_found_in_shell_text() -> None:
    script = textwrap.dedent(
        """\
        code=0
        espform plan -c espform.yaml --out plan.json > plan.md || code=$?
        espform apply reviewed/plan.json -c espform.yaml 2>&1 | tee apply.log
        if x; then espform drift \\
          --report drift.md; fi  # espform is mentioned here, in a comment
        echo "espform in a string"; pip install "espform==1"
        """
    )
    assert espform_commands(script) == [
        ["plan", "-c", "espform.yaml", "--out", "plan.json"],
        ["apply", "reviewed/plan.json", "-c", "espform.yaml"],
        ["drift", "--report", "drift.md"],
    ]


def _commands_of(texts: list[str]) -> dict[str, list[list[str]]]:
    by_name: dict[str, list[list[str]]] = {}
    for text in texts:
        for args in espform_commands(text):
            by_name.setdefault(args[0], []).append(args[1:])
    return by_name


def _platform_scripts() -> dict[str, list[str]]:
    github = [step["run"] for name in GITHUB for step in github_steps(name) if "run" in step]
    # Each script once: a template's, not again for every job that extends it.
    gitlab = [line for job in gitlab_jobs().values() for line in job.get("script", [])]
    return {"github": github, "gitlab": gitlab}


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_each_platform_plans_saves_applies_the_file_and_checks_drift(platform: str) -> None:
    commands = _commands_of(_platform_scripts()[platform])
    [plan] = commands["plan"]
    for flag in ("--out", "--detailed-exitcode", "--format"):
        assert flag in plan
    assert plan[plan.index("--format") + 1] == "markdown"
    saved = plan[plan.index("--out") + 1]
    [apply] = commands["apply"]
    # A positional plan file of the same name, never a fresh `apply --auto-approve`.
    assert Path(apply[0]).name == Path(saved).name and "--auto-approve" not in apply
    [drift] = commands["drift"]
    assert drift[drift.index("--report") + 1].endswith(".md")


def test_recipe_files_are_all_there() -> None:
    assert set(GITHUB) == {"espform-plan.yml", "espform-apply.yml", "espform-drift.yml"}
    assert GITLAB.exists() and HELPER.exists() and (CI / "README.md").exists()
    for name in GITHUB:
        workflow = load_yaml(GITHUB[name])
        assert workflow["name"] and workflow["on"] and workflow["permissions"]
        assert workflow["defaults"]["run"]["shell"] == "bash"  # bash -eo pipefail
    for job in ("espform-plan", "espform-apply", "espform-apply-by-hand", "espform-drift"):
        assert gitlab_script(job)


# --- Guarantees the recipes give -------------------------------------------------------


def test_the_plan_comment_is_found_by_the_marker_espform_renders() -> None:
    script = github_step("espform-plan.yml", "Post or update the plan comment")["with"]["script"]
    assert f'const marker = "{PLAN_MARKER}";' in script
    assert "updateComment" in script and "createComment" in script
    helper = _helper()
    assert helper.PLAN_MARKER == PLAN_MARKER
    assert DRIFT_MARKER.startswith("<!--")


def test_apply_downloads_exactly_what_plan_uploaded() -> None:
    upload = github_step("espform-plan.yml", "Keep the saved plan for apply")
    env = load_yaml(GITHUB["espform-apply.yml"])["env"]
    assert env["PLAN_WORKFLOW"] == "espform-plan.yml"
    assert env["PLAN_ARTIFACT"] == upload["with"]["name"]
    assert "plan.json" in upload["with"]["path"].split()
    download = github_step("espform-apply.yml", "Download the plan")["run"]
    assert '--name "$PLAN_ARTIFACT" --dir reviewed' in download
    apply = github_step("espform-apply.yml", "Apply exactly the reviewed plan")["run"]
    assert espform_commands(apply)[0][:2] == ["apply", "reviewed/plan.json"]
    # GitLab: the job fetch-plan names is the job that saves plan.json as an artifact.
    fetch = next(line for line in gitlab_script("espform-apply") if "fetch-plan" in line)
    job = shlex.split(fetch.split("fetch-plan", 1)[1])[1]
    assert "plan.json" in gitlab_jobs()[job]["artifacts"]["paths"]
    assert any("--out plan.json" in line for line in gitlab_script(job))


def test_applies_never_overlap() -> None:
    assert load_yaml(GITHUB["espform-apply.yml"])["concurrency"]["cancel-in-progress"] is False
    assert gitlab_jobs()[".espform-apply"]["resource_group"]


def test_secrets_come_only_from_the_ci_secret_store() -> None:
    for name, path in GITHUB.items():
        text = path.read_text(encoding="utf-8")
        # Every `secrets.X` is the value of an env entry named X, on a step.
        for line in text.splitlines():
            if "secrets." in line.split("#")[0]:
                key, _, value = line.strip().partition(":")
                assert value.strip() == f"${{{{ secrets.{key} }}}}", f"{name}: {line}"
                assert key in SECRETS, f"{name}: {line}"
        # Given to the steps that need them, not to the whole workflow or job.
        workflow = load_yaml(path)
        assert not set(SECRETS) & set(workflow.get("env", {})), name
        for job in workflow["jobs"].values():
            assert not set(SECRETS) & set(job.get("env", {})), name
    gitlab = load_yaml(GITLAB)
    defined = [gitlab.get("variables", {})] + [
        j.get("variables", {}) for j in gitlab_jobs().values()
    ]
    for variables in defined:
        for secret in (*SECRETS, "ESPFORM_GITLAB_TOKEN"):
            assert secret not in variables, "secrets belong in Settings > CI/CD > Variables"


def test_no_script_prints_a_secret() -> None:
    for where, script in shell_scripts():
        assert "set -x" not in script, where
        for secret in (*SECRETS, "ESPFORM_GITLAB_TOKEN", "GH_TOKEN"):
            assert f"${secret}" not in script and f"${{{secret}" not in script, where


def test_one_espform_version_everywhere() -> None:
    versions = {load_yaml(path)["env"]["ESPFORM_VERSION"] for path in GITHUB.values()}
    versions.add(load_yaml(GITLAB)["variables"]["ESPFORM_VERSION"])
    assert versions == {__version__}


def test_stale_plans_are_recognised_by_the_words_espform_uses() -> None:
    assert (
        f"grep -Eq '{STALE}' apply.log"
        in github_step("espform-apply.yml", "Apply exactly the reviewed plan")["run"]
    )
    assert any(f"grep -Eq '{STALE}' apply.log" in line for line in gitlab_script(".espform-apply"))


# --- Running the shell steps -----------------------------------------------------------

FAKE_ESPFORM = """\
#!{python}
# Stands in for espform: prints its arguments, writes --report and exits $FAKE_EXIT.
import os, sys
args = sys.argv[1:]
if "--report" in args:
    open(args[args.index("--report") + 1], "w").write("<!-- espform:drift -->\\nreport\\n")
print("espform", *args)
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""
REAL_ESPFORM = '#!/bin/sh\nexec "{python}" -m reconciler "$@"\n'
PYTHON = '#!/bin/sh\nexec "{python}" "$@"\n'
#: Stands in for ci/espform_gitlab.py: records how it was called.
FAKE_HELPER = "import sys\nopen('helper.log', 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"


def _bin(tmp_path: Path, espform: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, text in (("espform", espform), ("python3", PYTHON)):
        target = folder / name
        target.write_text(text.format(python=sys.executable), encoding="utf-8")
        target.chmod(0o755)
    return folder


def _run(
    script: str, cwd: Path, bin_dir: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(cwd),
        "NO_COLOR": "1",
        "GITHUB_OUTPUT": str(cwd / "output"),
        "GITHUB_STEP_SUMMARY": str(cwd / "summary"),
        "GITHUB_REF_NAME": "main",
        "CI_DEFAULT_BRANCH": "main",
        **(env or {}),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_bash
@pytest.mark.parametrize(
    ("workflow", "step"),
    [("espform-plan.yml", "Plan"), ("espform-drift.yml", "Compare the account with espform.yaml")],
)
@pytest.mark.parametrize(("code", "fails"), [(0, False), (2, False), (1, True)])
def test_github_steps_fail_only_on_errors(
    workflow: str, step: str, code: int, fails: bool, tmp_path: Path
) -> None:
    bin_dir = _bin(tmp_path, FAKE_ESPFORM)
    done = _run(github_step(workflow, step)["run"], tmp_path, bin_dir, {"FAKE_EXIT": str(code)})
    assert (done.returncode != 0) is fails, done.stderr
    assert (tmp_path / "output").read_text() == f"exitcode={code}\n"


@needs_bash
@pytest.mark.parametrize(
    ("job", "code", "fails", "helper_called"),
    [
        ("espform-plan", 0, False, True),
        ("espform-plan", 2, False, True),
        # The note still says the plan failed, then the job fails.
        ("espform-plan", 1, True, True),
        ("espform-drift", 0, False, True),
        ("espform-drift", 2, False, True),
        # An error is not drift: the issue is left alone.
        ("espform-drift", 1, True, False),
    ],
)
def test_gitlab_jobs_fail_only_on_errors(
    job: str, code: int, fails: bool, helper_called: bool, tmp_path: Path
) -> None:
    bin_dir = _bin(tmp_path, FAKE_ESPFORM)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "espform_gitlab.py").write_text(FAKE_HELPER, encoding="utf-8")
    done = _run("\n".join(gitlab_script(job)), tmp_path, bin_dir, {"FAKE_EXIT": str(code)})
    assert (done.returncode != 0) is fails, done.stdout + done.stderr
    log = tmp_path / "helper.log"
    assert log.exists() is helper_called
    if helper_called:
        assert f"--exit-code {code}" in log.read_text()


SANDBOX_CONFIG = "provider: {type: mailerlite, sandbox: sb.db}\ngroups:\n  Partners: {}\n"


def _saved_plan(tmp_path: Path, bin_dir: Path) -> None:
    (tmp_path / "espform.yaml").write_text(SANDBOX_CONFIG, encoding="utf-8")
    (tmp_path / "reviewed").mkdir(exist_ok=True)
    made = _run("espform plan -c espform.yaml --out reviewed/plan.json", tmp_path, bin_dir)
    assert made.returncode == 0, made.stderr


@needs_bash
@pytest.mark.parametrize("change", ["none", "config", "account"])
def test_github_apply_step_applies_the_reviewed_plan_or_says_it_is_stale(
    change: str, tmp_path: Path
) -> None:
    bin_dir = _bin(tmp_path, REAL_ESPFORM)
    _saved_plan(tmp_path, bin_dir)
    if change == "config":
        with (tmp_path / "espform.yaml").open("a", encoding="utf-8") as config:
            config.write("# edited after review\n")
    elif change == "account":
        # Someone else applies the same change first: the saved create is no longer needed.
        done = _run("espform apply -c espform.yaml --auto-approve", tmp_path, bin_dir)
        assert done.returncode == 0, done.stderr
    step = github_step("espform-apply.yml", "Apply exactly the reviewed plan")["run"]
    done = _run(step, tmp_path, bin_dir)
    if change == "none":
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Apply complete!" in done.stdout
    else:
        assert done.returncode == 1
        assert re.search(STALE, done.stdout)
        assert "::error title=Stale plan, nothing applied::" in done.stdout


# --- The pre-commit hook ----------------------------------------------------------------


def test_hook_manifest() -> None:
    [hook] = load_yaml(HOOKS)
    assert hook["id"] == "espform-validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for path in ("espform.yaml", "config/espform.yaml", "espform.prod.yaml", "espform-eu.yml"):
        assert files.search(path), path
    for path in ("other.yaml", "schemas/espform.schema.json", "espform.yaml.bak"):
        assert not files.search(path), path
    # validate itself reads no credential and takes the files pre-commit appends: the
    # hook needs no shell around it to give variables placeholders or loop over files.
    assert espform_commands(hook_script()) == [["validate"]]
    assert shlex.split(hook_script()) == ["espform", "validate"]


def test_hook_validates_each_file_without_real_credentials(tmp_path: Path) -> None:
    bin_dir = _bin(tmp_path, REAL_ESPFORM)
    good = tmp_path / "espform.yaml"
    good.write_text(
        "provider: {type: mailerlite, token: '${env:MAILERLITE_API_TOKEN}'}\ngroups: {A: {}}\n"
    )
    chimp = tmp_path / "espform.mailchimp.yaml"
    chimp.write_text("provider: {type: mailchimp, api_key: '${env:OTHER_MAILCHIMP_KEY}'}\n")
    bad = tmp_path / "espform.bad.yaml"
    bad.write_text("provider: {type: mailerlite, sandbox: x.db}\ngroup: {A: {}}\n")
    worse = tmp_path / "espform.worse.yml"
    worse.write_text("provider: {type: mailerlite, token: mlsk_live_in_clear}\n")
    entry = shlex.split(hook_script())
    # No credential at all, whatever variable names the configs use.
    clean_env = {k: v for k, v in os.environ.items() if k not in (*SECRETS, "OTHER_MAILCHIMP_KEY")}

    def hook(*files: Path) -> subprocess.CompletedProcess[str]:
        env = {**clean_env, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        return subprocess.run(
            [*entry, *map(str, files)], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    ok = hook(good, chimp)
    assert ok.returncode == 0, ok.stderr
    assert f"{good}: valid (1 group)." in ok.stdout
    assert f"{chimp}: valid (nothing declared)." in ok.stdout
    assert "credentials were not checked" in ok.stdout
    one = hook(good)
    assert one.returncode == 0, one.stderr
    assert "The configuration is valid (1 group)." in one.stdout
    failed = hook(bad, good, worse)
    assert failed.returncode == 1
    # Every file is checked, and every problem reported, before the hook fails.
    assert f"{bad}:2:1" in failed.stderr
    assert f"{worse}:1:37: provider.token must not be written in clear" in failed.stderr
    assert "mlsk_live_in_clear" not in failed.stderr + failed.stdout
    assert "2 problems in 2 of 3 config files" in failed.stderr


# --- The GitLab helper ------------------------------------------------------------------


def _helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("espform_gitlab", HELPER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeGitLab:
    """The endpoints the helper uses, over dicts."""

    def __init__(self, me: int = 7) -> None:
        self.me = me
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.issues: list[dict[str, Any]] = []
        self.issue_notes: list[tuple[int, str]] = []
        self.mrs_of_commit: dict[str, list[dict[str, Any]]] = {}
        self.pipelines: dict[int, list[dict[str, Any]]] = {}
        self.jobs: dict[int, list[dict[str, Any]]] = {}
        self.files: dict[str, bytes] = {}

    def user_id(self) -> int:
        return self.me

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        parts = path.strip("/").split("/")
        if parts[:2] == ["repository", "commits"]:
            return self.mrs_of_commit.get(parts[2], [])
        if parts[0] == "merge_requests" and parts[2] == "pipelines":
            return self.pipelines.get(int(parts[1]), [])
        raise AssertionError(f"unexpected GET {path}")

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        parts = path.strip("/").split("/")
        if parts[0] == "merge_requests" and parts[2] == "notes":
            return list(self.notes.get(parts[1], []))
        if parts[0] == "pipelines":
            return self.jobs.get(int(parts[1]), [])
        if parts == ["issues"]:
            assert params is not None
            return [
                i
                for i in self.issues
                if i["state"] == params["state"] and params["labels"] in i["labels"]
            ]
        raise AssertionError(f"unexpected GET {path}")

    def send(self, method: str, path: str, body: Mapping[str, Any]) -> Any:
        parts = path.strip("/").split("/")
        if parts[0] == "merge_requests":
            notes = self.notes.setdefault(parts[1], [])
            if method == "POST":
                note = {"id": 100 + len(notes), "author": {"id": self.me}, "body": body["body"]}
                notes.append(note)
                return note
            note = next(n for n in notes if n["id"] == int(parts[3]))
            note["body"] = body["body"]
            return note
        if parts == ["issues"]:
            issue = {
                "iid": len(self.issues) + 1,
                "state": "opened",
                "labels": [body["labels"]],
                "description": body["description"],
            }
            self.issues.append(issue)
            return issue
        issue = next(i for i in self.issues if i["iid"] == int(parts[1]))
        if len(parts) == 3:  # a note on the issue
            self.issue_notes.append((issue["iid"], body["body"]))
        elif body.get("state_event") == "close":
            issue["state"] = "closed"
        else:
            issue.update(body)
        return issue

    def download(self, path: str) -> bytes:
        return self.files[path]


ENV = {"CI_COMMIT_SHA": "abcdef1234567890", "CI_JOB_URL": "https://gitlab.example/job/1"}


def test_helper_keeps_one_plan_note_per_merge_request(tmp_path: Path) -> None:
    helper, api = _helper(), FakeGitLab()
    env = {**ENV, "CI_MERGE_REQUEST_IID": "5"}
    someone = {"id": 1, "author": {"id": 99}, "body": f"quoting {PLAN_MARKER}"}
    api.notes["5"] = [someone]
    plan = tmp_path / "plan.md"
    plan.write_text(f"{PLAN_MARKER}\n### espform plan\n\n**2 to create**\n")

    first = helper.run(["mr-note", str(plan), "--exit-code", "2"], env, api)
    plan.write_text(f"{PLAN_MARKER}\n### espform plan\n\n**No changes.**\n")
    second = helper.run(["mr-note", str(plan), "--exit-code", "0"], env, api)
    failed = helper.run(["mr-note", str(tmp_path / "missing.md"), "--exit-code", "1"], env, api)

    mine = [n for n in api.notes["5"] if n["author"]["id"] == api.me]
    assert len(mine) == 1
    assert first.startswith("added") and second.startswith("updated")
    assert failed == f"updated note {mine[0]['id']}"
    assert mine[0]["body"].startswith(PLAN_MARKER) and "plan failed" in mine[0]["body"]
    assert someone["body"] == f"quoting {PLAN_MARKER}"
    assert helper.run(["mr-note", str(plan), "--exit-code", "0"], ENV, api).startswith("not a")


def _merged(api: FakeGitLab, *, plan_status: str = "success") -> None:
    api.mrs_of_commit[ENV["CI_COMMIT_SHA"]] = [
        {"iid": 3, "state": "opened", "sha": "x", "merge_commit_sha": None},
        {"iid": 5, "state": "merged", "sha": "h", "merge_commit_sha": ENV["CI_COMMIT_SHA"]},
    ]
    api.pipelines[5] = [{"id": 41}, {"id": 40}]
    api.jobs[40] = [{"id": 400, "name": "espform-plan", "status": "success"}]
    api.jobs[41] = [
        {"id": 410, "name": "espform-plan", "status": plan_status},
        {"id": 411, "name": "lint", "status": "success"},
    ]
    api.files["/jobs/400/artifacts/plan.json"] = b'{"old": true}'
    api.files["/jobs/410/artifacts/plan.json"] = b'{"reviewed": true}'


def test_helper_fetches_the_plan_of_the_merged_merge_requests_last_pipeline(
    tmp_path: Path,
) -> None:
    helper, api = _helper(), FakeGitLab()
    _merged(api)
    out = tmp_path / "plan.json"
    said = helper.run(["fetch-plan", "--job", "espform-plan", "--out", str(out)], ENV, api)
    assert out.read_bytes() == b'{"reviewed": true}'
    assert "!5" in said


@pytest.mark.parametrize("case", ["not merged", "last plan failed", "no plan job"])
def test_helper_refuses_without_a_reviewed_plan(case: str, tmp_path: Path) -> None:
    helper, api = _helper(), FakeGitLab()
    _merged(api, plan_status="failed")
    if case == "not merged":
        api.mrs_of_commit.clear()
    elif case == "no plan job":
        api.jobs[41] = [{"id": 411, "name": "lint", "status": "success"}]
    out = tmp_path / "plan.json"
    with pytest.raises(helper.StepError, match="nothing was applied"):
        helper.run(["fetch-plan", "--job", "espform-plan", "--out", str(out)], ENV, api)
    assert not out.exists()


def test_helper_keeps_one_drift_issue_and_comments_only_on_change(tmp_path: Path) -> None:
    helper, api = _helper(), FakeGitLab()
    report = tmp_path / "drift.md"

    def drift(code: int, text: str = "") -> str:
        report.write_text(f"{DRIFT_MARKER}\n{text}\n")
        return helper.run(["drift-issue", str(report), "--exit-code", str(code)], ENV, api)

    assert drift(0) == "no drift, no open issue"
    assert drift(2, "group A missing") == "opened issue #1"
    assert drift(2, "group A missing") == "updated issue #1 (same drift)"
    assert api.issue_notes == []
    assert drift(2, "group A and B missing") == "updated issue #1 (drift changed)"
    assert len(api.issue_notes) == 1
    assert "A and B" in api.issues[0]["description"]
    assert drift(0) == "closed issue #1"
    assert api.issues[0]["state"] == "closed"
    assert drift(2, "again") == "opened issue #2"
    assert len(api.issues) == 2
    with pytest.raises(helper.StepError, match="not drift"):
        drift(1)


def test_helper_needs_its_token_and_says_so() -> None:
    helper = _helper()
    env = {**ENV, "CI_API_V4_URL": "https://gitlab.example/api/v4", "CI_PROJECT_ID": "1"}
    with pytest.raises(helper.StepError, match="ESPFORM_GITLAB_TOKEN is not set"):
        helper.run(["drift-issue", "drift.md", "--exit-code", "0"], env)
