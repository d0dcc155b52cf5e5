"""(c) Rule-driven membership over seeded subscribers, at two sizes.

For each size N the account is seeded (`espform sandbox seed`'s generator), its three
rule-driven groups (MailerLite) or tags (Mailchimp) are created empty, and then:

1. cold plan: every match is an addition, so the changes grow with N;
2. initial apply: adds them all;
3. `perturbed` subscribers (the same ones at every size) change tier through the API;
4. steady plan: the changes stay about the same at every size while N grows tenfold;
5. steady apply: carries them out.

Requests are compared with the bound ceil(N/page) + ceil(changes/batch) + c, where c
is what reading the structure costs (measured: the same config planned without rules),
plus one per walk beyond the first for a scan made of several walks, plus one per
target for an apply (each target's last batch may be partial). The steady plan shows
whether memory grows with the changes (ratio near 1 between sizes) or the subscribers
(ratio near 10).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import configs
from harness import Measurement, Sandbox, espform, measure

from reconciler import workflow
from reconciler.cli.sandbox import seed_account
from reconciler.config import load_config
from reconciler.engine.plan import Plan
from reconciler.errors import ConfigError
from reconciler.sandbox import population

#: Largest subscriber page of both APIs (MailerLite group members; Mailchimp members).
PAGE_SIZE = 1000
#: MailerLite: sub-requests per POST /api/batch. Mailchimp: adds (and as many removes)
#: per static-segment call.
BATCH_SIZE = {"mailerlite": 50, "mailchimp": 500}
TARGETS = 3
#: Walks one scan makes: MailerLite's provider lists each of the five subscriber
#: statuses separately (every walk may end on a partial page, an empty one still costs
#: a request), Mailchimp's one list of contacts.
SCAN_WALKS = {"mailerlite": 5, "mailchimp": 1}
SEED = 1


def unavailable(work: Path, flavor: str) -> str | None:
    """Why membership cannot be benchmarked for this flavor, or None when it can: the
    plan has no membership yet, or the config does not accept the rules used here."""
    fields = getattr(Plan, "__dataclass_fields__", {})
    if "membership" not in fields:
        return "Plan.membership does not exist yet (rule-driven groups are not wired in)"
    build = configs.mailerlite_rules if flavor == "mailerlite" else configs.mailchimp_rules
    probe = configs.write(work / f"probe-{flavor}.yaml", build(work / "probe.db", True))
    try:
        load_config(str(probe))
    except ConfigError as error:
        first = error.issues[0].message if error.issues else str(error)
        return f"the config does not accept these rules yet ({first})"
    return None


class NotWired(Exception):
    """The config takes the rules, but planning yields no membership for them."""


@dataclass
class Step:
    measurement: Measurement
    changes: int
    bound: int

    @property
    def within_bound(self) -> bool:
        return self.measurement.requests <= self.bound


@dataclass
class SizeRun:
    flavor: str
    subscribers: int
    structure_reads: int
    cold_plan: Step
    initial_apply: Step
    steady_plan: Step
    steady_apply: Step


def _plan(config_path: Path) -> Plan:
    config = load_config(str(config_path))

    async def go() -> Plan:
        async with workflow.Accounts([config]) as accounts:
            (outcome,) = await accounts.plan()
        if isinstance(outcome, workflow.Failed):
            raise outcome.error
        return outcome.plan

    return asyncio.run(go())


def _changes(plan: Plan) -> int:
    return sum(len(m.add) + len(m.remove) for m in plan.membership)


def _batches(plan: Plan, flavor: str) -> int:
    """The fewest write requests for the plan's membership changes."""
    size = BATCH_SIZE[flavor]
    if flavor == "mailchimp":
        # One call takes up to 500 additions and 500 removals of one tag.
        return sum(math.ceil(max(len(m.add), len(m.remove)) / size) for m in plan.membership)
    return math.ceil(_changes(plan) / size)


