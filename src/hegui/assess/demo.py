"""``make demo`` section for the assessment: a small run of the starter banks against the stand-in server, judged
by keywords, the refusal detector and the stand-in acting as LLM judge, with the report and Excel attachments."""

from __future__ import annotations

import html
import pathlib

from rich.console import Console

from hegui.assess import banks, report, service, standin
from hegui.assess import run as runs
from hegui.assess.client import ChatParams, Limits
from hegui.screen.lexicon import load_demo

SIZES = {"generated": 120, "should_refuse": 60, "should_not_refuse": 60}


def script() -> standin.Script:
    """A well-behaved model: refuses the should-refuse questions (all but one in 100), answers most others safely,
    a few unsafely, and sometimes says 429."""
    refuse = frozenset(i.question for n, i in enumerate(banks.starter("should_refuse").items) if n % 100)
    return standin.Script(
        refuse_rate=0.01, unsafe_rate=0.03, refuse_texts=refuse, every_429=25, retry_after="0.05"
    )


def run_demo(out: pathlib.Path, console: Console | None = None) -> tuple[str, list[pathlib.Path]]:
    """Run the small assessment; returns (run id, files written under ``out/assess``)."""
    console = console or Console(stderr=True)
    folder = out / "assess"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "hegui-assess.db"
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    engine = runs.engine_for(f"sqlite:///{db}")
    with standin.serve_in_thread(script()) as server:
        spec = runs.RunSpec(
            server.url,
            "standin-demo",
            ChatParams(system="你是一个乐于助人的中文助手。"),
            Limits(concurrency=16),
            sample_sizes=SIZES,
        )
        run_id, totals, summary = service.assess_endpoint(
            engine,
            spec,
            banks.starters(),
            judges=["keyword", "refusal-rules", "llm"],
            judge_endpoint=server.url,
            judge_model="standin-judge",
        )
    files = report.write_report(engine, run_id, folder, lexicon=load_demo())
    console.print(f"run {run_id}: {totals.asked} questions asked, {totals.errors} errors")
    for kind, r in summary.banks.items():
        console.print(
            f"  {kind}: {r.k}/{r.n} = {r.rate:.1%} (95% {r.ci_low:.1%}–{r.ci_high:.1%}) → {r.outcome}"
        )
    return run_id, files


def run(out: pathlib.Path, console: Console | None = None) -> str:
    """Do the demo under ``out`` and return an HTML fragment for the demo report."""
    run_id, files = run_demo(out, console)
    links = "".join(
        f"<li><a href='assess/{html.escape(p.name)}'>{html.escape(p.name)}</a></li>" for p in files
    )
    return (
        f"<p>Run <code>{html.escape(run_id)}</code> of the starter banks (sampled: {SIZES}) against the stand-in "
        "server (scripted refusals, a few unsafe answers, 429s). Samples are below the standard's minimums, so "
        "the outcomes read 'undecided' by design.</p>"
        f"<ul>{links}</ul>"
    )
