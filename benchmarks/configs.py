"""Config files for the benchmarks, generated at a given size.

They are written as JSON, which is YAML too, so no YAML writer is needed and what the
loader reads is exactly what was built here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.sandbox import population


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1))
    return path


def _provider(flavor: str, db: Path) -> dict[str, Any]:
    return {"type": flavor, "sandbox": str(db)}


def mailerlite_structure(db: Path, groups: int, fields: int) -> dict[str, Any]:
    """`groups` groups and `fields` custom fields (MailerLite allows 1,000 and 100)."""
    kinds = ("text", "number", "date")
    return {
        "provider": _provider("mailerlite", db),
        "fields": {
            f"bench_field_{i:03d}": {"type": kinds[i % 3], "name": f"Bench field {i:03d}"}
            for i in range(fields)
        },
        "groups": {f"Bench group {i:04d}": {} for i in range(groups)},
    }


def _audience(index: int, merge_fields: int, categories: int, tags: int, segments: int) -> Any:
    settings = population.AUDIENCE_SETTINGS
    contact = {
        key: value for key, value in settings["contact"].items() if value
    }  # blanks are the defaults
    return {
        "contact": contact,
        "permission_reminder": settings["permission_reminder"],
        "campaign_defaults": settings["campaign_defaults"],
        "email_type_option": False,
        "merge_fields": {
            f"BENCH{i:02d}": {"name": f"Bench field {i:02d}", "type": "text"}
            for i in range(merge_fields)
        },
        "interest_categories": {
            f"Topics {c}": {
                "type": "checkboxes",
                "interests": [f"Topic {c}.{i}" for i in range(10)],
            }
            for c in range(categories)
        },
        "tags": {f"Bench tag {i:03d}": {} for i in range(tags)},
        "segments": {
            f"Bench segment {i:02d}": {
                "match": "all",
                "conditions": [
                    {
                        "condition_type": "TextMerge",
                        "field": "BENCH00",
                        "op": "is",
                        "value": f"value {i}",
                    }
                ],
            }
            for i in range(segments)
        },
    }


def mailchimp_structure(
    db: Path,
    audiences: int,
    *,
    merge_fields: int,
    categories: int,
    tags: int,
    segments: int,
) -> dict[str, Any]:
    """`audiences` audiences, each with the given numbers of objects (an audience holds
    at most 30 merge fields, 5 of them built in)."""
    return {
        "provider": _provider("mailchimp", db),
        "audiences": {
            f"Bench audience {a:02d}": _audience(a, merge_fields, categories, tags, segments)
            for a in range(audiences)
        },
    }


#: MailerLite fields the seeded data uses, declared so that rules can test them.
_ML_FIELDS = {
    spec.key: {"type": spec.type, "name": spec.name} for spec in population.MAILERLITE_FIELDS
}


def mailerlite_rules(db: Path, with_rules: bool = True) -> dict[str, Any]:
    """Three rule-driven groups over the seeded population (about 8%, 16% and 3% of it)."""
    rules: dict[str, Any] = {
        "Gold customers": {"all": [{"status": "active"}, {"field": "tier", "equals": "gold"}]},
        # Partners are told apart by their key; `{status: active}` is the subscriber's
        # own status (`{field: status}` would be the quickstart's partner-status field).
        "Active partners": {
            "all": [{"status": "active"}, {"field": "partner_key", "is_set": True}]
        },
        "Big spenders": {"field": "total_earned", "gte": 500},
    }
    return {
        "provider": _provider("mailerlite", db),
        "fields": _ML_FIELDS,
        "groups": {name: ({"rule": rule} if with_rules else {}) for name, rule in rules.items()},
    }


def mailchimp_rules(db: Path, with_rules: bool = True) -> dict[str, Any]:
    """Three rule-driven tags of the seeded audience."""
    settings = population.AUDIENCE_SETTINGS
    rules: dict[str, Any] = {
        "Gold customers": {"all": [{"status": "active"}, {"field": "TIER", "equals": "gold"}]},
        "Frequent visitors": {"field": "VISITS", "gt": 5},
        "Breeders": {"field": "CTYPE", "equals": "Breeder"},
    }
    merge_fields = {
        spec.key: {"name": spec.name, "type": spec.type, "public": spec.public}
        | ({"options": {"choices": spec.options["choices"]}} if spec.type == "dropdown" else {})
        for spec in population.MAILCHIMP_MERGE_FIELDS
    }
    audience = {
        "contact": {key: value for key, value in settings["contact"].items() if value},
        "permission_reminder": settings["permission_reminder"],
        "campaign_defaults": settings["campaign_defaults"],
        "email_type_option": False,
        "double_optin": False,
        "merge_fields": merge_fields,
        "tags": {name: ({"rule": rule} if with_rules else {}) for name, rule in rules.items()},
    }
    return {
        "provider": _provider("mailchimp", db),
        "audiences": {population.DEFAULT_AUDIENCE: audience},
    }
