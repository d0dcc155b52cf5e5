"""`espform schema`: print the JSON Schema of the config file."""

from __future__ import annotations

import click

from reconciler.cli.common import Command
from reconciler.config.schema import render_schema


@click.command(cls=Command)
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of espform.yaml, for editors and linters.

    \b
    The repository keeps a copy; regenerate it after changing the config models:
      espform schema > schemas/espform.schema.json
    Point an editor at it with a first line such as:
      # yaml-language-server: $schema=schemas/espform.schema.json
    """
    # The text already ends with a newline; adding one would make the copy differ.
    click.echo(render_schema(), nl=False)
