"""The label part of ``make demo``: a sample of every supported format, labeled, read back, shown in a table."""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hegui.errors import HeguiError
from hegui.label import Record, read, write
from hegui.label.samples import modules

# A made-up provider code for the demo: 00 + 1 (organisation) + 1 (USCC) + a fictitious USCC whose GB 32100
# check digit is right + service type 1 (generation) + app code DEMO. It belongs to no real company.
DEMO_PRODUCER = "001191110108MA01HEGU1F1DEMO"
DEMO_PLATFORM = "001191110108MA01HEGU1F2PLAT"


def run(out: Path, console: Console) -> str:
    folder = out / "labels"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rows: list[tuple[str, str, str, str, str, str]] = []
    for module in modules():
        fmt = module.__name__.rsplit(".", 1)[-1]
        try:
            paths = module.make(folder)
        except (OSError, subprocess.CalledProcessError) as exc:  # e.g. ffmpeg missing for audio/video samples
            rows.append((fmt, "-", "-", "-", "sample not made", str(exc)))
            continue
        for path in paths:
            rows.append(_label_one(path))
    table = Table(title=f"Implicit labels written and read back ({folder})")
    for column in ("format", "file", "where", "form", "result", "ProduceID"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = "green" if row[4] == "valid" else "red"
        table.add_row(*row[:4], f"[{style}]{row[4]}[/{style}]", row[5])
    console.print(table)
    ok = sum(1 for r in rows if r[4] == "valid")
    console.print(f"{ok} of {len(rows)} files carry exactly one valid label after writing.")
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return (
        f"<p>{ok} of {len(rows)} sample files carry exactly one valid label after writing. "
        f"Producer code (fictitious): <code>{DEMO_PRODUCER}</code>.</p>"
        "<table><tr><th>format</th><th>file</th><th>where</th><th>form</th><th>result</th><th>ProduceID</th></tr>"
        f"{body}</table>"
    )


def _label_one(path: Path) -> tuple[str, str, str, str, str, str]:
    try:
        written = write(path, Record.new(DEMO_PRODUCER))
        # A platform then adds its propagation fields (Labeling Measures Art. 6), keeping the producer's.
        propagated = written.record.with_propagation(DEMO_PLATFORM, f"plat-{written.record.ProduceID[:8]}")
        write(path, propagated)
        scan = read(path)
    except HeguiError as exc:
        return ("?", path.name, "-", "-", "error", str(exc))
    found = scan.label
    if found is None:
        return (scan.container, path.name, "-", "-", "no label", "")
    verdict = "valid" if scan.valid and found.record == propagated else "invalid"
    produce_id = found.record.ProduceID if found.record else ""
    return (scan.container, path.name, found.location, found.form, verdict, produce_id)
