"""`integrations:`: the objects each integration that writes to the account depends on.

An integration (a booking system, a partner program) pushes contacts into fields and
groups it expects by name; it breaks silently when one is deleted, renamed or re-created
with another id. Naming them here makes the safety check refuse such a plan unless
forced, and makes a typo in a name an error at load time (the partner program's own
docs ask users to check field names for typos): a name close to a declared one but not
equal is refused. A name not declared at all still counts: the object may exist in the
account and be left alone by espform, and a prune that would delete it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field as PydanticField

from reconciler.config.document import BuildContext, DocumentModel, name_type
from reconciler.engine.dependents import Dependent
from reconciler.hints import did_you_mean
from reconciler.model import Address, State, section_key

__all__ = ["IntegrationName", "MailerLiteIntegrationDocument", "build_mailerlite_integrations"]

IntegrationName = name_type("integration name")
UsedName = name_type("name")


class MailerLiteIntegrationDocument(DocumentModel):
    """One integration, keyed by its name, and the objects it needs kept as they are."""

    description: str | None = PydanticField(
        default=None, description="What the integration is, for the people reading plans."
    )
    fields: list[UsedName] | None = PydanticField(
        default=None, description="Field keys it writes to (declared under `fields`)."
    )
    groups: list[UsedName] | None = PydanticField(
        default=None, description="Groups it adds contacts to (declared under `groups`)."
    )
    segments: list[UsedName] | None = PydanticField(
        default=None, description="Segments it reads (declared under `segments`)."
    )
    webhooks: list[UsedName] | None = PydanticField(
        default=None, description="Webhooks it receives (declared under `webhooks`)."
    )


#: Section of an integration → resource kind.
_KINDS = {"fields": "field", "groups": "group", "segments": "segment", "webhooks": "webhook"}


def build_mailerlite_integrations(
    integrations: Mapping[str, MailerLiteIntegrationDocument | None],
    ctx: BuildContext,
    state: State,
) -> dict[Address, tuple[Dependent, ...]]:
    """Who depends on which object; a near miss of a declared name is an error at its place."""
    found: dict[Address, list[Dependent]] = {}
    for name, doc in integrations.items():
        if doc is None:
            continue
        for section, kind in _KINDS.items():
            for index, used in enumerate(getattr(doc, section) or []):
                address = Address.of(state.provider, kind, used)
                where = ctx.value("integrations", name, section, index)
                if state.get(address) is None:
                    # Not declared: a dependency on an account object espform leaves
                    # alone (kept from pruning by the safety check), unless it is close
                    # to a declared name, which is far likelier a typo.
                    hint = did_you_mean(used, [r.key for r in state.of_kind(kind)])
                    if hint:
                        ctx.error(
                            where,
                            f'integration "{name}" uses {kind.replace("_", " ")} "{used}", '
                            f"which is not declared under `{section_key(kind)}`{hint} "
                            "Correct the name, or declare it there.",
                        )
                        continue
                found.setdefault(address, []).append(Dependent("integration", name, source=where))
    return {address: tuple(deps) for address, deps in found.items()}
