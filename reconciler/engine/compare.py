"""Attribute comparison: only what the config declares is compared."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.engine.plan import AttributeChange
from reconciler.model import Resource


def project(observed: Any, declared: Any) -> Any:
    """The part of an observed value the declaration speaks about.

    A declared mapping names only the keys it manages (an audience's `contact` block may
    give just the company); keys it leaves out are not compared.
    """
    if isinstance(declared, dict) and isinstance(observed, dict):
        return {k: project(observed.get(k), v) for k, v in declared.items()}
    return observed


def attribute_changes(have: Resource, want: Resource) -> tuple[AttributeChange, ...]:
    """Managed attributes whose declared value differs from the observed one.

    `None` in the declaration means "not managed" and is never a change.
    """
    observed = have.attributes()
    changes = []
    for name, wanted in want.attributes().items():
        if wanted is None:
            continue
        current = project(observed.get(name), wanted)
        if DeepDiff(current, wanted, ignore_order=False):
            changes.append(AttributeChange(name, current, wanted))
    return tuple(changes)
