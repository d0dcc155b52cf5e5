"""`espform sandbox`: the local ESP used by the examples and tests.

`serve` exposes it over HTTP; `seed` fills an account with a deterministic synthetic
customer base (`reconciler.sandbox.population`) straight into its SQLite store, which
is how a million subscribers take seconds rather than the hours the API would need.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import click

from reconciler.cli.common import fail
from reconciler.sandbox import population
from reconciler.sandbox.core import SandboxApp, SandboxRequest
from reconciler.sandbox.mailerlite.errors import ApiError
from reconciler.sandbox.population import Person


@click.group()
def sandbox() -> None:
    """The local ESP used by the examples and tests."""


@sandbox.command()
@click.option(
    "--flavor",
    type=click.Choice(["mailerlite", "mailchimp"]),
    default="mailerlite",
    show_default=True,
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="SQLite file [default: .espform/sandbox-FLAVOR.db].",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=0),
    help="MailerLite: requests per minute before 429 [default: 120, as MailerLite]; "
    "0 turns the limit off.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=0),
    help="Mailchimp: requests in flight at once before 429 [default: 10, as Mailchimp]; "
    "0 turns the limit off.",
)
@click.option(
    "--no-rate-limit",
    is_flag=True,
    help="Enforce no request limit (tests and benchmarks that do not measure pacing).",
)
@click.option("--token", help="Accept only this token/API key (default: any non-empty one).")
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    help="Share of API requests (0 to 1) that suffer a random fault from --fault-kinds.",
)
@click.option(
    "--fault-kinds",
    help="Comma-separated fault kinds: HTTP statuses (500, 503, 429, ...), latency, "
    "drop-before, drop-after, truncated, non-json, html-200 [default: all of them].",
)
@click.option("--fault-seed", type=int, help="Seed of the random faults, to repeat a run.")
@click.option("--latency-ms", type=click.IntRange(0), help="Delay of a latency fault [50].")
@click.option("--retry-after", type=click.IntRange(0), help="Retry-After of a 429 fault [1].")
def serve(
    flavor: str,
    host: str,
    port: int,
    db_path: str | None,
    rate_limit: int | None,
    max_connections: int | None,
    no_rate_limit: bool,
    token: str | None,
    fault_rate: float | None,
    fault_kinds: str | None,
    fault_seed: int | None,
    latency_ms: int | None,
    retry_after: int | None,
) -> None:
    """Serve the sandbox over HTTP so curl and the ESPs' SDKs can use it.

    The ESP's request limits are enforced as documented unless turned off: MailerLite
    120 requests per minute (429 with Retry-After), Mailchimp 10 requests at once.
    """
    from reconciler.sandbox import open_app
    from reconciler.sandbox.server import make_server

    path = Path(db_path or f".espform/sandbox-{flavor}.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    options = _serve_options(flavor, token, rate_limit, max_connections, no_rate_limit)
    fault_options = {
        "rate": fault_rate,
        "kinds": fault_kinds,
        "seed": fault_seed,
        "latency_ms": latency_ms,
        "retry_after": retry_after,
    }
    random_faults = {k: v for k, v in fault_options.items() if v is not None}
    app = open_app(flavor, path, **options)
    if random_faults:
        _arm_random_faults(app, random_faults)
    server = make_server(app, host, port)
    bound_host, bound_port = server.server_address[:2]
    root = "/api" if flavor == "mailerlite" else "/3.0"
    click.echo(
        f"espform sandbox ({flavor}) serving {path} at http://{bound_host}:{bound_port}{root}",
        nl=True,
    )
    click.echo("Admin API at /_sandbox. Press Ctrl-C to stop.")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()


def _arm_random_faults(app: SandboxApp, settings: dict[str, object]) -> None:
    """Store the serve flags' fault settings through the admin API, as a client would."""
    request = SandboxRequest.build(
        "PUT", "/_sandbox/faults/random", "", {}, json.dumps(settings).encode()
    )
    response = app.handle(request)
    if response.status >= 400:
        app.close()
        payload = response.payload() or {}
        message = payload.get("message") or payload.get("error") or response.body.decode()
        fail(f"Bad fault flags: {message}")


