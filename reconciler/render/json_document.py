"""The plan as a versioned JSON document: what `plan --format json` prints.

Consumers should check `format_version`; fields are only ever added within a major version.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler import __version__
from reconciler.engine.plan import Action, Plan
from reconciler.render.values import resource_document

FORMAT_VERSION = "1.0"


def plan_document(plan: Plan) -> dict[str, Any]:
    counts = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "espform_version": __version__,
        "provider": plan.provider,
        "summary": {action.value: counts[action] for action in Action},
        "changes": [
            {
                "address": str(change.address),
                "kind": change.kind,
                "action": change.action.value,
                "id": change.remote_id,
                "before": resource_document(change.before),
                "after": resource_document(change.after),
                "attributes": [
                    {"attribute": a.attribute, "before": a.before, "after": a.after}
                    for a in change.attributes
                ],
                "destructive": change.destructive,
                "reason": change.reason or None,
            }
            for change in plan.changes
        ],
        "unmanaged": [str(r.address) for r in plan.unmanaged],
        "ignored": [str(r.address) for r in plan.ignored],
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False)
