"""`${env:NAME}` and `${file:PATH}` references inside string values.

Secrets stay out of the YAML: a value names where the secret lives, and the loader
replaces the reference when reading. `$${` writes a literal `${`. Only values are
interpolated, never keys, so resource names stay what the file says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config.yaml_source import DataPath, Positions
from reconciler.errors import Issue

_TOKEN = re.compile(r"\$\$\{|\$\{([^{}]*)\}|\$\{")
_WHOLE = re.compile(r"\$\{\s*(env|file)\s*:([^{}]+)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HINT = "use ${env:NAME} or ${file:PATH}, and $${ for a literal ${"


@dataclass(frozen=True)
class Reference:
    """One `${scheme:argument}` written in the file."""

    scheme: str
    argument: str

    def __str__(self) -> str:
        return f"${{{self.scheme}:{self.argument}}}"


def whole_reference(text: str) -> Reference | None:
    """The reference if `text` is exactly one `${env:...}` or `${file:...}`, else None."""
    match = _WHOLE.fullmatch(text.strip())
    return Reference(match.group(1), match.group(2).strip()) if match else None


@dataclass
class Interpolator:
    """Replaces references in every string value of a document, collecting issues."""

    environ: Mapping[str, str]
    #: Folder of the config file: `${file:...}` paths are relative to it.
    base_dir: Path
    positions: Positions
    issues: list[Issue] = field(default_factory=list)
    #: Paths whose value came (partly) from a reference: error messages must never echo
    #: them, since they may hold a secret.
    interpolated: set[DataPath] = field(default_factory=set)
    #: Paths where a reference could not be resolved (already reported): later checks
    #: skip them rather than complain about the empty stand-in value.
    unresolved: set[DataPath] = field(default_factory=set)
    #: Paths whose references are checked for their form but not read (credentials,
    #: when validating on a machine that need not hold them).
    defer: frozenset[DataPath] = frozenset()
    #: The references left unread at `defer` paths, by path; their values stand empty.
    deferred: dict[DataPath, str] = field(default_factory=dict)

    def apply(self, data: Any, path: DataPath = ()) -> Any:
        if isinstance(data, dict):
            return {key: self.apply(value, (*path, key)) for key, value in data.items()}
        if isinstance(data, list):
            return [self.apply(value, (*path, index)) for index, value in enumerate(data)]
        if isinstance(data, str) and "${" in data:
            return self._string(data, path)
        return data

    def _string(self, text: str, path: DataPath) -> str:
        used = False

        def replace(match: re.Match[str]) -> str:
            nonlocal used
            if match.group(0) == "$${":
                return "${"
            if match.group(1) is None:
                self._issue(path, f"unterminated '${{' in value; {_HINT}")
                return ""
            used = True
            return self._resolve(match.group(1), path)

        result = _TOKEN.sub(replace, text)
        if used:
            self.interpolated.add(path)
        return result

    def _resolve(self, inner: str, path: DataPath) -> str:
        scheme, colon, argument = inner.partition(":")
        scheme, argument = scheme.strip(), argument.strip()
        if scheme == "env" and colon:
            return self._env(argument, path)
        if scheme == "file" and colon:
            return self._file(argument, path)
        self._issue(path, f"unknown reference '${{{inner}}}'; {_HINT}")
        return ""

    def _env(self, name: str, path: DataPath) -> str:
        if not _ENV_NAME.fullmatch(name):
            self._issue(
                path,
                f"'${{env:{name}}}' does not name an environment variable "
                "(letters, digits and underscores, not starting with a digit)",
            )
            return ""
        if path in self.defer:
            self.deferred[path] = f"${{env:{name}}}"
            return ""
        value = self.environ.get(name)
        if value is None:
            self._issue(
                path,
                f"environment variable {name} is not set (referenced as ${{env:{name}}}); "
                "export it before running espform",
            )
            return ""
        return value

    def _file(self, name: str, path: DataPath) -> str:
        if not name:
            self._issue(path, "'${file:}' needs a path, e.g. ${file:secrets/token.txt}")
            return ""
        if path in self.defer:
            self.deferred[path] = f"${{file:{name}}}"
            return ""
        target = Path(name).expanduser()
        if not target.is_absolute():
            target = self.base_dir / target
        try:
            # Files written by editors or `echo` end with a newline that is not part of
            # the secret.
            return target.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            reason = f"secret file '{name}' not found (looked for {target})"
        except IsADirectoryError:
            reason = f"secret file '{name}' is a folder, not a file ({target})"
        except PermissionError:
            reason = f"secret file '{name}' cannot be read: permission denied ({target})"
        except UnicodeDecodeError:
            reason = f"secret file '{name}' is not UTF-8 text ({target})"
        except OSError as exc:
            reason = f"secret file '{name}' cannot be read: {exc.strerror} ({target})"
        self._issue(path, reason)
        return ""

    def _issue(self, path: DataPath, message: str) -> None:
        self.unresolved.add(path)
        self.issues.append(Issue(self.positions.value(path), message))
