"""``hegui corpus``: training-corpus checks: source register, robots.txt, source assessment, manual sample,
technical check and report. Parses, calls :mod:`hegui.corpus`, renders."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from hegui.cli._output import emit_json, fail, progress_bar
from hegui.errors import EXIT_FINDINGS, EXIT_OK, HeguiError

app = typer.Typer(
    help="Training-corpus checks (TC260-003 §5): sources, robots.txt, the 5% source rule, the 4,000-item manual "
    "sample at 96%, the technical check of >= 10% at 98%; local process pool or Ray.",
    no_args_is_help=True,
)
source_app = typer.Typer(
    help="The source register: kind, licence, authorisations, collection records, status."
)
app.add_typer(source_app, name="source")
out = Console()
err = Console(stderr=True)

DB_HELP = "Database URL (default: HEGUI_DATABASE_URL, else sqlite:///./hegui.db)."
LEXICON_HELP = "Keyword library file (.xlsx, .csv, .json) or 'demo'."


_fail = fail
_emit = emit_json


def _progress(enabled: bool) -> Progress:
    return progress_bar(enabled=enabled, console=err, description="[bold]{task.description}")


# ----------------------------------------------------------------------------------------------- scan


@app.command()
def scan(
    paths: list[Path] = typer.Argument(
        ..., help="Corpus files or folders (.jsonl, .csv, .parquet, .txt; .gz/.zst)."
    ),
    engine: str = typer.Option("local", help="local (process pool) or ray."),
    address: str = typer.Option(None, help="Ray cluster address (default: start Ray on this machine)."),
    sample: float = typer.Option(
        1.0, help="Share of records to scan, chosen by hashing record ids (0.1 = 10%)."
    ),
    seed: str = typer.Option("", help="Sampling seed: the same seed chooses the same records."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes (local) or CPUs (ray)."),
    field: str = typer.Option(
        "text", "--field", help="Field or column holding the text (a.b for nested JSON)."
    ),
    id_field: str = typer.Option(
        None, "--id-field", help="Field holding a record id (default: file and offset)."
    ),
    text_unit: str = typer.Option("line", help="For .txt: one record per 'line' or per 'file'."),
    lexicon: str = typer.Option("demo", "--lexicon", "-l", help=LEXICON_HELP),
    pii: bool = typer.Option(True, "--pii/--no-pii", help="Look for personal information."),
    pii_names: bool = typer.Option(
        False, "--pii-names", help="Also person names and addresses (jieba; slower)."
    ),
    classify: bool = typer.Option(False, "--classify", help="Also run the 31-risk classifier."),
    work: Path = typer.Option(None, help="Resume folder (default .hegui-corpus/<scan id>)."),
    redact: Path = typer.Option(
        None, help="Write the scanned records with personal information masked here."
    ),
    report: Path = typer.Option(None, help="Also write the HTML report to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Technical check: scan (a sample of) the corpus with keywords, PII detection and optionally the classifier.

    Exit 0 when the pass rate conforms (>= 98% with >= 10% scanned), 1 otherwise (does not conform or undecided),
    2 on a usage error, 3 on unreadable input. A killed scan resumes from its folder without rescanning shards.
    """
    from hegui.corpus import ScanConfig
    from hegui.corpus import report as report_mod
    from hegui.corpus.runners import scan as run_scan

    if engine not in ("local", "ray"):
        raise typer.BadParameter("--engine must be local or ray")
    if text_unit not in ("line", "file"):
        raise typer.BadParameter("--text-unit must be line or file")
    config = ScanConfig(
        lexicon=lexicon,
        pii=pii,
        pii_names=pii_names,
        classify=classify,
        sample=sample,
        seed=seed,
        text_field=field,
        id_field=id_field,
        text_unit=text_unit,
        redact_dir=str(redact) if redact else None,
    )
    try:
        with _progress(not as_json and sys.stderr.isatty()) as prog:
            task = prog.add_task("scanning shards", total=None)

            def tick(done: int, total: int) -> None:
                prog.update(task, completed=done, total=total)

            run = run_scan(
                [str(p) for p in paths],
                config,
                engine=engine,  # type: ignore[arg-type]
                jobs=jobs,
                work_dir=work,
                address=address,
                progress=tick,
            )
        data = report_mod.result(run)
        report_mod.save(run, data)
        if report:
            report_mod.write_html(data, report)
    except HeguiError as exc:
        raise _fail(exc) from None
    err.print(f"scan {run.scan_id}: {run.shards} shards ({run.reused} reused) in {run.work_dir}")
    if as_json:
        _emit({k: v for k, v in data.items() if k != "hegui_version"})
    else:
        _render(data)
    raise typer.Exit(EXIT_OK if data["outcome"] == "conforms" else EXIT_FINDINGS)


