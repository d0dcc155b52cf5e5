"""`rule:` in a config file: its published shape, and reading it with the rule language.

The document models below only describe a rule for the JSON Schema (editors complete
keys and operators from it). The loader does not validate a rule with them: `rule` is
kept as written and read by `reconciler.rules.parse`, whose messages know the rule
language (one operator per predicate, `in` takes a list, "did you mean"...), then
checked against a `Catalog` of the file's fields and groups, and across rules for loops.
Every issue is located as `file:line:col`.

```yaml
groups:
  Gold Partners:
    rule: {all: [{status: active}, {field: tier, equals: gold}]}
```
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field, PlainValidator

from reconciler.config.document import BuildContext, DocumentModel
from reconciler.errors import Issue
from reconciler.model import Location
from reconciler.rules import Catalog, Rule, check, find_cycles, parse
from reconciler.rules.parse import DataPath

# --- The shape, for the JSON Schema ---------------------------------------------------
#
# Operands are left untyped: YAML dates, numbers and text are all valid somewhere, and
# which one fits depends on the field's type, which only the loader knows.

_VALUE = "Compared with the field's value as its type says (text, number or date)."


class AllRule(DocumentModel):
    """Matches subscribers that match every rule of the list."""

    all: list[RuleNode] = Field(description="Rules that must all match.")


class AnyRule(DocumentModel):
    """Matches subscribers that match at least one rule of the list."""

    any: list[RuleNode] = Field(description="Rules of which at least one must match.")


class NotRule(DocumentModel):
    """Matches subscribers that do not match the rule."""

    not_: RuleNode = Field(alias="not", description="The rule that must not match.")


class FieldRule(DocumentModel):
    """One operator applied to one field: `{field: tier, equals: gold}`.

    Exactly one operator per predicate; combine several with `all` or `any`.
    """

    model_config = ConfigDict(json_schema_extra={"minProperties": 2, "maxProperties": 2})

    field: str = Field(
        description=(
            "Field key, or `email`, `subscribed_at`, `created_at`; `status` means the "
            "subscriber's status."
        )
    )
    equals: Any = Field(default=None, description=f"Equal to this value. {_VALUE}")
    not_equals: Any = Field(default=None, description="Exactly not `equals`.")
    in_: list[Any] = Field(default=None, alias="in", description="Equal to one of these values.")
    not_in: list[Any] = Field(default=None, description="Exactly not `in`.")
    contains: Any = Field(default=None, description="Text containing this (ignoring case).")
    not_contains: Any = Field(default=None, description="Exactly not `contains`.")
    starts_with: Any = Field(default=None, description="Text starting with this.")
    ends_with: Any = Field(default=None, description="Text ending with this.")
    gt: Any = Field(default=None, description="A number greater than this.")
    gte: Any = Field(default=None, description="A number greater than or equal to this.")
    lt: Any = Field(default=None, description="A number less than this.")
    lte: Any = Field(default=None, description="A number less than or equal to this.")
    between: list[Any] = Field(
        default=None, description="[LOW, HIGH], both included: numbers, or dates (whole days)."
    )
    is_set: Literal[True] = Field(default=None, description="Has a value (not null nor blank).")
    is_empty: Literal[True] = Field(default=None, description="Has no value (null or blank).")
    before: Any = Field(default=None, description="A date before this day (or instant).")
    after: Any = Field(default=None, description="A date after this day (or instant).")
    within_days: int = Field(
        default=None, ge=1, description="A date on or after today minus this many days."
    )


_STATUS = "A subscriber status: active, unsubscribed, unconfirmed, bounced, junk, ..."


class StatusOperators(DocumentModel):
    """A status comparison with an explicit operator; exactly one of them."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    equals: str = Field(default=None, description=_STATUS)
    not_equals: str = Field(default=None, description="Any status but this one.")
    in_: list[str] = Field(default=None, alias="in", description="One of these statuses.")
    not_in: list[str] = Field(default=None, description="None of these statuses.")


class StatusRule(DocumentModel):
    """The subscriber's status: `{status: active}`, `{status: [active, unconfirmed]}`."""

    status: str | list[str] | StatusOperators = Field(
        description=f"{_STATUS}; a list means any of them."
    )


class InGroupRule(DocumentModel):
    """Membership of a group (MailerLite), which may be rule-driven itself."""

    in_group: str = Field(min_length=1, description="A group declared under `groups`.")


class HasTagRule(DocumentModel):
    """Carrying a tag (Mailchimp), which may be rule-driven itself."""

    has_tag: str = Field(min_length=1, description="A tag declared in the same audience.")


RuleNode = Union[  # noqa: UP007 - a recursive alias needs the named form
    AllRule, AnyRule, NotRule, FieldRule, StatusRule, InGroupRule, HasTagRule
]
for _model in (AllRule, AnyRule, NotRule):
    _model.model_rebuild()


def _as_written(value: Any) -> Any:
    return value


#: A rule as YAML gives it; `parse_rule` reads it.
RuleData = Annotated[Any, PlainValidator(_as_written, json_schema_input_type=RuleNode)]


def rule_field(kind: str) -> Any:
    return Field(
        default=None,
        description=(
            f"Who belongs in this {kind}: espform adds the subscribers the rule matches "
            f"and removes the others, whatever their status unless the rule says one "
            f"(see docs/rules.md). Without a rule, the {kind}'s members are left alone."
        ),
    )


# --- Reading ------------------------------------------------------------------------


def locator(ctx: BuildContext, base: tuple[Hashable, ...]) -> Any:
    """A `Locate` for the rule written at `base`: keys point at the key, list items
    and the rule itself at their value."""

    def locate(path: DataPath) -> Location | None:
        full = (*base, *path)
        if path and isinstance(path[-1], str):
            return ctx.key(*full)
        return ctx.value(*full)

    return locate


def parse_rule(data: Any, ctx: BuildContext, base: tuple[Hashable, ...]) -> Rule | None:
    """The rule at `base`, or None after reporting its issues to `ctx`."""
    rule, issues = parse(data, locator(ctx, base))
    ctx.issues.extend(issues)
    return rule


def check_rules(
    rules: Mapping[str, Rule], catalog: Catalog, ctx: BuildContext, *, kind: str
) -> None:
    """Check each rule against `catalog`, then the rules of one kind for loops."""
    for rule in rules.values():
        ctx.issues.extend(check(rule, catalog))
    loops: list[Issue] = find_cycles(**{f"{kind}s": dict(rules)})
    ctx.issues.extend(loops)
