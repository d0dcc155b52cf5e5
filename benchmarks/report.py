"""The results as Markdown: machine facts, the command, then one table per question."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

import reads
from harness import Measurement
from membership import BATCH_SIZE, PAGE_SIZE, SCAN_WALKS, TARGETS, SizeRun, Step, ratios
from structure import Result


@dataclass
class Report:
    command: str
    quick: bool
    reads: list[Result] = field(default_factory=list)
    applies: list[Result] = field(default_factory=list)
    #: Per flavor, the runs at each size (smallest first).
    membership: dict[str, list[SizeRun]] = field(default_factory=dict)
    #: Flavors whose membership could not be measured because the feature is missing.
    unavailable: dict[str, str] = field(default_factory=dict)
    #: Flavors whose membership run failed, with the error.
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    #: (d): reads and memory over HTTP, on the served sandbox.
    http: reads.ReadsReport | None = None


def machine() -> list[str]:
    return [
        f"- CPU cores: {os.cpu_count()} ({platform.machine()}, {platform.system()})",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"SQLite {sqlite3.sqlite_version}",
    ]


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mib(m: Measurement) -> str:
    return f"{m.peak_mib:.1f} MiB"


def _ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def _reads(results: Sequence[Result]) -> list[str]:
    lines = [
        "| scenario | objects | requests | wall time | peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r.measurement
        lines.append(
            f"| {r.name} | {r.objects:,} | {m.requests} | {_time(m.seconds)} | {_mib(m)} |"
        )
    return lines


def _applies(results: Sequence[Result]) -> list[str]:
    lines = [
        "| scenario | changes | requests (reads + writes) | one request per change "
        "| changes per write request | wall time | peak memory |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m, x = r.measurement, r.measurement.extra
        per_write = x["changes"] / x["writes"] if x["writes"] else float("nan")
        lines.append(
            f"| {r.name} | {x['changes']:,} | {m.requests} ({x['reads']} + {x['writes']}) "
            f"| {x['reads'] + x['one_by_one']} ({x['reads']} + {x['one_by_one']}) "
            f"| {_ratio(per_write)} | {_time(m.seconds)} | {_mib(m)} |"
        )
    return lines


def _step_row(size: SizeRun, label: str, step: Step) -> str:
    m = step.measurement
    per_thousand = m.requests / (size.subscribers / 1000)
    return (
        f"| {size.subscribers:,} | {label} | {step.changes:,} | {m.requests:,} | {step.bound:,} "
        f"| {'yes' if step.within_bound else '**no**'} | {per_thousand:.2f} "
        f"| {_time(m.seconds)} | {_mib(m)} |"
    )


def _membership(flavor: str, runs: Sequence[SizeRun]) -> list[str]:
    lines = [
        f"### {flavor}",
        "",
        f"Bound: ceil(N/{PAGE_SIZE}) + ceil(changes/{BATCH_SIZE[flavor]}) + c, where c is "
        f"the structure read ({runs[0].structure_reads} requests, measured), plus one per "
        f"walk beyond the first of the scan ({SCAN_WALKS[flavor]} walk"
        f"{'s' if SCAN_WALKS[flavor] != 1 else ''}), plus for an apply one per target "
        f"({TARGETS}); a plan has no write term. Steady steps follow a tier change of the "
        "same subscribers at every size.",
        "",
        "| subscribers | step | changes | requests | bound | within | requests per 1,000 "
        "subscribers | wall time | peak memory |",
        "|---:|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for size in runs:
        lines += [
            _step_row(size, "cold plan", size.cold_plan),
            _step_row(size, "initial apply", size.initial_apply),
            _step_row(size, "steady plan", size.steady_plan),
            _step_row(size, "steady apply", size.steady_apply),
        ]
    small, large = runs[0], runs[-1]
    found = ratios(small, large)
    lines += [
        "",
        f"Ratios, {large.subscribers:,} to {small.subscribers:,} subscribers "
        "(memory should follow the changes, not the subscribers):",
        "",
        "| ratio | value |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {_ratio(value)} |" for name, value in found.items()]
    return [*lines, ""]


def render(report: Report) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Measured in one run of:",
        "",
        f"    {report.command}",
        "",
        *machine(),
        f"- Mode: {'quick (small sizes, a smoke check)' if report.quick else 'full'}; "
        f"the whole run took {report.seconds:.0f} s",
        "",
        "Requests are those the embedded sandbox served (a MailerLite batch counts once, "
        "as against the rate limit). Wall time is the best of two passes without tracing; "
        "peak memory is tracemalloc's peak in a third pass of the same command (Python "
        "allocations of espform and of the in-process sandbox; SQLite's own cache is not "
        "included). "
        "Absolute times depend on the machine: compare ratios.",
        "",
        "## (a) Reading a large account: `espform plan` with nothing to change",
        "",
        *_reads(report.reads),
        "",
        "## (b) A large apply: batched writes",
        "",
        *_applies(report.applies),
        "",
        "## (c) Rule-driven membership",
        "",
    ]
    for flavor, runs in report.membership.items():
        if flavor in report.unavailable:
            lines += [f"### {flavor}", "", f"Not measured: {report.unavailable[flavor]}.", ""]
        elif flavor in report.failed:
            lines += [f"### {flavor}", "", f"**Failed**: {report.failed[flavor]}", ""]
        elif runs:
            lines += _membership(flavor, runs)
    if report.http is not None:
        lines += reads.render(report.http)
    return "\n".join(lines).rstrip() + "\n"
