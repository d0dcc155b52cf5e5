"""(e) Applies under the ESPs' real request limits, against the floor those limits allow.

`espform sandbox serve` runs with the limits it enforces by default (MailerLite 120
requests per minute, Mailchimp 10 connections at once); espform's apply runs as its own
process and its requests are counted by the sandbox (`/_sandbox/stats`). The figure is
the apply's wall time over the least time the limits allow for the requests it made
(goal: at most 1.1).

MailerLite floor. The sandbox's limiter (`reconciler/sandbox/mailerlite/ratelimit.py`,
as Laravel's throttle) is a fixed window: it opens at the first request, admits `L`
requests (120) until `W` (60 s) have passed, then opens again at the next request. So
the k-th request (k = 0, 1, ...) falls in window ⌊k / L⌋ or later, and a window opens no
sooner than `W` after the one before it: the last of R requests comes at least
⌊(R − 1) / L⌋ × W after the first. The floor adds the time espform takes to start
(`S`, `espform --help`, best of three), before which no request can be made:

    floor = ⌊(R − 1) / L⌋ × W + S

Mailchimp floor. There is no per-minute limit; every request is delayed by a latency
`T` (`serve --fault-rate 1 --fault-kinds latency --latency-ms T`) and at most 10 are in
flight at once. The account already holds the audience; the apply creates tags in it
(one request each, none depending on another). Its reads come in d = 2 rounds that
cannot overlap (the audiences, then each audience's merge fields, interest categories
and segments at once), and its W writes can run no faster than 10 at a time:

    floor = (d + ⌈W / 10⌉) × T + S

The served sandbox itself needs a few milliseconds per request beyond `T` (its writes
are serialized on one SQLite file), which no client can avoid, so the Mailchimp row also
gives a *bare client*: httpx making the same requests in the same rounds (the audiences;
the four per-audience lists at once; the tag creates 10 at a time) on the same served
sandbox just after the apply, plus S. Wall / bare is espform's own cost.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import configs
import httpx
from served import TOKENS, run_espform, serve, startup_seconds

from reconciler.cli.sandbox import seed_account

#: The MailerLite sandbox's documented budget, and its window.
ML_LIMIT, ML_WINDOW_S = 120, 60.0
#: Subscribers seeded so that the cold apply makes about 300 write requests.
ML_SUBSCRIBERS, QUICK_ML_SUBSCRIBERS = 50_000, 2_000
MC_CONNECTIONS = 10
#: Injected latency of every Mailchimp request, and the tags the apply creates.
MC_LATENCY_MS = 250
MC_TAGS, QUICK_MC_TAGS = 200, 30
#: Rounds of reads before the first Mailchimp write (see the module doc).
MC_READ_ROUNDS = 2
SEED = 1


@dataclass
class PacedRow:
    scenario: str
    requests: int
    reads: int
    writes: int
    throttled: int
    seconds: float
    floor_s: float
    floor_formula: str
    exit_code: int
    #: The same requests made by a bare httpx client, plus S (Mailchimp only).
    bare_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_s


@dataclass
class PacedReport:
    startup_s: float
    rows: list[PacedRow]


def _stats(url: str, reset: bool = False) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=60) as admin:
        if reset:
            admin.delete("/_sandbox/stats").raise_for_status()
            return {}
        return admin.get("/_sandbox/stats").json()


def mailerlite(work: Path, quick: bool, startup_s: float) -> PacedRow:
    folder = work / "paced-mailerlite"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "sandbox.db"
    count = QUICK_ML_SUBSCRIBERS if quick else ML_SUBSCRIBERS
    seed_account("mailerlite", db, count, SEED)
    with serve("mailerlite", db, ()) as url:
        document = configs.mailerlite_rules(folder / "unused.db", True)
        document["provider"] = {"type": "mailerlite", "token": "${env:ML_TOKEN}", "base_url": url}
        config = configs.write(folder / "espform.yaml", document)
        applied = run_espform("apply", "-c", config, "--auto-approve", "--force")
        stats = _stats(url)
    shutil.rmtree(folder, ignore_errors=True)
    requests = stats["total"]
    writes = sum(n for route, n in stats["by_route"].items() if not route.startswith("GET "))
    windows = (requests - 1) // ML_LIMIT
    return PacedRow(
        f"apply, MailerLite: {count:,} subscribers, 3 rule-driven groups, cold",
        requests,
        requests - writes,
        writes,
        stats["throttled_total"],
        applied.seconds,
        windows * ML_WINDOW_S + startup_s,
        f"⌊({requests} − 1) / {ML_LIMIT}⌋ × {ML_WINDOW_S:.0f} s + S",
        applied.exit_code,
    )


def _tags_config(folder: Path, url: str, tags: int) -> Path:
    document = configs.mailchimp_structure(
        folder / "unused.db", 1, merge_fields=0, categories=0, tags=tags, segments=0
    )
    document["provider"] = {"type": "mailchimp", "api_key": "${env:MC_KEY}", "base_url": url}
    return configs.write(folder / f"espform-{tags}.yaml", document)


async def _bare_mailchimp(url: str, tags: int) -> float:
    """Seconds a bare client takes for the apply's requests: 1 + 4 reads, `tags` creates."""
    auth = ("benchmark", TOKENS["MC_KEY"])
    limits = httpx.Limits(max_connections=MC_CONNECTIONS)
    async with httpx.AsyncClient(base_url=f"{url}/3.0", auth=auth, limits=limits) as client:
        started = time.perf_counter()
        lists = (await client.get("/lists", params={"count": 1000})).raise_for_status()
        audience = lists.json()["lists"][0]["id"]
        kinds = ("merge-fields", "interest-categories", "segments", "webhooks")
        for read in await asyncio.gather(*(client.get(f"/lists/{audience}/{k}") for k in kinds)):
            read.raise_for_status()
        slots = asyncio.Semaphore(MC_CONNECTIONS)

        async def create(n: int) -> None:
            async with slots:
                body = {"name": f"Bare tag {n:03}", "static_segment": []}
                (await client.post(f"/lists/{audience}/segments", json=body)).raise_for_status()

        await asyncio.gather(*(create(n) for n in range(tags)))
        return time.perf_counter() - started


