"""Provider checks every dialect shares: the sandbox path, the base URL and a credential's
presence."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr

from reconciler.config.document import BASE_URL, BuildContext
from reconciler.urls import refused_parts


def sandbox_path(value: str | None, ctx: BuildContext) -> Path | None:
    """The sandbox file, absolute (base_dir is) and normalised, so it holds if the CLI
    changes folder."""
    if value is None:
        return None
    return Path(os.path.normpath(ctx.base_dir / Path(value).expanduser()))


def check_base_url(ctx: BuildContext, value: str | None, credential: str) -> bool:
    """Whether `provider.base_url` is free of a user name, password, query and fragment.

    They are refused rather than stripped: any of them may hold a secret that would be
    sent to the server and end up in logs. The message names the refused parts but never
    quotes the value, which may have come from `${env:...}`.
    """
    if value is None or BASE_URL in ctx.unresolved:
        return True
    parts = refused_parts(value)
    if not parts:
        return True
    found = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"
    ctx.error(
        ctx.value(*BASE_URL),
        f"provider.base_url must not contain {found}: write only the API's root "
        "(scheme, host, optional port and path) and authenticate with "
        f"provider.{credential}",
    )
    return False


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
    if sandbox is not None:
        # The sandbox ignores any credential: with both written, a user who meant the
        # real account would plan against the local sandbox without a word.
        ctx.error(
            ctx.key("provider", key),
            f"provider: both sandbox and {key} are set, and the sandbox ignores the {key}; "
            f"remove `sandbox:` to use the real account, or `{key}:` to use the sandbox",
        )
        return False
    if ("provider", key) in ctx.unchecked:
        return True  # written as a reference, which is all that can be known unread
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
