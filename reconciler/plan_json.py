"""The bytes of a saved plan file turned into JSON data, or a refusal that says why.

`espform plan --out FILE` writes UTF-8 JSON, whole (atomically), with no byte order
mark, no NaN, no number beyond what a count needs and no credential. Anything else was
made another way or changed since: re-encoded by an editor or a shell redirect, cut
short while copying, or edited by hand. Each is named as such, with where in the file,
before any of it reaches the plan reader, so that a damaged plan never gets as far as
the account. Nothing here prints a value that looks like a credential.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import stat
from pathlib import Path
from typing import Any

#: No plan espform writes comes near this (a member to add or remove takes about 90
#: bytes: this is some 700,000 of them); anything bigger is another file given by
#: mistake, and is refused before it is read whole.
MAX_PLAN_BYTES = 64 * 1024 * 1024
#: A plan nests a few levels (segment conditions a few more); this bounds the walk.
MAX_DEPTH = 64
#: Counts and sizes fit in 64 bits; a longer integer is not something espform wrote.
MAX_INT_DIGITS = 19

#: Keys and values that hold credentials; a plan never does (see PlanOrigin).
_SECRET_KEY = re.compile(
    r"(\w*[_-])?(api[_-]?key|apikey|token|password|passwd|secret|authorization|credentials?)",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"^(bearer\s+\S+|[0-9a-f]{32}-[a-z]+[0-9]+|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+)$",
    re.IGNORECASE,
)


class PlanJsonError(Exception):
    """The file cannot be a plan espform wrote; the message says what, where and what now."""


def replan_hint(path: Path) -> str:
    return f"Run `espform plan --out {path}` again, review the new plan, and apply that one."


def read_document(path: Path) -> Any:
    """The JSON data in `path`, checked to be something `plan --out` could have written."""
    data = _read_bytes(path)
    text = _decode(path, data)
    document = _loads(path, text)
    _walk(path, document)
    return document


def _read_bytes(path: Path) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise PlanJsonError(
                f"{path} is a folder, not a plan file. Give the file that "
                "`espform plan --out FILE` wrote."
            )
        if info.st_size > MAX_PLAN_BYTES:
            raise _too_big(path, info.st_size)
        with path.open("rb") as handle:
            # A pipe or a file still growing can hold more than stat said.
            data = handle.read(MAX_PLAN_BYTES + 1)
    except FileNotFoundError:
        raise PlanJsonError(
            f"plan file {path} not found. Save a plan with `espform plan --out {path}`."
        ) from None
    except OSError as exc:
        raise PlanJsonError(f"cannot read the plan file {path}: {exc.strerror}") from None
    if len(data) > MAX_PLAN_BYTES:
        raise _too_big(path, len(data))
    return data


def _too_big(path: Path, size: int) -> PlanJsonError:
    mib = MAX_PLAN_BYTES // (1024 * 1024)
    return PlanJsonError(
        f"{path} is not a plan file espform wrote: it holds {size / (1024 * 1024):,.1f} MiB, "
        f"more than the {mib} MiB a saved plan may hold, so it was not read. Check that "
        "this is the file `espform plan --out` wrote."
    )


def _decode(path: Path, data: bytes) -> str:
    if not data or data.isspace():
        raise PlanJsonError(
            f"{path} is empty: it holds no plan. `espform plan --out` never leaves a file "
            f"empty or half-written, so it was emptied or made another way. {replan_hint(path)}"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(data):
        raise PlanJsonError(
            f"{path} is UTF-16 text, but plan files are UTF-8: it was re-encoded, typically "
            "by an editor or by a shell redirect such as PowerShell's `>`. Save plans with "
            f"`espform plan --out FILE` rather than redirecting the output. {replan_hint(path)}"
        )
    if data.startswith(codecs.BOM_UTF8):
        raise PlanJsonError(
            f"{path} starts with a UTF-8 byte order mark, which espform never writes: it was "
            "re-saved by an editor or another tool after `espform plan --out` wrote it, so "
            f"it may not be the plan that was reviewed. {replan_hint(path)}"
        )
    archive = _archive(data)
    if archive:
        raise PlanJsonError(
            f"{path} is a {archive}, not a plan file: unpack it (a CI artifact is often "
            "downloaded zipped) and give the JSON file inside."
        )
    try:
        if b"\x00" in data:
            raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), len(data), "NUL")
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanJsonError(
            f"{path} is binary data, not a plan file (byte 0x{data[exc.start]:02X} at offset "
            f"{exc.start} is not UTF-8 text). Give the file that `espform plan --out FILE` "
            "wrote."
        ) from None


def _utf16_without_bom(data: bytes) -> bool:
    # JSON starts with an ASCII character, which UTF-16 pairs with a NUL byte.
    return len(data) >= 2 and (data[0] == 0) != (data[1] == 0)


def _archive(data: bytes) -> str | None:
    if data.startswith(b"PK\x03\x04"):
        return "zip archive"
    if data.startswith(b"\x1f\x8b"):
        return "gzip-compressed file"
    return None


class _Odd:
    """A value json would read but espform never writes; the walk reports where it is."""

    def __init__(self, what: str) -> None:
        self.what = what


class _Object(dict[str, Any]):
    """A JSON object that remembers a key it held twice (json keeps only the last)."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object()
    for key, value in pairs:
        if key in found and found.duplicate is None:
            found.duplicate = key
        found[key] = value
    return found


