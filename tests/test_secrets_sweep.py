"""Every espform command, run with recognisable secrets and failures forced, shows none.

Each ESP gets one `espform sandbox serve` subprocess that accepts only the good
credential. Every command of the click tree is then run in-process with `--verbose`
where it takes it: succeeding, and failing every way a run can fail (401 for a wrong
credential read from a `${file:}`, 500s queued through the sandbox's fault API, a
config error next to the credential line, a plan refused by `settings.protect`, a stale
saved plan, a refused connection, a timeout, a base URL path the server does not know).
Retry waits are skipped and the HTTP timeout is cut to 0.3 s (`fast_http`), so that
runs failing after every retry keep the module within seconds.
Afterwards every byte a run produced is searched for every secret in every form it
could leak in: stdout, stderr, the exception text, every file the commands wrote (saved
plans, drift reports, imported configs), the served sandbox's own stdout and stderr and
its SQLite files.

The secrets: the credentials (a MailerLite token; a Mailchimp key `<32 hex>-us21`, whose
`us21` names the data centre and is not secret, while the hex part is), webhook URLs
with a secret in both path and query, and a secret path segment in a `${env:}` base URL.
Each is searched whole, URL-encoded, by its first and last 8 characters, and inside any
base64 text (so `Authorization: Basic base64(user:key)` is found whatever the user name).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import click
import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.providers.http import HttpClient
from reconciler.secret_url import SecretUrl

pytestmark = pytest.mark.serve

# --- the secrets ------------------------------------------------------------------------

ML_GOOD = "mlTokGood4b7e1d9a2c6f8035e1b4a7d2Qx"
ML_WRONG = "mlTokWrong9c3a5e7b1d2f4068a9c1e3b5Zy"
MC_GOOD_SECRET = "4b7e1d9a2c6f8035e1b4a7d29c3a5e7b"
MC_WRONG_SECRET = "a1f08d3e6b2c9475d0e8b1a3c5f7d9e2"
MC_DATA_CENTRE = "us21"
MC_GOOD = f"{MC_GOOD_SECRET}-{MC_DATA_CENTRE}"
MC_WRONG = f"{MC_WRONG_SECRET}-{MC_DATA_CENTRE}"
HOOK_PATH_SECRET = "hkPathS3cr3t7a1f5e"
HOOK_QUERY_SECRET = "hkSigS3cr3t93c2d8b"
HOOK_URL = f"https://hooks.example.test/in/{HOOK_PATH_SECRET}?sig={HOOK_QUERY_SECRET}"
BASE_SECRET = "bsSegS3cr3t5d8e0a4"

CREDENTIALS = {
    "mailerlite": {"good": ML_GOOD, "wrong": ML_WRONG},
    "mailchimp": {"good": MC_GOOD, "wrong": MC_WRONG},
}
#: Besides the whole key, the part of a Mailchimp key that is secret.
SECRET_PARTS = {"mailerlite": (), "mailchimp": (MC_GOOD_SECRET, MC_WRONG_SECRET)}
#: The Basic user names a client might send a Mailchimp key with.
BASIC_USERS = ("espform", "anystring", "user", "apikey")


def base64_cores(secret: str) -> set[str]:
    """Substrings found in the base64 of any text containing `secret`, whatever precedes
    it: one per alignment of the secret in base64's 3-byte groups, without the groups
    that also hold bytes around it."""
    cores: set[str] = set()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * pad + secret.encode()).decode().rstrip("=")
            start = 4 if pad else 0
            end = ((pad + len(secret)) // 3) * 4  # whole groups only
            if end - start >= 8:
                cores.add(encoded[start:end])
    return cores


def forms(secret: str) -> dict[str, str]:
    """Every form of `secret` that counts as a leak, named for the failure message."""
    found = {
        "whole": secret,
        "url-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
        "first 8": secret[:8],
        "last 8": secret[-8:],
    }
    found.update({f"base64 #{i}": core for i, core in enumerate(sorted(base64_cores(secret)))})
    return found


def credential_forms(flavor: str) -> dict[str, str]:
    """The credentials' forms (and the header forms they are sent in)."""
    searched: dict[str, str] = {}
    for role, secret in CREDENTIALS[flavor].items():
        for name, text in forms(secret).items():
            if flavor == "mailchimp" and name == "last 8":
                continue  # ends in the data centre; the secret part's own last 8 follow
            searched[f"{role} credential, {name}"] = text
        if flavor == "mailchimp":
            for user in BASIC_USERS:
                pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
                searched[f"{role} key as Basic {user}:key"] = pair
        else:
            searched[f"{role} token as Bearer"] = f"Bearer {secret}"
    for part in SECRET_PARTS[flavor]:
        for name, text in forms(part).items():
            searched[f"key secret part {part[:4]}…, {name}"] = text
    for name, text in forms(BASE_SECRET).items():
        searched[f"base_url segment, {name}"] = text
    return searched


