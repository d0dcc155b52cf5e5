"""`espform validate`: check the config offline."""

from __future__ import annotations

import click

from reconciler.cli.common import config_option, load


@click.command()
@config_option
def validate(config_path: str) -> None:
    """Check the config file offline; sends no request."""
    config = load(config_path)
    counts: dict[str, int] = {}
    for resource in config.desired:
        counts[resource.kind] = counts.get(resource.kind, 0) + 1
    detail = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
    click.echo(f"The configuration is valid ({detail or 'nothing declared'}).")
