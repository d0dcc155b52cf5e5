"""The loaded, validated configuration handed to the rest of espform."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.provider import ProviderConfig
from reconciler.engine.dependents import Dependents
from reconciler.model import Address, Settings, State
from reconciler.rules import Catalog


@dataclass(frozen=True)
class Config:
    path: Path
    provider: ProviderConfig
    settings: Settings
    #: The declared resources, each with its `source` location in the file.
    desired: State
    #: What rules may refer to, per scope (see `document.Desired.catalogs`).
    catalogs: Mapping[Address | None, Catalog] = field(default_factory=dict)
    #: The credential references (`${env:NAME}`, `${file:PATH}`) that were checked for
    #: their form only, when loaded with `resolve_credentials=False`.
    unchecked_credentials: tuple[str, ...] = ()
    #: The declared objects integrations depend on, with who depends on each.
    dependents: Dependents = field(default_factory=dict)