def all_forms(flavor: str) -> dict[str, str]:
    searched = credential_forms(flavor)
    for label, secret in (("webhook path", HOOK_PATH_SECRET), ("webhook query", HOOK_QUERY_SECRET)):
        for name, text in forms(secret).items():
            searched[f"{label} secret, {name}"] = text
    for name, text in forms(HOOK_URL).items():
        if name not in ("first 8",):  # "https://" is not secret
            searched[f"webhook URL, {name}"] = text
    return searched


def test_the_searched_forms_find_what_they_stand_for() -> None:
    """The search itself can fail: a Basic header and a URL-encoded key are found."""
    searched = credential_forms("mailchimp")
    header = "Basic " + base64.b64encode(f"someone-else:{MC_GOOD}".encode()).decode()
    assert leaks({"a header": header}, searched)
    assert leaks({"a URL": "https://x/?k=" + quote(MC_GOOD, safe="")}, searched)
    assert leaks({"a prefix": f"key {MC_GOOD_SECRET[:8]}…"}, searched)
    assert not leaks({"the data centre": f"https://{MC_DATA_CENTRE}.api.mailchimp.com"}, searched)


def leaks(texts: dict[str, str | bytes], searched: dict[str, str]) -> list[str]:
    """`where: forms found` for each text holding any of the searched forms."""
    found = []
    for where, text in texts.items():
        haystack = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        hits = [name for name, secret in searched.items() if secret.encode() in haystack]
        if hits:
            found.append(f"{where}: {'; '.join(hits)}")
    return found


# --- the command tree -------------------------------------------------------------------


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every runnable command under `group`, as the words that name it."""
    paths: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths |= command_paths(command, (*prefix, name))
        else:
            paths.add((*prefix, name))
    return paths


#: The commands each sweep runs; `test_every_command_has_a_sweep_case` keeps it whole.
SWEPT = {
    ("validate",),
    ("plan",),
    ("apply",),
    ("drift",),
    ("import",),
    ("schema",),
    ("sandbox", "serve"),
    ("sandbox", "seed"),
}


def test_every_command_has_a_sweep_case() -> None:
    missing = command_paths() - SWEPT
    assert not missing, f"commands with no secrets sweep case: {sorted(missing)}"
    assert not SWEPT - command_paths(), "sweep cases for commands that no longer exist"


# --- the served sandboxes ---------------------------------------------------------------


@dataclass
class Served:
    flavor: str
    url: str
    db: Path
    out: Path
    err: Path
    proc: subprocess.Popen[bytes]

    def admin(self, method: str, path: str, json: object = None) -> None:
        response = httpx.request(method, f"{self.url}/_sandbox{path}", json=json)
        assert response.status_code < 300, response.text

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _start(flavor: str, folder: Path) -> Served:
    folder.mkdir(parents=True, exist_ok=True)
    out, err, db = folder / "serve.out", folder / "serve.err", folder / "served.db"
    token = CREDENTIALS[flavor]["good"]
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--flavor", flavor]
    command += ["--no-rate-limit", "--port", "0", "--db", str(db), "--token", token]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=os.environ.copy())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        match = re.search(r"http://127\.0\.0\.1:(\d+)", out.read_text())
        if match:
            return Served(flavor, f"http://127.0.0.1:{match.group(1)}", db, out, err, proc)
        assert proc.poll() is None, err.read_text()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"sandbox serve did not start: {err.read_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Served]]:
    """One served sandbox per ESP for the whole module, started when first asked for."""
    started: dict[str, Served] = {}

    def get(flavor: str) -> Served:
        if flavor not in started:
            started[flavor] = _start(flavor, tmp_path_factory.mktemp(f"served-{flavor}"))
        return started[flavor]

    yield get
    for server in started.values():
        server.stop()


@pytest.fixture
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry waits take no time and a silent server times out in 0.3 s, so that a run
    failing after every retry costs a second, not a minute."""
    original = HttpClient.__init__

    async def no_wait(_seconds: float) -> None:
        await asyncio.sleep(0)

    def init(self: HttpClient, *args: object, **kwargs: object) -> None:
        kwargs["sleep"] = no_wait
        kwargs["timeout"] = 0.3
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(HttpClient, "__init__", init)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the sweep --------------------------------------------------------------------------

