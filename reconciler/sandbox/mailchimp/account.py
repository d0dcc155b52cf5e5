"""The API root (`GET /3.0/`) and health check (`GET /3.0/ping`).

Clients call these to check a key before doing real work; the root carries a small,
fixed account description because the sandbox has no real account behind it.
"""

from __future__ import annotations

from reconciler.sandbox.mailchimp.context import Ctx, Endpoint, Reply, link, ok


def root(ctx: Ctx) -> Reply:
    total = ctx.db.execute("SELECT COUNT(*) FROM members WHERE status = 'subscribed'").fetchone()[0]
    return ok(
        {
            "account_id": "sandbox",
            "login_id": "sandbox",
            "account_name": "espform sandbox",
            "email": "owner@sandbox.invalid",
            "first_name": "Sandbox",
            "last_name": "Owner",
            "username": "sandbox",
            "role": "owner",
            "pro_enabled": False,
            "total_subscribers": total,
            "_links": [link(ctx, "lists", "/lists")],
        }
    )


def ping(ctx: Ctx) -> Reply:
    return ok({"health_status": "Everything's Chimpy!"})


ENDPOINTS = [Endpoint("GET", "", root), Endpoint("GET", "/ping", ping)]