#: The documented limits `serve` enforces by default.
DEFAULT_RATE_LIMIT = 120
DEFAULT_MAX_CONNECTIONS = 10
#: What "no limit" means for the Mailchimp gate: more than a client could open.
UNLIMITED_CONNECTIONS = 1_000_000


def _serve_options(
    flavor: str,
    token: str | None,
    rate_limit: int | None,
    max_connections: int | None,
    no_rate_limit: bool,
) -> dict[str, object]:
    """The app options for `serve`: each flavor's limit, its default, or none."""
    if flavor == "mailerlite":
        if max_connections is not None:
            fail("--max-connections applies to the mailchimp flavor; use --rate-limit.")
        chosen = DEFAULT_RATE_LIMIT if rate_limit is None else rate_limit
        return {"token": token, "rate_limit": None if no_rate_limit or chosen == 0 else chosen}
    if rate_limit is not None:
        fail(
            "--rate-limit applies to the mailerlite flavor; Mailchimp limits connections "
            "instead: use --max-connections."
        )
    chosen = DEFAULT_MAX_CONNECTIONS if max_connections is None else max_connections
    unlimited = no_rate_limit or chosen == 0
    return {"api_key": token, "max_connections": UNLIMITED_CONNECTIONS if unlimited else chosen}


@dataclass
class SeedReport:
    """What `seed_account` did; the counts are of the generated people."""

    flavor: str
    db_path: Path
    seed: int
    created: int
    skipped: int
    seconds: float
    statuses: Counter[str] = field(default_factory=Counter)
    tiers: Counter[str] = field(default_factory=Counter)
    #: Mailchimp: the audience the members were added to.
    audience: str | None = None
    list_id: str | None = None

    @property
    def generated(self) -> int:
        return self.created + self.skipped


class _Tally:
    """Counts statuses and tiers while the people stream past, so that the summary
    costs no second pass over a million rows."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self._statuses = statuses
        self.statuses: Counter[str] = Counter()
        self.tiers: Counter[str] = Counter()

    def __call__(self, people: Iterable[Person]) -> Iterator[Person]:
        for person in people:
            self.statuses[self._statuses[person.status]] += 1
            self.tiers[person.tier or "unset"] += 1
            yield person


def seed_account(
    flavor: str,
    db_path: Path,
    count: int,
    seed: int = 0,
    *,
    audience: str = population.DEFAULT_AUDIENCE,
    as_of: date = population.AS_OF,
) -> SeedReport:
    """Add `count` generated subscribers, and the fields they use, to the sandbox
    account at `db_path`. The subscribers go in one transaction: all or none. Addresses
    already present are skipped.

    When the account cannot take the data (e.g. it has a field of the same key but
    another type), raises the flavor's own error: a ValueError (Mailchimp) or an
    ApiError (MailerLite), whose message says what is wrong.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    people = population.people(count, seed, as_of=as_of)
    if flavor == "mailerlite":
        tally = _Tally(population.MAILERLITE_STATUS)
        created, skipped = _seed_mailerlite(db_path, tally(people))
        list_id = None
    elif flavor == "mailchimp":
        tally = _Tally(population.MAILCHIMP_STATUS)
        created, skipped, list_id = _seed_mailchimp(db_path, audience, tally(people))
    else:
        raise ValueError(f"unknown sandbox flavor {flavor!r}")
    return SeedReport(
        flavor=flavor,
        db_path=db_path,
        seed=seed,
        created=created,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        statuses=tally.statuses,
        tiers=tally.tiers,
        audience=audience if flavor == "mailchimp" else None,
        list_id=list_id,
    )


def _seed_mailerlite(db_path: Path, people: Iterable[Person]) -> tuple[int, int]:
    from reconciler.sandbox.mailerlite.seeding import (
        SeedSubscriber,
        ensure_fields,
        seed_subscribers,
    )
    from reconciler.sandbox.mailerlite.store import Store

    store = Store(db_path)
    try:
        ensure_fields(store, [(f.key, f.name, f.type) for f in population.MAILERLITE_FIELDS])
        rows = (
            SeedSubscriber(
                p.email, population.MAILERLITE_STATUS[p.status], population.mailerlite_fields(p)
            )
            for p in people
        )
        result = seed_subscribers(store, rows)
    finally:
        store.close()
    return result.created, result.skipped


