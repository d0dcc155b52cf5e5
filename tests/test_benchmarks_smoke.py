"""The benchmark suite runs end to end in --quick mode. Nothing here looks at times."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_run_reports_every_part(tmp_path: Path) -> None:
    output = tmp_path / "results.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--output",
            str(output),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    text = output.read_text()
    assert "python benchmarks/run.py --quick" in text
    assert re.search(r"CPU cores: \d+", text) and "Python 3." in text
    for heading in ("## (a)", "## (b)", "## (c)"):
        assert heading in text
    # A batch carries many group creations: fewer write requests than changes.
    row = next(line for line in text.splitlines() if "apply, MailerLite: create" in line)
    cells = [cell.strip() for cell in row.split("|")]
    changes = int(cells[2].replace(",", ""))
    reads, writes = (int(n) for n in re.findall(r"\d+", cells[3].split("(", 1)[1]))
    assert 0 < writes < changes and reads > 0
    # Membership is either measured within its request bound or said to be unavailable.
    for flavor in ("mailerlite", "mailchimp"):
        section = text.split(f"### {flavor}", 1)[1].split("###", 1)[0]
        assert "Not measured:" in section or "| yes |" in section
        assert "**no**" not in section and "**Failed**" not in section
