"""How resources and values are shown to people and written for machines."""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import Resource
from reconciler.visible import visible


def show(value: Any) -> str:
    """A value as it would be written in the config (JSON scalars, quoted strings).

    Hidden and reordering characters come out as `\\uXXXX` escapes (still valid JSON),
    so a name cannot print invisibly or make a plan line read differently.
    """
    return visible(json.dumps(value, ensure_ascii=False, sort_keys=True))


def resource_document(resource: Resource | None) -> dict[str, Any] | None:
    """A resource as plain data: its key, remote id, and managed attributes."""
    if resource is None:
        return None
    document: dict[str, Any] = {"key": resource.key}
    if resource.id is not None:
        document["id"] = resource.id
    document.update({k: v for k, v in resource.attributes().items() if v is not None})
    return document
