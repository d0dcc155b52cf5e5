"""`espform validate`: check the config offline, without its credentials."""

from __future__ import annotations

import click
from click.core import ParameterSource

from reconciler.cli.common import Command, config_option, load_all, select_configs
from reconciler.config.model import Config


@click.command(cls=Command)
@click.argument("files", nargs=-1, type=click.Path())
@config_option
def validate(files: tuple[str, ...], config_paths: tuple[str, ...]) -> None:
    """Check config files offline; sends no request and reads no credential.

    FILES are checked like `-c` values (pre-commit passes the staged files so). With
    several files (or a folder), every file is checked and all problems are reported
    together; the exit code is 1 if any file is invalid.

    Everything in the file is checked, including that each credential is written as a
    `${env:NAME}` or `${file:PATH}` reference. Those references are not read, so the
    variables and files need not exist here: plan, apply and drift check them.
    """
    paths = list(files)
    source = click.get_current_context().get_parameter_source("config_paths")
    if not files or source is not ParameterSource.DEFAULT:
        paths += config_paths
    selection = select_configs(paths)
    configs = load_all(selection, resolve_credentials=False)
    if not selection.many:
        click.echo(f"The configuration is valid ({_detail(configs[0])}).")
    else:
        for path, config in zip(selection.paths, configs, strict=True):
            click.echo(f"{path}: valid ({_detail(config)}).")
        click.echo(f"All {len(configs)} configurations are valid.")
    unread = list(dict.fromkeys(ref for c in configs for ref in c.unchecked_credentials))
    if unread:
        click.echo(
            f"Note: credentials were not checked, only how they are written ({', '.join(unread)}"
            "); plan, apply and drift read them."
        )


def _detail(config: Config) -> str:
    counts: dict[str, int] = {}
    for resource in config.desired:
        counts[resource.kind] = counts.get(resource.kind, 0) + 1
    detail = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
    return detail or "nothing declared"
