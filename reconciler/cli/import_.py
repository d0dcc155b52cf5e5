"""`espform import`: write a config from an account that already exists."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import click
from pydantic import SecretStr

from reconciler.cli.common import Command, fail, run_async, write_text
from reconciler.importer import ImportFailure, ImportRequest, ImportResult, import_account
from reconciler.importer.convert import DISPLAY
from reconciler.importer.document import printable

#: Where the credential is looked for, first match wins. MAILERLITE_API_TOKEN is the
#: name the rest of espform's documentation uses, so it is accepted too.
CREDENTIAL_ENV: dict[str, tuple[str, ...]] = {
    "mailerlite": ("MAILERLITE_API_KEY", "MAILERLITE_API_TOKEN"),
    "mailchimp": ("MAILCHIMP_API_KEY",),
}
_URL = re.compile(r"https?://[^\s/]+\S*")
#: Mailchimp's provider appends its API path itself; the config refuses it in base_url.
_MAILCHIMP_API_PATH = "/3.0"


@click.command("import", cls=Command)
@click.option(
    "--provider",
    type=click.Choice(sorted(CREDENTIAL_ENV)),
    required=True,
    help="The ESP of the account.",
)
@click.option(
    "--base-url",
    help="Root of the API when it is not the ESP's own, e.g. a proxy or `espform sandbox "
    "serve`; recorded as provider.base_url.",
)
@click.option(
    "--sandbox",
    "sandbox_path",
    type=click.Path(dir_okay=False),
    help="Import from the embedded sandbox stored in this file (no API key needed); "
    "recorded as provider.sandbox.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Write the config to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the --out file if it exists.")
def import_command(
    provider: str,
    base_url: str | None,
    sandbox_path: str | None,
    out_path: str | None,
    force: bool,
) -> None:
    """Write a config file from an existing account, so that plan shows no changes.

    The API key is read from MAILERLITE_API_KEY (or MAILERLITE_API_TOKEN) or
    MAILCHIMP_API_KEY, and written into the file only as an `${env:...}` reference.
    Objects the config cannot hold are written commented out, with a note saying why.
    """
    if sandbox_path is not None and base_url is not None:
        fail(
            "--sandbox and --base-url exclude each other: --sandbox reads the sandbox file "
            "directly; use --base-url for a sandbox served with `espform sandbox serve`."
        )
    out = Path(out_path) if out_path is not None else None
    if out is not None and out.exists() and not force:
        fail(f"{out} exists already; choose another --out file, or add --force to replace it.")
    request = _request(provider, _base_url(provider, base_url), sandbox_path, out)
    try:
        result = run_async(import_account(request))
    except ImportFailure as err:
        fail(f"{err}. Nothing was written.")
    if out is None:
        click.echo(result.text, nl=False)
    else:
        write_text(str(out), result.text)
    _report(result, out)


def _request(
    provider: str, base_url: str | None, sandbox_path: str | None, out: Path | None
) -> ImportRequest:
    names = CREDENTIAL_ENV[provider]
    if sandbox_path is not None:
        sandbox = Path(sandbox_path)
        if not sandbox.is_file():
            fail(f"sandbox file {sandbox_path} not found; check the path given to --sandbox.")
        return ImportRequest(
            provider=provider,
            credential=None,
            credential_env=names[0],
            sandbox=sandbox,
            sandbox_in_config=_sandbox_in_config(sandbox, out),
        )
    found = next((name for name in names if name in os.environ), None)
    if found is None:
        either = " or ".join(names)
        fail(
            f"{either} is not set: export the {DISPLAY[provider]} API key in {names[0]}, or import "
            "from a local sandbox with --sandbox PATH."
        )
    if not os.environ[found]:
        fail(f"the environment variable {found} is set but empty; export the API key in it.")
    return ImportRequest(
        provider=provider,
        credential=SecretStr(os.environ[found]),
        credential_env=found,
        base_url=base_url,
    )


def _base_url(provider: str, given: str | None) -> str | None:
    if given is None:
        return None
    url = given.strip().rstrip("/")
    if provider == "mailchimp":
        url = url.removesuffix(_MAILCHIMP_API_PATH)
    if not _URL.fullmatch(url):
        # The value is not echoed: a malformed URL may still carry a password.
        fail("--base-url must be an http(s) URL such as https://api.example.com")
    parts = urlsplit(url)
    if "@" in parts.netloc or parts.query or parts.fragment:
        # It is written into the config, where nothing secret may appear in clear.
        fail(
            "--base-url must not hold credentials or a query string: it is written into "
            "the config; the API key comes from the environment."
        )
    return url


def _sandbox_in_config(sandbox: Path, out: Path | None) -> str:
    """The sandbox path as the config must hold it: relative to the config's folder."""
    if out is None:
        return sandbox.as_posix()
    try:
        relative = os.path.relpath(sandbox.resolve(), out.absolute().parent.resolve())
    except ValueError:  # another drive on Windows: only an absolute path works
        return sandbox.resolve().as_posix()
    return Path(relative).as_posix()


def _report(result: ImportResult, out: Path | None) -> None:
    """On stderr, so that standard output is exactly the config."""
    for item in result.left_out:
        # A late one means the conversion rules missed a case that the final check caught.
        found = " (found when checking the written file)" if item.late else ""
        click.echo(
            f"Commented out {printable(item.address)}: {printable(item.reason)}{found}", err=True
        )
    for address, why in result.dropped:
        click.echo(f"Partly written {printable(address)}: {printable(why)}", err=True)
    where = f"into {out}" if out is not None else "to standard output"
    skipped = f"; {len(result.left_out)} commented out" if result.left_out else ""
    click.echo(f"Imported {result.account} {where}{skipped}.", err=True)
