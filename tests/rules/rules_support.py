"""Helpers shared by the rule tests (a module of its own: only unique names import
safely across test folders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from reconciler.errors import Issue
from reconciler.model import Location
from reconciler.rules import (
    Catalog,
    FieldSpec,
    Rule,
    Status,
    SubscriberView,
    compile_rule,
    evaluate,
    parse,
)
from reconciler.rules.parse import DataPath

NOW = dt.datetime(2024, 3, 15, 12, 0, 0)

CATALOG = Catalog(
    fields={
        "tier": FieldSpec("text"),
        "city": FieldSpec("text"),
        "score": FieldSpec("number"),
        "joined": FieldSpec("date"),
        "PLAN": FieldSpec("dropdown", ("Gold", "Silver", "Bronze")),
        "BDAY": FieldSpec("birthday"),
        "ADDRESS": FieldSpec("address"),
    },
    provider="mailerlite",
)


def label(path: DataPath) -> str:
    """`all[1].field`: where a fake location says it points."""
    out = "rule"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def locate(path: DataPath) -> Location:
    """A fake `locate` whose file name spells the data path it was asked about."""
    return Location(label(path), 1, 1)


def where(issues: list[Issue]) -> list[str]:
    return [issue.location.file if issue.location else "?" for issue in issues]


def parsed(data: object) -> Rule:
    rule, issues = parse(data, locate)
    assert not issues, [str(i) for i in issues]
    assert rule is not None
    return rule


def errors(data: object) -> list[Issue]:
    rule, issues = parse(data, locate)
    assert rule is None and issues
    return issues


def person(
    fields: Mapping[str, object] | None = None,
    *,
    status: Status | str = Status.ACTIVE,
    email: str = "ada@example.com",
    groups: frozenset[str] = frozenset(),
    tags: frozenset[str] = frozenset(),
    subscribed_at: dt.datetime | None = None,
    created_at: dt.datetime | None = None,
) -> SubscriberView:
    return SubscriberView(
        email=email,
        status=status,
        fields=dict(fields or {}),
        groups=groups,
        tags=tags,
        subscribed_at=subscribed_at,
        created_at=created_at,
    )


Judge = Callable[[Rule, SubscriberView], bool]


def both(rule: Rule, subscriber: SubscriberView, catalog: Catalog | None = CATALOG) -> bool:
    """The verdict of `evaluate`, after asserting the compiled closure agrees."""
    expected = evaluate(rule, subscriber, NOW, catalog)
    assert compile_rule(rule, NOW, catalog)(subscriber) is expected
    return expected
