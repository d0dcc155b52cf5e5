"""Check a written config the way `espform plan` will read it, before handing it over.

The conversion knows the config's rules, but the loader and the engine are the judges:
the text is loaded with `load_config` and diffed against the very State it came from.
Whatever they object to (a config error, an ambiguous name, a planned change) is traced
back, through the positions of the parsed text, to the object entry that caused it, so
that the entry can be left out. This keeps the promise that an import plans clean even
where the conversion rules fall short of the config's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.config import load_config
from reconciler.config.yaml_source import parse_yaml
from reconciler.engine import diff
from reconciler.engine.plan import Change
from reconciler.errors import ConfigError, PlanError
from reconciler.model import Capabilities, Location, State

#: Stands in for the credential while checking: the loader needs the variable set, and
#: a Mailchimp key's suffix names the data center. It is never sent anywhere.
PLACEHOLDER_CREDENTIAL = "0" * 32 + "-us1"


@dataclass(frozen=True)
class Problem:
    """One objection to the written file, at a place in it when known."""

    location: Location | None
    message: str


def check(
    text: str,
    observed: State,
    capabilities: Capabilities,
    env: str,
    secret_env: Mapping[str, str] | None = None,
) -> list[Problem]:
    """What keeps `text` from loading, or from planning no changes against `observed`.

    `secret_env` sets the variables the file references webhook URLs by, as the user
    will have to."""
    with tempfile.TemporaryDirectory(prefix="espform-import-") as folder:
        path = Path(folder) / "espform.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            environ = {**(secret_env or {}), env: PLACEHOLDER_CREDENTIAL}
            config = load_config(path, environ=environ)
        except ConfigError as err:
            return [Problem(i.location, i.message) for i in err.issues]
    try:
        plan = diff(config.desired, observed, config.settings, capabilities)
    except PlanError as err:
        return [Problem(i.location, i.message) for i in err.issues]
    return [Problem(_source(c), _describe(c)) for c in plan.changes]


def _source(change: Change) -> Location | None:
    declared = change.after or change.before
    return declared.source if declared is not None else None


def _describe(change: Change) -> str:
    what = "; ".join(
        f"{a.attribute} would change from {a.before!r} to {a.after!r}" for a in change.attributes
    )
    return f"declaring it would {change.action} {change.address}" + (f": {what}" if what else "")


def path_at(text: str, location: Location) -> tuple[Hashable, ...] | None:
    """The data path of the node written at `location` in `text` (or the last one that
    starts before it), or None if it is outside every node."""
    source, _ = parse_yaml(text, location.file)
    if source is None:
        return None
    best: tuple[tuple[int, int], tuple[Hashable, ...]] | None = None
    target = (location.line, location.col)
    for path, span in source.positions.spans.items():
        for place in (span.key, span.value):
            if place is None:
                continue
            start = (place.line, place.col)
            if start == target:
                return path
            if start < target and (best is None or start > best[0]):
                best = (start, path)
    return best[1] if best is not None else None
