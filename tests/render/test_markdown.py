"""The Markdown plan and drift reports, on hand-built plans."""

from __future__ import annotations

import re

from reconciler.engine.drift import drift_report
from reconciler.engine.plan import Action, AttributeChange, Change, Plan
from reconciler.model import Address, Field, Group
from reconciler.render.markdown import render_drift_markdown, render_plan_markdown

ACCOUNT = "mailerlite (embedded sandbox), config espform.yaml"


def group(name: str, id: str | None = None) -> Group:
    return Group(address=Address.of("mailerlite", "group", name), id=id)


def tier(type: str, id: str | None = None) -> Field:
    return Field(address=Address.of("mailerlite", "field", "tier"), name="Tier", type=type, id=id)


def mixed_plan() -> Plan:
    return Plan(
        provider="mailerlite",
        changes=[
            Change(
                tier("number").address,
                Action.REPLACE,
                tier("text", "7"),
                tier("number"),
                (AttributeChange("type", "text", "number"),),
                destructive=True,
                reason="erases its value on every subscriber",
            ),
            Change(group("New").address, Action.CREATE, None, group("New")),
            Change(
                group("Old").address,
                Action.DELETE,
                group("Old", "9"),
                None,
                destructive=True,
                reason="drops every subscriber's membership of this group",
            ),
        ],
        unmanaged=[group("Made by hand", "5")],
    )


def test_counts_come_first_then_the_destructive_callout_then_details():
    text = render_plan_markdown(mixed_plan(), account=ACCOUNT)
    lines = text.splitlines()
    assert lines[0] == "<!-- espform:plan -->"
    assert lines[1] == f"### espform plan for {ACCOUNT}"
    summary = text.index("**Plan: 2 to create, 0 to update, 2 to delete (1 replaced).**")
    table = text.index("| 1 | 0 | 0 | 1 | 1 | 1 |")
    caution = text.index("> [!CAUTION]")
    details = text.index("<details>")
    assert summary < table < caution < details

    callout = text[caution:details]
    assert "**2 changes will lose data.**" in callout
    assert "erases its value on every subscriber" in callout
    assert "drops every subscriber&#x27;s membership of this group" in callout
    assert "New" not in callout  # a create loses nothing


def test_each_change_is_folded_with_before_and_after():
    text = render_plan_markdown(mixed_plan(), account=ACCOUNT)
    blocks = re.findall(r"<details><summary>(.*?)</summary>(.*?)</details>", text, re.S)
    assert len(blocks) == 4  # three changes, and the not-managed list
    replace_title, replace_body = blocks[0]
    assert "<code>mailerlite.field[&quot;tier&quot;]</code>" in replace_title
    assert "replace" in replace_title
    assert '- type = "text"' in replace_body and '+ type = "number"' in replace_body
    assert '+ key = "New"' in blocks[1][1]
    assert '- id = "9"' in blocks[2][1]
    assert "#### Not managed (1)" in text
    assert "<code>mailerlite.group[&quot;Made by hand&quot;]</code>" in blocks[3][1]


def test_names_cannot_break_out_of_the_markup():
    name = "<img src=x> ```"
    plan = Plan("mailerlite", [Change(group(name).address, Action.CREATE, None, group(name))])
    text = render_plan_markdown(plan, account=ACCOUNT)
    assert "<code>mailerlite.group[&quot;&lt;img src=x&gt; &#96;&#96;&#96;&quot;]</code>" in text
    assert "````diff" in text  # the fence outgrows the backticks inside
    # Raw, the name appears only inside that fence, where GitHub shows it as text.
    outside = re.sub(r"````diff\n.*?\n````", "", text, flags=re.S)
    assert "<img" not in outside and "```" not in outside


def test_no_changes_says_so():
    text = render_plan_markdown(Plan("mailerlite"), account=ACCOUNT)
    assert "**No changes. The account matches the configuration.**" in text
    assert "<details>" not in text and "[!NOTE]" not in text


def big_plan(n: int) -> Plan:
    changes = []
    for i in range(n):
        name = f"Group number {i:05d} " + "x" * 80
        changes.append(
            Change(
                group(name).address,
                Action.DELETE,
                group(name, str(i)),
                None,
                destructive=True,
                reason="drops every subscriber's membership of this group",
            )
        )
    unmanaged = [group(f"Unmanaged {i}", str(n + i)) for i in range(500)]
    return Plan("mailerlite", changes, unmanaged=unmanaged)


def test_a_big_plan_is_capped_with_a_note_saying_what_was_left_out():
    text = render_plan_markdown(big_plan(3000), account=ACCOUNT)
    assert len(text) <= 60_000
    # Counts stay complete even when details are cut.
    assert "**Plan: 0 to create, 0 to update, 3000 to delete.**" in text
    assert "| 0 | 0 | 0 | 0 | 3000 | 500 |" in text

    shown = text.count("<details><summary><code>-</code>")
    assert 0 < shown < 3000
    note = re.search(r"\*\*(\d+) of 3000 changes are not shown\*\*", text)
    assert note, text[-2000:]
    assert int(note.group(1)) == 3000 - shown
    assert "`espform plan`" in text and "--out plan.json" in text
    assert re.search(r"…and \d+ more; the full plan lists every one\.", text)


def test_the_cap_is_a_parameter():
    text = render_plan_markdown(big_plan(50), account=ACCOUNT, limit=5_000)
    assert len(text) <= 5_000
    assert "of 50 changes are not shown" in text
    full = render_plan_markdown(big_plan(50), account=ACCOUNT)
    assert (
        "changes are not shown" not in full and full.count("<details><summary><code>-</code>") == 50
    )


def test_drift_markdown_has_sections_and_counts():
    plan = mixed_plan()
    update = Change(
        tier("text").address,
        Action.UPDATE,
        Field(address=tier("text").address, name="Rank", type="text", id="7"),
        tier("text"),
        (AttributeChange("name", "Rank", "Tier"),),
    )
    plan.changes = [update, *plan.changes[1:]]
    text = render_drift_markdown(drift_report(plan), account=ACCOUNT)
    assert text.startswith("<!-- espform:drift -->")
    assert (
        "**Drift: 1 changed, 1 missing, 1 unexpected; 1 not managed (not counted as drift).**"
        in (text)
    )
    changed = text.index("#### Changed")
    missing = text.index("#### Missing")
    assert changed < missing < text.index("#### Unexpected") < text.index("#### Not managed")
    assert '- name = "Rank"' in text[changed:missing] and '+ name = "Tier"' in text[changed:missing]