def _seed_mailchimp(db_path: Path, audience: str, people: Iterable[Person]) -> tuple[int, int, str]:
    from reconciler.sandbox.mailchimp.seed import (
        MergeFieldSpec,
        SeedMember,
        ensure_audience,
        ensure_merge_fields,
        seed_member_stream,
    )
    from reconciler.sandbox.mailchimp.store import Store

    specs = [
        MergeFieldSpec(f.key, f.name, f.type, f.options, f.public)
        for f in population.MAILCHIMP_MERGE_FIELDS
    ]
    members = (
        SeedMember(
            p.email,
            population.MAILCHIMP_STATUS[p.status],
            population.mailchimp_merge_fields(p),
        )
        for p in people
    )
    store = Store(db_path)
    try:
        with store.transaction() as db:
            list_id = ensure_audience(db, audience, population.AUDIENCE_SETTINGS)
            ensure_merge_fields(db, list_id, specs)
            result = seed_member_stream(db, list_id, members)
    finally:
        store.close()
    return result["created"], result["skipped"], list_id


def _shares(counts: Counter[str], order: Iterable[str], total: int) -> str:
    shown = [key for key in order if key in counts] + sorted(set(counts) - set(order))
    return ", ".join(f"{key} {counts[key]:,} ({100 * counts[key] / total:.1f}%)" for key in shown)


def summary_lines(report: SeedReport) -> list[str]:
    where = str(report.db_path)
    if report.audience is not None:
        where += f', audience "{report.audience}" ({report.list_id})'
    rate = report.created / report.seconds if report.seconds > 0 else 0.0
    lines = [
        f"Seeded {report.created:,} subscribers into {where} with seed {report.seed} "
        f"in {report.seconds:.1f} s ({rate:,.0f} a second)."
    ]
    if report.skipped:
        lines.append(f"Skipped {report.skipped:,} addresses already in the account.")
    total = report.generated or 1
    statuses = population.MAILERLITE_STATUS
    if report.flavor == "mailchimp":
        statuses = population.MAILCHIMP_STATUS
    tiers = [str(t) for t in population.TIER.values if t is not None] + ["unset"]
    lines.append(f"  status: {_shares(report.statuses, statuses.values(), total)}")
    lines.append(f"  tier:   {_shares(report.tiers, tiers, total)}")
    return lines


@sandbox.command("seed")
@click.option(
    "--flavor",
    type=click.Choice(["mailerlite", "mailchimp"]),
    default="mailerlite",
    show_default=True,
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="SQLite file of the sandbox account (created if missing).",
)
@click.option(
    "--subscribers",
    "count",
    required=True,
    type=click.IntRange(min=0),
    help="How many subscribers to generate.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Same seed and count, same subscribers.",
)
@click.option(
    "--audience",
    help="Mailchimp audience to fill, created if missing "
    f'[default: "{population.DEFAULT_AUDIENCE}"].',
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=f"Dates fall in the two years before this day [default: {population.AS_OF}].",
)
def seed_command(
    flavor: str,
    db_path: str,
    count: int,
    seed: int,
    audience: str | None,
    as_of: datetime | None,
) -> None:
    """Fill a sandbox account with generated subscribers, the same ones for the same seed.

    Statuses, tiers, regions, sales figures, dates, partner keys and (Mailchimp)
    customer types vary with realistic shares, so segmentation rules select realistic
    slices. The fields the data uses are created first (MailerLite: the quickstart's
    keys plus region and dates; Mailchimp: an audience with CTYPE, VISITS, TIER, REGION
    and LASTVISIT). Addresses already in the account are skipped.
    """
    if audience is not None and flavor != "mailchimp":
        fail("--audience applies to the mailchimp flavor; MailerLite has one list per account.")
    try:
        report = seed_account(
            flavor,
            Path(db_path),
            count,
            seed,
            audience=audience or population.DEFAULT_AUDIENCE,
            as_of=as_of.date() if as_of is not None else population.AS_OF,
        )
    except (ValueError, ApiError, sqlite3.Error) as error:
        # The MailerLite store reports data it refuses as its API would (ApiError).
        fail(f"cannot seed {db_path}: {error}")
    for line in summary_lines(report):
        click.echo(line)
