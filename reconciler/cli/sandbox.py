"""`espform sandbox`: the local ESP used by the examples and tests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.common import fail


@click.group()
def sandbox() -> None:
    """The local ESP used by the examples and tests."""


@sandbox.command()
@click.option(
    "--flavor",
    type=click.Choice(["mailerlite", "mailchimp"]),
    default="mailerlite",
    show_default=True,
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="SQLite file [default: .espform/sandbox-FLAVOR.db].",
)
@click.option("--rate-limit", type=int, help="Requests per minute before 429 (MailerLite).")
@click.option("--token", help="Accept only this token/API key (default: any non-empty one).")
def serve(
    flavor: str,
    host: str,
    port: int,
    db_path: str | None,
    rate_limit: int | None,
    token: str | None,
) -> None:
    """Serve the sandbox over HTTP so curl and the ESPs' SDKs can use it."""
    from reconciler.sandbox import open_app
    from reconciler.sandbox.server import make_server

    path = Path(db_path or f".espform/sandbox-{flavor}.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, object] = {}
    if flavor == "mailerlite":
        options = {"token": token, "rate_limit": rate_limit}
    else:
        if rate_limit is not None:
            fail(
                "--rate-limit applies to the mailerlite flavor; "
                "Mailchimp limits connections instead."
            )
        options = {"api_key": token}
    app = open_app(flavor, path, **options)
    server = make_server(app, host, port)
    bound_host, bound_port = server.server_address[:2]
    root = "/api" if flavor == "mailerlite" else "/3.0"
    click.echo(
        f"espform sandbox ({flavor}) serving {path} at http://{bound_host}:{bound_port}{root}",
        nl=True,
    )
    click.echo("Admin API at /_sandbox. Press Ctrl-C to stop.")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()
