"""`load_config`: from a path to a validated `Config`, or every problem of the file at once.

The steps: read the file; parse YAML with positions; pick the dialect from
`provider.type`; refuse credentials written in clear; resolve `${...}` references;
validate each top-level section against the dialect's document model; let the dialect
run its semantic checks and build the desired State.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, get_origin

from pydantic import ValidationError, create_model
from pydantic_core import ErrorDetails

from reconciler.config.dialects import DIALECTS
from reconciler.config.document import BASE_URL, BuildContext, Dialect, DocumentModel
from reconciler.config.interpolation import Interpolator, Reference, whole_reference
from reconciler.config.lookalikes import lookalike_issues
from reconciler.config.messages import Translator, label, strip
from reconciler.config.model import Config
from reconciler.config.reading import read_config_text
from reconciler.config.yaml_source import DataPath, Positions, parse_yaml
from reconciler.errors import ConfigError, Issue
from reconciler.hints import did_you_mean, kind_of
from reconciler.urls import refused_parts

#: Stands in for a credential written in clear, so that it reaches no later step.
_REDACTED = "<redacted>"

_EXAMPLE = "provider: {type: mailerlite, token: ${env:MAILERLITE_API_TOKEN}}"


def load_config(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    *,
    resolve_credentials: bool = True,
) -> Config:
    """Load and validate one config file.

    `environ` defaults to the process environment. Raises `ConfigError` with every issue
    found, each located as `file:line:col` with `file` written as `path` was given.

    With `resolve_credentials=False` (what `espform validate` does) every check still
    runs, including that each credential is a `${env:...}` or `${file:...}` reference of
    a valid form, but the references are not read: the variables and files need not
    exist. The credentials are then None in `Config.provider`, so such a Config cannot
    connect, and `Config.unchecked_credentials` lists the references left unread.
    """
    file = str(path)
    text = read_config_text(Path(path), file)
    source, issues = parse_yaml(text, file)
    if source is None:
        raise ConfigError(issues)
    positions = source.positions
    data = source.data
    if data is None:
        raise ConfigError(
            [
                Issue(
                    positions.start,
                    f"the config file is empty; it needs at least a provider section, "
                    f"e.g. `{_EXAMPLE}`",
                )
            ]
        )
    if not isinstance(data, dict):
        raise ConfigError(
            [
                *issues,
                Issue(
                    positions.value(()),
                    f"the config must be a mapping of sections (provider, settings, ...), "
                    f"got {kind_of(data)}",
                ),
            ]
        )

    # Absolute, so that paths derived from it survive a later change of folder.
    base_dir = Path(path).parent.absolute()
    dialect = _dialect(data, positions, issues)
    credentials = _credentials(dialect, data, positions, issues) if dialect else {}
    interpolator = Interpolator(
        environ=os.environ if environ is None else environ,
        base_dir=base_dir,
        positions=positions,
        defer=frozenset() if resolve_credentials else frozenset(credentials),
    )
    data = interpolator.apply(data)
    issues += interpolator.issues
    if dialect is None:
        raise ConfigError(issues)

    hidden = {*interpolator.interpolated, *credentials, *dialect.secrets}
    if _holds_userinfo_or_query(data, BASE_URL):
        hidden.add(BASE_URL)
    translator = Translator(dialect.document, positions, hidden, interpolator.unresolved)
    document = _validate(dialect.document, data, translator, issues)
    ctx = BuildContext(
        file=file,
        base_dir=base_dir,
        positions=positions,
        credentials=credentials,
        unresolved=interpolator.unresolved,
        unchecked=set(interpolator.deferred),
    )
    desired = dialect.build(document, ctx)
    issues += ctx.issues
    if desired is not None:
        issues += lookalike_issues(desired.state)
    if desired is None and not issues:  # a dialect must say why; never fail silently
        issues.append(Issue(positions.start, f"{dialect.type}: the config cannot be used"))
    if issues or desired is None:
        raise ConfigError(_unique(issues))
    provider = desired.provider
    if interpolator.deferred:
        # Their values were never read: None rather than a stand-in, so that nothing can
        # connect with this Config and a provider says that the credential is missing.
        unread = {path[-1]: None for path in interpolator.deferred if len(path) == 2}
        provider = provider.model_copy(update=unread)
    return Config(
        path=Path(path),
        provider=provider,
        settings=desired.settings,
        desired=desired.state,
        catalogs=desired.catalogs,
        unchecked_credentials=tuple(interpolator.deferred.values()),
        dependents=desired.dependents,
    )


def _dialect(
    data: dict[Hashable, Any], positions: Positions, issues: list[Issue]
) -> Dialect | None:
    known = sorted(DIALECTS)
    provider = data.get("provider")
    if "provider" not in data:
        issues.append(
            Issue(positions.start, f"missing required section 'provider'; add e.g. `{_EXAMPLE}`")
        )
        return None
    if not isinstance(provider, dict):
        issues.append(
            Issue(
                positions.value(("provider",)),
                f"provider: expected a mapping with at least `type` ({', '.join(known)}), "
                f"got {kind_of(provider)}",
            )
        )
        return None
    kind = provider.get("type")
    if "type" not in provider:
        issues.append(
            Issue(
                positions.key(("provider",)),
                f"provider: missing required key 'type' (one of {', '.join(known)})",
            )
        )
        return None
    if not isinstance(kind, str) or kind not in DIALECTS:
        shown = f"'{kind}'" if isinstance(kind, str) else kind_of(kind)
        issues.append(
            Issue(
                positions.value(("provider", "type")),
                f"unknown provider type {shown}; expected one of {', '.join(known)}"
                f"{did_you_mean(kind, known)}",
            )
        )
        return None
    return DIALECTS[kind]


def _credentials(
    dialect: Dialect, data: dict[Hashable, Any], positions: Positions, issues: list[Issue]
) -> dict[DataPath, Reference]:
    """Check that each credential is a reference; return the references by path."""
    found: dict[DataPath, Reference] = {}
    for path, env in dialect.secrets.items():
        parent = _parent(data, path)
        if parent is None or parent.get(path[-1]) in (None, ""):
            continue  # absent: whether it is required is the dialect's call
        value = parent[path[-1]]
        ref = whole_reference(value) if isinstance(value, str) else None
        if ref is None:
            # Never quote it: this is most likely a real secret pasted into the file.
            issues.append(
                Issue(
                    positions.value(path),
                    f"{label(path)} must not be written in clear in the config; write "
                    f"`{path[-1]}: ${{env:{env}}}` and export {env} "
                    "(or read it from a file with `${file:PATH}`)",
                )
            )
            parent[path[-1]] = _REDACTED
        else:
            found[path] = ref
    return found


def _holds_userinfo_or_query(data: dict[Hashable, Any], path: DataPath) -> bool:
    """Whether the URL at `path` has a part that may be a secret: then no message quotes
    it, even one about its shape (a plain `connect.mailerlite.com` is still quoted)."""
    parent = _parent(data, path)
    value = parent.get(path[-1]) if parent is not None else None
    return isinstance(value, str) and bool(refused_parts(value))


def _parent(data: dict[Hashable, Any], path: DataPath) -> dict[Hashable, Any] | None:
    node: Any = data
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


@cache
def _section_model(document: type[DocumentModel], name: str) -> type[DocumentModel]:
    # A one-field model per section keeps pydantic's loc identical to the whole
    # document's, while one broken section does not hide the checks of the others.
    info = document.model_fields[name]
    return create_model(
        f"{document.__name__}_{name}", __base__=DocumentModel, **{name: (info.annotation, info)}
    )


def _validate(
    document: type[DocumentModel],
    data: dict[Hashable, Any],
    translator: Translator,
    issues: list[Issue],
) -> DocumentModel:
    for key in data:
        if key not in document.model_fields:
            issues.append(translator.unknown_key((key,)))
    values: dict[str, Any] = {}
    for name, info in document.model_fields.items():
        values[name] = None if info.is_required() else info.get_default(call_default_factory=True)
        if name not in data:
            if info.is_required():
                issues.append(translator.missing((name,)))
            continue
        errors: list[ErrorDetails] = []
        model = _section_model(document, name)
        try:
            values[name] = getattr(model.model_validate({name: data[name]}), name)
        except ValidationError as exc:
            errors = exc.errors()
        # Outside the except block: the ValidationError (which quotes inputs) must not be
        # chained onto the ConfigError raised later.
        issues += translator.explain(errors)
        kept = _valid_entries(model, name, data[name]) if errors else None
        if kept is not None:
            values[name] = kept
    return document.model_construct(**values)


def _valid_entries(
    model: type[DocumentModel], name: str, entries: Any
) -> dict[Hashable, Any] | None:
    """The entries of a mapping section that are valid on their own.

    So that one broken audience or group does not hide the semantic checks of its
    siblings. Checks that look across entries may then miss a problem (already
    reported) but never invent one: they only see fewer entries. Returns None when the
    section is not a mapping of entries.
    """
    is_mapping = get_origin(strip(model.model_fields[name].annotation)[0]) is dict
    if not is_mapping or not isinstance(entries, dict):
        return None
    kept: dict[Hashable, Any] = {}
    for key, value in entries.items():
        try:
            kept.update(getattr(model.model_validate({name: {key: value}}), name))
        except ValidationError:
            continue  # already explained with the whole section's errors
    return kept


def _unique(issues: list[Issue]) -> list[Issue]:
    return list(dict.fromkeys(issues))
