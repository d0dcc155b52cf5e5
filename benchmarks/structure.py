"""(a) Reading a large account for `espform plan`, and (b) the writes of a large apply.

Both run the real command in this process against the embedded sandbox; requests are
those the sandbox served (a MailerLite batch counts once, as it does against the
per-minute limit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import configs
from harness import Measurement, Sandbox, espform, measure


@dataclass(frozen=True)
class StructureSizes:
    ml_groups: int
    ml_fields: int
    mc_audiences: int
    mc_merge_fields: int
    mc_categories: int
    mc_tags: int
    mc_segments: int
    #: Groups created by the large MailerLite apply.
    apply_groups: int

    @classmethod
    def full(cls) -> StructureSizes:
        # The account caps: 1,000 groups, 100 fields (8 built in); 30 merge fields per
        # audience (5 built in).
        return cls(1000, 92, 10, 25, 3, 50, 10, 500)

    @classmethod
    def quick(cls) -> StructureSizes:
        return cls(60, 10, 2, 4, 1, 5, 2, 60)


@dataclass
class Result:
    name: str
    objects: int
    measurement: Measurement


def _plan_changes(config: Path) -> int:
    document = json.loads(espform("plan", "-c", config, "--format", "json").output)
    return len(document["changes"])


def read_mailerlite(work: Path, sizes: StructureSizes) -> Result:
    db = work / "read-mailerlite.db"
    config = configs.write(
        work / "read-mailerlite.yaml",
        configs.mailerlite_structure(db, sizes.ml_groups, sizes.ml_fields),
    )
    espform("apply", "-c", config, "--auto-approve")  # set up: the account now matches
    sandbox = Sandbox("mailerlite", db)
    measurement, changes = measure(sandbox, lambda: _plan_changes(config), changes_account=False)
    assert changes == 0, f"the account should match its config, {changes} changes planned"
    objects = sizes.ml_groups + sizes.ml_fields
    return Result(
        f"plan, MailerLite: {sizes.ml_groups} groups + {sizes.ml_fields} fields",
        objects,
        measurement,
    )


def read_mailchimp(work: Path, sizes: StructureSizes) -> Result:
    db = work / "read-mailchimp.db"
    config = configs.write(
        work / "read-mailchimp.yaml",
        configs.mailchimp_structure(
            db,
            sizes.mc_audiences,
            merge_fields=sizes.mc_merge_fields,
            categories=sizes.mc_categories,
            tags=sizes.mc_tags,
            segments=sizes.mc_segments,
        ),
    )
    espform("apply", "-c", config, "--auto-approve")
    sandbox = Sandbox("mailchimp", db)
    measurement, changes = measure(sandbox, lambda: _plan_changes(config), changes_account=False)
    assert changes == 0, f"the account should match its config, {changes} changes planned"
    per_audience = (
        1
        + sizes.mc_merge_fields
        + sizes.mc_categories * 11  # a category and its 10 interests
        + sizes.mc_tags
        + sizes.mc_segments
    )
    return Result(
        f"plan, Mailchimp: {sizes.mc_audiences} audiences x ({sizes.mc_merge_fields} merge "
        f"fields, {sizes.mc_categories} categories x 10 interests, {sizes.mc_tags} tags, "
        f"{sizes.mc_segments} segments)",
        sizes.mc_audiences * per_audience,
        measurement,
    )


def apply_mailerlite(work: Path, sizes: StructureSizes) -> Result:
    """Create `apply_groups` groups on an empty account: how many requests the batch
    endpoint saves over one request per group."""
    db = work / "apply-mailerlite.db"
    config = configs.write(
        work / "apply-mailerlite.yaml", configs.mailerlite_structure(db, sizes.apply_groups, 0)
    )
    sandbox = Sandbox("mailerlite", db)
    reads, changes = measure(sandbox, lambda: _plan_changes(config), changes_account=False)
    measurement, _ = measure(
        sandbox, lambda: espform("apply", "-c", config, "--auto-approve"), changes_account=True
    )
    writes = measurement.requests - reads.requests
    measurement.extra.update(
        changes=changes, reads=reads.requests, writes=writes, one_by_one=changes
    )
    assert _plan_changes(config) == 0, "the apply should leave nothing to do"
    return Result(f"apply, MailerLite: create {changes} groups", changes, measurement)


def apply_mailchimp(work: Path, sizes: StructureSizes) -> Result:
    """Create one audience full of objects: Mailchimp has no batch endpoint for these
    kinds, so every change is one request; parallel writes shorten the wall time."""
    db = work / "apply-mailchimp.db"
    config = configs.write(
        work / "apply-mailchimp.yaml",
        configs.mailchimp_structure(
            db,
            1,
            merge_fields=sizes.mc_merge_fields,
            categories=sizes.mc_categories,
            tags=sizes.mc_tags * 2,
            segments=sizes.mc_segments,
        ),
    )
    sandbox = Sandbox("mailchimp", db)
    reads, changes = measure(sandbox, lambda: _plan_changes(config), changes_account=False)
    measurement, _ = measure(
        sandbox, lambda: espform("apply", "-c", config, "--auto-approve"), changes_account=True
    )
    writes = measurement.requests - reads.requests
    measurement.extra.update(
        changes=changes, reads=reads.requests, writes=writes, one_by_one=changes
    )
    assert _plan_changes(config) == 0, "the apply should leave nothing to do"
    return Result(f"apply, Mailchimp: create {changes} objects", changes, measurement)
