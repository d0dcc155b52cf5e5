"""Compile a segmentation rule into a Mailchimp saved segment's native conditions. Pure.

A saved segment holds `options{match, conditions}`: one flat list of conditions, all or
any of which must hold. `compile_segment` turns a rule into that form (canonical, as
`reconciler.conditions` defines it) when the conditions select exactly the contacts the
rule selects, and otherwise refuses with an issue at the predicate that does not map.
It never approximates: a rule it refuses can always be declared on a rule-driven tag,
whose members espform computes itself. This module arranges the conditions into one
segment; `compile_mailchimp_fields` makes each predicate's conditions.

```yaml
segments:
  Gold regulars:
    rule:
      all:
        - {status: active}
        - {field: TIER, equals: gold}
        - {field: VISITS, gt: 3}
        - {has_tag: Dog owner}
```

Mapping (merge field types decide the condition type; E = the rule's value as written,
trimmed):

| rule predicate                    | Mailchimp condition                                   |
|-----------------------------------|-------------------------------------------------------|
| text, phone, url, imageurl field  | TextMerge                                             |
|   equals / not_equals E           |   is / not E                                          |
|   contains / not_contains E       |   contains / notcontain E                             |
|   starts_with / ends_with E       |   starts / ends E                                     |
|   is_set / is_empty               |   blank_not / blank                                   |
|   in / not_in [E1, E2]            |   is E1, is E2 (match any) / not E1, not E2 (all)     |
| number field                      | TextMerge, compared as numbers                        |
|   equals, not_equals, gt, lt      |   is, not, greater, less                              |
|   gte E / lte E                   |   greater E, is E / less E, is E (match any)          |
|   in / not_in, is_set / is_empty  |   as for text                                         |
| dropdown, radio field             | SelectMerge: equals, not_equals, in, not_in (the      |
|                                   |   option as declared), contains, not_contains, blank  |
| date field                        | DateMerge, value YYYY-MM-DD                           |
|   equals, not_equals              |   is, not                                             |
|   before D / after D              |   less D / greater D                                  |
|   between [A, B]                  |   greater A-1 day, less B+1 day (match all)           |
|   in, not_in, is_set, is_empty    |   as for text                                         |
| birthday field (MM/DD)            | BirthdayMerge: equals, not_equals, in, not_in, blank  |
| address field                     | AddressMerge: contains, not_contains a single word    |
| email                             | EmailAddress on EMAIL: the text operators but blank   |
| has_tag T / not has_tag T         | StaticSegment static_is / static_not {tag: T}         |
| status: active (top-level all)    | nothing: see below                                    |

`not:` is pushed inward first (`not` of `all` is `any` of the `not`s, `not equals` is
`not_equals`), nested groups of the same kind are flattened, and then the rule must be
one predicate or one `all`/`any` of predicates; each predicate may expand to several
conditions only where they share the level's match.

Statuses: no condition type tests a contact's status, but a saved segment counts and
mails only its *subscribed* contacts. So `{status: active}` (or `subscribed`, or
`in: [active]`) as an item of the top-level `all` compiles to nothing and sets
`subscribed_only`; every other status predicate (unsubscribed, unconfirmed/pending,
bounced/cleaned, transactional, archived, a negated or nested status) is refused.
With it, the segment's subscribed contacts are exactly the rule's contacts; without a
status predicate, the conditions select the rule's contacts among contacts of every
status, and Mailchimp shows the subscribed ones unless asked to include others.

Refused because Mailchimp's condition language has no exact equivalent:
- groups nested in a group of the other kind, and expansions that would need that
  (`in` under `all`, `gte` under `all`, date `between` under `any`);
- number `between` (both bounds inclusive; only strict greater/less exist) and `not`
  around gt/gte/lt/lte/starts_with/ends_with/before/after/between/within_days;
- `within_days` (depends on the day of evaluation), timestamps on date fields, and
  `subscribed_at`/`created_at` (Mailchimp's Date condition on `timestamp_opt` compares
  in a time zone and with value forms the API does not document);
- zip fields (ZipMerge only tests a distance), address is_set/is_empty and address
  text with spaces (Mailchimp's text of an address is not documented), birthday fields
  whose declared format is not MM/DD (rules read the value in the field's format, the
  condition in MM/DD), is_set/is_empty on email (always set);
- text with letters outside ASCII that have case (é, ß): the rule folds case by
  Unicode, Mailchimp's folding of them is not documented (the sandbox folds ASCII only);
- numbers beyond 2**53 or in exponent notation (compared as floating point).

Mailchimp's side as assumed here (the fact sheet is silent; the sandbox does the same):
text conditions ignore case and compare the stored text, a missing value reads as "",
numbers compare numerically, dates as YYYY-MM-DD text, `not`/`notcontain` hold for a
missing value (like the rule's negations). Two differences the rule alone cannot
exclude remain with the stored values: text with surrounding whitespace (the rule trims
it, a condition does not) and characters whose case folding yields ASCII letters (ß,
ſ, the Kelvin sign); number fields are taken to hold numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.conditions import canonical
from reconciler.errors import Issue
from reconciler.model import Location
from reconciler.rules.ast import (
    NEGATIONS,
    All,
    Any,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    Rule,
    StatusPredicate,
)
from reconciler.rules.catalog import Catalog
from reconciler.rules.compile_mailchimp_fields import (
    FLAG_OPS,
    Condition,
    FieldConditions,
    Match,
    Refused,
    flow,
    tag_condition,
)
from reconciler.rules.status import Status, read_status, statuses_of
from reconciler.rules.yaml_form import to_data

__all__ = ["SUGGESTION", "NativeSegment", "compile_segment"]

#: Appended to every refusal: what to write instead.
SUGGESTION = (
    "declare the rule on a tag instead (tags: {NAME: {rule: ...}}), whose members espform "
    "keeps exact, and select that tag with {has_tag: NAME}"
)
PROVIDER = "mailchimp"
#: `not` around one of these is the other one.
_INVERSE = {**NEGATIONS, **{positive: negative for negative, positive in NEGATIONS.items()}}
_STATUS_INVERSE = {"equals": "not_equals", "not_equals": "equals", "in": "not_in", "not_in": "in"}


@dataclass(frozen=True)
class NativeSegment:
    """A saved segment's options, compiled from a rule."""

    match: Match
    #: In the canonical form of `reconciler.conditions` (tags by name).
    conditions: tuple[Condition, ...]
    #: The rule requires `status: active`, which the segment's scope supplies.
    subscribed_only: bool = False