def _number(text: str) -> float | _Odd:
    value = float(text)
    if not math.isfinite(value):
        return _Odd(f"the number {text[:40]} is out of range")
    return value


def _integer(text: str) -> int | _Odd:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return _Odd(f"an integer of {len(text.lstrip('-')):,} digits is out of range")
    return int(text)


def _loads(path: Path, text: str) -> Any:
    try:
        return json.loads(
            text,
            object_pairs_hook=_object,
            parse_float=_number,
            parse_int=_integer,
            parse_constant=lambda name: _Odd(f"{name} is not a JSON value"),
        )
    except json.JSONDecodeError as exc:
        raise PlanJsonError(_not_json(path, text, exc)) from None
    except RecursionError:
        raise PlanJsonError(
            f"{path} is not a plan espform wrote: its JSON nests far deeper than a plan "
            f"does (more than {MAX_DEPTH} levels). {replan_hint(path)}"
        ) from None


def _not_json(path: Path, text: str, exc: json.JSONDecodeError) -> str:
    # Strict JSON strings cannot hold a raw line break, so an unterminated one runs to
    # the end of the file: the file stops in the middle of a value.
    ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
    if ends_early and text.lstrip()[:1] in "{[":
        lines = text.rstrip().splitlines()
        end = f"{path}:{len(lines)}:{len(lines[-1]) + 1}"
        return (
            f"{end}: the plan file is truncated: it stops in the middle of the JSON, "
            f"before the plan ends (was it cut short while copying or uploading?). "
            f"{replan_hint(path)}"
        )
    if text.lstrip().startswith("<!-- espform:plan"):
        kind = "the markdown output of `espform plan`"
    elif "espform will perform" in text or text.lstrip().startswith(("Plan:", "No changes")):
        kind = "the text output of `espform plan`"
    else:
        kind = None
    if kind:
        return (
            f"{path} is {kind}, not a saved plan: it cannot be applied. Save a plan with "
            "`espform plan --out FILE` and apply that file."
        )
    return (
        f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}), so not an espform plan "
        "file. Save a plan with `espform plan --out FILE`."
    )


def json_path(parts: tuple[str | int, ...]) -> str:
    """`changes[2].address`; the whole document is `(top level)`."""
    text = ""
    if len(parts) > 8:  # only deep nesting gets here: its start says where it is
        parts = (*parts[:6], "…")
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "…":
            text += part
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=True)}]"
    return text or "(top level)"


#: Where a value sits: its parent's link and its key or index; None for the top level.
_Link = tuple["_Link", str | int] | None


def _parts(link: _Link) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    while link is not None:
        link, part = link
        parts.append(part)
    return tuple(reversed(parts))


def _walk(path: Path, document: Any) -> None:
    """Check every value; iterative (depth cannot overflow) and building a value's path
    only for the one refused, since a plan can hold hundreds of thousands of values."""

    def refuse(link: _Link, what: str, hint: str = replan_hint(path)) -> None:
        raise PlanJsonError(f"{path} is damaged at {json_path(_parts(link))}: {what}. {hint}")

    def credential(link: _Link) -> None:
        refuse(
            link,
            "it holds what looks like a credential (not shown here); espform never "
            "writes one into a plan",
            "Do not apply or share this file: delete it, revoke the credential if it is "
            "real, and run `espform plan --out FILE` again.",
        )

    # A plan repeats a few keys ("id", "email") over and over: each is matched once.
    secret_keys: dict[str, bool] = {}
    looks_secret = _SECRET_VALUE.match
    if not isinstance(document, dict | list):
        if isinstance(document, _Odd):
            refuse(None, f"{document.what}, which espform never writes")
        return
    stack: list[tuple[Any, int, _Link]] = [(document, 0, None)]
    while stack:
        node, depth, link = stack.pop()
        if depth >= MAX_DEPTH:
            refuse(link, f"the JSON nests deeper than {MAX_DEPTH} levels, which no plan does")
        if isinstance(node, _Object) and node.duplicate is not None:
            refuse(link, f'the key "{node.duplicate}" appears twice, so the file was edited')
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if type(key) is str:
                secret = secret_keys.get(key)
                if secret is None:
                    secret = secret_keys[key] = bool(_SECRET_KEY.fullmatch(key.replace(" ", "")))
                if secret:
                    credential((link, key))
            kind = type(value)
            if kind is str:
                if looks_secret(value.strip()):
                    credential((link, key))
            elif kind is _Object or kind is list:
                stack.append((value, depth + 1, (link, key)))
            elif kind is _Odd:
                refuse((link, key), f"{value.what}, which espform never writes")
