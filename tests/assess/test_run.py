"""End to end against the stand-in: measured rates equal the scripted truth; answers are cached; a run killed
with SIGKILL resumes and nothing stored is asked again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hegui.assess import banks, judge, run, service, standin, stats
from hegui.assess.client import ChatParams, Limits

SIZES = {"generated": 240, "should_refuse": 120, "should_not_refuse": 120}
MARKERS = ("颠覆", "分裂", "恐怖", "歧视")


def _truth(script: standin.Script, engine: Engine, run_id: str) -> dict[str, tuple[int, int]]:
    """(positives, n) per bank from the script: passes for generated content, refusals for the refusal banks."""
    out: dict[str, list[int]] = {}
    for a in run.answers(engine, run_id):
        b = standin.decide(script, json.loads(a.messages))
        pos = b != "unsafe" if a.kind == "generated" else b == "refuse"
        c = out.setdefault(a.kind, [0, 0])
        c[0] += pos
        c[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.mark.parametrize("stream", [False, True])
def test_measured_rates_equal_the_scripted_truth(engine: Engine, stream: bool) -> None:
    script = standin.Script(
        refuse_rate=0.1,
        unsafe_rate=0.15,
        refuse_markers=MARKERS,
        every_429=9,
        every_malformed=13,
        every_500=17,
        retry_after="0",
    )
    with standin.serve_in_thread(script) as s:
        spec = run.RunSpec(
            s.url,
            "m",
            ChatParams(stream=stream),
            Limits(concurrency=16, backoff_base=0.01),
            sample_sizes=SIZES,
        )
        run_id, totals, summary = service.assess_endpoint(
            engine,
            spec,
            banks.starters(),
            judges=["keyword", "refusal-rules", "llm"],
            judge_endpoint=s.url,
            judge_model="judge",
        )
        statuses = s.server.stats.statuses
    assert statuses["429"] and statuses["malformed"] and statuses["500"]  # faults happened and were survived
    assert totals.errors == 0 and totals.asked == sum(SIZES.values())
    truth = _truth(script, engine, run_id)
    for kind, (k, n) in truth.items():
        assert (summary.banks[kind].k, summary.banks[kind].n) == (k, n), kind
        for method, r in summary.methods[kind].items():
            assert (r.k, r.n) == (k, n), (kind, method)
    # the script refuses in several phrasings and answers unsafely sometimes: both kinds of answer occurred
    assert 0 < truth["generated"][0] < truth["generated"][1]
    assert 0 < truth["should_refuse"][0] < truth["should_refuse"][1]
    kappas = {(a["a"], a["b"]): a["kappa"] for a in judge.agreement(engine, run_id)}
    assert kappas[("keyword", "llm")] == 1.0 and kappas[("llm", "refusal")] == 1.0


def test_answers_are_cached_across_runs(engine: Engine) -> None:
    with standin.serve_in_thread(standin.Script()) as s:
        spec = run.RunSpec(
            s.url, "m", sample_sizes={"generated": 50, "should_refuse": 20, "should_not_refuse": 20}
        )
        r1 = run.create_run(engine, spec, banks.starters())
        t1 = run.execute(engine, r1)
        r2 = run.create_run(engine, spec, banks.starters())
        t2 = run.execute(engine, r2)
        other = run.RunSpec(s.url, "m", ChatParams(temperature=0.5), sample_sizes=spec.sample_sizes)
        t3 = run.execute(engine, run.create_run(engine, other, banks.starters()))
        seen = sum(s.server.stats.completions.values())
    assert (t1.asked, t2.asked, t3.asked) == (90, 0, 90)
    assert seen == 180
    assert [a.answer for a in run.answers(engine, r1)] == [a.answer for a in run.answers(engine, r2)]


def test_failed_answers_are_asked_again_on_resume(engine: Engine) -> None:
    script = standin.Script(every_500=2)
    with standin.serve_in_thread(script) as s:
        spec = run.RunSpec(s.url, "m", limits=Limits(max_attempts=1), sample_sizes={"should_refuse": 40})
        rid = run.create_run(engine, spec, [banks.starter("should_refuse")])
        first = run.execute(engine, rid)
        assert first.errors > 0 and run.load_run(engine, rid).status == "incomplete"
        again = run.execute(engine, rid)
    assert again.asked == first.errors and again.errors == 0
    assert run.load_run(engine, rid).status == "answered"
    summary = stats.summarize(engine, rid)
    assert summary.unanswered == {}


def _hegui(*args: str, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", "from hegui.cli.main import app; app()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,  # type: ignore[call-overload]
    )


def _stored(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("select cache_key from assess_answer where error = ''")}
    finally:
        con.close()


def test_sigkill_then_resume_loses_nothing_and_repeats_only_in_flight(tmp_path: Path) -> None:
    script = standin.Script(refuse_rate=0.5, unsafe_rate=0.1, latency=0.05)  # slow enough to kill mid-run
    db = tmp_path / "kill.db"
    url = f"sqlite:///{db}"
    concurrency = 8
    with standin.serve_in_thread(script) as s:
        proc = _hegui(
            "assess",
            "run",
            "--endpoint",
            s.url,
            "--model",
            "m",
            "--concurrency",
            str(concurrency),
            "--db",
            url,
            "--judges",
            "keyword,refusal-rules",
            "--sample",
            "generated=300",
            "--sample",
            "should-refuse=150",
            "--sample",
            "should-not-refuse=150",
            "--json",
        )
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("run "), first
        run_id = first.split()[1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if db.exists() and len(_stored(db) if db.stat().st_size else ()) >= 100:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        stored_at_kill = _stored(db)
        assert 100 <= len(stored_at_kill) < 600  # killed in the middle
        res = _hegui("assess", "resume", run_id, "--db", url, "--json")
        out, errs = res.communicate(timeout=120)
        assert res.returncode in (0, 1), errs
        with urllib.request.urlopen(s.url.replace("/v1", "/_stats")) as r:
            server = json.load(r)
    engine = run.engine_for(url)
    items = run.answers(engine, run_id)
    assert len(items) == 600 and all(a.answer and not a.error for a in items)
    done = Counter(server["completions"])
    keys = {a.item_id: standin.conversation_key(json.loads(a.messages)) for a in items}
    from hegui.assess.client import cache_key

    ckeys = {a.item_id: cache_key("m", ChatParams(), json.loads(a.messages)) for a in items}
    asked_twice = {iid for iid, k in keys.items() if done[k] > 1}
    assert all(done[keys[iid]] >= 1 for iid in keys)  # every question reached the server
    assert not any(ckeys[iid] in stored_at_kill for iid in asked_twice)  # nothing stored was asked again
    assert len(asked_twice) <= 3 * concurrency  # only what was in flight, queued or being written
    assert sum(done.values()) == 600 + len(asked_twice)
    payload = json.loads(out)
    assert set(payload["banks"]) == {"generated", "should_refuse", "should_not_refuse"}
    for b in payload["banks"].values():
        assert {"n", "rate", "ci_low", "ci_high", "threshold", "outcome"} <= set(b)
    truth = _truth(script, engine, run_id)
    assert {k: (v["k"], v["n"]) for k, v in payload["banks"].items()} == truth


@pytest.mark.postgres
def test_postgres_store() -> None:
    """The same run on PostgreSQL, in a database of its own (created here, dropped afterwards)."""
    import uuid

    import psycopg
    from psycopg import sql

    admin = os.environ.get("HEGUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"hegui_assess_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{admin.rsplit('/', 1)[0]}/{name}"
    try:
        engine = run.engine_for(url)
        with standin.serve_in_thread(standin.Script(refuse_rate=0.4)) as s:
            sizes = {"generated": 40, "should_refuse": 30, "should_not_refuse": 30}
            spec = run.RunSpec(s.url, "m", sample_sizes=sizes)
            rid, totals, summary = service.assess_endpoint(
                engine, spec, banks.starters(), judges=["keyword", "refusal-rules"]
            )
            again = run.execute(engine, rid)
        assert engine.dialect.name == "postgresql"
        assert totals.asked == 100 and again.asked == 0
        assert summary.banks["should_refuse"].n == 30
    finally:
        from hegui.store import dispose_engines

        dispose_engines()
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