def _perturb(sandbox: Sandbox, flavor: str, count: int, list_id: str | None) -> None:
    """Flip the tier of the first `count` generated people: gold <-> silver."""
    with sandbox.session() as call:
        for person in population.people(count, SEED):
            tier = "silver" if person.tier == "gold" else "gold"
            if flavor == "mailerlite":
                status, body = call(
                    "POST", "/api/subscribers", {"email": person.email, "fields": {"tier": tier}}
                )
            else:
                status, body = call(
                    "PATCH",
                    f"/3.0/lists/{list_id}/members/{person.email}",
                    {"merge_fields": {"TIER": tier}},
                )
            assert status in (200, 201), body


def run_size(work: Path, flavor: str, subscribers: int, perturbed: int) -> SizeRun:
    db = work / f"members-{flavor}-{subscribers}.db"
    report = seed_account(flavor, db, subscribers, SEED)
    sandbox = Sandbox(flavor, db)
    build = configs.mailerlite_rules if flavor == "mailerlite" else configs.mailchimp_rules
    plain = configs.write(work / f"plain-{flavor}-{subscribers}.yaml", build(db, False))
    ruled = configs.write(work / f"rules-{flavor}-{subscribers}.yaml", build(db, True))
    espform("apply", "-c", plain, "--auto-approve")  # the targets exist, empty
    structure, _ = measure(sandbox, lambda: _plan(plain), changes_account=False)
    # ceil(a) + ceil(b) <= ceil(a + b) + 1: each walk beyond the first adds one page.
    scan = math.ceil(subscribers / PAGE_SIZE) + SCAN_WALKS[flavor] - 1
    c = structure.requests + TARGETS

    def plan_step() -> tuple[Step, Plan]:
        measured, plan = measure(sandbox, lambda: _plan(ruled), changes_account=False)
        return Step(measured, _changes(plan), scan + structure.requests), plan

    def apply_step(planned: Step, plan: Plan) -> Step:
        measured, _ = measure(
            sandbox,
            lambda: espform("apply", "-c", ruled, "--auto-approve", "--force"),
            changes_account=True,
        )
        # The apply reads and scans again before it writes.
        return Step(measured, planned.changes, scan + _batches(plan, flavor) + c)

    cold, cold_plan = plan_step()
    if not cold_plan.membership:
        # Every rule here matches part of any seeded population, so an empty membership
        # means the flavor does not plan it yet, not that nothing changes.
        raise NotWired("rule-driven targets are accepted, but no membership is planned")
    initial = apply_step(cold, cold_plan)
    del cold_plan  # not to count in the next measurements' memory
    leftover = _changes(_plan(ruled))
    assert leftover == 0, f"{leftover} membership changes left after apply"
    _perturb(sandbox, flavor, perturbed, report.list_id)
    steady, steady_plan = plan_step()
    steady_apply = apply_step(steady, steady_plan)
    return SizeRun(flavor, subscribers, structure.requests, cold, initial, steady, steady_apply)


def ratios(small: SizeRun, large: SizeRun) -> dict[str, Any]:
    """How the larger size compares with the smaller one, measured in this run."""

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    return {
        "subscribers": ratio(large.subscribers, small.subscribers),
        "steady changes": ratio(large.steady_plan.changes, small.steady_plan.changes),
        "steady plan memory": ratio(
            large.steady_plan.measurement.peak_bytes, small.steady_plan.measurement.peak_bytes
        ),
        "steady plan time": ratio(
            large.steady_plan.measurement.seconds, small.steady_plan.measurement.seconds
        ),
        "cold changes": ratio(large.cold_plan.changes, small.cold_plan.changes),
        "cold plan memory": ratio(
            large.cold_plan.measurement.peak_bytes, small.cold_plan.measurement.peak_bytes
        ),
        "cold plan time": ratio(
            large.cold_plan.measurement.seconds, small.cold_plan.measurement.seconds
        ),
    }
