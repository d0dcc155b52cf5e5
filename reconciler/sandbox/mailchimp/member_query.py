"""Counting and paging members that match a filter, linear even at a million rows.

Pages are ordered by the member rowid (insertion order) unless the client asked for a
`sort_field`; rowid order lets `SeekCache` resume where the previous page ended instead
of stepping over `offset` rows again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.mailchimp.context import Ctx
from reconciler.sandbox.mailchimp.paging import Page

#: Statuses a listing shows when the client does not name one (archived contacts are
#: only listed on request with `status=archived`).
LISTED_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")


def in_clause(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


@dataclass
class MemberQuery:
    """A WHERE over `members m` (optionally joined), plus how to order it."""

    list_id: str
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    #: FROM clause; must expose the members table as `m`.
    source: str = "members m"
    #: An ORDER BY for a client-chosen sort; None means rowid order (seekable).
    sort: str | None = None

    def where(self, clause: str, *params: Any) -> MemberQuery:
        self.clauses.append(f"({clause})")
        self.params.extend(params)
        return self

    def _where_sql(self) -> tuple[str, list[Any]]:
        return " AND ".join(["m.list_id = ?", *self.clauses]), [self.list_id, *self.params]

    def _key(self) -> str:
        where, params = self._where_sql()
        return json.dumps([self.source, where, params], default=str)

    def count(self, ctx: Ctx) -> int:
        key, version = self._key(), ctx.version()
        total = ctx.seek.total(version, key)
        if total is None:
            where, params = self._where_sql()
            sql = f"SELECT COUNT(*) FROM {self.source} WHERE {where}"
            total = int(ctx.db.execute(sql, params).fetchone()[0])
            ctx.seek.remember_total(version, key, total)
        return total

    def page(self, ctx: Ctx, page: Page) -> list[sqlite3.Row]:
        where, params = self._where_sql()
        if self.sort is not None:
            return ctx.db.execute(
                f"SELECT m.* FROM {self.source} WHERE {where} ORDER BY {self.sort}, m.id"
                " LIMIT ? OFFSET ?",
                [*params, page.count, page.offset],
            ).fetchall()
        if page.count == 0:
            return []
        key = self._key()
        version = ctx.version()
        mark, after = ctx.seek.nearest(version, key, page.offset)
        rows = ctx.db.execute(
            f"SELECT m.* FROM {self.source} WHERE {where} AND m.id > ? ORDER BY m.id"
            " LIMIT ? OFFSET ?",
            [*params, after, page.count, page.offset - mark],
        ).fetchall()
        if rows:
            ctx.seek.remember(version, key, page.offset + len(rows), rows[-1]["id"])
        return rows
