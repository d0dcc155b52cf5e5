"""The `espform` command. It only wires: config -> provider -> engine -> render."""

from __future__ import annotations

import click

from reconciler import __version__
from reconciler.cli.apply import apply
from reconciler.cli.drift import drift
from reconciler.cli.import_ import import_command
from reconciler.cli.plan import plan
from reconciler.cli.sandbox import sandbox
from reconciler.cli.schema import schema
from reconciler.cli.validate import validate


class EspformGroup(click.Group):
    """Usage errors anywhere in the command tree exit 1, not click's 2.

    2 means "changes present" (plan) or "drift found" (drift): a CI job or cron entry
    with a mistyped command or option must not be read as either.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            err.exit_code = 1
            raise

    def invoke(self, ctx: click.Context) -> object:
        # Resolving the subcommand and parsing its options happen in here.
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            err.exit_code = 1
            raise


@click.group(cls=EspformGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="espform")
def main() -> None:
    """Manage an email service provider account (MailerLite, Mailchimp) as code.

    Exit codes: 0 success or no changes, 1 error, 2 changes present (plan
    --detailed-exitcode) or drift found (drift).
    """


for command in (validate, plan, apply, drift, import_command, schema, sandbox):
    main.add_command(command)