def _render(data: dict[str, Any]) -> None:
    t = Table(title=f"corpus technical check ({escape(data['lexicon']['name'])} lexicon)")
    for col in ("records", "scanned", "share", "flagged", "pass rate", "95% CI", "outcome"):
        t.add_column(col)
    t.add_row(
        str(data["records"]),
        str(data["scanned"]),
        f"{data['fraction_scanned']:.1%}",
        str(data["flagged"]),
        f"{data['pass_rate']:.2%}",
        f"{data['ci_low']:.2%}–{data['ci_high']:.2%}",
        escape(data["outcome"]),
    )
    out.print(t)
    out.print(escape(data["reason"]))
    s = data["summary"]
    if s["by_risk"]:
        out.print("by risk: " + escape(", ".join(f"{k} {v}" for k, v in s["by_risk"].items())))
    if s["by_pii"]:
        out.print("personal information: " + escape(", ".join(f"{k} {v}" for k, v in s["by_pii"].items())))


@app.command()
def report(
    work: Path = typer.Argument(..., help="A scan folder (see 'corpus scan') or its result.json."),
    fmt: str = typer.Option("html", "--format", help="html or json."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here (default: beside the result)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    with_sources: bool = typer.Option(True, "--sources/--no-sources", help="Include the source register."),
) -> None:
    """Write the report of a finished scan (HTML for people, JSON for scripts), with the source register."""
    from hegui.corpus import report as report_mod
    from hegui.corpus.sources import list_sources

    try:
        data = report_mod.load(work)
        if with_sources:
            data["sources"] = [s.to_dict() for s in list_sources(db)]
        if fmt == "json":
            text = json.dumps(data, ensure_ascii=False, indent=1)
            if output:
                output.write_text(text + "\n", encoding="utf-8")
            else:
                sys.stdout.write(text + "\n")
        elif fmt == "html":
            base = Path(work) if Path(work).is_dir() else Path(work).parent
            target = report_mod.write_html(data, output or base / "report.html")
            err.print(f"wrote {escape(str(target))}")
        else:
            raise typer.BadParameter("--format must be html or json")
    except HeguiError as exc:
        raise _fail(exc) from None


# ----------------------------------------------------------------------------------------------- sample


@app.command("sample")
def sample_cmd(
    paths: list[Path] = typer.Argument(..., help="Corpus files or folders."),
    output: Path = typer.Option(..., "--output", "-o", help="Annotator file: .xlsx or .jsonl."),
    n: int = typer.Option(4000, "-n", min=1, help="Items to draw (the standard asks for at least 4,000)."),
    seed: str = typer.Option("", help="Sampling seed (same seed, same items)."),
    field: str = typer.Option("text", "--field", help="Field or column holding the text."),
    id_field: str = typer.Option(None, "--id-field", help="Field holding a record id."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Draw the manual sample reproducibly and export it for annotators (column 结论: 合格 / 不合格)."""
    from hegui.corpus.annotate import draw, export
    from hegui.corpus.readers import ReadOptions

    try:
        items = draw(paths, n, seed=seed, options=ReadOptions(field, id_field))
        export(items, output)
    except HeguiError as exc:
        raise _fail(exc) from None
    if len(items) < n:
        err.print(
            f"[yellow]the corpus holds only {len(items)} records; fewer than the {n} asked for[/yellow]"
        )
    if as_json:
        _emit({"items": len(items), "output": str(output), "seed": seed})
    else:
        out.print(f"drew {len(items)} items into {escape(str(output))}")


@app.command("verdicts")
def verdicts_cmd(
    path: Path = typer.Argument(..., help="The annotated .xlsx or .jsonl."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Read annotators' verdicts back: pass rate with its 95% interval against 96% on >= 4,000 items.
    Exit 0 when it conforms, 1 otherwise."""
    from hegui.corpus.annotate import read_verdicts

    try:
        v = read_verdicts(path)
    except HeguiError as exc:
        raise _fail(exc) from None
    d = v.to_dict()
    if as_json:
        _emit(d)
    else:
        out.print(
            f"{v.judged} judged, {v.passed} passed: {d['pass_rate']:.2%} "
            f"(95% CI {d['ci_low']:.2%}–{d['ci_high']:.2%}) → {escape(d['outcome'])}: {escape(d['reason'])}"
        )
    raise typer.Exit(EXIT_OK if d["outcome"] == "conforms" else EXIT_FINDINGS)


# ----------------------------------------------------------------------------------------------- robots


@app.command()
def robots(
    urls: Path = typer.Argument(..., help="File of collected URLs, one a line."),
    archive: Path = typer.Option(
        ..., "--robots", help="JSONL of stored robots.txt: host, fetched_at, user_agent, content."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Report every collected URL that the stored robots.txt of its host disallowed. Exit 1 when any was."""
    from hegui.corpus.robots import disallowed, hosts_without_robots, load_robots

    try:
        stored = load_robots(archive)
        lines = urls.read_text(encoding="utf-8").splitlines()
        bad = list(disallowed(lines, stored))
        missing = hosts_without_robots(lines, stored)
    except OSError as exc:
        raise _fail(HeguiError(f"cannot read: {exc.strerror}", path=urls)) from None
    except HeguiError as exc:
        raise _fail(exc) from None
    if as_json:
        _emit({"urls": len(lines), "disallowed": [d.to_dict() for d in bad], "hosts_without_robots": missing})
    else:
        for d in bad:
            out.print(
                f"disallowed: {escape(d.url)} (user agent {escape(d.user_agent)}, robots.txt of {escape(d.robots_fetched_at)})"
            )
        if missing:
            out.print("no robots.txt kept for: " + escape(", ".join(missing)))
        out.print(f"{len(bad)} of {len(lines)} URLs were disallowed")
    raise typer.Exit(EXIT_FINDINGS if bad else EXIT_OK)


# ----------------------------------------------------------------------------------------------- sources


@source_app.command("add")
def source_add(
    name: str = typer.Argument(..., help="A short unique name."),
    kind: str = typer.Option(..., "--kind", help="open-source, self-collected, commercial or user-input."),
    licence: str = typer.Option("", help="Licence (SPDX id where there is one)."),
    document: list[Path] = typer.Option(
        [], "--document", help="Licence, authorisation or agreement file (repeatable)."
    ),
    collection: str = typer.Option("", help="Collection record: how, when, user agent."),
    contract: str = typer.Option("", help="Contract reference."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the source as JSON."),
) -> None:
    """Register a training-data source."""
    from hegui.corpus.sources import add_source

    try:
        v = add_source(
            name,
            kind,
            licence=licence,
            documents=[str(d) for d in document],
            collection=collection,
            contract=contract,
            url=db,
        )
    except HeguiError as exc:
        raise _fail(exc) from None
    if as_json:
        _emit({"source": v.to_dict()})
    else:
        out.print(
            f"registered {escape(v.name)} ({escape(v.kind)}); gaps: {escape('; '.join(v.gaps) or 'none')}"
        )


@source_app.command("list")
def source_list(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the register as JSON."),
) -> None:
    """List the sources with status and gaps."""
    from hegui.corpus.sources import list_sources

    try:
        views = list_sources(db)
    except HeguiError as exc:
        raise _fail(exc) from None
    if as_json:
        _emit({"sources": [v.to_dict() for v in views]})
        return
    t = Table(title="corpus sources")
    for col in ("name", "kind", "licence", "status", "reason", "gaps"):
        t.add_column(col)
    for v in views:
        t.add_row(*(escape(x) for x in (v.name, v.kind, v.licence, v.status, v.reason, "; ".join(v.gaps))))
    out.print(t)


@source_app.command("show")
def source_show(
    name: str = typer.Argument(...),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the source as JSON."),
) -> None:
    """One source with its documents and assessments."""
    from hegui.corpus.sources import get_source

    try:
        v = get_source(name, db)
    except HeguiError as exc:
        raise _fail(exc) from None
    if as_json:
        _emit({"source": v.to_dict()})
    else:
        out.print_json(json.dumps(v.to_dict(), ensure_ascii=False))


@source_app.command("assess")
def source_assess(
    name: str = typer.Argument(..., help="A registered source."),
    paths: list[Path] = typer.Argument(..., help="The source's data (or a sample of it)."),
    sample: float = typer.Option(1.0, help="Share of records to check."),
    seed: str = typer.Option(""),
    field: str = typer.Option("text", "--field"),
    lexicon: str = typer.Option("demo", "--lexicon", "-l", help=LEXICON_HELP),
    classify: bool = typer.Option(False, "--classify", help="Also run the 31-risk classifier."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Measure a source's illegal / harmful rate and decide against the 5% rule: over it, the source is
    blacklisted; at most 5% (the whole interval), approved; else undecided. Exit 0 approved, 1 otherwise."""
    from hegui.corpus import ScanConfig, source_decision
    from hegui.corpus.runners import scan as run_scan
    from hegui.corpus.scanner import lexicon_identity
    from hegui.corpus.sources import record_assessment

    config = ScanConfig(
        lexicon=lexicon, pii=False, classify=classify, sample=sample, seed=seed, text_field=field
    )
    try:
        run = run_scan([str(p) for p in paths], config, jobs=jobs)
        decision = source_decision(run.summary)
        view = record_assessment(
            name, decision, lexicon_digest=lexicon_identity(config)["digest"], scan_id=run.scan_id, url=db
        )
    except HeguiError as exc:
        raise _fail(exc) from None
    if as_json:
        _emit({"source": view.to_dict(), "decision": decision.to_dict()})
    else:
        out.print(
            f"{escape(name)}: {decision.successes} of {decision.n} flagged ({decision.rate:.2%}, 95% CI "
            f"{decision.ci_low:.2%}–{decision.ci_high:.2%}) → {escape(decision.outcome)}; status {escape(view.status)}"
        )
    raise typer.Exit(EXIT_OK if decision.outcome == "conforms" else EXIT_FINDINGS)