def mailchimp(work: Path, quick: bool, startup_s: float) -> PacedRow:
    folder = work / "paced-mailchimp"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "sandbox.db"
    tags = QUICK_MC_TAGS if quick else MC_TAGS
    latency = ("--fault-rate", "1", "--fault-kinds", "latency", "--latency-ms")
    with serve("mailchimp", db, (*latency, str(MC_LATENCY_MS))) as url:
        # The audience first, on its own: the measured apply only adds tags to it.
        empty = run_espform("apply", "-c", _tags_config(folder, url, 0), "--auto-approve")
        if empty.exit_code != 0:
            raise RuntimeError(f"creating the audience failed:\n{empty.output[-2000:]}")
        _stats(url, reset=True)
        applied = run_espform("apply", "-c", _tags_config(folder, url, tags), "--auto-approve")
        stats = _stats(url)
        bare_s = asyncio.run(_bare_mailchimp(url, tags)) + startup_s
    shutil.rmtree(folder, ignore_errors=True)
    requests = stats["total"]
    reads = sum(n for route, n in stats["requests"].items() if route.startswith("GET "))
    writes = requests - reads
    rounds = MC_READ_ROUNDS + math.ceil(writes / MC_CONNECTIONS)
    latency_s = MC_LATENCY_MS / 1000
    return PacedRow(
        f"apply, Mailchimp: create {tags} tags in one audience, {MC_LATENCY_MS} ms per request",
        requests,
        reads,
        writes,
        stats["refused_connections"],
        applied.seconds,
        rounds * latency_s + startup_s,
        f"({MC_READ_ROUNDS} + ⌈{writes} / {MC_CONNECTIONS}⌉) × {MC_LATENCY_MS} ms + S",
        applied.exit_code,
        bare_s,
    )


def run(work: Path, quick: bool, progress: Any) -> PacedReport:
    startup_s = startup_seconds()
    rows = []
    for scenario in (mailerlite, mailchimp):
        progress(f"(e) {scenario.__name__} under its real limits")
        rows.append(scenario(work, quick, startup_s))
    return PacedReport(startup_s, rows)


def render(report: PacedReport) -> list[str]:
    lines = [
        "## (e) Applies under the real request limits",
        "",
        "`espform sandbox serve` with its default limits (MailerLite 120 requests per "
        "minute, Mailchimp 10 connections at once, with a latency injected into every "
        "Mailchimp request); the apply runs as its own process and the sandbox counts its "
        "requests. The floor is the least time the limits allow for those requests, plus "
        f"espform's start-up S = {report.startup_s:.2f} s (`espform --help`); "
        "benchmarks/paced.py derives it from the sandbox's limiter. Goal: at most 1.1. "
        "Bare client: the same requests made by httpx alone on the same served sandbox, "
        "plus S (the sandbox's own serving time, which the floor leaves out, is in it).",
        "",
        "| scenario | requests (reads + writes) | refused (429) | exit | wall time | floor "
        "| floor formula | wall / floor | bare client | wall / bare |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for row in report.rows:
        lines.append(
            f"| {row.scenario} | {row.requests} ({row.reads} + {row.writes}) | {row.throttled} "
            f"| {row.exit_code} | {row.seconds:.2f} s | {row.floor_s:.2f} s "
            f"| {row.floor_formula} | {row.ratio:.2f} "
            + (
                "| – | – |"
                if row.bare_s is None
                else f"| {row.bare_s:.2f} s | {row.seconds / row.bare_s:.2f} |"
            )
        )
    lines.append("")
    return lines


if __name__ == "__main__":
    import argparse
    import os
    import sys
    import tempfile
    import time

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["mailerlite", "mailchimp"])
    args = parser.parse_args()
    os.environ.update(TOKENS)
    with tempfile.TemporaryDirectory() as tmp:
        startup = startup_seconds()
        chosen = [mailerlite, mailchimp] if args.only is None else [globals()[args.only]]
        result = PacedReport(startup, [])
        for scenario in chosen:
            print(f"[{time.strftime('%H:%M:%S')}] {scenario.__name__}", file=sys.stderr)
            result.rows.append(scenario(Path(tmp), args.quick, startup))
        print("\n".join(render(result)))
