"""Rules in a Mailchimp config: rule-driven tags, and saved segments written as rules.

```yaml
audiences:
  Pet Manager Customers:
    merge_fields:
      TIER: {name: Tier, type: dropdown, options: {choices: [Gold, Silver]}}
    tags:
      Gold: {rule: {all: [{status: active}, {field: TIER, equals: Gold}]}}
    segments:
      Gold dog owners:                  # compiled to native conditions
        rule: {all: [{has_tag: Gold}, {field: PETTYPE, equals: Dog}]}
```

Per audience, a rule may compare the audience's merge fields (those declared and the
five defaults, with their Mailchimp types and declared choices), the contact's email,
`subscribed_at` and `created_at`, statuses Mailchimp has, and `has_tag` of a tag the
audience declares. Mailchimp has no groups, so `in_group` is refused. Tag rules must
not depend on each other in a loop.

A segment's rule is compiled by `reconciler.rules.compile_mailchimp` into the
segment's `match` and `conditions`; a rule without an exact native form is refused at
the predicate that has none, with the advice to declare it on a tag.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from reconciler.config.document import BuildContext
from reconciler.config.mailchimp_conditions import AudienceNames
from reconciler.config.rules import check_rules, parse_rule
from reconciler.errors import Issue
from reconciler.rules import Catalog, FieldSpec, InGroup, Rule, check
from reconciler.rules.ast import walk
from reconciler.rules.catalog import CHOICE_TYPES
from reconciler.rules.compile_mailchimp import NativeSegment, compile_segment

__all__ = ["audience_catalog", "segment_rule", "tag_rules"]

PROVIDER = "mailchimp"
Path = tuple[Hashable, ...]


def audience_catalog(names: AudienceNames) -> Catalog:
    """What the rules of one audience may refer to.

    Merge fields without a known type (already reported) are left out, so that a rule
    using one is not reported a second time as a type mismatch.
    """
    fields: dict[str, FieldSpec | str] = {}
    for tag, merge_type in names.merge_types.items():
        if merge_type is not None:
            choices = names.choices.get(tag, []) if merge_type in CHOICE_TYPES else []
            fields[tag] = FieldSpec(merge_type, tuple(choices))
    return Catalog(fields=fields, provider=PROVIDER, groups=None, tags=frozenset(names.tags))


def read_rule(data: Any, ctx: BuildContext, path: Path) -> Rule | None:
    """The rule written at `path`, or None once its problems are reported."""
    rule = parse_rule(data, ctx, path)
    if rule is None:
        return None
    groups = [node for node in walk(rule) if isinstance(node, InGroup)]
    ctx.issues.extend(
        Issue(
            node.location,
            f"in_group: '{node.name}': Mailchimp has no groups; to test a tag, write "
            f"{{has_tag: {node.name}}} with the tag declared under tags:, and for "
            "interest groups use a segment with an Interests condition",
        )
        for node in groups
    )
    return None if groups else rule


def tag_rules(
    ctx: BuildContext, audience: Path, tags: Mapping[str, Any], catalog: Catalog
) -> dict[str, Rule]:
    """The rule of each rule-driven tag of one audience, by tag name, checked."""
    rules: dict[str, Rule] = {}
    for name, entry in tags.items():
        data = getattr(entry, "rule", None)
        if data is None:
            continue
        rule = read_rule(data, ctx, (*audience, "tags", name, "rule"))
        if rule is not None:
            rules[name] = rule
    check_rules(rules, catalog, ctx, kind="tag")
    return rules


def segment_rule(
    ctx: BuildContext,
    where: Path,
    segment: str,
    data: Any,
    catalog: Catalog,
    date_formats: Mapping[str, str],
) -> NativeSegment | None:
    """A segment's rule as native options, or None once its problems are reported."""
    rule = read_rule(data, ctx, (*where, "rule"))
    if rule is None:
        return None
    issues = check(rule, catalog)
    if issues:
        ctx.issues.extend(issues)
        return None
    native, refused = compile_segment(rule, catalog, date_formats)
    ctx.issues.extend(Issue(i.location, f"segment '{segment}': {i.message}") for i in refused)
    return native
