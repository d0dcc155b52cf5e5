"""Names that differ only in case or surrounding spaces: refused, since they look alike.

The ESPs do not say that such names are distinct: Mailchimp compares tag names without
regard to case, and MailerLite documents neither group-name uniqueness nor whether its
comparisons heed case (see the API fact sheets). Two such names in one config would be
two resources to espform and perhaps one to the ESP, so the plan could not be trusted.
"""

from __future__ import annotations

from reconciler.errors import Issue
from reconciler.model import Address, Field, Location, Resource, State
from reconciler.visible import visible

#: Kinds whose identity is a free-text name written by people. Field keys and merge
#: tags are already restricted to one case by their own rules.
# Mailchimp tags have their own case check in the dialect (tags are case-insensitive).
_NAMED_KINDS = {"group", "segment", "audience", "interest_category", "interest"}
_ESP = {"mailerlite": "MailerLite", "mailchimp": "Mailchimp"}


def _name(resource: Resource) -> str | None:
    if isinstance(resource, Field):
        return resource.name  # the display name; the key is lower case by rule
    return resource.key if resource.kind in _NAMED_KINDS else None


def _quoted(name: str) -> str:
    return '"' + visible(name).replace('"', '\\"') + '"'


def lookalike_issues(state: State) -> list[Issue]:
    """One issue per name equal to an earlier one but for case or surrounding spaces. A
    single name with surrounding spaces is allowed: accounts hold such names, and import
    writes them quoted."""
    issues: list[Issue] = []
    first: dict[tuple[Address | None, str, str], tuple[str, Location]] = {}
    for resource in state:
        name, where = _name(resource), resource.source
        if name is None or where is None:
            continue
        label = resource.kind.replace("_", " ")
        folded = (resource.address.parent, resource.kind, name.strip().casefold())
        earlier = first.setdefault(folded, (name, where))
        # Exactly equal field names have their own message in the dialect.
        if earlier[1] != where and earlier[0] != name:
            esp = _ESP.get(resource.address.provider, resource.address.provider)
            issues.append(
                Issue(
                    where,
                    f"{label} name {_quoted(name)} differs from {_quoted(earlier[0])} "
                    f"({earlier[1]}) only in case or surrounding spaces; {esp} may treat "
                    "them as the same, so keep one of them",
                )
            )
    return issues
