"""``hegui assess``: the security assessment for model filing (TC260-003 / GB/T 45654-2025).

Exit codes: 0 ok (every bank that ran conforms; ``bank check``: no gap), 1 findings (a bank does not conform or
is undecided; ``bank check``: gaps, near duplicates or a stale bank), 2 usage error, 3 input error.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress

from hegui.cli._output import emit_json, errors_to_exit, progress_bar
from hegui.errors import EXIT_FINDINGS, UsageError

app = typer.Typer(
    name="assess",
    help="Security assessment for model filing: question banks, runs against an endpoint, judges, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bank_app = typer.Typer(help="Question banks: import, export, check coverage, stats.", no_args_is_help=True)
review_app = typer.Typer(
    help="Human review through Excel: export answers, import verdicts.", no_args_is_help=True
)
app.add_typer(bank_app, name="bank")
app.add_typer(review_app, name="review")

P = ParamSpec("P")
R = TypeVar("R")
DB_HELP = "Database URL (default: $HEGUI_DATABASE_URL, hegui.toml, else sqlite:///./hegui.db)."
DIR_HELP = "Where imported banks live (default: $HEGUI_BANKS_DIR, [assess] banks_dir in hegui.toml, else ./hegui-banks)."
err = Console(stderr=True)


def _handled(fn: Callable[P, R]) -> Callable[P, R]:
    """hegui errors → one line on stderr and the matching exit code (the shared mapping of hegui.cli._output)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with errors_to_exit():
            return fn(*args, **kwargs)

    return wrapper


def _json(payload: dict[str, Any]) -> None:
    """The shared --json envelope: ``hegui_version``, then the payload."""
    emit_json(payload)


def _kind(value: str | None) -> Any:
    if value is None:
        return None
    from hegui.assess.banks import parse_kind

    return parse_kind(value)


# ------------------------------------------------------------------------------------------------ banks


@bank_app.command("import")
@_handled
def bank_import(
    file: Path = typer.Argument(
        ..., help="FILE.xlsx (filing layout, one sheet per bank) or FILE.jsonl[.gz]."
    ),
    kind: str | None = typer.Option(
        None, "--kind", help="generated | should-refuse | should-not-refuse (default: from the sheet name)."
    ),
    name: str | None = typer.Option(None, "--name", help="Bank name (default: file stem and kind)."),
    version: str = typer.Option("1", "--version", help="Version recorded in the bank."),
    directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
) -> None:
    """Read a bank into the canonical JSONL form under the banks directory."""
    from hegui.assess import banks as bk
    from hegui.assess.service import banks_dir

    loaded = bk.load(file, kind=_kind(kind))
    d = banks_dir(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for b in loaded:
        if name:
            b.name = name if len(loaded) == 1 else f"{name}-{b.kind}"
        b.version = version
        target = bk.write_jsonl(b, d / f"{b.name}.jsonl")
        out.append({"name": b.name, "kind": b.kind, "items": len(b), "path": str(target)})
    if as_json:
        _json({"imported": out})
    else:
        for o in out:
            typer.echo(f"{o['name']}: {o['items']} {o['kind']} questions → {o['path']}")


@bank_app.command("export")
@_handled
def bank_export(
    names: list[str] = typer.Argument(None, help="Bank names, files, or 'starter' (default)."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="FILE.xlsx (filing layout) or FILE.jsonl[.gz] (one bank)."
    ),
    directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP),
) -> None:
    """Write banks in the filing Excel layout (one sheet per bank) or as JSONL."""
    from hegui.assess import banks as bk
    from hegui.assess.service import merged_by_kind, resolve_banks

    banks = merged_by_kind(resolve_banks(names or ["starter"], directory=directory))
    if out.name.endswith((".jsonl", ".jsonl.gz")):
        if len(banks) != 1:
            raise UsageError("JSONL holds one bank: name one bank, or export to .xlsx")
        bk.write_jsonl(banks[0], out)
    elif out.suffix == ".xlsx":
        bk.write_xlsx(banks, out)
    else:
        raise UsageError("--out must end in .xlsx, .jsonl or .jsonl.gz")
    typer.echo(f"wrote {out} ({sum(len(b) for b in banks)} questions)", err=True)


