"""`espform import`: write a config from an account that already exists."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import Command, fail, run_async, write_text
from reconciler.importer import ImportFailure, ImportResult, import_account
from reconciler.importer.document import printable
from reconciler.importer.request import CREDENTIAL_ENV, RequestError, import_request


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
    try:
        request = import_request(provider, base_url, sandbox_path, out)
    except RequestError as err:
        fail(str(err))
    try:
        result = run_async(import_account(request))
    except ImportFailure as err:
        fail(f"{err}. Nothing was written.")
    if out is None:
        click.echo(result.text, nl=False)
    else:
        write_text(str(out), result.text)
    _report(result, out)


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
    if result.secret_env:
        click.echo(
            "Webhook URLs may hold secrets and are not written: before `espform plan`, set "
            + ", ".join(result.secret_env)
            + " to the URLs (each entry's comment says which webhook it is).",
            err=True,
        )
    where = f"into {out}" if out is not None else "to standard output"
    skipped = f"; {len(result.left_out)} commented out" if result.left_out else ""
    click.echo(f"Imported {result.account} {where}{skipped}.", err=True)