def compile_segment(
    rule: Rule, catalog: Catalog, date_formats: Mapping[str, str] | None = None
) -> tuple[NativeSegment | None, list[Issue]]:
    """`rule` as native segment options, or None and an issue per predicate refused.

    `catalog` is the one the rule was checked against (merge tags, types, options, tags);
    `date_formats` holds the declared `date_format` of birthday fields by merge tag.
    """
    compiler = _Compiler(catalog, date_formats or {}, rule.location)
    native = compiler.run(rule)
    return (native, []) if not compiler.issues else (None, compiler.issues)


class _Compiler:
    def __init__(
        self, catalog: Catalog, date_formats: Mapping[str, str], root: Location | None
    ) -> None:
        self.catalog = catalog
        self.date_formats = date_formats
        self.root = root
        self.issues: list[Issue] = []

    def refuse(self, refused: Refused) -> None:
        where = refused.node.location or self.root
        message = (
            f"{_shorten(flow(to_data(refused.shown)))} has no exact Mailchimp segment condition: "
            f"{refused.reason}; {SUGGESTION}"
        )
        self.issues.append(Issue(where, message))

    def run(self, rule: Rule) -> NativeSegment | None:
        try:
            top = _flatten(_push_not(rule, negate=False))
        except Refused as refused:
            self.refuse(refused)
            return None
        top, subscribed_only = self.scope(top)
        if top is None:
            return None
        level: Match | None = None
        leaves: tuple[Rule, ...] = (top,)
        if isinstance(top, All | Any):
            level, leaves = ("all" if isinstance(top, All) else "any"), top.items
        found: dict[str, Condition] = {}
        for leaf in leaves:
            try:
                conditions, needs = self.leaf(leaf, level)
            except Refused as refused:
                self.refuse(refused)
                continue
            if level is None:
                level = needs or "all"
            for condition in conditions:
                found.setdefault(json.dumps(condition, sort_keys=True), condition)
        if self.issues or level is None:
            return None
        return NativeSegment(level, canonical(found.values()), subscribed_only)

    def scope(self, top: Rule) -> tuple[Rule | None, bool]:
        """Drop `status: active` from the top-level `all`: the segment's scope says it."""
        if isinstance(top, StatusPredicate) and _only_active(top):
            reason = (
                "it is the only condition, and a saved segment needs at least one; a "
                "segment of every subscribed contact needs no rule"
            )
            self.refuse(Refused(top, reason))
            return None, False
        if not isinstance(top, All):
            return top, False
        kept = [item for item in top.items if not _is_active_scope(item)]
        if len(kept) == len(top.items):
            return top, False
        if not kept:
            self.refuse(Refused(top, "nothing is left once status: active is taken out"))
            return None, False
        return (_flatten(kept[0]) if len(kept) == 1 else All(tuple(kept), top.location)), True

    def leaf(self, node: Rule, level: Match | None) -> tuple[list[Condition], Match | None]:
        if isinstance(node, All | Any):
            inner, outer = ("all", "any") if isinstance(node, All) else ("any", "all")
            raise Refused(
                node,
                f"{inner}: inside {outer}: needs nested groups, and a saved segment's "
                "conditions are one list matched with all or any",
            )
        conditions, needs = self.predicate(node)
        if len(conditions) > 1 and level is not None and needs != level:
            raise Refused(
                node,
                f"it becomes {len(conditions)} conditions matched with {needs}, which "
                f"inside {level}: would need nested groups; saved segments have none",
            )
        return conditions, needs

    def predicate(self, node: Rule) -> tuple[list[Condition], Match | None]:
        if isinstance(node, HasTag):
            return [tag_condition(node, "static_is", self.catalog.tags)], None
        if isinstance(node, Not) and isinstance(node.item, HasTag):
            return [tag_condition(node.item, "static_not", self.catalog.tags)], None
        if isinstance(node, InGroup) or (isinstance(node, Not) and isinstance(node.item, InGroup)):
            raise Refused(node, "Mailchimp has no groups; use has_tag, or an Interests condition")
        if isinstance(node, StatusPredicate):
            raise Refused(
                node,
                "no Mailchimp condition tests a contact's status; a saved segment counts "
                "and mails its subscribed contacts, so only {status: active} directly under "
                "the top-level all: is accepted (it adds no condition)",
            )
        if not isinstance(node, FieldPredicate):
            raise Refused(node, "it is not a predicate")
        return FieldConditions(node, self.catalog, self.date_formats).conditions()


