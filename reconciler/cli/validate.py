"""`espform validate`: check the config offline."""

from __future__ import annotations

import click

from reconciler.cli.common import Command, config_option, load_all, select_configs
from reconciler.config.model import Config


@click.command(cls=Command)
@config_option
def validate(config_paths: tuple[str, ...]) -> None:
    """Check the config files offline; sends no request.

    With several files (or a folder), every file is checked and all problems are
    reported together; the exit code is 1 if any file is invalid.
    """
    selection = select_configs(config_paths)
    configs = load_all(selection)
    if not selection.many:
        click.echo(f"The configuration is valid ({_detail(configs[0])}).")
        return
    for path, config in zip(selection.paths, configs, strict=True):
        click.echo(f"{path}: valid ({_detail(config)}).")
    click.echo(f"All {len(configs)} configurations are valid.")


def _detail(config: Config) -> str:
    counts: dict[str, int] = {}
    for resource in config.desired:
        counts[resource.kind] = counts.get(resource.kind, 0) + 1
    detail = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
    return detail or "nothing declared"
