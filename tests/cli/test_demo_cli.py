"""``hegui demo`` (what ``make demo`` runs) works end to end offline and writes a report a person can open."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_demo_runs_every_section_and_writes_the_report(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hegui", "demo", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    for title in ("Implicit labels", "Screening", "Rules as code"):
        assert title in report
    match = re.search(r"(\d+) of (\d+) sample files carry exactly one valid label", report)
    assert match is not None and match.group(1) == match.group(2) and int(match.group(2)) >= 20
    assert (tmp_path / "out" / "rules").is_dir()
    assert any((tmp_path / "out" / "rules").glob("obligations.*.pdf"))
