"""Provider checks every dialect shares: the sandbox path and a credential's presence."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr

from reconciler.config.document import BuildContext


def sandbox_path(value: str | None, ctx: BuildContext) -> Path | None:
    """The sandbox file, absolute (base_dir is) and normalised, so it holds if the CLI
    changes folder."""
    if value is None:
        return None
    return Path(os.path.normpath(ctx.base_dir / Path(value).expanduser()))


def credential_present(
    ctx: BuildContext, key: str, env: str, secret: SecretStr | None, sandbox: Path | None
) -> bool:
    """Whether `provider.<key>` holds a usable credential, or the sandbox needs none.

    Reports a missing or empty credential; one whose reference failed was reported
    already and counts as present, so that it is not reported twice.
    """
    if secret is None:
        if sandbox is not None:
            return True
        article = "an" if key[0] in "aeiou" else "a"
        ctx.error(
            ctx.key("provider"),
            f"provider: {article} {key} is required unless `sandbox` is set; add "
            f"`{key}: ${{env:{env}}}` and export {env}",
        )
        return False
    value = secret.get_secret_value()
    if value and any(ch.isspace() or not ch.isprintable() for ch in value):
        # Usually a trailing newline from `echo` or a secret store; sent as a header it
        # would be rejected by the HTTP layer, which may quote the header back.
        ctx.error(
            ctx.value("provider", key),
            f"provider.{key} contains whitespace or control characters (often a trailing "
            "newline); remove them from the secret",
        )
        return False
    if value or ("provider", key) in ctx.unresolved:
        return True
    ref = ctx.credentials.get(("provider", key))
    if ref is None:
        reason = f"write `{key}: ${{env:{env}}}`"
    elif ref.scheme == "env":
        reason = f"environment variable {ref.argument} is set but empty"
    else:
        reason = f"secret file '{ref.argument}' is empty"
    ctx.error(ctx.value("provider", key), f"provider.{key} is empty: {reason}")
    return False
