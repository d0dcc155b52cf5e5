"""The JSON Schema (draft 2020-12) of the config file, generated from the document models.

`espform schema` prints it and `schemas/espform.schema.json` is its checked-in copy, read
by editors (yaml-language-server) and linters. It is built from the dialects, never
written by hand, so a key added to a document model appears here on regeneration:

- each dialect's document model becomes one branch of a `oneOf`, and the branches
  exclude each other because each fixes `provider.type` with a `const`;
- the models' definitions are kept under `$defs` as `<provider type>.<Model>`, because
  both dialects have models of the same name (`SegmentDocument`) that differ;
- models forbid unknown keys, so their objects carry `additionalProperties: false`;
  mappings whose keys follow a pattern (field keys, merge tags) get it as
  `propertyNames`, so a misspelt key is an error there too, as it is for the loader;
- credentials (`Dialect.secrets`) must be one `${env:...}` or `${file:...}` reference,
  as the loader requires, so an editor flags a token pasted in clear.

The schema describes the file after `${...}` references are resolved, except for
credentials: a pattern-checked value written as a reference (`base_url: ${env:URL}`)
is accepted by `espform validate` but flagged by an editor.

Output is stable (sorted keys, two-space indent, trailing newline) so that the
checked-in copy changes only when the models do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.config.dialects import DIALECTS
from reconciler.config.document import Dialect
from reconciler.config.yaml_source import DataPath

JsonSchema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: A whole-value `${env:NAME}` or `${file:PATH}`, spaces allowed inside and around, as
#: `interpolation.whole_reference` accepts it (ECMA-262 syntax, for editors).
REFERENCE_PATTERN = r"^\s*\$\{\s*(env|file)\s*:[^{}]+\}\s*$"
TITLE = "espform configuration"
DESCRIPTION = (
    "One espform config file: one email service provider account, declared as code. "
    "`provider.type` selects the provider and, with it, which sections and keys the "
    "file may hold."
)


def config_schema(dialects: Mapping[str, Dialect] = DIALECTS) -> JsonSchema:
    """The schema of a config file of any of `dialects`, as a JSON-ready dict."""
    defs: JsonSchema = {}
    branches: list[JsonSchema] = []
    for name in sorted(dialects):
        dialect = dialects[name]
        prefix = f"{dialect.type}."
        document = dialect.document.model_json_schema(ref_template="#/$defs/" + prefix + "{model}")
        own = {prefix + key: value for key, value in document.pop("$defs", {}).items()}
        root = prefix + dialect.document.__name__
        own[root] = document
        for path in dialect.secrets:
            _require_reference(own, root, path)
        defs.update(own)
        branches.append({"$ref": f"#/$defs/{root}"})
    schema: JsonSchema = {
        "$schema": DRAFT,
        "title": TITLE,
        "description": DESCRIPTION,
        "type": "object",
        # Shared by every branch, and stated once here so that an editor can complete
        # `provider.type` and name the known values before any branch matches.
        "required": ["provider"],
        "properties": {
            "provider": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {
                        "description": "The email service provider of this account.",
                        "enum": sorted(d.type for d in dialects.values()),
                    }
                },
            }
        },
        "oneOf": branches,
        "$defs": defs,
    }
    _close_pattern_maps(schema)
    return schema


def render_schema(dialects: Mapping[str, Dialect] = DIALECTS) -> str:
    """The schema as the text `espform schema` prints and the repository keeps."""
    text = json.dumps(config_schema(dialects), indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"


def _close_pattern_maps(node: Any) -> None:
    """Make pattern-keyed mappings refuse other keys, as the models do.

    pydantic writes `dict[PatternKey, V]` as `patternProperties`, under which a key that
    does not match is simply unconstrained; the model refuses it.
    """
    if isinstance(node, list):
        for item in node:
            _close_pattern_maps(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _close_pattern_maps(value)
    patterns = node.get("patternProperties")
    if not isinstance(patterns, dict) or "additionalProperties" in node:
        return
    if len(patterns) == 1 and "properties" not in node:
        # As propertyNames, an editor says which key breaks which rule, rather than
        # only that the key is not allowed.
        [(pattern, value)] = list(patterns.items())
        del node["patternProperties"]
        node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        node["additionalProperties"] = value
    else:
        node["additionalProperties"] = False


def _require_reference(defs: JsonSchema, root: str, path: DataPath) -> None:
    """Constrain the credential at data path `path` to a `${...}` reference."""
    node = defs[root]
    for key in path:
        properties = _object_schema(node, defs).get("properties", {})
        if key not in properties:
            raise LookupError(f"credential path {path} is not in the {root} schema")
        node = properties[key]
    strings = [
        branch
        for branch in (node.get("anyOf") or [node])
        if isinstance(branch, dict) and branch.get("type") == "string"
    ]
    if not strings:
        raise LookupError(f"credential path {path} is not a string in the {root} schema")
    for branch in strings:
        branch["pattern"] = REFERENCE_PATTERN


def _object_schema(node: JsonSchema, defs: JsonSchema) -> JsonSchema:
    """The object schema `node` stands for, through `$ref` and an optional `null`."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        return _object_schema(defs[ref.removeprefix("#/$defs/")], defs)
    for branch in node.get("anyOf", []):
        if isinstance(branch, dict) and branch.get("type") != "null":
            return _object_schema(branch, defs)
    return node
