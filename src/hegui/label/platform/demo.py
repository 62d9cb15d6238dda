"""The platform part of ``make demo``: one upload of each Art. 6 verdict, verified and stamped.

``run(out, console)`` follows the demo convention of ``hegui.cli.demo`` (work under ``out``, print, return an HTML
fragment for the report).
"""

from __future__ import annotations

import dataclasses
import html
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from hegui import label
from hegui.label import Record, integrity
from hegui.label.platform import forms, verify_file

# Fictitious codes (valid GB 32100 check digits, no real company): the same as the label demo's.
DEMO_PRODUCER = "001191110108MA01HEGU1F1DEMO"
DEMO_PLATFORM = "001191110108MA01HEGU1F2PLAT"


def _uploads(folder: Path, keys: Path) -> list[tuple[Path, bool | None, str]]:
    """(file, uploader's declaration, what it shows)."""
    key = integrity.generate_key("sm2", DEMO_PRODUCER)
    integrity.save_key(key, keys, public_only=True)
    confirmed = forms.png_plain(folder / "confirmed-signed.png")
    integrity.sign_file(confirmed, Record.new(DEMO_PRODUCER), key, bind_media=True)
    possible = forms.png_plain(folder / "possible-declared.png")
    suspected = forms.png_c2pa(folder / "suspected-c2pa.png")
    forged = forms.png_plain(folder / "suspected-forged-signature.png")
    signed = integrity.sign_file(forged, Record.new(DEMO_PRODUCER), key)
    label.write(forged, dataclasses.replace(signed, ProduceID="altered-after-signing"))
    none = forms.png_plain(folder / "none.png")
    return [
        (confirmed, None, "valid label, SM2 signature verified against the pinned key"),
        (possible, True, "no label; the uploader declares it AI-generated"),
        (suspected, None, "no label; a C2PA manifest says trainedAlgorithmicMedia"),
        (forged, None, "label altered after signing: the signature fails"),
        (none, None, "nothing found"),
    ]


def run(out: Path, console: Console | None = None) -> str:
    console = console or Console()
    folder = out / "platform"
    if folder.exists():
        shutil.rmtree(folder)
    uploads, stamped, keys = folder / "uploads", folder / "stamped", folder / "keys"
    for f in (uploads, stamped, keys):
        f.mkdir(parents=True)
    rows: list[dict[str, Any]] = []
    cases = _uploads(uploads, keys)
    ring = integrity.Keyring.load(keys)
    for path, declared, what in cases:
        result = verify_file(
            path, declared_ai=declared, keys=ring, platform_code=DEMO_PLATFORM, do_stamp=True, output=stamped
        )
        rows.append({"file": path.name, "what": what, **result})
    table = Table(title=f"Uploads checked as a platform (Labeling Measures Art. 6) — {folder}")
    for column in ("file", "case", "verdict", "notice", "stamp"):
        table.add_column(column, overflow="fold")
    for row in rows:
        stamp = row["stamp"]["reason"] if row["stamp"] else "-"
        table.add_row(row["file"], row["what"], row["verdict"], row["notice"] or "-", stamp)
    console.print(table)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(cell))}</td>"
            for cell in (
                row["file"],
                row["what"],
                row["verdict"],
                row["notice"] or "-",
                "; ".join(row["reasons"]),
                row["stamp"]["reason"] if row["stamp"] else "-",
            )
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<p>Platform code (fictitious): <code>{DEMO_PLATFORM}</code>. Stamped copies in "
        f"<code>{html.escape(str(stamped))}</code>.</p><table><tr><th>file</th><th>case</th><th>verdict</th>"
        f"<th>notice</th><th>reasons</th><th>stamp</th></tr>{body}</table>"
    )
