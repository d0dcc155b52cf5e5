"""diff(desired, observed) -> Plan. Pure: no I/O."""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.model import Capabilities, Settings, State


def diff(desired: State, observed: State, settings: Settings, capabilities: Capabilities) -> Plan:
    raise NotImplementedError
