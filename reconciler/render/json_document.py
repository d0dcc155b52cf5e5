"""Plans and drift reports as versioned JSON documents, for machines.

`plan --format json` prints exactly the document `plan --out FILE` saves, so a CI job
can keep one artifact for both reading and applying. Consumers should check `document`
and `format_version`; fields are only ever added within a major version (1.1 added
`membership` and `membership_summary`: every member to add to or remove from each
rule-driven group or tag, by id and email).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler import __version__
from reconciler.engine.drift import DriftReport
from reconciler.engine.fingerprint import PlanOrigin
from reconciler.engine.membership import MembershipChange
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.safety import Violation
from reconciler.render.values import resource_document

FORMAT_VERSION = "1.1"
#: Marks espform's own documents, so a foreign JSON file is told apart from a damaged one.
PLAN_DOCUMENT = "espform-plan"
DRIFT_DOCUMENT = "espform-drift"


def plan_document(
    plan: Plan,
    origin: PlanOrigin,
    violations: Sequence[Violation] = (),
    *,
    forced: bool = False,
) -> dict[str, Any]:
    """`violations` are all the plan's safety violations; with `forced`, those --force
    lifts are listed as overridden and do not make the plan refused."""
    counts = plan.counts()
    return {
        "document": PLAN_DOCUMENT,
        "format_version": FORMAT_VERSION,
        "espform_version": __version__,
        "provider": plan.provider,
        "target": origin.target,
        "config_digest": origin.config_digest,
        "fingerprints": dict(origin.fingerprints),
        "summary": {action.value: counts[action] for action in Action},
        "changes": [change_document(change) for change in plan.changes],
        "membership_summary": membership_summary(plan.membership),
        "membership": [membership_document(m) for m in plan.membership],
        "unmanaged": [str(r.address) for r in plan.unmanaged],
        "ignored": [str(r.address) for r in plan.ignored],
        "targets": [str(t) for t in plan.targets],
        "safety": safety_document(violations, forced=forced),
    }


def safety_document(violations: Sequence[Violation], *, forced: bool) -> dict[str, Any]:
    """`refused` is what a machine checks: true means apply would change nothing."""
    items = []
    for violation in violations:
        overridden = forced and violation.overridable
        item: dict[str, Any] = {
            "rule": violation.rule.value,
            "overridden": overridden,
            "message": violation.message,
        }
        if violation.address is not None:
            item["address"] = str(violation.address)
        if violation.glob is not None:
            item["pattern"] = violation.glob.pattern
        if violation.by:
            item["depended_on_by"] = [
                {"kind": d.kind, "name": d.name, "detail": d.detail} for d in violation.by
            ]
        if violation.scope is not None and violation.limit is not None:
            parent, kind = violation.scope
            item.update(
                parent=str(parent) if parent is not None else None,
                kind=kind,
                count=violation.count,
                total=violation.total,
                percent=round(violation.percent, 1),
                limit=violation.limit.percent,
            )
        elif violation.total:  # a membership change: counted in members of one group
            item.update(
                count=violation.count,
                total=violation.total,
                percent=round(violation.percent, 1),
                limit=violation.limit.percent if violation.limit is not None else None,
            )
        items.append(item)
    return {
        "forced": forced,
        "refused": any(not item["overridden"] for item in items),
        "violations": items,
    }


def change_document(change: Change) -> dict[str, Any]:
    """One change as plain JSON data; also what a saved change is compared by."""
    document = {
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
    # Through JSON and back, so tuples read as lists exactly as in a saved file.
    normalized: dict[str, Any] = json.loads(json.dumps(document, ensure_ascii=False))
    return normalized


def membership_document(change: MembershipChange) -> dict[str, Any]:
    """Every member to add and remove, so that a reviewer's tool can list them all."""
    return {
        "address": str(change.address),
        "kind": change.address.kind,
        "current_size": change.current_size,
        "add": [{"id": ref.id, "email": ref.email} for ref in change.add],
        "remove": [{"id": ref.id, "email": ref.email} for ref in change.remove],
    }


def membership_summary(changes: Sequence[MembershipChange]) -> dict[str, int]:
    return {
        "add": sum(len(c.add) for c in changes),
        "remove": sum(len(c.remove) for c in changes),
        "targets": sum(1 for c in changes if c.size),
    }


def drift_document(report: DriftReport, origin: PlanOrigin) -> dict[str, Any]:
    """The drift report; `before` is the account, `after` what the config declares."""
    return {
        "document": DRIFT_DOCUMENT,
        "format_version": FORMAT_VERSION,
        "espform_version": __version__,
        "provider": report.provider,
        "target": origin.target,
        "config_digest": origin.config_digest,
        "drifted": report.drifted,
        "unmanaged_is_drift": report.unmanaged_is_drift,
        "summary": {
            "changed": len(report.changed),
            "missing": len(report.missing),
            "unexpected": len(report.unexpected),
            "unmanaged": len(report.unmanaged),
        },
        "membership_summary": membership_summary(report.membership),
        "membership": [membership_document(m) for m in report.membership],
        "breaking": [
            {
                "address": str(b.change.address),
                "action": b.change.action.value,
                "depended_on_by": [{"kind": d.kind, "name": d.name} for d in b.by],
            }
            for b in report.breaking
        ],
        "changed": [change_document(c) for c in report.changed],
        "missing": [change_document(c) for c in report.missing],
        "unexpected": [change_document(c) for c in report.unexpected],
        "unmanaged": [str(r.address) for r in report.unmanaged],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_json(
    plan: Plan,
    origin: PlanOrigin,
    violations: Sequence[Violation] = (),
    *,
    forced: bool = False,
) -> str:
    return dumps(plan_document(plan, origin, violations, forced=forced))


def render_drift_json(report: DriftReport, origin: PlanOrigin) -> str:
    return dumps(drift_document(report, origin))
