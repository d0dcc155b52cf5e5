"""The Mailchimp flavor of the sandbox: Marketing API v3 paths, shapes and limits.

    app = create_app(Path(".espform/sandbox.db"), api_key="0123...-us1")
    client = httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox/3.0")
    client.get("/lists", auth=("any", "0123...-us1"))

Behaviour follows the fact sheet `reference/mailchimp-api.md`; where the sheet leaves a
point open, the module that implements it says in its docstring what was chosen.

- `/3.0/lists` (`lists`), `/3.0/lists/{id}` POST batch subscribe (`batch_subscribe`),
  merge fields (`merge_fields`, values in `merge_values`), interest categories and
  interests (`interests`), segments, static segments and segment members (`segments`,
  conditions in `conditions`), tags and tag search (`tags`), members (`members`,
  shared write rules in `member_write`, rendering in `member_view`); `GET /3.0/` and
  `/3.0/ping` (`account`).
- Auth: HTTP Basic with any user name and the API key as password; `Bearer`/`OAuth`
  tokens (both in use per the sheet) are checked as if they were the key. The sheet
  does not list an `apikey` scheme, so `Authorization: apikey KEY` counts as no key.
  With `api_key` set, any other key is 401 "API Key Invalid"; without one, any
  non-empty key works. No key is 401 "API Key Missing".
- Errors are `application/problem+json` (`problems`). Paging and partial responses:
  `paging`. At most `max_connections` requests in flight, else 429 (`limits`).

Admin API (sandbox only; no auth; not counted; not subject to the connection limit):

- `POST /_sandbox/seed/members` bulk-creates members of an existing audience in one
  transaction (about 20 s per million rows). Body:
  `{"list_id": "...", "count": 1000, "start": 0, "email": "member{i}@example.com",
  "status": "subscribed" | [statuses, cycled], "merge_fields": {"FNAME": "User {i}",
  "TIER": ["gold", "silver"]}, "tags": ["Imported"], "interests": ["<interest id>"]}`
  (strings are templates for `{i}`, lists cycle over the members; `tags` and
  `interests` apply to every member the call creates), and/or explicit
  `"members": [{"email_address", "status", "merge_fields", "tags": [names],
  "interests": {id: true}}]`. Addresses already on the list are skipped. Answers
  `{"list_id", "created", "skipped"}`.
- `GET /_sandbox/stats` answers `{"total": n, "requests": {"GET /3.0/lists/{list_id}":
  n, ...}, "in_flight": k, "peak_in_flight": p, "refused_connections": r}`: API
  requests counted per method and path template, including refused ones, the most
  requests ever in flight at once and how many the connection limit refused (both in
  this serving process); `DELETE /_sandbox/stats` resets them (204).
- `POST /_sandbox/faults` queues a fault for the next `count` API requests:
  `{"status": 429|500|503|403|..., "count": 1, "retry_after": s, "latency_ms": ms,
  "title": optional, "detail": optional}`. The request first waits `latency_ms` (while
  holding its connection slot), then gets the status: 429 as the connection-limit
  problem, 403 with no body at all (Mailchimp's throttling 403), others as problem
  documents; `retry_after` adds a `Retry-After` header (Mailchimp sends none; it is
  there to test clients). Latency alone delays without failing. `GET` lists pending
  faults, `DELETE` clears them.

Request counts and faults are stored in the SQLite file, like the account itself, so
another process can set them up or read them.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.mailchimp.app import MailchimpSandbox


def create_app(
    db_path: Path,
    *,
    api_key: str | None = None,
    audience_limit: int | None = None,
    max_connections: int = 10,
) -> MailchimpSandbox:
    """Open (creating if needed) the Mailchimp sandbox account stored at db_path.

    `audience_limit` caps the audiences the account may hold (None: unlimited);
    `max_connections` is the number of requests served at once before 429.
    """
    return MailchimpSandbox(
        db_path, api_key=api_key, audience_limit=audience_limit, max_connections=max_connections
    )


__all__ = ["MailchimpSandbox", "create_app"]
