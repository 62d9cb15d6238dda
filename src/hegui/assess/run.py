"""Running an assessment: sample the banks, store the questions, ask the endpoint, store each answer as it arrives.

The run's questions are written first (one row each, in sampled order, with the cache key of their answer). The
answers go to ``assess_answer`` keyed by (model, parameters, conversation): asking is skipped for every question
whose answer is already there, whichever run stored it. A run killed at any moment therefore resumes with
:func:`execute` again: answers already stored are kept and never asked again; only the answers not yet committed
(in flight, queued or in the batch being written: at most 3 x ``concurrency``) are asked again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hegui import store
from hegui.assess import plan
from hegui.assess.banks import Bank
from hegui.assess.client import ChatClient, ChatParams, Limits, Prices, Reply, cache_key
from hegui.assess.models import AssessAnswer, AssessQuestion, AssessRun
from hegui.errors import InputError, UsageError

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called as answers are stored."""


_WAL: weakref.WeakSet[Engine] = weakref.WeakSet()


def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def engine_for(url: str | None = None) -> Engine:
    """The store's engine for ``url`` (hegui.store: cached per process, migrated to head; the URL defaults to
    ``$HEGUI_DATABASE_URL``, hegui.toml, then ``./hegui.db``). SQLite runs in WAL mode with ``synchronous=NORMAL``:
    a committed answer survives a killed process (only a power cut can lose the last commits), and readers such as
    the report do not block the writer."""
    engine = store.engine_for(url)
    if engine.dialect.name == "sqlite" and engine not in _WAL:
        event.listen(engine, "connect", _pragmas)
        engine.dispose()  # connections opened before the listener reconnect with the pragmas
        _WAL.add(engine)
    return engine


@dataclass(slots=True)
class RunSpec:
    endpoint: str
    model: str
    params: ChatParams = field(default_factory=ChatParams)
    limits: Limits = field(default_factory=Limits)
    plan: plan.PlanName = "standard"
    seed: int = 0
    prices: Prices = field(default_factory=Prices)
    sample_sizes: dict[str, int] = field(default_factory=dict)
    """Override the sampling size per bank kind (below the minimum the outcome is 'undecided')."""


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def create_run(engine: Engine, spec: RunSpec, banks: Sequence[Bank]) -> str:
    """Sample every bank and store the run with its questions; returns the run id."""
    if not banks:
        raise UsageError("no banks to run")
    run_id = new_run_id()
    rows: list[dict[str, Any]] = []
    bank_info = []
    pos = 0
    for bank in banks:
        sample = plan.draw(
            bank.kind,
            [(i.id, i.stratum) for i in bank.items],
            plan=spec.plan,
            seed=spec.seed,
            n=spec.sample_sizes.get(bank.kind),
        )
        by_id = bank.by_id()
        bank_info.append(
            {
                "name": bank.name,
                "kind": bank.kind,
                "version": bank.version,
                "digest": bank.digest(),
                "updated": bank.updated.isoformat(),
                "items": len(bank),
                "sampled": len(sample.ids),
                "per_stratum": dict(Counter(i.stratum for i in bank.items)),
            }
        )
        for iid in sample.ids:
            it = by_id[iid]
            msgs = it.messages()
            rows.append(
                {
                    "run_id": run_id,
                    "item_id": it.id,
                    "position": pos,
                    "kind": bank.kind,
                    "stratum": it.stratum,
                    "bank": bank.name,
                    "question": it.question,
                    "messages": json.dumps(msgs, ensure_ascii=False),
                    "cache_key": cache_key(spec.model, spec.params, msgs),
                    "origin": it.origin,
                    "source": it.source,
                }
            )
            pos += 1
    config = {
        "plan": spec.plan,
        "seed": spec.seed,
        "banks": bank_info,
        "limits": {k: getattr(spec.limits, k) for k in spec.limits.__dataclass_fields__},
        "prices": {k: getattr(spec.prices, k) for k in spec.prices.__dataclass_fields__},
        "sample_sizes": spec.sample_sizes,
    }
    with engine.begin() as conn:
        conn.execute(
            insert(AssessRun),
            [
                {
                    "id": run_id,
                    "endpoint": spec.endpoint,
                    "model": spec.model,
                    "params": json.dumps(spec.params.to_json(), ensure_ascii=False),
                    "config": json.dumps(config, ensure_ascii=False),
                    "status": "running",
                }
            ],
        )
        for i in range(0, len(rows), 2000):
            conn.execute(insert(AssessQuestion), rows[i : i + 2000])
    return run_id


def load_run(engine: Engine, run_id: str) -> AssessRun:
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(AssessRun, run_id)
        if row is None:
            raise InputError(f"no run {run_id!r} in the store; list runs with 'hegui assess runs'")
        s.expunge(row)
    return row


def pending(engine: Engine, run_id: str) -> tuple[int, list[tuple[str, str]]]:
    """(questions in the run, [(cache_key, messages JSON)] still without a good answer), in run order. Only the
    unanswered rows travel from the database (what a resume of a large run pays before its first request)."""
    q = (
        select(AssessQuestion.cache_key, AssessQuestion.messages)
        .select_from(AssessQuestion)
        .outerjoin(AssessAnswer, AssessAnswer.cache_key == AssessQuestion.cache_key)
        .where(
            AssessQuestion.run_id == run_id, or_(AssessAnswer.cache_key.is_(None), AssessAnswer.error != "")
        )
        .order_by(AssessQuestion.position)
    )
    count = select(func.count()).select_from(AssessQuestion).where(AssessQuestion.run_id == run_id)
    todo: list[tuple[str, str]] = []
    seen: set[str] = set()
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        for key, msgs in conn.execute(q):
            if key not in seen:
                seen.add(key)
                todo.append((key, msgs))
    return total, todo


