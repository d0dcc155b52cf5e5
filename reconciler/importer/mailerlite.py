"""MailerLite: the `fields`, `groups` and `segments` sections from an observed State.

Custom fields are written with their type and name. A built-in field is written only
when its label differs from MailerLite's default, as `{name: ...}`: it always exists and
is always text, so there is nothing else to say about it. Segments are written so that
they are adopted (renamed or protected from pruning later); the API cannot create them.
"""

from __future__ import annotations

from reconciler.config.mailerlite import (
    BUILTIN_FIELDS,
    FieldDocument,
    FieldKey,
    GroupName,
    SegmentName,
)
from reconciler.importer.document import Block, by_name, fit, key_problem, repeated
from reconciler.importer.webhooks import mailerlite_webhooks
from reconciler.model import Field, Resource, State

#: The labels MailerLite gives its built-in fields; "ZIP" became "Zip" in 2023.
DEFAULT_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("Name",),
    "last_name": ("Last name",),
    "company": ("Company",),
    "country": ("Country",),
    "city": ("City",),
    "phone": ("Phone",),
    "state": ("State",),
    "z_i_p": ("Zip", "ZIP"),
}


def mailerlite_sections(state: State, body: Block, secret_env: dict[str, str]) -> None:
    fields = [r for r in state.of_kind("field") if isinstance(r, Field)]
    groups = state.of_kind("group")
    segments = state.of_kind("segment")
    if written := _fields(fields):
        body.add("fields", written)
    if written := _named(groups, "group", GroupName):
        body.add("groups", written)
    if written := _named(segments, "segment", SegmentName):
        body.add("segments", written)
    if written := mailerlite_webhooks(state.of_kind("webhook"), secret_env):
        body.add("webhooks", written)


def _fields(fields: list[Field]) -> Block:
    block = Block()
    shown = [f for f in sorted(fields, key=lambda f: f.key) if not _default_builtin(f)]
    same_name = repeated(f.name for f in shown if f.name is not None)
    same_key = repeated(f.key for f in shown)
    for field in shown:
        builtin = field.key in BUILTIN_FIELDS
        data: dict[str, object] = {}
        if not builtin:
            data["type"] = field.type
        if field.name is not None:
            data["name"] = field.name
        raw, (data, dropped, problem) = data, fit(FieldDocument, data)
        comment = ""
        if builtin:
            defaults = " or ".join(f"'{label}'" for label in DEFAULT_LABELS.get(field.key, ()))
            comment = f"built-in field, relabelled (MailerLite's default label is {defaults})"
        entry = block.add(field.key, data, comment=comment, address=str(field.address))
        entry.dropped, entry.original = dropped, raw
        if problem := key_problem(FieldKey, field.key):
            entry.leave_out(f"MailerLite gave this field the key '{field.key}', and {problem}")
        elif field.key in same_key:
            entry.leave_out(f"{len(same_key[field.key])} fields have this key in the account")
        elif builtin and field.type not in (None, "text"):
            entry.leave_out(f"built-in fields are text in the config, but this one is {field.type}")
        elif problem:
            entry.leave_out(problem)
        elif field.name in same_name:
            others = ", ".join(k for k in _keys_named(shown, field.name) if k != field.key)
            entry.leave_out(
                f"field {others} has the same name, and the config requires unique field names; "
                "rename one of them in MailerLite"
            )
    return block


def _default_builtin(field: Field) -> bool:
    labels = DEFAULT_LABELS.get(field.key)
    return field.builtin and labels is not None and field.name in labels


def _keys_named(fields: list[Field], name: str | None) -> list[str]:
    return [f.key for f in fields if f.name == name]


def _named(resources: list[Resource], kind: str, annotation: object) -> Block:
    """Groups or segments: `NAME: {}`, each name written once."""
    block = Block()
    names = [r.key for r in resources]
    same = repeated(names)
    for resource in by_name(resources, lambda r: r.key):
        entry = block.add(resource.key, {}, address=str(resource.address))
        if problem := key_problem(annotation, resource.key):
            entry.leave_out(f"this {kind}'s name cannot be written: {problem}")
        elif resource.key in same:
            entry.leave_out(
                f"{len(same[resource.key])} {kind}s have this name in the account, so espform "
                f"cannot tell them apart; rename all but one in MailerLite and import again"
            )
    return block