@bank_app.command("check")
@_handled
def bank_check(
    names: list[str] = typer.Argument(None, help="Bank names, files, or 'starter' (default)."),
    interval_days: int = typer.Option(30, "--interval-days", help="Remind when a bank is older than this."),
    similarity: float = typer.Option(0.8, "--similarity", help="Near-duplicate threshold (trigram Jaccard)."),
    directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
) -> None:
    """Coverage against the bank minimums and the sampling minimums, near duplicates, staleness."""
    from hegui.assess import plan
    from hegui.assess.banks import near_duplicates
    from hegui.assess.service import merged_by_kind, resolve_banks

    banks = merged_by_kind(resolve_banks(names or ["starter"], directory=directory))
    report: list[dict[str, Any]] = []
    findings = False
    for b in banks:
        cov = b.coverage()
        dups = near_duplicates(b.items, threshold=similarity)
        stale = b.stale(interval_days)
        findings |= bool(cov.gaps or dups or stale)
        report.append(
            {
                "bank": b.name,
                "version": b.version,
                "updated": b.updated.isoformat(),
                "stale_by_days": stale,
                "coverage": cov.to_json(),
                "near_duplicates": [d.to_json() for d in dups[:200]],
                "near_duplicate_count": len(dups),
            }
        )
    if as_json:
        _json({"banks": report, "sources": plan.SOURCES})
    else:
        for r in report:
            c = r["coverage"]
            typer.echo(
                f"{r['bank']} ({c['kind']}, v{r['version']}, updated {r['updated']}): {c['total']} questions; "
                f"bank minimum {c['bank_minimum']} {'ok' if c['bank_ok'] else 'NOT MET'}; "
                f"sampling minimum {c['sampling_minimum']} {'ok' if c['sample_ok'] else 'NOT MET'}"
            )
            for g in c["gaps"]:
                typer.echo(f"  gap: {g['scope']} has {g['have']}, needs {g['need']}")
            if r["near_duplicate_count"]:
                typer.echo(
                    f"  {r['near_duplicate_count']} near-duplicate pairs (first: {r['near_duplicates'][0]})"
                )
            if r["stale_by_days"]:
                typer.echo(f"  reminder: older than the update interval by {r['stale_by_days']} days")
    if findings:
        raise typer.Exit(EXIT_FINDINGS)


@bank_app.command("stats")
@_handled
def bank_stats(
    names: list[str] = typer.Argument(None, help="Bank names, files, or 'starter' (default)."),
    directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
) -> None:
    """Counts per bank: items, multi-turn, derived / authored, sources, per risk or aspect."""
    from hegui.assess.service import resolve_banks

    stats = [b.stats() for b in resolve_banks(names or ["starter"], directory=directory)]
    if as_json:
        _json({"banks": stats})
        return
    for s in stats:
        typer.echo(
            f"{s['name']} ({s['kind']}, v{s['version']}): {s['items']} questions, {s['multi_turn']} multi-turn, "
            f"{s['derived']} derived, {s['authored']} authored; sources {s['sources']}"
        )


@bank_app.command("list")
@_handled
def bank_list(directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP)) -> None:
    """The banks in the banks directory (plus the shipped starter banks)."""
    from hegui.assess.service import banks_dir

    typer.echo(
        "starter (starter-generated, starter-should-refuse, starter-should-not-refuse): shipped with hegui"
    )
    d = banks_dir(directory)
    for p in sorted(d.glob("*.jsonl*")) if d.exists() else []:
        typer.echo(p.name.split(".jsonl")[0])


# ------------------------------------------------------------------------------------------------ runs


