"""Rule-driven groups in a MailerLite config: read each `groups.NAME.rule` and check it.

A rule may compare the declared fields (with their declared types) and MailerLite's 8
built-in fields (all text) whether declared or not, statuses MailerLite has, and
`in_group` of a declared group. MailerLite has no tags, so `has_tag` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.config.document import BuildContext
from reconciler.config.rules import check_rules, parse_rule
from reconciler.errors import Issue
from reconciler.rules import Catalog, FieldSpec, HasTag, Rule
from reconciler.rules.ast import walk

PROVIDER = "mailerlite"


def catalog_of(
    field_types: Mapping[str, str | None], builtins: Sequence[str], groups: Sequence[str]
) -> Catalog:
    """What a MailerLite rule may refer to. Fields without a type (already reported)
    are left out, so that a rule using one is not reported a second time as a type
    mismatch."""
    fields: dict[str, FieldSpec | str] = {key: "text" for key in builtins}
    for key, field_type in field_types.items():
        if field_type is not None:
            fields[key] = FieldSpec(field_type)
    return Catalog(fields=fields, provider=PROVIDER, groups=frozenset(groups), tags=None)


def group_rules(
    field_types: Mapping[str, str | None],
    builtins: Sequence[str],
    groups: Mapping[str, Any],
    ctx: BuildContext,
) -> tuple[Catalog, dict[str, Rule]]:
    """The catalog of the file and the rule of each rule-driven group, by group name.

    `groups` maps names to their documents (None for `{}`); problems go to `ctx`.
    """
    catalog = catalog_of(field_types, builtins, list(groups))
    rules: dict[str, Rule] = {}
    for name, entry in groups.items():
        data = getattr(entry, "rule", None)
        if data is None:
            continue
        rule = parse_rule(data, ctx, ("groups", name, "rule"))
        if rule is None:
            continue
        tags = [node for node in walk(rule) if isinstance(node, HasTag)]
        ctx.issues.extend(
            Issue(
                node.location,
                f"has_tag: '{node.name}': MailerLite has no tags; to test membership, "
                f"use a group instead, e.g. {{in_group: {node.name}}} with the group "
                "declared under groups:",
            )
            for node in tags
        )
        if not tags:
            rules[name] = rule
    check_rules(rules, catalog, ctx, kind="group")
    return catalog, rules