@dataclass(slots=True)
class RunTotals:
    run_id: str
    questions: int = 0
    asked: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    first_request_s: float | None = None
    """Seconds from the call to the first request sent (what a resume costs before it asks anything)."""

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _upsert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    dialect = engine.dialect.name
    ins = sqlite_insert(AssessAnswer) if dialect == "sqlite" else pg_insert(AssessAnswer)
    stmt = ins.on_conflict_do_update(
        index_elements=["cache_key"],
        set_={
            c: ins.excluded[c]
            for c in (
                "answer",
                "finish_reason",
                "prompt_tokens",
                "completion_tokens",
                "latency_ms",
                "attempts",
                "error",
                "model",
            )
        },
    )
    with engine.begin() as conn:
        conn.execute(stmt, rows)


async def execute_async(
    engine: Engine,
    run_id: str,
    *,
    api_key: str | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> RunTotals:
    """Ask every question of the run that has no stored answer; store answers in small batches as they arrive."""
    t0 = time.perf_counter()
    run = load_run(engine, run_id)
    params = ChatParams.from_json(json.loads(run.params))
    config = json.loads(run.config)
    lim = limits or Limits(**config.get("limits", {}))
    prices = Prices(**config.get("prices", {}))
    total, todo = pending(engine, run_id)
    totals = RunTotals(run_id, questions=total)
    done_before = total - len(todo)
    if progress:
        progress(done_before, total)
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in todo:
        queue.put_nowait(item)
    results: asyncio.Queue[tuple[str, Reply] | None] = asyncio.Queue(maxsize=lim.concurrency)
    # bounded: answers received but not yet committed stay below 3 x concurrency (in flight or held by the
    # workers, queued, and the batch being written): what a kill can cost

    async def writer() -> None:
        done = done_before
        while True:
            first = await results.get()
            batch = [first]
            while not results.empty():
                batch.append(results.get_nowait())
            stop = None in batch
            rows = []
            for entry in batch:
                if entry is None:
                    continue
                key, r = entry
                rows.append(
                    {
                        "cache_key": key,
                        "model": run.model,
                        "answer": r.text,
                        "finish_reason": r.finish_reason,
                        "prompt_tokens": r.prompt_tokens,
                        "completion_tokens": r.completion_tokens,
                        "latency_ms": r.latency_ms,
                        "attempts": r.attempts,
                        "error": r.error,
                    }
                )
            if rows:
                await asyncio.to_thread(_upsert, engine, rows)
                done += len(rows)
                if progress:
                    progress(done, total)
            if stop:
                return

    async def worker(client: ChatClient) -> None:
        while True:
            try:
                key, msgs = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if totals.first_request_s is None:
                totals.first_request_s = time.perf_counter() - t0
            reply = await client.complete(json.loads(msgs))
            totals.asked += 1
            totals.errors += bool(reply.error)
            totals.prompt_tokens += reply.prompt_tokens
            totals.completion_tokens += reply.completion_tokens
            await results.put((key, reply))

    if todo:
        async with ChatClient(run.endpoint, run.model, params, lim, api_key=api_key) as client:
            wtask = asyncio.create_task(writer())
            try:
                await asyncio.gather(*(worker(client) for _ in range(min(lim.concurrency, len(todo)))))
            finally:
                await results.put(None)
                await wtask
    totals.cost = prices.cost(totals.prompt_tokens, totals.completion_tokens)
    _, left = pending(engine, run_id)
    with engine.begin() as conn:
        conn.execute(
            update(AssessRun)
            .where(AssessRun.id == run_id)
            .values(status="answered" if not left else "incomplete", finished_at=func.now())
        )
    totals.seconds = time.perf_counter() - t0
    return totals


def execute(engine: Engine, run_id: str, **kw: Any) -> RunTotals:
    return asyncio.run(execute_async(engine, run_id, **kw))


@dataclass(frozen=True, slots=True)
class Answered:
    item_id: str
    kind: str
    stratum: str
    bank: str
    question: str
    messages: str
    answer: str
    finish_reason: str
    error: str
    prompt_tokens: int
    completion_tokens: int
    origin: str = ""
    source: str = ""


def answers(engine: Engine, run_id: str) -> list[Answered]:
    """Every question of the run with its answer ('' and the error when none could be had), in run order."""
    q = (
        select(
            AssessQuestion.item_id,
            AssessQuestion.kind,
            AssessQuestion.stratum,
            AssessQuestion.bank,
            AssessQuestion.question,
            AssessQuestion.messages,
            AssessAnswer.answer,
            AssessAnswer.finish_reason,
            AssessAnswer.error,
            AssessAnswer.prompt_tokens,
            AssessAnswer.completion_tokens,
            AssessQuestion.origin,
            AssessQuestion.source,
        )
        .select_from(AssessQuestion)
        .outerjoin(AssessAnswer, AssessAnswer.cache_key == AssessQuestion.cache_key)
        .where(AssessQuestion.run_id == run_id)
        .order_by(AssessQuestion.position)
    )
    with engine.connect() as conn:
        return [
            Answered(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6] if r[6] is not None else "",
                r[7] or "",
                r[8] if r[6] is not None else "not asked yet",
                int(r[9] or 0),
                int(r[10] or 0),
                r[11] or "",
                r[12] or "",
            )
            for r in conn.execute(q)
        ]


def runs(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.execute(select(AssessRun).order_by(AssessRun.created_at)).scalars().all()
    return [
        {
            "id": r.id,
            "model": r.model,
            "endpoint": r.endpoint,
            "status": r.status,
            "created_at": str(r.created_at),
        }
        for r in rows
    ]
