"""(d) Reads over HTTP and the memory of the espform process, on the served sandbox.

For each flavor and size N the account is seeded (`espform sandbox seed`, seed 1) and
served by `espform sandbox serve` (a process of its own, no rate limit). Then:

1. the bare loop and the fastest legal read (`served.py`) fetch and parse every
   subscriber page, where N is one of the read sizes;
2. *cold plan*: `espform plan` of a config with two rule-driven groups (MailerLite) or
   tags (Mailchimp), none of whose members are in yet, so its changes grow with N;
3. `espform apply --auto-approve --force` adds them (not timed for the ratios);
4. *steady plan*: the same plan again, with nothing left to change.

Every espform command is its own process; its wall time includes starting Python and
importing espform (measured apart, `startup`), and its peak RSS is that process's own
(`wait4`), which counts everything the process holds, unlike tracemalloc. The read
ratio is the steady plan's wall time over the bare loop's (goal: at most 1.3), and
over the fastest legal read.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import configs
from served import ProcessRun, bare_loop, fastest_read, run_espform, serve

from reconciler.cli.sandbox import seed_account

FULL_READ_SIZES = (100_000, 1_000_000)
FULL_RSS_SIZES = (10_000, 100_000, 1_000_000)
QUICK_READ_SIZES = (2_000,)
QUICK_RSS_SIZES = (1_000, 2_000)
SEED = 1


@dataclass
class SizeRow:
    flavor: str
    subscribers: int
    cold: ProcessRun
    cold_changes: int
    steady: ProcessRun
    steady_changes: int
    apply: ProcessRun
    bare_s: float | None = None
    fastest_s: float | None = None
    pages: int | None = None


@dataclass
class ReadsReport:
    startup_s: float = 0.0
    rows: dict[str, list[SizeRow]] = field(default_factory=dict)
    read_sizes: tuple[int, ...] = ()


def _config(flavor: str, url: str, path: Path) -> Path:
    """Two rule-driven targets (about 8% and 3% of the seeded people) over the URL."""
    if flavor == "mailerlite":
        document: dict[str, Any] = configs.mailerlite_rules(path, True)
        document["groups"].pop("Active partners")
        # The sandbox is served without a limit and the bare loop does not pace itself;
        # espform's own pacer (120 a minute by default) would measure the ESP's limit.
        provider = {
            "type": "mailerlite",
            "token": "${env:ML_TOKEN}",
            "base_url": url,
            "requests_per_minute": 100_000,
        }
    else:
        document = configs.mailchimp_rules(path, True)
        tags = document["audiences"][next(iter(document["audiences"]))]["tags"]
        tags.pop("Frequent visitors")
        provider = {"type": "mailchimp", "api_key": "${env:MC_KEY}", "base_url": url}
    document["provider"] = provider
    return configs.write(path, document)


def _changes(run: ProcessRun) -> int:
    """Members the plan adds or removes, from its `Membership: +a -r` summary."""
    for line in run.output.splitlines():
        if line.startswith("Plan:") and "Membership: +" in line:
            part = line.split("Membership: +", 1)[1]
            added, removed = part.split(" ", 2)[:2]
            return int(added.replace(",", "")) + int(removed.lstrip("-").replace(",", ""))
    return 0


def _checked(run: ProcessRun, what: str) -> ProcessRun:
    if run.exit_code not in (0, 2):
        raise RuntimeError(f"{what} exited {run.exit_code}:\n{run.output[-2000:]}")
    return run


def run_size(work: Path, flavor: str, count: int, reads: bool) -> SizeRow:
    folder = work / f"reads-{flavor}-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "sandbox.db"
    seed_account(flavor, db, count, SEED)
    with serve(flavor, db) as url:
        bare = fastest = pages = None
        if reads:
            bare, pages = bare_loop(flavor, url)
            fastest, _ = fastest_read(flavor, url)
        config = _config(flavor, url, folder / "espform.yaml")
        cold = _checked(run_espform("plan", "-c", config), "cold plan")
        applied = _checked(run_espform("apply", "-c", config, "--auto-approve", "--force"), "apply")
        steady = _checked(run_espform("plan", "-c", config), "steady plan")
    shutil.rmtree(folder, ignore_errors=True)
    return SizeRow(
        flavor,
        count,
        cold,
        _changes(cold),
        steady,
        _changes(steady),
        applied,
        bare,
        fastest,
        pages,
    )


def run(work: Path, quick: bool, progress: Any) -> ReadsReport:
    from served import startup_seconds

    read_sizes = QUICK_READ_SIZES if quick else FULL_READ_SIZES
    sizes = sorted(set(read_sizes) | set(QUICK_RSS_SIZES if quick else FULL_RSS_SIZES))
    report = ReadsReport(startup_s=startup_seconds(), read_sizes=read_sizes)
    for flavor in ("mailerlite", "mailchimp"):
        rows = report.rows.setdefault(flavor, [])
        for count in sizes:
            progress(f"(d) {flavor}, {count:,} subscribers over HTTP")
            rows.append(run_size(work, flavor, count, count in read_sizes))
    return report


# --- Markdown ---------------------------------------------------------------------------


def _s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or not b else f"{a / b:.2f}"


def render(report: ReadsReport) -> list[str]:
    lines = [
        "## (d) Reads over HTTP and the espform process's memory",
        "",
        "`espform sandbox serve` (its own process, no `--rate-limit`: nothing is "
        "throttled) serves a seeded account; every espform command runs as its own "
        "process. Its time includes starting Python and importing espform "
        f"({report.startup_s:.2f} s, `espform --help`). Peak RSS is the espform "
        "process's own (`wait4` rusage), not tracemalloc. The bare loop fetches and "
        "json-parses the same subscriber pages one after another with httpx; the "
        "fastest legal read runs MailerLite's five status walks at once (each is "
        "cursor-paged, so sequential) and requests all of Mailchimp's offsets at once "
        "within 10 connections. Cold: no member is in a rule-driven target yet; "
        "steady: after the apply, nothing left to change.",
        "",
    ]
    for flavor, rows in report.rows.items():
        lines += [
            f"### {flavor}",
            "",
            "| subscribers | pages | bare loop | fastest legal read | steady plan "
            "| plan / bare | plan / fastest | plan less startup / bare | cold changes "
            "| cold plan | cold RSS | steady RSS | apply RSS |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows:
            lines.append(
                f"| {row.subscribers:,} | {row.pages if row.pages is not None else '–'} "
                f"| {_s(row.bare_s)} | {_s(row.fastest_s)} | {_s(row.steady.seconds)} "
                f"| {_ratio(row.steady.seconds, row.bare_s)} "
                f"| {_ratio(row.steady.seconds, row.fastest_s)} "
                f"| {_ratio(row.steady.seconds - report.startup_s, row.bare_s)} "
                f"| {row.cold_changes:,} | {_s(row.cold.seconds)} | {_mib(row.cold.peak_rss)} "
                f"| {_mib(row.steady.peak_rss)} | {_mib(row.apply.peak_rss)} |"
            )
        lines.append("")
        if len(rows) > 1:
            small = rows[0]
            lines += [
                f"RSS ratios to {small.subscribers:,} subscribers (flat means ~1):",
                "",
                "| subscribers | subscribers ratio | steady RSS | cold changes | cold RSS |",
                "|---:|---:|---:|---:|---:|",
            ]
            for row in rows[1:]:
                lines.append(
                    f"| {row.subscribers:,} | {row.subscribers / small.subscribers:.0f} "
                    f"| {row.steady.peak_rss / small.steady.peak_rss:.2f} "
                    f"| {_ratio(row.cold_changes, small.cold_changes)} "
                    f"| {row.cold.peak_rss / small.cold.peak_rss:.2f} |"
                )
            lines.append("")
    return lines
