"""`espform schema`: print the JSON Schema of the config file."""

from __future__ import annotations

import click

from reconciler.cli.common import Command
from reconciler.config.reference import render_reference
from reconciler.config.schema import render_schema


@click.command(cls=Command)
@click.option(
    "--reference",
    is_flag=True,
    help="Print the config reference in Markdown (docs/config-reference.md) instead.",
)
def schema(reference: bool) -> None:
    """Print the JSON Schema (draft 2020-12) of espform.yaml, for editors and linters.

    \b
    The repository keeps a copy; regenerate it after changing the config models:
      espform schema > schemas/espform.schema.json
    Point an editor at it with a first line such as:
      # yaml-language-server: $schema=schemas/espform.schema.json
    The guide's config reference is generated from it:
      espform schema --reference > docs/config-reference.md
    """
    # The text already ends with a newline; adding one would make the copy differ.
    click.echo(render_reference() if reference else render_schema(), nl=False)
