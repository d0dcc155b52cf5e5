"""The guide's config reference (`docs/config-reference.md`) and the JSON Schema agree.

The reference is generated from the schema; these tests fail when the checked-in copy
was not regenerated after a model changed, and, independently of the generator, when a
key the schema accepts is missing from the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config.reference import render_reference
from reconciler.config.schema import config_schema

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_FILE = ROOT / "docs" / "config-reference.md"


def test_checked_in_reference_is_the_generated_one() -> None:
    assert REFERENCE_FILE.read_text(encoding="utf-8") == render_reference(), (
        "docs/config-reference.md is out of date: run "
        "`espform schema --reference > docs/config-reference.md`"
    )


def test_command_prints_the_reference() -> None:
    result = CliRunner().invoke(main, ["schema", "--reference"])
    assert result.exit_code == 0, result.output
    assert result.output == render_reference()


def _keys(schema: dict[str, Any], node: Any) -> Iterator[str]:
    """Every property name reachable from `node`, following `$ref`s once each."""
    seen: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
            continue
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                stack.append(schema["$defs"][name])
        for key, value in current.items():
            if key == "properties":
                yield from value
            stack.append(value)


def test_every_key_of_every_provider_is_documented_in_its_section() -> None:
    schema = config_schema()
    page = render_reference(schema)
    sections = re.split(r"^## ", page, flags=re.MULTILINE)[1:]
    by_provider = {section.split("`")[1].split(": ")[1]: section for section in sections}
    for branch in schema["oneOf"]:
        provider = branch["$ref"].rsplit("/", 1)[-1].split(".")[0]
        documented = set(re.findall(r"^\| `([^`]+)`", by_provider[provider], re.MULTILINE))
        last_parts = {path.rsplit(".", 1)[-1] for path in documented}
        missing = sorted(set(_keys(schema, branch)) - last_parts)
        assert not missing, f"{provider} keys missing from the reference: {missing}"


def test_a_new_key_in_the_schema_shows_up_with_its_description() -> None:
    schema = config_schema()
    group = schema["$defs"]["mailerlite.GroupDocument"]
    group["properties"]["colour"] = {"type": "string", "description": "Shown in the app."}
    page = render_reference(schema)
    assert "| `groups.<name>.colour` | text |" in page
    assert "Shown in the app." in page
    assert page != REFERENCE_FILE.read_text(encoding="utf-8")


def test_required_defaults_and_limits_are_stated() -> None:
    page = render_reference()
    assert re.search(r"\| `provider.type` \| `mailerlite` \| yes \|", page)
    assert re.search(r"\| `settings.threshold_min_objects` \| integer \|  \| `10` \|", page)
    assert "(1 to 10)" in page  # Mailchimp's max_connections
    assert "a `${env:...}` or `${file:...}` reference" in page