# --- rule shape --------------------------------------------------------------------------


def _push_not(rule: Rule, *, negate: bool) -> Rule:
    """`rule` with every `not` moved onto a predicate that has a negated form."""
    if isinstance(rule, Not):
        return _push_not(rule.item, negate=not negate)
    if isinstance(rule, All | Any):
        items = tuple(_push_not(item, negate=negate) for item in rule.items)
        flips = isinstance(rule, All) == negate  # not(all) is any, not(any) is all
        return Any(items, rule.location) if flips else All(items, rule.location)
    if not negate:
        return rule
    if isinstance(rule, FieldPredicate):
        inverse = _INVERSE.get(rule.op)
        if inverse is None:
            raise Refused(
                rule,
                f"Mailchimp has no negated form of {rule.op}",
                shown=Not(rule),
            )
        value = True if inverse in FLAG_OPS else rule.value
        return FieldPredicate(rule.field, inverse, value, rule.location)  # type: ignore[arg-type]
    if isinstance(rule, StatusPredicate):
        op = _STATUS_INVERSE[rule.op]
        return StatusPredicate(op, rule.statuses, rule.location)  # type: ignore[arg-type]
    return Not(rule, rule.location)  # has_tag (static_not); in_group is refused later


def _flatten(rule: Rule) -> Rule:
    """Groups merged into a parent of the same kind; one-item groups replaced by the item."""
    if not isinstance(rule, All | Any):
        return rule
    items: list[Rule] = []
    for item in map(_flatten, rule.items):
        if type(item) is type(rule):
            items.extend(item.items)  # type: ignore[union-attr]
        else:
            items.append(item)
    if len(items) == 1:
        return items[0]
    return type(rule)(tuple(items), rule.location)


def _only_active(rule: StatusPredicate) -> bool:
    """Whether the predicate holds for subscribed Mailchimp contacts and no others."""
    named = {read_status(word) for word in rule.statuses}
    present = statuses_of(PROVIDER)
    selected = present & named if rule.op in ("equals", "in") else present - named
    return selected == {Status.ACTIVE}


def _is_active_scope(rule: Rule) -> bool:
    return isinstance(rule, StatusPredicate) and _only_active(rule)


def _shorten(text: str, most: int = 90) -> str:
    return text if len(text) <= most else text[: most - 4] + " ...}"
