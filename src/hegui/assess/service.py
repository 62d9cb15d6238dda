"""The assessment's service layer: what the CLI, the demo and the web app call (plain functions, no I/O to the
terminal). ``assess_endpoint()`` samples, asks, judges and summarises in one call; ``resume()`` continues a run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hegui.assess import banks as bankmod
from hegui.assess.banks import Bank
from hegui.assess.judge import (
    ClassifierJudge,
    Judge,
    KeywordJudge,
    LLMJudge,
    Policy,
    RefusalJudge,
    run_judges,
)
from hegui.assess.plan import BANK_KINDS
from hegui.assess.run import Progress, RunSpec, RunTotals, create_run, execute, load_run
from hegui.assess.stats import Summary, summarize
from hegui.errors import UsageError

BANKS_DIR_ENV = "HEGUI_BANKS_DIR"
DEFAULT_JUDGES = ("keyword", "classifier", "refusal")
JUDGE_NAMES = ("keyword", "classifier", "refusal", "refusal-rules", "llm")


def banks_dir(path: str | Path | None = None) -> Path:
    """Where imported banks live: the argument, ``$HEGUI_BANKS_DIR``, ``banks_dir`` under ``[assess]`` in
    hegui.toml, else ``./hegui-banks``."""
    if path or os.environ.get(BANKS_DIR_ENV):
        return Path(path or os.environ[BANKS_DIR_ENV])
    from hegui.config import load_config

    configured = load_config().section("assess").get("banks_dir")
    return Path(str(configured)) if configured else Path("hegui-banks")


def resolve_banks(names: Sequence[str], *, directory: str | Path | None = None) -> list[Bank]:
    """Banks by name: ``starter`` (all three shipped banks), ``starter-<kind>``, a bank imported into the banks
    directory (``<dir>/<name>.jsonl``), or a path to a ``.jsonl`` / ``.jsonl.gz`` / ``.xlsx`` file."""
    out: list[Bank] = []
    for name in names or ["starter"]:
        if name == "starter":
            out += bankmod.starters()
            continue
        if name.startswith("starter-"):
            kind = bankmod.parse_kind(name[len("starter-") :])
            out.append(bankmod.starter(kind))
            continue
        p = Path(name)
        if p.exists():
            out += bankmod.load(p)
            continue
        d = banks_dir(directory)
        for cand in (d / f"{name}.jsonl", d / f"{name}.jsonl.gz"):
            if cand.exists():
                out += bankmod.load(cand)
                break
        else:
            raise UsageError(f"no bank {name!r}: not 'starter', not a file, not in {d}/ (import it first)")
    return out


def merged_by_kind(banks: Sequence[Bank]) -> list[Bank]:
    """One bank per kind (several banks of a kind are merged), in the standard order."""
    by: dict[str, list[Bank]] = {}
    for b in banks:
        by.setdefault(b.kind, []).append(b)
    return [bankmod.merge(by[k]) if len(by[k]) > 1 else by[k][0] for k in BANK_KINDS if k in by]


def make_judges(
    names: Sequence[str],
    *,
    lexicon: Any = None,
    judge_endpoint: str | None = None,
    judge_model: str | None = None,
    judge_api_key: str | None = None,
) -> list[Judge]:
    judges: list[Judge] = []
    for n in names:
        if n == "keyword":
            judges.append(KeywordJudge(lexicon))
        elif n == "classifier":
            judges.append(ClassifierJudge())
        elif n == "refusal":
            judges.append(RefusalJudge(use_model=True))
        elif n == "refusal-rules":
            judges.append(RefusalJudge(use_model=False))
        elif n == "llm":
            if not judge_endpoint or not judge_model:
                raise UsageError("the llm judge needs --judge-endpoint and --judge-model")
            judges.append(LLMJudge(judge_endpoint, judge_model, api_key=judge_api_key))
        else:
            raise UsageError(f"unknown judge {n!r}: use {', '.join(JUDGE_NAMES)}")
    return judges


def start(
    engine: Engine,
    spec: RunSpec,
    banks: Sequence[Bank],
    *,
    judges: Sequence[str] = DEFAULT_JUDGES,
    policy: str = "human-first",
    judge_endpoint: str | None = None,
    judge_model: str | None = None,
) -> str:
    """Create the run (sample and store its questions); the judging setup is kept with it for ``resume``."""
    for n in judges:
        if n not in JUDGE_NAMES:
            raise UsageError(f"unknown judge {n!r}: use {', '.join(JUDGE_NAMES)}")
    Policy.parse(policy)
    run_id = create_run(engine, spec, merged_by_kind(banks))
    _set_config(
        engine,
        run_id,
        {
            "judges": list(judges),
            "policy": policy,
            "judge_endpoint": judge_endpoint,
            "judge_model": judge_model,
        },
    )
    return run_id


def _set_config(engine: Engine, run_id: str, extra: dict[str, Any]) -> None:
    from sqlalchemy import update

    from hegui.assess.models import AssessRun

    run = load_run(engine, run_id)
    config = json.loads(run.config) | extra
    with engine.begin() as conn:
        conn.execute(
            update(AssessRun)
            .where(AssessRun.id == run_id)
            .values(config=json.dumps(config, ensure_ascii=False))
        )


def resume(
    engine: Engine,
    run_id: str,
    *,
    api_key: str | None = None,
    judge_api_key: str | None = None,
    progress: Progress | None = None,
    lexicon: Any = None,
    concurrency: int | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> tuple[RunTotals, Summary]:
    """Ask what is still unanswered, judge every answer, and summarise (also the second half of a fresh run)."""
    from dataclasses import replace

    from hegui.assess.client import Limits

    run = load_run(engine, run_id)
    config = json.loads(run.config)
    limits = Limits(**config.get("limits", {}))
    if concurrency:
        limits = replace(limits, concurrency=concurrency)
    if on_phase:
        on_phase("asking")
    totals = execute(engine, run_id, api_key=api_key, progress=progress, limits=limits)
    if on_phase:
        on_phase("judging: " + ", ".join(config.get("judges", DEFAULT_JUDGES)))
    judges = make_judges(
        config.get("judges", DEFAULT_JUDGES),
        lexicon=lexicon,
        judge_endpoint=config.get("judge_endpoint"),
        judge_model=config.get("judge_model"),
        judge_api_key=judge_api_key,
    )
    run_judges(engine, run_id, judges, policy=Policy.parse(config.get("policy", "human-first")))
    return totals, summarize(engine, run_id)


def assess_endpoint(
    engine: Engine, spec: RunSpec, banks: Sequence[Bank], **kw: Any
) -> tuple[str, RunTotals, Summary]:
    """Sample, ask, judge and summarise in one call."""
    start_kw = {k: kw.pop(k) for k in ("judges", "policy", "judge_endpoint", "judge_model") if k in kw}
    run_id = start(engine, spec, banks, **start_kw)
    totals, summary = resume(engine, run_id, **kw)
    return run_id, totals, summary
