"""``hegui lexicon``: import, export, check, stats and diff keyword libraries in the filing layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from hegui.cli._output import emit_json, fail
from hegui.errors import EXIT_FINDINGS, EXIT_OK, HeguiError
from hegui.screen import lexicon as L

app = typer.Typer(
    help="Keyword libraries (TC260-003 8.1): import / export the filing Excel, check coverage, stats, diff.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)

SOURCE_HELP = "Lexicon file (.xlsx, .csv or .json), or 'demo' for the small demo lexicon shipped with hegui."


def _load(source: str) -> L.Lexicon:
    return L.load_demo() if source == "demo" else L.load(Path(source))


def _fail(exc: HeguiError) -> typer.Exit:
    return fail(exc)


def _emit_json(data: Any) -> None:
    emit_json(data)


@app.command("import")
def import_(
    source: Path = typer.Argument(..., help="Filing Excel (.xlsx) or CSV with 关键词 / 一级分类 / 二级分类."),
    dest: Path = typer.Option(
        ..., "--out", "-o", help="Where to write (.json keeps every option; .xlsx / .csv)."
    ),
    name: str = typer.Option("", help="Library name (default: the file name)."),
    version: str = typer.Option("1", help="Library version to record."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Read a keyword library in the filing layout, validate every row, deduplicate, and save it."""
    try:
        lex = L.load(source)
        lex.name = name or lex.name
        lex.version = version
        L.write(lex, dest)
    except HeguiError as exc:
        raise _fail(exc) from exc
    summary = {
        "source": str(source),
        "written": str(dest),
        "entries": len(lex),
        "merged_duplicates": lex.merged,
        "digest": lex.digest,
    }
    if as_json:
        _emit_json(summary)
    else:
        out.print(f"Imported {len(lex)} keywords ({lex.merged} duplicates merged) → {dest}")


@app.command("export")
def export(
    dest: Path = typer.Argument(..., help="Output file: .xlsx (filing layout), .csv or .json."),
    source: str = typer.Option("demo", "--from", help=SOURCE_HELP),
    filing_only: bool = typer.Option(
        False, "--filing-only", help="Only the three filing columns, no hegui options."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Write a library in the filing layout (Excel: 关键词 / 一级分类 / 二级分类, one row per keyword and risk)."""
    try:
        lex = _load(source)
        L.write(lex, dest, options=not filing_only)
    except HeguiError as exc:
        raise _fail(exc) from exc
    if as_json:
        _emit_json({"written": str(dest), "entries": len(lex), "demo": lex.demo})
    else:
        out.print(f"Wrote {len(lex)} keywords → {dest}" + (" (demo lexicon)" if lex.demo else ""))


@app.command()
def check(
    source: str = typer.Argument("demo", help=SOURCE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the coverage report as JSON."),
) -> None:
    """Coverage against the standard's minimums; exit 1 when the library falls short (a gap report says where)."""
    try:
        cov = L.coverage(_load(source))
    except HeguiError as exc:
        raise _fail(exc) from exc
    if as_json:
        _emit_json(cov.to_json())
    else:
        table = Table(title=f"Keyword coverage ({cov.percent:.1f}% of the per-risk floors)")
        for col in ("risk", "name", "have", "need", "gap"):
            table.add_column(col, justify="right" if col in ("have", "need", "gap") else "left")
        for r in cov.risks:
            style = "red" if r.gap else "green"
            table.add_row(r.risk, r.name, str(r.have), str(r.need), f"[{style}]{r.gap}[/{style}]")
        out.print(table)
        for line in cov.lines():
            out.print(line, highlight=False)
    raise typer.Exit(EXIT_OK if cov.ok else EXIT_FINDINGS)


@app.command()
def stats(
    source: str = typer.Argument("demo", help=SOURCE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Counts by risk, category, script and match mode, plus the library's digest."""
    try:
        s = L.stats(_load(source))
    except HeguiError as exc:
        raise _fail(exc) from exc
    if as_json:
        _emit_json(s)
        return
    table = Table(title=f"{s['name']} {s['version']}" + (" (DEMO)" if s["demo"] else ""))
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("entries", str(s["entries"]))
    for key in ("by_category", "by_risk", "by_script", "by_mode"):
        for k, v in s[key].items():
            table.add_row(f"{key[3:]}: {k}", str(v))
    out.print(table)
    out.print(f"digest {s['digest']}")


@app.command()
def diff(
    old: str = typer.Argument(..., help="The earlier library. " + SOURCE_HELP),
    new: str = typer.Argument(..., help="The later library. " + SOURCE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the difference as JSON."),
) -> None:
    """Keywords added, removed and changed (risks or options) between two versions; exit 1 when they differ."""
    try:
        d = L.diff(_load(old), _load(new))
    except HeguiError as exc:
        raise _fail(exc) from exc
    if as_json:
        _emit_json(d.to_json())
    else:
        for e in d.added:
            out.print(f"[green]+ {e.keyword}[/green]  {','.join(e.risks)}")
        for e in d.removed:
            out.print(f"[red]- {e.keyword}[/red]  {','.join(e.risks)}")
        for a, b in d.changed:
            out.print(f"[yellow]~ {a.keyword}[/yellow]  {','.join(a.risks)} → {','.join(b.risks)}")
        out.print(f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
    raise typer.Exit(EXIT_OK if d.empty else EXIT_FINDINGS)