CONFIGS = {
    "mailerlite": """\
        provider:
          type: mailerlite
          token: {credential}
          base_url: ${{env:ESPFORM_BASE_URL}}
        {settings}
        groups:
          Partners: {{}}
        {extra}
        webhooks:
          Unsubscribes:
            url: ${{env:ESPFORM_HOOK_URL}}
            events: [subscriber.unsubscribed]
        """,
    "mailchimp": """\
        provider:
          type: mailchimp
          api_key: {credential}
          base_url: ${{env:ESPFORM_BASE_URL}}
        {settings}
        audiences:
          Shop:
            contact: {{company: Shop Inc., address1: 1 Road, city: Town, country: US}}
            permission_reminder: You bought something.
            campaign_defaults:
              {{from_name: Shop, from_email: shop@example.test, subject: "", language: en}}
            email_type_option: false
            tags:
              Partners: {{}}
            {extra}
            webhooks:
              unsubscribes to CRM:
                url: ${{env:ESPFORM_HOOK_URL}}
                events: [unsubscribe]
        """,
}
#: A second object, for a config that differs from the account.
EXTRA = {"mailerlite": "  Later: {}", "mailchimp": "  Later: {}"}
PRUNE_PROTECTED = {
    "mailerlite": 'settings: {prune: {groups: true}, protect: ["Partners"]}',
    "mailchimp": 'settings: {prune: {tags: true}, protect: ["Partners"]}',
}
IN_CLEAR = "must not be written in clear"
IMPORT_ENV = {"mailerlite": "MAILERLITE_API_KEY", "mailchimp": "MAILCHIMP_API_KEY"}


@dataclass
class Sweep:
    flavor: str
    server: Served
    folder: Path
    #: Where each run's output went, by case name.
    texts: dict[str, str | bytes] = field(default_factory=dict)
    #: Files the test itself wrote (configs, secret files): inputs, not output.
    inputs: set[Path] = field(default_factory=set)
    ran: set[tuple[str, ...]] = field(default_factory=set)

    def config(
        self,
        name: str,
        *,
        credential: str = "${env:ESPFORM_TOKEN}",
        settings: str = "",
        extra: str = "",
        raw: str | None = None,
    ) -> Path:
        path = self.folder / f"{name}.yaml"
        text = CONFIGS[self.flavor].format(credential=credential, settings=settings, extra=extra)
        path.write_text(raw if raw is not None else textwrap.dedent(text))
        self.inputs.add(path)
        return path

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "ESPFORM_TOKEN": CREDENTIALS[self.flavor]["good"],
            "ESPFORM_BASE_URL": self.server.url,
            "ESPFORM_HOOK_URL": HOOK_URL,
            IMPORT_ENV[self.flavor]: CREDENTIALS[self.flavor]["good"],
            "NO_COLOR": "1",
        }
        env.update(overrides)
        return env

    def run(self, case: str, *args: str | Path, exit_code: int, says: str = "", **env: str) -> str:
        """Run espform; check it failed (or not) as the case forces; keep every output."""
        assert f"{case}: stdout" not in self.texts, f"two sweep cases named {case!r}"
        words = [str(a) for a in args]
        result = CliRunner().invoke(main, words, env=self.env(**env))
        self.ran.add(tuple(words[:2]) if words[0] == "sandbox" else (words[0],))
        self.texts[f"{case}: stdout"] = result.stdout
        self.texts[f"{case}: stderr"] = result.stderr
        exception = result.exception
        if exception is not None and not isinstance(exception, SystemExit):
            self.texts[f"{case}: exception"] = repr(exception)
            # Search the traceback too before failing: it is what a user would see.
            found = leaks({case: repr(exception)}, all_forms(self.flavor))
            raise AssertionError(f"{case}: uncaught {exception!r}; secrets: {found}")
        print(f"=== {case} [{result.exit_code}]\n{result.stderr[-600:]}")  # DEBUG
        assert result.exit_code == exit_code, f"{case}: {result.output}{exception!r}"
        if says:
            assert says in result.output, f"{case}: {result.output}"
        return result.output

    def written_files(self) -> dict[str, bytes]:
        return {
            f"file {path.relative_to(self.folder)}": path.read_bytes()
            for path in sorted(self.folder.rglob("*"))
            if path.is_file() and path not in self.inputs
        }


