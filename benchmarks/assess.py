"""Assessment-run throughput against the stand-in server, with the anchors side by side in one run.

    python benchmarks/assess.py [--n 4000] [--latency-n 3000] [--resume-n 10000]

The stand-in runs in its own process (python -m hegui.assess.standin), so client and server each have a core of
a 2-core machine. Three measurements:

1. **zero latency**: requests/s of a full hegui run (client, retries machinery, answers stored in SQLite WAL as
   they arrive) at concurrency 64, next to a bare aiohttp loop that stores nothing (anchor 1.00) and httpx's async
   client (the other well-kept choice; fewer requests, it is slow here). Goal: ≥ 500 requests/s.
2. **saturation**: 50 ms server latency, concurrency 64: the ideal is 64 / 0.05 s = 1,280 requests/s; hegui's
   rate as a share of it. Goal: ≥ 95 %.
3. **resume**: a 10,000-question run with 9,000 answers already stored; seconds from calling ``execute`` to the
   first new request (in process), and from starting ``hegui assess resume`` to the server seeing its first
   request (whole CLI, Python start-up and imports included). Goal: < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hegui.assess import banks, run
from hegui.assess.client import ChatParams, Limits, cache_key


def _bank(n: int, tag: str) -> banks.Bank:
    from hegui.screen import taxonomy

    items = [
        banks.make_item("generated", f"基准问题 {tag} {i}：请简要介绍端午节。", taxonomy.RISK_IDS[i % 31])
        for i in range(n)
    ]
    return banks.Bank(f"bench-{tag}", "generated", items)


class Standin:
    def __init__(self, latency: float) -> None:
        script = json.dumps({"latency": latency, "refuse_rate": 0.3, "unsafe_rate": 0.05})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hegui.assess.standin", "--port", "0", "--script", script],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.url = line.strip().rsplit(" ", 1)[-1]

    def stats(self) -> dict:  # type: ignore[type-arg]
        with urllib.request.urlopen(self.url.replace("/v1", "/_stats")) as r:
            return json.load(r)  # type: ignore[no-any-return]

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(self.url.replace("/v1", "/_reset"), data=b"", method="POST")
        ).close()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def hegui_run(url: str, n: int, tag: str, db: Path, concurrency: int = 64) -> float:
    engine = run.engine_for(f"sqlite:///{db}")
    spec = run.RunSpec(url, "bench", ChatParams(), Limits(concurrency=concurrency), plan="full")
    rid = run.create_run(engine, spec, [_bank(n, tag)])
    t = time.perf_counter()
    totals = run.execute(engine, rid)
    dt = time.perf_counter() - t
    assert totals.asked == n and totals.errors == 0, totals
    return n / dt


def bare_aiohttp(url: str, n: int, tag: str, concurrency: int = 64) -> float:
    import aiohttp

    async def go() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
            q: asyncio.Queue[int] = asyncio.Queue()
            for i in range(n):
                q.put_nowait(i)

            async def worker() -> None:
                while not q.empty():
                    i = q.get_nowait()
                    body = {
                        "model": "bench",
                        "messages": [{"role": "user", "content": f"基准问题 {tag} {i}"}],
                    }
                    async with s.post(url + "/chat/completions", json=body) as r:
                        (await r.json())["choices"][0]["message"]["content"]

            t = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return n / (time.perf_counter() - t)

    return asyncio.run(go())


def bare_httpx(url: str, n: int, tag: str, concurrency: int = 64) -> float:
    import httpx

    async def go() -> float:
        lim = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=lim, timeout=60) as c:
            q: asyncio.Queue[int] = asyncio.Queue()
            for i in range(n):
                q.put_nowait(i)

            async def worker() -> None:
                while not q.empty():
                    i = q.get_nowait()
                    body = {
                        "model": "bench",
                        "messages": [{"role": "user", "content": f"基准问题 {tag} {i}"}],
                    }
                    r = await c.post(url + "/chat/completions", json=body)
                    r.json()["choices"][0]["message"]["content"]

            t = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return n / (time.perf_counter() - t)

    return asyncio.run(go())


def resume_cost(url: str, server: Standin, n: int, db: Path) -> tuple[float, float]:
    engine = run.engine_for(f"sqlite:///{db}")
    spec = run.RunSpec(url, "bench", ChatParams(), Limits(concurrency=64), plan="full")
    bank = _bank(n, "resume")
    rid = run.create_run(engine, spec, [bank])
    done = bank.items[: n - n // 10]
    from sqlalchemy import insert

    from hegui.assess.models import AssessAnswer

    with engine.begin() as conn:  # the state a killed run leaves: 90 % answered
        conn.execute(
            insert(AssessAnswer),
            [
                {
                    "cache_key": cache_key("bench", spec.params, it.messages()),
                    "model": "bench",
                    "answer": "好的。",
                    "finish_reason": "stop",
                    "prompt_tokens": 10,
                    "completion_tokens": 3,
                    "latency_ms": 1.0,
                    "attempts": 1,
                    "error": "",
                }
                for it in done
            ],
        )
    # whole CLI: from process start to the server seeing the first request (then stop it: only the start counts)
    server.reset()
    env = {**os.environ}
    t0 = time.time()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from hegui.cli.main import app; app()",
            "assess",
            "resume",
            rid,
            "--db",
            f"sqlite:///{db}",
            "--json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    first = None
    while first is None and time.time() - t0 < 60:
        time.sleep(0.01)
        first = server.stats()["first_at"]
    proc.kill()
    proc.wait()
    cli = (first or float("nan")) - t0
    # in process, on a fresh copy of the same state (the CLI run above may have stored some answers)
    rid2 = run.create_run(engine, spec, [bank])
    with engine.begin() as conn:
        from sqlalchemy import delete

        keys = [cache_key("bench", spec.params, it.messages()) for it in bank.items[n - n // 10 :]]
        conn.execute(delete(AssessAnswer).where(AssessAnswer.cache_key.in_(keys)))
    totals = run.execute(engine, rid2)
    assert totals.asked == n // 10, totals
    return float(totals.first_request_s or 0.0), cli


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--httpx-n", type=int, default=600)
    ap.add_argument("--latency-n", type=int, default=3000)
    ap.add_argument("--resume-n", type=int, default=10000)
    args = ap.parse_args(argv)
    con = Console()
    tmp = Path(tempfile.mkdtemp(prefix="hegui-bench-"))
    con.print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    fast = Standin(0.0)
    try:
        bare = bare_aiohttp(fast.url, args.n, "bare")
        hx = bare_httpx(fast.url, args.httpx_n, "httpx")
        ours = hegui_run(fast.url, args.n, "hegui", tmp / "a.db")
        first, cli = resume_cost(fast.url, fast, args.resume_n, tmp / "r.db")
    finally:
        fast.close()
    slow = Standin(0.05)
    try:
        ideal = 64 / 0.05
        bare_sat = bare_aiohttp(slow.url, args.latency_n, "bare-latency")
        sat = hegui_run(slow.url, args.latency_n, "latency", tmp / "b.db")
    finally:
        slow.close()
    t = Table(title="hegui assess: requests per second against the stand-in (concurrency 64)")
    for col in ("measurement", "value", "ratio", "goal"):
        t.add_column(col)
    t.add_row("bare aiohttp loop, no store (anchor), 0 ms", f"{bare:,.0f} req/s", "1.00", "")
    t.add_row("httpx AsyncClient loop, no store, 0 ms", f"{hx:,.0f} req/s", f"{hx / bare:.2f}", "")
    t.add_row(
        "hegui run (stores every answer, SQLite WAL), 0 ms",
        f"{ours:,.0f} req/s",
        f"{ours / bare:.2f}",
        "≥ 500 req/s",
    )
    t.add_row(
        "bare aiohttp loop, 50 ms latency (ideal 1,280 req/s)",
        f"{bare_sat:,.0f} req/s",
        f"{bare_sat / ideal:.1%} of ideal",
        "",
    )
    t.add_row(
        "hegui run, 50 ms latency (ideal 1,280 req/s)",
        f"{sat:,.0f} req/s",
        f"{sat / ideal:.1%} of ideal",
        "≥ 95 %",
    )
    t.add_row(
        f"resume {args.resume_n:,}-item run, in process: call → first request", f"{first:.3f} s", "", "< 2 s"
    )
    t.add_row(
        f"resume {args.resume_n:,}-item run, CLI: process start → first request", f"{cli:.3f} s", "", "< 2 s"
    )
    con.print(t)
    con.print(
        f"load average while measuring: {os.getloadavg()[0]:.1f} (other work on the machine skews every row)"
    )


if __name__ == "__main__":
    main()
