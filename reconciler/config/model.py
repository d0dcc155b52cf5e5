"""The loaded, validated configuration handed to the rest of espform."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.config.provider import ProviderConfig
from reconciler.model import Settings, State


@dataclass(frozen=True)
class Config:
    path: Path
    provider: ProviderConfig
    settings: Settings
    #: The declared resources, each with its `source` location in the file.
    desired: State
