"""``hegui screen``: screen text or files for keywords, personal information, risks and refusals.

A thin layer: parse the options, call :mod:`hegui.screen.service`, render a table or the JSON envelope.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from hegui.cli._output import emit_json, errors_to_exit, exit_for, fail
from hegui.errors import EXIT_FINDINGS, EXIT_OK, HeguiError, InputError, UsageError
from hegui.screen import service

app = typer.Typer(
    help="Screen text or files: keyword library hits (with normalisation), personal information, 31-risk classifier, refusals.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)

LEXICON_HELP = (
    "Keyword library (.xlsx, .csv, .json), 'starter' (openly licensed starter list) or 'demo' (82 keywords). "
    "Default: $HEGUI_LEXICON or 'lexicon' in hegui.toml, else 'demo'."
)


def _engine(engine: str) -> service.Engine:
    if engine not in service.ENGINES:
        raise typer.BadParameter(f"--engine must be auto, ahocorasick or hyperscan, not {engine!r}")
    return engine  # type: ignore[return-value]


def _stdin_text() -> str:
    """Standard input as text, in whatever encoding it comes (UTF-8, UTF-16 with a BOM, GB18030/GBK)."""
    data = sys.stdin.buffer.read()
    enc = service.sniff_encoding(data)
    try:
        return data[enc.bom :].decode(enc.name)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"standard input is not valid {enc.name} ({exc.reason}); convert it to UTF-8", offset=exc.start
        ) from None


@app.command()
def text(
    texts: list[str] = typer.Argument(..., help="Texts to screen; '-' reads one text from standard input."),
    lexicon: str | None = typer.Option(None, "--lexicon", "-l", help=LEXICON_HELP),
    pii: bool = typer.Option(True, "--pii/--no-pii", help="Look for personal information."),
    classify: bool = typer.Option(
        False, "--classify", help="Run the 31-risk classifier (character n-grams, well under 1 ms a text)."
    ),
    accurate: bool = typer.Option(
        False,
        "--accurate",
        help="Run the classifier as a cascade (implies --classify): texts near its threshold also go to the"
        " embedding model, about 170 ms each on one core; it flags more across sources (docs/screen.md).",
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
    eng = _engine(engine)
    with errors_to_exit():
        if texts == ["-"]:
            texts = [_stdin_text()]
        result = service.screen(
            texts,
            lexicon=lexicon,
            pii=pii,
            classify="accurate" if accurate else classify,
            refusal=refusal,
            engine=eng,
        )
    if as_json:
        payload = result.to_dict()
        if masked:
            for item, r in zip(payload["results"], result, strict=True):
                item["masked"] = r.masked()
        emit_json(payload)
    else:
        _print_results(result, masked=masked)
    raise exit_for(result.found)


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_results(result: service.ScreenResult, *, masked: bool) -> None:
    lex = result.lexicon
    table = Table(
        title=f"Screening results (lexicon {escape(lex.name)} {escape(lex.version)}, {lex.entries} entries"
        + (", DEMO" if lex.demo else "")
        + ")",
        show_lines=True,
    )
    for col in ("#", "what", "span", "found", "detail"):
        table.add_column(col)
    for i, r in enumerate(result, 1):
        rows = 0
        for f in r.findings:
            d = f.data
            span = f"{f.span.start}-{f.span.end}" if f.span and f.source in ("matcher", "pii") else ""
            if f.source == "matcher":
                table.add_row(
                    str(i),
                    "keyword",
                    span,
                    escape(d["matched"]),
                    escape(f"{d['keyword']} {','.join(d['risks'])}"),
                )
            elif f.source == "pii":
                table.add_row(str(i), f"PII {d['kind']}", span, escape(d["text"]), f"score {d['score']}")
            elif f.source == "classifier":
                window = d.get("window")
                table.add_row(
                    str(i),
                    "classifier",
                    f"{window['start']}-{window['end']}" if window else "",
                    escape(str(d["name"])),
                    f"{d['label']} p={d['probability']}"
                    + (
                        f"\nmost unsafe window: {escape(_excerpt(r.text[window['start'] : window['end']]))}"
                        if window
                        else ""
                    ),
                )
            elif f.source == "refusal":
                table.add_row(
                    str(i), "refusal", "", "yes" if d["refusal"] else "no", f"{d['kind']} p={d['score']}"
                )
            else:
                table.add_row(str(i), escape(f.source), span, escape(f.code), escape(f.message))
            rows += 1
        if masked:
            table.add_row(str(i), "masked", "", escape(r.masked()), "")
            rows += 1
        if not rows:
            table.add_row(str(i), "[green]clean[/green]", "", "", "")
    out.print(table)  # fmt: skip


@app.command()
def file(
    paths: list[Path] = typer.Argument(
        ..., help="Text files or folders (searched recursively) of any size; '-' reads standard input."
    ),
    lexicon: str | None = typer.Option(None, "--lexicon", "-l", help=LEXICON_HELP),
    pii: bool = typer.Option(False, "--pii", help="Also look for personal information (line by line)."),
    ext: list[str] = typer.Option(
        [], "--ext", help="In folders, only files with this extension (repeatable, e.g. --ext txt --ext md)."
    ),
    encoding: str | None = typer.Option(
        None,
        "--encoding",
        help="The files' encoding (e.g. gb18030, big5, utf-16). Default: detected (BOM, UTF-16, UTF-8, GB18030).",
    ),
    engine: str = typer.Option("auto", help="Matcher engine: auto, ahocorasick or hyperscan (extra)."),
    errors: str = typer.Option(
        "strict", help="'strict' refuses undecodable bytes; 'replace' scans past them and counts them."
    ),
    max_bad: float = typer.Option(
        service.DEFAULT_MAX_BAD,
        "--max-bad",
        min=0.0,
        max=1.0,
        help="With --errors replace: the share of undecodable bytes above which a file is an input error (exit 3).",
    ),
    limit: int = typer.Option(50, min=0, help="Hits to list per file in the table (--json lists all)."),
    as_json: bool = typer.Option(False, "--json", help="JSON with every hit of every file."),
) -> None:
    """Screen text files for keywords (and PII). Exit 1 when anything is found, 3 on unreadable input."""
    if errors not in ("strict", "replace"):
        raise typer.BadParameter("--errors must be strict or replace")
    mode: Literal["strict", "replace"] = "replace" if errors == "replace" else "strict"
    eng = _engine(engine)
    with errors_to_exit():
        lex = service.resolve_lexicon(service.lexicon_source(lexicon))
        matcher = service.KeywordScreener(lex, engine=eng).matcher
        if encoding:
            import codecs

            try:
                codecs.lookup(encoding)
            except LookupError:
                raise UsageError(f"unknown encoding {encoding!r} (--encoding)") from None
    from hegui.screen.pii import PiiScanner

    scanner = PiiScanner() if pii else None
    files = service.collect_files([p for p in paths if str(p) != "-"], ext=ext)
    use_stdin = any(str(p) == "-" for p in paths)
    report: list[dict[str, Any]] = []
    worst = EXIT_OK
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=as_json or not err.is_terminal,
    )  # fmt: skip
    common: dict[str, Any] = {
        "matcher": matcher, "pii": scanner if scanner is not None else False, "encoding": encoding,
        "errors": mode, "max_bad": max_bad,
    }  # fmt: skip
    with progress:
        if use_stdin:
            try:
                res = service.screen_stream(sys.stdin.buffer, name="<stdin>", **common)
                report.append(res.to_dict())
                worst = max(worst, EXIT_FINDINGS if res.found else EXIT_OK)
            except HeguiError as exc:
                report.append({"path": "<stdin>", "error": str(exc)})
                worst = max(worst, exc.exit_code)
        if not files and not use_stdin:
            raise fail(InputError("no files to screen (empty folder, or no file with the --ext given)"))
        for path in files:
            try:
                size = path.stat().st_size
            except OSError as exc:
                report.append(
                    {"path": str(path), "error": str(InputError(f"cannot read ({exc.strerror})", path=path))}
                )
                worst = max(worst, 3)
                continue
            task = progress.add_task(escape(path.name), total=size)
            try:
                res = service.screen_file(path, on_progress=_advance(progress, task), **common)
                report.append(res.to_dict())
                worst = max(worst, EXIT_FINDINGS if res.found else EXIT_OK)
            except HeguiError as exc:
                report.append({"path": str(path), "error": str(exc)})
                worst = max(worst, exc.exit_code)
            progress.remove_task(task)
    if as_json:
        emit_json({"files": report}, lexicon=service.LexiconIdentity.of(lex))
    else:
        _print_files(report, limit=limit, pii=pii)
    raise typer.Exit(worst)  # fmt: skip


def _advance(progress: Progress, task: TaskID) -> Callable[[int], None]:
    def advance(n: int) -> None:
        progress.advance(task, n)

    return advance


def _print_files(report: list[dict[str, Any]], *, limit: int, pii: bool) -> None:
    for entry in report:
        if "error" in entry:
            err.print(f"[red]error:[/red] {escape(entry['error'])}")
            continue
        table = Table(title=f"{escape(entry['path'])} ({entry['encoding']}, {entry['encoding_from']})")
        for col in ("span", "found", "keyword", "risks"):
            table.add_column(col)
        for h in entry["keywords"][:limit]:
            table.add_row(
                f"{h['start']}-{h['end']}", escape(h["matched"]), escape(h["keyword"]), ",".join(h["risks"])
            )
        out.print(table)
        more = len(entry["keywords"]) - limit
        out.print(
            f"{len(entry['keywords'])} keyword hits"
            + (f" ({more} not listed)" if more > 0 else "")
            + (f", {len(entry['pii'])} PII findings" if pii else "")
            + (f"; {entry['replaced_bytes']} undecodable bytes replaced" if entry["replaced_bytes"] else "")
        )  # fmt: skip
