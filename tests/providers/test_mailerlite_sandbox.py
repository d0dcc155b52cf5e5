"""The MailerLite provider against the embedded sandbox: the same code path as the real API."""

from __future__ import annotations

from pathlib import Path

from provider_support import SleepRecorder, config, create_field, create_group, delete, rename, run

from reconciler.model import State
from reconciler.providers.base import ApplyResult
from reconciler.providers.registry import create_provider


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