def sweep_commands(sweep: Sweep, silent_port: int) -> None:
    """Every command, succeeding and failing each way; the outputs land in `sweep`."""
    flavor, server = sweep.flavor, sweep.server
    secret_file = sweep.folder / "wrong-credential.txt"
    secret_file.write_text(CREDENTIALS[flavor]["wrong"] + "\n")
    sweep.inputs.add(secret_file)

    good = sweep.config("good")
    later = sweep.config("later", extra=EXTRA[flavor])
    wrong = sweep.config("wrong", credential="${file:wrong-credential.txt}")
    plan_json = sweep.folder / "plan.json"

    # validate: good, a bad value next to the credential, the credential written in clear
    sweep.run("validate ok", "validate", "-c", good, exit_code=0)
    text = good.read_text()
    bad = "requests_per_minute: lots" if flavor == "mailerlite" else "max_connections: lots"
    near = sweep.config("near-credential", raw=text.replace("  base_url", f"  {bad}\n  base_url"))
    sweep.run("validate bad value", "validate", "-c", near, exit_code=1, says="yaml:4:")
    in_clear = text.replace("${env:ESPFORM_TOKEN}", CREDENTIALS[flavor]["good"])
    clear = sweep.config("clear", raw=in_clear)
    sweep.run("validate clear credential", "validate", "-c", clear, exit_code=1, says=IN_CLEAR)
    sweep.run("plan clear credential", "plan", "-c", clear, exit_code=1, says=IN_CLEAR)
    newline = {"ESPFORM_TOKEN": CREDENTIALS[flavor]["good"] + "\n"}
    sweep.run("plan newline", "plan", "-c", good, exit_code=1, says="whitespace", **newline)

    # plan: every format, saved; a wrong credential (401); 500s until retries run out
    digest = SecretUrl(HOOK_URL).digest  # the webhook is in every plan, as its digest
    for fmt in ("text", "markdown", "json"):
        args = ("plan", "-c", good, "--format", fmt, "--verbose")
        sweep.run(f"plan {fmt}", *args, exit_code=0, says=digest)
    sweep.run("plan --out", "plan", "-c", good, "--out", plan_json, "--verbose", exit_code=0)
    sweep.run("plan 401", "plan", "-c", wrong, "--verbose", exit_code=1, says="401")
    server.admin("POST", "/faults", {"kind": "500", "count": 200})
    sweep.run("plan 500", "plan", "-c", good, "--verbose", exit_code=1, says="answered 500")
    server.admin("DELETE", "/faults")

    # apply: the saved plan, then a stale one, then a refused one
    sweep.run("apply plan file", "apply", plan_json, "-c", good, "--verbose", exit_code=0)
    stale = sweep.folder / "stale.json"
    sweep.run("plan later", "plan", "-c", later, "--out", stale, exit_code=0)
    sweep.run("apply later", "apply", "-c", later, "--auto-approve", "--verbose", exit_code=0)
    sweep.run("apply stale", "apply", stale, "-c", later, "--verbose", exit_code=1, says="stale")
    # Partners left out while pruning: deleting it is refused, --force or not.
    refused = sweep.config("refused", settings=PRUNE_PROTECTED[flavor], extra=EXTRA[flavor])
    refused.write_text(refused.read_text().replace("Partners: {}", "Kept: {}"))
    forced = ("apply", "-c", refused, "--auto-approve", "--force", "--verbose")
    sweep.run("apply protected", *forced, exit_code=1, says="protects it")
    auto = ("apply", "--auto-approve", "--verbose")
    sweep.run("apply 401", *auto, "-c", wrong, exit_code=1, says="401")
    server.admin("POST", "/faults", {"kind": "500", "count": 200})
    sweep.run("apply 500", *auto, "-c", later, exit_code=1, says="answered 500")
    server.admin("DELETE", "/faults")

    # drift: an object missing from the account, reported in every format
    absent = sweep.config("absent", extra=EXTRA[flavor].replace("Later", "Absent"))
    for report in ("drift.md", "drift.json"):
        args = ("drift", "-c", absent, "--report", sweep.folder / report, "--verbose")
        sweep.run(f"drift {report}", *args, exit_code=2)
    sweep.run("drift json", "drift", "-c", absent, "--format", "json", "--verbose", exit_code=2)
    sweep.run("drift 401", "drift", "-c", wrong, "--verbose", exit_code=1, says="401")

    # the network failing: refused, silent, and a base URL whose secret path is unknown
    network = (
        ("connection refused", f"http://127.0.0.1:{closed_port()}/{BASE_SECRET}", "ConnectError"),
        ("timeout", f"http://127.0.0.1:{silent_port}/{BASE_SECRET}", "ReadTimeout"),
        ("404", f"{server.url}/{BASE_SECRET}", "answered 404"),
    )
    for case, url, says in network:
        for words in (("plan",), ("apply", "--auto-approve"), ("drift",)):
            args = (*words, "-c", good, "--verbose")
            sweep.run(f"{words[0]} {case}", *args, exit_code=1, says=says, ESPFORM_BASE_URL=url)
    query = {"ESPFORM_BASE_URL": f"{server.url}/?key={BASE_SECRET}"}
    sweep.run("plan base_url query", "plan", "-c", good, exit_code=1, says="query", **query)

    # import: from the account (with its webhook), a wrong key, nothing listening
    imported = sweep.folder / "imported.yaml"
    source = ("import", "--provider", flavor, "--base-url")
    sweep.run("import", *source, server.url, "--out", imported, exit_code=0)
    assert "${env:" in imported.read_text()
    sweep.run("import stdout", *source, server.url, exit_code=0)
    wrong_key = {IMPORT_ENV[flavor]: CREDENTIALS[flavor]["wrong"]}
    sweep.run("import 401", *source, server.url, exit_code=1, says="401", **wrong_key)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    sweep.run("import refused", *source, nowhere, exit_code=1, says="ConnectError")

    # the offline commands, with every secret in their environment
    sweep.run("schema", "schema", exit_code=0)
    sweep.run("schema reference", "schema", "--reference", exit_code=0)
    seed = ("sandbox", "seed", "--flavor", flavor, "--db", sweep.folder / "seeded.db")
    sweep.run("sandbox seed", *seed, "--subscribers", "5", exit_code=0)
    serve = ("sandbox", "serve", "--flavor", flavor, "--port", "0", "--db", sweep.folder / "x.db")
    faulty = ("--token", CREDENTIALS[flavor]["good"], "--fault-rate", "1", "--fault-kinds", "boom")
    sweep.run("sandbox serve bad flags", *serve, *faulty, exit_code=1, says="boom")
    # `sandbox serve` proper is the served subprocess, searched by the caller.


@pytest.mark.parametrize("flavor", ["mailerlite", "mailchimp"])
def test_no_command_shows_or_stores_a_secret(
    flavor: str,
    served: Callable[[str], Served],
    tmp_path: Path,
    fast_http: None,
    silent_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    server = served(flavor)
    sweep = Sweep(flavor, server, tmp_path)
    sweep_commands(sweep, silent_port)

    assert command_paths() <= {path for path in sweep.ran}, sweep.ran
    found = leaks({**sweep.texts, **sweep.written_files()}, all_forms(flavor))
    # The served sandbox is the ESP: it holds the webhook URLs it was given, as the ESP
    # would, but neither the credentials nor the base URL's path may reach its files.
    server_files: dict[str, str | bytes] = {
        f"serve {path.name}": path.read_bytes()
        for path in sorted(server.db.parent.iterdir())
        if path.is_file()
    }
    found += leaks(server_files, credential_forms(flavor))
    assert not found, "secrets found:\n" + "\n".join(found)
