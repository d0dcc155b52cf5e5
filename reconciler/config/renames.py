"""Checks shared by every `renamed_from`: one old name becomes at most one new thing.

A collection of named things (groups, an audience's tags, a category's interests, ...)
is checked as a whole: an old name must not be declared as well, nor be claimed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from reconciler.config.document import BuildContext
from reconciler.model import Location


def check_renames(
    ctx: BuildContext,
    kind: str,
    renames: Mapping[str, Sequence[str]],
    declared_at: Callable[[str], Location],
    old_at: Callable[[str, int], Location],
) -> None:
    """Report collisions among the `renamed_from` lists of one collection.

    `renames` maps every declared name (in file order) to its old names; `declared_at`
    locates a declaration, `old_at(name, index)` one of its old names.
    """
    claimed: dict[str, str] = {}
    for name, old_names in renames.items():
        for index, old in enumerate(old_names):
            where = old_at(name, index)
            if old == name:
                ctx.error(where, f"{kind} '{name}' lists its own name in renamed_from")
            elif old in renames:
                line = declared_at(old).line
                ctx.error(
                    where,
                    f"'{old}' in renamed_from of {kind} '{name}' is also declared as {_a(kind)} "
                    f"(line {line}); keep only one of them",
                )
            elif old in claimed:
                other = claimed[old]
                if other == name:
                    ctx.error(where, f"'{old}' is listed twice in renamed_from of {kind} '{name}'")
                else:
                    line = declared_at(other).line
                    ctx.error(
                        where,
                        f"'{old}' is in renamed_from of both {kind} '{other}' (line {line}) and "
                        f"{kind} '{name}'; an old {kind} can become only one new {kind}",
                    )
            else:
                claimed[old] = name


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in tuple('aeiou') else 'a'} {noun}"
