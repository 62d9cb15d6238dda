"""``hegui demo``: run every wing's demo on bundled samples and write a report a person can open."""

from __future__ import annotations

import html
import importlib
import time
from pathlib import Path

import typer
from rich.console import Console

from hegui import __version__

# Each module exposes ``run(out: Path, console: Console) -> str``: it does its work under ``out``, prints to the
# console, and returns an HTML fragment for the demo report.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("hegui.label.demo", "Implicit labels (GB 45438-2025 Annex E)"),
    ("hegui.label.explicit.demo", "Visible labels (GB 45438-2025 §5)"),
    ("hegui.label.platform.demo", "Platform verification (Labeling Measures Art. 6)"),
    ("hegui.screen.demo", "Screening"),
    ("hegui.rules.demo", "Rules as code"),
    ("hegui.assess.demo", "Security assessment (TC260-003)"),
    ("hegui.corpus.demo", "Training-corpus checks"),
    ("hegui.gateway.demo", "Compliance gateway"),
    ("hegui.web.demo", "Compliance dashboard"),
)


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)


def demo(
    out: Path = typer.Option(
        Path("hegui-demo"), "--out", "-o", help="Folder for the samples and the report."
    ),
) -> None:
    """Write sample files, label them, read the labels back, run the other wings, and write a report."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    fragments: list[str] = []
    for module_name, title in SECTIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        console.rule(title)
        started = time.perf_counter()
        fragment = module.run(out, console)
        elapsed = time.perf_counter() - started
        fragments.append(
            f"<section><h2>{html.escape(title)}</h2>{fragment}<p class='t'>{elapsed:.2f} s</p></section>"
        )
    report = out / "index.html"
    report.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>hegui demo</title>"
        "<style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
        ".t{color:#888}</style></head><body>"
        f"<h1>hegui {html.escape(__version__)} demo</h1>" + "".join(fragments) + "</body></html>",
        encoding="utf-8",
    )
    console.print(f"\nReport: [bold]{report}[/bold]")
