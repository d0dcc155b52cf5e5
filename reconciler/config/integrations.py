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
from reconciler.model import Address, Location, State, section_key

__all__ = [
    "IntegrationName",
    "MailchimpIntegrationDocument",
    "MailerLiteIntegrationDocument",
    "build_mailchimp_integrations",
    "build_mailerlite_integrations",
]

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


class MailchimpIntegrationDocument(DocumentModel):
    """One integration, keyed by its name: the audience it syncs to and what it uses there."""

    description: str | None = PydanticField(
        default=None, description="What the integration is, for the people reading plans."
    )
    audience: UsedName = PydanticField(
        description="The audience it writes contacts to (declared under `audiences`)."
    )
    merge_fields: list[UsedName] | None = PydanticField(
        default=None, description="Merge tags it writes (declared in the audience)."
    )
    tags: list[UsedName] | None = PydanticField(
        default=None, description="Tags it adds contacts to (declared in the audience)."
    )
    interest_categories: list[UsedName] | None = PydanticField(
        default=None, description="Interest categories it sets (declared in the audience)."
    )
    segments: list[UsedName] | None = PydanticField(
        default=None, description="Saved segments it reads (declared in the audience)."
    )
    webhooks: list[UsedName] | None = PydanticField(
        default=None,
        description="Labels of the audience webhooks it receives (declared in the audience).",
    )


#: Section of an integration → resource kind.
_MAILERLITE = {"fields": "field", "groups": "group", "segments": "segment", "webhooks": "webhook"}
_MAILCHIMP = {
    "merge_fields": "merge_field",
    "tags": "tag",
    "interest_categories": "interest_category",
    "segments": "segment",
    "webhooks": "webhook",
}


def build_mailerlite_integrations(
    integrations: Mapping[str, MailerLiteIntegrationDocument | None],
    ctx: BuildContext,
    state: State,
) -> dict[Address, tuple[Dependent, ...]]:
    """Who depends on which object; a near miss of a declared name is an error at its place."""
    found: dict[Address, list[Dependent]] = {}
    for name, doc in integrations.items():
        if doc is not None:
            _collect(name, doc, _MAILERLITE, None, ctx, state, found)
    return {address: tuple(deps) for address, deps in found.items()}


def build_mailchimp_integrations(
    integrations: Mapping[str, MailchimpIntegrationDocument | None],
    ctx: BuildContext,
    state: State,
) -> dict[Address, tuple[Dependent, ...]]:
    """As for MailerLite, each within its audience, which it depends on as well."""
    found: dict[Address, list[Dependent]] = {}
    for name, doc in integrations.items():
        if doc is None:
            continue
        audience = Address.of(state.provider, "audience", doc.audience)
        where = ctx.value("integrations", name, "audience")
        if _checked(name, "audience", doc.audience, audience, where, ctx, state):
            found.setdefault(audience, []).append(Dependent("integration", name, source=where))
            _collect(name, doc, _MAILCHIMP, audience, ctx, state, found)
    return {address: tuple(deps) for address, deps in found.items()}


def _collect(
    name: str,
    doc: DocumentModel,
    sections: Mapping[str, str],
    parent: Address | None,
    ctx: BuildContext,
    state: State,
    found: dict[Address, list[Dependent]],
) -> None:
    for section, kind in sections.items():
        for index, used in enumerate(getattr(doc, section) or []):
            address = (
                parent.child(kind, used)
                if parent is not None
                else Address.of(state.provider, kind, used)
            )
            where = ctx.value("integrations", name, section, index)
            if _checked(name, kind, used, address, where, ctx, state, parent):
                found.setdefault(address, []).append(Dependent("integration", name, source=where))


def _checked(
    name: str,
    kind: str,
    used: str,
    address: Address,
    where: Location,
    ctx: BuildContext,
    state: State,
    parent: Address | None = None,
) -> bool:
    """Whether the name counts; False (and an error) for a near miss of a declared one."""
    if state.get(address) is not None:
        return True
    if kind == "webhook" and parent is not None:
        # Mailchimp knows an audience webhook by its URL; the label exists only in this
        # file, so an undeclared one can name nothing in the account.
        ctx.error(
            where,
            f'integration "{name}" uses webhook "{used}", which is not declared under '
            "the audience's `webhooks`; Mailchimp tells webhooks apart by URL, so an "
            "integration can name only a declared one. Declare it there, or remove it "
            "from the integration.",
        )
        return False
    # Not declared: a dependency on an account object espform leaves alone (kept from
    # pruning by the safety check), unless it is close to a declared name, which is far
    # likelier a typo.
    hint = did_you_mean(used, [r.key for r in state.of_kind(kind, parent)])
    if not hint:
        return True
    ctx.error(
        where,
        f'integration "{name}" uses {kind.replace("_", " ")} "{used}", which is not '
        f"declared under `{section_key(kind)}`{hint} Correct the name, or declare it there.",
    )
    return False