def _progress_cb(progress: Progress) -> tuple[Callable[[int, int], None], Callable[[str], None]]:
    """(answers done, phase) callbacks driving one progress bar."""
    task = progress.add_task("answers", total=None)

    def cb(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    def phase(name: str) -> None:
        progress.update(task, description=name)

    return cb, phase


def _finish(run_id: str, summary: Any, totals: Any, as_json: bool) -> None:
    payload = {"run_id": run_id, **summary.to_json(), "totals": totals.to_json()}
    if as_json:
        _json(payload)
    else:
        for kind, r in summary.banks.items():
            typer.echo(
                f"{kind}: {r.k}/{r.n} = {r.rate:.1%} (95% {r.ci_low:.1%}-{r.ci_high:.1%}; "
                f"{'≥' if r.direction == 'min' else '≤'}{r.threshold:.0%}) → {r.outcome}"
            )
            for m, mr in summary.methods.get(kind, {}).items():
                typer.echo(f"    {m}: {mr.rate:.1%} (n={mr.n}) → {mr.outcome}")
        typer.echo(f"report: hegui assess report {run_id}", err=True)
    if any(r.outcome != "conforms" for r in summary.banks.values()):
        raise typer.Exit(EXIT_FINDINGS)


def _progress() -> Progress:
    return progress_bar(enabled=sys.stderr.isatty(), console=err)


def _lexicon(path: Path | None) -> Any:
    if path is None:
        return None
    from hegui.screen.lexicon import load

    return load(path)


@app.command("run")
@_handled
def run_cmd(
    endpoint: str = typer.Option(
        ..., "--endpoint", help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1"
    ),
    model: str = typer.Option(..., "--model", help="Model name the endpoint serves."),
    bank: list[str] = typer.Option(None, "--bank", help="Bank name or file (repeatable; default: starter)."),
    plan_name: str = typer.Option(
        "standard", "--plan", help="standard (the sampling minimums) or full (every question)."
    ),
    concurrency: int = typer.Option(16, "--concurrency", help="Requests in flight at most."),
    system: str = typer.Option(
        "", "--system", help="System prompt (the one the service uses in production)."
    ),
    temperature: float = typer.Option(0.0, "--temperature"),
    max_tokens: int = typer.Option(512, "--max-tokens"),
    stream: bool = typer.Option(False, "--stream", help="Ask for streamed answers."),
    rpm: float | None = typer.Option(None, "--rpm", help="Requests per minute at most."),
    tpm: float | None = typer.Option(None, "--tpm", help="Tokens per minute at most."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds per attempt."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (same seed, same sample)."),
    sample: list[str] = typer.Option(
        None, "--sample", help="KIND=N: sample size for one bank kind (below the minimum: undecided)."
    ),
    judges: str = typer.Option(
        "keyword,classifier,refusal",
        "--judges",
        help="Comma list: keyword, classifier, refusal, refusal-rules, llm.",
    ),
    judge_endpoint: str | None = typer.Option(None, "--judge-endpoint", help="Endpoint of the LLM judge."),
    judge_model: str | None = typer.Option(None, "--judge-model", help="Model of the LLM judge."),
    policy: str = typer.Option(
        "human-first", "--policy", help="Final verdict: human-first, strict, majority, only:JUDGE."
    ),
    api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--api-key-env", help="Environment variable with the API key."
    ),
    price_in: float = typer.Option(0.0, "--price-in", help="Price per million prompt tokens."),
    price_out: float = typer.Option(0.0, "--price-out", help="Price per million completion tokens."),
    lexicon: Path | None = typer.Option(
        None, "--lexicon", help="Keyword library for the keyword judge (default: demo)."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON summary on stdout."),
) -> None:
    """Sample the banks, ask the endpoint (every answer stored as it arrives), judge, and summarise."""
    from hegui.assess import service
    from hegui.assess.client import ChatParams, Limits, Prices
    from hegui.assess.run import RunSpec, engine_for

    if plan_name not in ("standard", "full"):
        raise UsageError("--plan must be standard or full")
    sizes: dict[str, int] = {}
    for s in sample or []:
        k, _, n = s.partition("=")
        if not n.isdigit():
            raise UsageError(f"--sample {s!r}: use KIND=N, e.g. generated=1000")
        sizes[_kind(k)] = int(n)
    spec = RunSpec(
        endpoint,
        model,
        ChatParams(system, temperature, max_tokens, None, stream),
        Limits(concurrency=concurrency, rpm=rpm, tpm=tpm, timeout=timeout),
        plan_name,  # type: ignore[arg-type]
        seed,
        Prices(price_in, price_out),
        sizes,
    )
    engine = engine_for(db)
    banks = service.resolve_banks(bank or ["starter"], directory=directory)
    run_id = service.start(
        engine,
        spec,
        banks,
        judges=[j.strip() for j in judges.split(",") if j.strip()],
        policy=policy,
        judge_endpoint=judge_endpoint,
        judge_model=judge_model,
    )
    typer.echo(f"run {run_id}", err=True)
    key = os.environ.get(api_key_env)
    with _progress() as progress:
        cb, phase = _progress_cb(progress)
        totals, summary = service.resume(
            engine,
            run_id,
            api_key=key,
            judge_api_key=key,
            progress=cb,
            on_phase=phase,
            lexicon=_lexicon(lexicon),
        )
    _finish(run_id, summary, totals, as_json)


@app.command("resume")
@_handled
def resume_cmd(
    run_id: str = typer.Argument(..., help="The run id printed at the start of 'hegui assess run'."),
    concurrency: int | None = typer.Option(None, "--concurrency"),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env"),
    lexicon: Path | None = typer.Option(None, "--lexicon"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON summary on stdout."),
) -> None:
    """Continue a run: ask only what has no stored answer, then judge and summarise."""
    from hegui.assess import service
    from hegui.assess.run import engine_for

    engine = engine_for(db)
    key = os.environ.get(api_key_env)
    typer.echo(f"run {run_id}", err=True)
    with _progress() as progress:
        cb, phase = _progress_cb(progress)
        totals, summary = service.resume(
            engine,
            run_id,
            api_key=key,
            judge_api_key=key,
            concurrency=concurrency,
            progress=cb,
            on_phase=phase,
            lexicon=_lexicon(lexicon),
        )
    _finish(run_id, summary, totals, as_json)


@app.command("runs")
@_handled
def runs_cmd(
    db: str | None = typer.Option(None, "--db", help=DB_HELP), as_json: bool = typer.Option(False, "--json")
) -> None:
    """The runs in the store."""
    from hegui.assess.run import engine_for, runs

    rows = runs(engine_for(db))
    if as_json:
        _json({"runs": rows})
        return
    for r in rows:
        typer.echo(f"{r['id']}  {r['status']:<10} {r['model']}  {r['endpoint']}")


@app.command("report")
@_handled
def report_cmd(
    run_id: str = typer.Argument(...),
    fmt: list[str] = typer.Option(None, "--format", help="html, pdf, xlsx (repeatable; default all)."),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Output folder."),
    lang: str = typer.Option("both", "--lang", help="zh, en or both."),
    lexicon: Path | None = typer.Option(None, "--lexicon", help="Keyword library for 附件4 and clause 8.1."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout (the report's data and the files)."),
) -> None:
    """Clause-by-clause report (HTML, PDF; zh and en) and the Excel attachments (附件4, 附件5)."""
    from hegui.assess.report import collect, write_report
    from hegui.assess.run import engine_for

    if lang not in ("zh", "en", "both"):
        raise UsageError("--lang must be zh, en or both")
    engine = engine_for(db)
    langs = ("zh", "en") if lang == "both" else (lang,)
    lex = _lexicon(lexicon)
    with err.status("writing the report"):
        paths = write_report(
            engine, run_id, out, formats=fmt or ("html", "pdf", "xlsx"), langs=langs, lexicon=lex
        )
    if as_json:
        _json({"files": [str(p) for p in paths], "report": collect(engine, run_id, lexicon=lex).to_json()})
    else:
        for p in paths:
            typer.echo(str(p))


@review_app.command("export")
@_handled
def review_export(
    run_id: str = typer.Argument(...),
    out: Path = typer.Option(..., "--out", "-o", help="FILE.xlsx to fill in."),
    disputed: bool = typer.Option(
        False, "--disputed", help="Only answers on which the automatic judges disagree."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Write the answers with the automatic verdict and an empty 人工研判 column."""
    from hegui.assess.review import export
    from hegui.assess.run import engine_for

    n = export(engine_for(db), run_id, out, only_disputed=disputed)
    typer.echo(f"wrote {out} ({n} answers to review)", err=True)


@review_app.command("import")
@_handled
def review_import(
    file: Path = typer.Argument(..., help="The filled-in review workbook."),
    run_id: str | None = typer.Option(None, "--run", help="Run id (default: the sheet name)."),
    policy: str | None = typer.Option(None, "--policy", help="Final verdict policy (default: the run's)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Store the human verdicts and recompute the final verdicts."""
    from hegui.assess.review import import_
    from hegui.assess.run import engine_for

    n = import_(engine_for(db), file, run_id=run_id, policy=policy)
    if as_json:
        _json({"imported": n})
    else:
        typer.echo(f"stored {n} human verdicts")
