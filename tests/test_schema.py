"""`espform schema` and the checked-in `schemas/espform.schema.json`.

The schema is checked with a small validator written here for the keywords it uses (no
`jsonschema` dependency); the validator refuses any keyword it does not know, so a
schema that starts using one cannot pass unchecked. Then the schema must agree with the
loader: every example and documented config is valid for both, and each broken config
below is refused by both.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config import load_config
from reconciler.config.dialects import DIALECTS
from reconciler.config.interpolation import whole_reference
from reconciler.config.schema import DRAFT, REFERENCE_PATTERN, config_schema, render_schema
from reconciler.config.yaml_source import parse_yaml
from reconciler.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "schemas" / "espform.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*/espform.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/espform.schema.json"
ENV = {
    "MAILERLITE_API_TOKEN": "ml-token",
    "MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us6",
    # The pet-care example's webhook URL (it carries a token, so it is never in the file).
    "PETMANAGER_UNSUBSCRIBE_WEBHOOK_URL": "https://crm.petmanager.example/hooks?token=t",
}


# --- A validator for the keywords the schema uses ---------------------------------------

#: Keywords that only describe; they never make a document invalid.
ANNOTATIONS = {"$schema", "$defs", "title", "description", "default", "format", "writeOnly"}


def _is_number(value: Any) -> bool:
    # bool is an int in Python, not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: _is_number(v) and float(v).is_integer(),
    "number": lambda v: _is_number(v),
}


class Validator:
    """Draft 2020-12 semantics, restricted to the keywords below."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def errors(self, schema: Any, value: Any, at: str = "$") -> Iterator[str]:
        if schema is True:
            return
        if schema is False:
            yield f"{at}: not allowed"
            return
        for keyword, arg in schema.items():
            if keyword in ANNOTATIONS:
                continue
            check = getattr(self, "k_" + keyword.lstrip("$"), None)
            if check is None:
                raise AssertionError(f"the test validator does not know {keyword!r}")
            yield from check(arg, value, at, schema)

    def valid(self, schema: Any, value: Any) -> bool:
        return next(self.errors(schema, value), None) is None

    def k_ref(self, ref: str, value: Any, at: str, _: dict[str, Any]) -> Iterator[str]:
        assert ref.startswith("#/$defs/"), ref
        yield from self.errors(self.root["$defs"][ref.removeprefix("#/$defs/")], value, at)

    def k_type(self, names: str | list[str], value: Any, at: str, _: Any) -> Iterator[str]:
        names = [names] if isinstance(names, str) else names
        if not any(TYPES[name](value) for name in names):
            yield f"{at}: {value!r} is not of type {names}"

    def k_enum(self, options: list[Any], value: Any, at: str, _: Any) -> Iterator[str]:
        if not any(_same(value, option) for option in options):
            yield f"{at}: {value!r} is not one of {options}"

    def k_const(self, option: Any, value: Any, at: str, _: Any) -> Iterator[str]:
        yield from self.k_enum([option], value, at, _)

    def k_anyOf(self, options: list[Any], value: Any, at: str, _: Any) -> Iterator[str]:
        if not any(self.valid(option, value) for option in options):
            yield f"{at}: matches none of {len(options)} alternatives"
            for option in options:
                yield from self.errors(option, value, at)

    def k_oneOf(self, options: list[Any], value: Any, at: str, _: Any) -> Iterator[str]:
        matched = sum(self.valid(option, value) for option in options)
        if matched != 1:
            yield f"{at}: matches {matched} of the oneOf alternatives, not exactly 1"
        if matched == 0:
            # Say why, as an editor would: each alternative's own complaints.
            for option in options:
                yield from self.errors(option, value, at)

    def k_required(self, names: list[str], value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, dict):
            yield from (f"{at}: {n!r} is required" for n in names if n not in value)

    def k_properties(self, props: dict[str, Any], value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for name, sub in props.items():
                if name in value:
                    yield from self.errors(sub, value[name], f"{at}.{name}")

    def k_additionalProperties(
        self, sub: Any, value: Any, at: str, schema: dict[str, Any]
    ) -> Iterator[str]:
        assert "patternProperties" not in schema, "the schema should use propertyNames"
        if isinstance(value, dict):
            for name, item in value.items():
                if name not in schema.get("properties", {}):
                    yield from self.errors(sub, item, f"{at}.{name}")

    def k_propertyNames(self, sub: Any, value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for name in value:
                yield from self.errors(sub, name, f"{at}[key {name!r}]")

    def k_minProperties(self, n: int, value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, dict) and len(value) < n:
            yield f"{at}: fewer than {n} keys"

    def k_maxProperties(self, n: int, value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, dict) and len(value) > n:
            yield f"{at}: more than {n} keys"

    def k_items(self, sub: Any, value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self.errors(sub, item, f"{at}[{index}]")

    def k_minLength(self, n: int, value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, str) and len(value) < n:
            yield f"{at}: shorter than {n}"

    def k_maxLength(self, n: int, value: Any, at: str, _: Any) -> Iterator[str]:
        if isinstance(value, str) and len(value) > n:
            yield f"{at}: longer than {n}"

    def k_pattern(self, pattern: str, value: Any, at: str, _: Any) -> Iterator[str]:
        # JSON Schema patterns are not anchored: search, not match.
        if isinstance(value, str) and not re.search(pattern, value):
            yield f"{at}: {value!r} does not match {pattern}"

    def k_minimum(self, n: float, value: Any, at: str, _: Any) -> Iterator[str]:
        if _is_number(value) and value < n:
            yield f"{at}: below {n}"

    def k_maximum(self, n: float, value: Any, at: str, _: Any) -> Iterator[str]:
        if _is_number(value) and value > n:
            yield f"{at}: above {n}"


def _same(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1.
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def schema_errors(data: Any) -> list[str]:
    schema = config_schema()
    return list(Validator(schema).errors(schema, data))


def yaml_data(text: str) -> Any:
    """The data the loader sees: parsed the loader's way, before `${...}` references."""
    source, issues = parse_yaml(text, "espform.yaml")
    assert source is not None and not issues, issues
    return source.data


# --- The command and the checked-in copy ------------------------------------------------


def test_checked_in_schema_is_up_to_date() -> None:
    current = render_schema()
    kept = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    assert kept == current, (
        "schemas/espform.schema.json is out of date with the config models; run "
        "`espform schema > schemas/espform.schema.json` and commit the result"
    )


def test_espform_schema_prints_the_schema_once_with_a_final_newline() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.output == render_schema()
    assert result.output.endswith("}\n")
    assert json.loads(result.output)["$schema"] == DRAFT


def test_output_is_stable_and_sorted() -> None:
    text = render_schema()
    assert text == render_schema()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- Shape of the schema ----------------------------------------------------------------


def test_one_branch_per_dialect_selected_by_provider_type() -> None:
    schema = config_schema()
    assert schema["$schema"] == DRAFT
    assert schema["title"] and schema["description"]
    assert schema["properties"]["provider"]["properties"]["type"]["enum"] == sorted(DIALECTS)
    chosen = {}
    for branch in schema["oneOf"]:
        document = schema["$defs"][branch["$ref"].removeprefix("#/$defs/")]
        provider = schema["$defs"][document["properties"]["provider"]["$ref"].split("/")[-1]]
        chosen[provider["properties"]["type"]["const"]] = document["title"]
        assert "provider" in document["required"]
    assert chosen == {name: d.document.__name__ for name, d in DIALECTS.items()}


def test_every_model_refuses_unknown_keys_and_is_described() -> None:
    definitions = config_schema()["$defs"]
    assert len(definitions) > 10
    for name, definition in definitions.items():
        assert definition["type"] == "object", name
        assert definition["additionalProperties"] is False, name
        assert definition["title"] and definition["description"], name
        for key, prop in definition["properties"].items():
            assert prop.get("description"), f"{name}.{key} has no description"


def test_the_schema_uses_only_keywords_the_validator_checks() -> None:
    schema = config_schema()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for keyword, value in node.items():
                if keyword in {"properties", "$defs"}:
                    for sub in value.values():
                        walk(sub)
                    continue
                assert keyword in ANNOTATIONS or hasattr(Validator, "k_" + keyword.lstrip("$"))
                if keyword not in {"enum", "const", "default", "required"}:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)


@pytest.mark.parametrize(
    ("text", "is_reference"),
    [
        ("${env:MAILERLITE_API_TOKEN}", True),
        ("  ${ env : TOKEN }  ", True),
        ("${file:secrets/token.txt}", True),
        ("${file:/run/secrets/key}", True),
        ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9", False),
        ("0123456789abcdef0123456789abcdef-us6", False),
        ("${vault:token}", False),
        ("${env:A}${env:B}", False),
        ("prefix ${env:TOKEN}", False),
        ("${env:}", False),
    ],
)
def test_credential_pattern_agrees_with_the_loader(text: str, is_reference: bool) -> None:
    assert (whole_reference(text) is not None) is is_reference
    assert bool(re.search(REFERENCE_PATTERN, text)) is is_reference


# --- Agreement with the loader ----------------------------------------------------------


def _docstring_examples() -> list[tuple[str, str]]:
    """The YAML examples in each dialect module's docstring."""
    found = []
    for name, dialect in sorted(DIALECTS.items()):
        module = importlib.import_module(dialect.build.__module__)
        blocks = re.findall(r"```yaml\n(.*?)```", module.__doc__ or "", re.DOTALL)
        found += [(f"{name}-docstring-{i}", block) for i, block in enumerate(blocks)]
    return found


DOCUMENTED = [(p.parent.name, p.read_text(encoding="utf-8")) for p in EXAMPLES]
DOCUMENTED += _docstring_examples()


def test_every_dialect_has_a_documented_example() -> None:
    assert len(EXAMPLES) >= 3
    for name in DIALECTS:
        assert any(f"type: {name}" in text for _, text in DOCUMENTED), name


@pytest.mark.parametrize(("name", "text"), DOCUMENTED, ids=[n for n, _ in DOCUMENTED])
def test_documented_configs_are_valid_for_schema_and_loader(
    name: str, text: str, tmp_path: Path
) -> None:
    assert schema_errors(yaml_data(text)) == []
    path = tmp_path / "espform.yaml"
    path.write_text(text, encoding="utf-8")
    load_config(path, ENV)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_point_editors_at_the_schema(example: Path) -> None:
    first = example.read_text(encoding="utf-8").splitlines()[0]
    assert first == SCHEMA_LINE
    target = (example.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == SCHEMA_FILE


ML = "provider: {type: mailerlite, token: '${env:MAILERLITE_API_TOKEN}'}\n"
MC = (
    "provider: {type: mailchimp, api_key: '${env:MAILCHIMP_API_KEY}'}\n"
    "audiences:\n"
    "  Shop:\n"
    "    contact: {company: Shop, address1: 1 Main St, city: Portland, country: US}\n"
    "    permission_reminder: You bought from us.\n"
    "    campaign_defaults: {from_name: Shop, from_email: a@example.com, subject: '',"
    " language: en}\n"
    "    email_type_option: true\n"
)

ACCEPTED = {
    "mailerlite minimal": ML,
    "sandbox instead of token": "provider: {type: mailerlite, sandbox: sb.db}\n",
    "file reference": "provider: {type: mailerlite, token: '${file:token.txt}'}\n",
    "empty entries": ML + "groups:\n  Partners:\n  Gold: {}\nsegments:\n  Engaged:\n",
    "renamed_from as one string": ML + "groups:\n  Gold Partners: {renamed_from: Gold}\n",
    "field types": ML + "fields:\n  total: {type: number}\n  country: {name: Country}\n",
    "prune and ignore": ML + "settings: {prune: {groups: true}, ignore: ['Imported *']}\n",
    "mailchimp audience": MC,
    "interest shorthand and mapping": MC
    + "    interest_categories:\n"
    + "      News: {type: checkboxes, interests: [Tips, {Offers: {renamed_from: Deals}}]}\n",
    "merge field": MC + "    merge_fields:\n      CTYPE: {name: Type, type: text}\n      FNAME:\n",
    "max connections": MC.replace("}\n", ", max_connections: 10}\n", 1),
}

#: Each broken config, with what the schema's complaint must say (so that it is refused
#: for the intended reason, not by accident).
REFUSED = {
    "no provider": ("groups: {A: {}}\n", "'provider' is required"),
    "unknown provider type": ("provider: {type: sendgrid}\n", "'sendgrid' is not one of"),
    "unknown top-level key": (ML + "group: {A: {}}\n", "$.group: not allowed"),
    "unknown key in a group": (ML + "groups:\n  A: {renamed: [B]}\n", "A.renamed: not allowed"),
    "section of the other dialect": (ML + "audiences: {}\n", "$.audiences: not allowed"),
    "token in clear": ("provider: {type: mailerlite, token: abc123}\n", "does not match ^\\s*"),
    "api key in clear": (
        MC.replace("'${env:MAILCHIMP_API_KEY}'", "abcdef-us6"),
        "api_key: 'abcdef-us6' does not match",
    ),
    "field key with capitals": (
        ML + "fields:\n  PartnerKey: {type: text}\n",
        "[key 'PartnerKey']: 'PartnerKey' does not match",
    ),
    "unknown field type": (ML + "fields:\n  tier: {type: string}\n", "'string' is not one of"),
    "empty group name": (ML + "groups:\n  '': {}\n", "[key '']: shorter than 1"),
    "renamed_from a number": (ML + "groups:\n  A: {renamed_from: 2024}\n", "2024 is not of type"),
    "prune not a boolean": (
        ML + "settings: {prune: {groups: 'yes'}}\n",
        "groups: 'yes' is not of type ['boolean']",
    ),
    "bad base_url": (
        "provider: {type: mailerlite, sandbox: x.db, base_url: connect.example}\n",
        "base_url: 'connect.example' does not match",
    ),
    "lowercase merge tag": (
        MC + "    merge_fields:\n      ctype: {name: Type, type: text}\n",
        "[key 'ctype']: 'ctype' does not match",
    ),
    "merge tag too long": (
        MC + "    merge_fields:\n      CUSTOMERTYPE: {name: T, type: text}\n",
        "[key 'CUSTOMERTYPE']: longer than 10",
    ),
    "audience without contact": (
        MC.replace(
            "    contact: {company: Shop, address1: 1 Main St, city: Portland, country: US}\n", ""
        ),
        "Shop: 'contact' is required",
    ),
    "country not a code": (MC.replace("country: US", "country: USA"), "'USA' does not match"),
    "interest item with two names": (
        MC + "    interest_categories:\n      News: {type: radio, interests: [{A: {}, B: {}}]}\n",
        "interests[0]: more than 1 keys",
    ),
    "too many connections": (
        MC.replace("}\n", ", max_connections: 11}\n", 1),
        "max_connections: above 10",
    ),
    "segment match": (
        MC + "    segments:\n      S: {match: some, conditions: []}\n",
        "'some' is not one of",
    ),
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_schema_and_loader_accept(text: str, tmp_path: Path) -> None:
    assert schema_errors(yaml_data(text)) == []
    path = tmp_path / "espform.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "token.txt").write_text("ml-token\n", encoding="utf-8")
    load_config(path, ENV)


@pytest.mark.parametrize(("text", "complaint"), REFUSED.values(), ids=REFUSED.keys())
def test_schema_and_loader_refuse(text: str, complaint: str, tmp_path: Path) -> None:
    errors = schema_errors(yaml_data(text))
    assert any(complaint in error for error in errors), errors
    path = tmp_path / "espform.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path, ENV)


def test_validator_reports_where_a_typo_is() -> None:
    errors = schema_errors(yaml_data(ML + "groups:\n  A: {renamed: [B]}\n"))
    assert any("$.groups.A.renamed: not allowed" in e for e in errors), errors


def test_docstring_examples_are_found() -> None:
    assert {name.split("-")[0] for name, _ in _docstring_examples()} == set(DIALECTS)
