"""Run the benchmark suite in one process and write the results as Markdown.

    python benchmarks/run.py            # full sizes, writes benchmarks/results.md
    python benchmarks/run.py --quick    # small sizes, prints only (a smoke check)

See benchmarks/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script: the suite's modules sit next to this file, espform one folder up.
sys.path[:0] = [str(HERE), str(HERE.parent)]

import membership  # noqa: E402
import reads  # noqa: E402
import structure  # noqa: E402
from report import Report, render  # noqa: E402

FULL_SIZES = (10_000, 100_000)
QUICK_SIZES = (500, 2_000)
FULL_PERTURBED = 500
QUICK_PERTURBED = 50


def _progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run(work: Path, quick: bool, command: str, only_http: bool = False) -> Report:
    started = time.perf_counter()
    report = Report(command=command, quick=quick)
    # (d) runs espform and the sandbox as processes of their own, over loopback.
    report.http = reads.run(work, quick, _progress)
    if only_http:
        report.seconds = time.perf_counter() - started
        return report
    sizes = structure.StructureSizes.quick() if quick else structure.StructureSizes.full()
    for read in (structure.read_mailerlite, structure.read_mailchimp):
        _progress(f"(a) {read.__name__}")
        report.reads.append(read(work, sizes))
    for apply in (structure.apply_mailerlite, structure.apply_mailchimp):
        _progress(f"(b) {apply.__name__}")
        report.applies.append(apply(work, sizes))

    counts = QUICK_SIZES if quick else FULL_SIZES
    perturbed = QUICK_PERTURBED if quick else FULL_PERTURBED
    for flavor in ("mailerlite", "mailchimp"):
        runs = report.membership.setdefault(flavor, [])
        reason = membership.unavailable(work, flavor)
        if reason is not None:
            report.unavailable[flavor] = reason
            continue
        for count in counts:
            _progress(f"(c) {flavor}, {count:,} subscribers")
            try:
                runs.append(membership.run_size(work, flavor, count, perturbed))
            except membership.NotWired as missing:
                report.unavailable[flavor] = str(missing)
                break
            except Exception as error:
                # Recorded, and the run fails, but (a) and (b) are still reported.
                traceback.print_exc()
                report.failed[flavor] = f"{type(error).__name__}: {error}".splitlines()[0]
                break
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke check")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the Markdown results [default: benchmarks/results.md for a "
        "full run; a quick run only prints them]",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the sandbox files here instead of a temporary folder"
    )
    parser.add_argument(
        "--only-http", action="store_true", help="only (d): reads and memory over HTTP"
    )
    args = parser.parse_args(argv)
    shown = ["python", "benchmarks/run.py", *(["--quick"] if args.quick else [])]
    shown += ["--only-http"] if args.only_http else []
    command = shlex.join(shown)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        report = run(args.workdir, args.quick, command, args.only_http)
    else:
        with tempfile.TemporaryDirectory(prefix="espform-bench-") as folder:
            report = run(Path(folder), args.quick, command, args.only_http)
    text = render(report)
    print(text)
    output = args.output or (None if args.quick else HERE / "results.md")
    if output is not None:
        output.write_text(text)
        _progress(f"results written to {output}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
