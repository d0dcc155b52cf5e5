"""The MailerLite provider against the embedded sandbox: the same code path as the real API."""

from __future__ import annotations

from pathlib import Path

import httpx
from provider_support import SleepRecorder, config, create_field, create_group, delete, rename, run

from reconciler.model import State
from reconciler.providers.base import ApplyResult, Outcome
from reconciler.providers.registry import create_provider
from reconciler.sandbox import open_app
from reconciler.sandbox.transport import SandboxTransport


def test_apply_then_read_round_trips_through_the_sandbox(tmp_path: Path) -> None:
    provider = create_provider(
        config(sandbox=tmp_path / "ml.db", token=None), sleep=SleepRecorder()
    )

    async def scenario() -> tuple[ApplyResult, State, ApplyResult, State]:
        try:
            created = await provider.apply(
                [
                    create_field("partner_key", name="Partner key"),
                    create_field("total_sales", "number", name="Total sales"),
                    *[create_group(f"Region {n}") for n in range(3)],
                ]
            )
            first = await provider.read()
            ids = {r.key: r.id for r in first.of_kind("group")}
            changed = await provider.apply(
                [
                    rename("group", "Region 0", "North", ids["Region 0"]),
                    delete("group", "Region 2", ids["Region 2"]),
                ]
            )
            second = await provider.read()
        finally:
            await provider.aclose()
        return created, first, changed, second

    created, first, changed, second = run(scenario)
    assert created.ok, created.failed
    fields = {r.key: r for r in first.of_kind("field")}
    assert fields["total_sales"].type == "number" and not fields["total_sales"].builtin
    assert fields["name"].builtin
    assert changed.ok, changed.failed
    groups = {r.key: r.id for r in second.of_kind("group")}
    assert "North" in groups and "Region 1" in groups and "Region 2" not in groups
    assert groups["North"] == {r.key: r.id for r in first.of_kind("group")}["Region 0"]


def test_a_batch_that_fails_as_a_whole_is_read_again_then_resent(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    provider = create_provider(config(sandbox=db, token=None), sleep=SleepRecorder())
    with httpx.Client(
        transport=SandboxTransport(open_app("mailerlite", db)), base_url="http://sandbox"
    ) as admin:
        # The very next API request, the batch of creates, fails; a POST is not retried
        # on a 5xx, since the server may have carried it out: the account is read to see.
        assert admin.post("/_sandbox/faults", json={"status": 500}).status_code == 201
    changes = [create_group("A"), create_group("B"), create_group("C")]
    reported: list[Outcome] = []

    async def scenario() -> tuple[ApplyResult, State]:
        try:
            return await provider.apply(changes, reported.append), await provider.read()
        finally:
            await provider.aclose()

    result, state = run(scenario)
    assert [o.change for o in result.outcomes] == changes
    assert reported == result.outcomes
    assert all(o.ok and not o.unknown for o in result.outcomes)
    assert sorted(r.address.name for r in state.of_kind("group")) == ["A", "B", "C"]
