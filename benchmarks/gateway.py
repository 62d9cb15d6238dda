"""Latency the gateway adds, against a mock upstream with 60 ms latency, in one run:

* direct to the upstream (the floor);
* through a plain pass-through proxy on the same stack (Starlette + httpx, no screening): what any proxy costs;
* through the hegui gateway with a 10,000-keyword lexicon + personal information + the risk classifier.

    python benchmarks/gateway.py [--rps 200] [--seconds 10] [--latency-ms 60] [--no-classify]

Each path gets an open-loop load of ``--rps`` requests a second (one short Chinese prompt, non-streaming) and a
streamed run (time to first content token). Servers run as separate processes on loopback; the load generator is
this process. Added latency = percentile of the path minus the same percentile direct. On a 2-core machine the
load generator, the upstream and the proxy share the cores: the figures are upper bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROMPTS = (
    "请帮我写一封请假邮件，理由是家里有事，时间是下周一到周三。",
    "杭州有哪些适合周末去的景点？请按交通方便程度排序。",
    "用 Python 写一个函数，判断一个字符串是不是回文。",
    "我的手机号是13812345678，帮我写一段自我介绍。",
)

PROXY = """
import httpx, sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
import uvicorn
up = sys.argv[1]
client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=512, max_keepalive_connections=128))
async def chat(request):
    body = await request.body()
    r = await client.post(up + "/chat/completions", content=body, headers={"content-type": "application/json"})
    return Response(r.content, status_code=r.status_code, media_type="application/json")
uvicorn.run(Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])]), host="127.0.0.1",
            port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.args}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {url}")


def lexicon_file(folder: Path, n: int) -> Path:
    rng = random.Random(3)
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
    kws: set[str] = set()
    while len(kws) < n:
        kws.add("".join(rng.choice(han) for _ in range(rng.randint(3, 6))))
    p = folder / "lexicon.csv"
    p.write_text("关键词,二级分类\n" + "".join(f"{k},A.1.h\n" for k in sorted(kws)), encoding="utf-8")
    return p


async def load(url: str, rps: float, seconds: float) -> list[float]:
    """Open loop: send at a fixed rate whatever the replies do; latency of each request in ms."""
    lat: list[float] = []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1000)) as c:

        async def one(i: int) -> None:
            body = {
                "model": "m",
                "user": f"u{i % 50}",
                "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
            }
            t = time.perf_counter()
            r = await c.post(url, json=body)
            if r.status_code == 200:
                lat.append((time.perf_counter() - t) * 1000)

        tasks = []
        start = time.perf_counter()
        n = int(rps * seconds)
        for i in range(n):
            delay = start + i / rps - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return lat


async def first_token(url: str, n: int) -> list[float]:
    out: list[float] = []
    async with httpx.AsyncClient(timeout=30) as c:
        for i in range(n):
            body = {
                "model": "m",
                "stream": True,
                "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
            }
            t = time.perf_counter()
            async with c.stream("POST", url, json=body) as r:
                async for line in r.aiter_lines():
                    if (
                        line.startswith("data: {")
                        and '"content":"' in line.replace(" ", "")
                        and '"content":""' not in line.replace(" ", "")
                    ):
                        out.append((time.perf_counter() - t) * 1000)
                        break
    return out


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rps", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--latency-ms", type=float, default=60)
    ap.add_argument("--keywords", type=int, default=10000)
    ap.add_argument("--no-classify", action="store_true")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            up_port, px_port, gw_port = free_port(), free_port(), free_port()
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "hegui.gateway.standin",
                        "--port",
                        str(up_port),
                        "--latency-ms",
                        str(args.latency_ms),
                    ],
                    env=env,
                )
            )
            up = f"http://127.0.0.1:{up_port}/v1"
            wait(up + "/models", procs[-1])
            script = folder / "proxy.py"
            script.write_text(PROXY, encoding="utf-8")
            procs.append(subprocess.Popen([sys.executable, str(script), up, str(px_port)], env=env))
            wait(f"http://127.0.0.1:{px_port}/v1/chat/completions", procs[-1])
            lex = lexicon_file(folder, args.keywords)
            cmd = [sys.executable, "-m", "hegui", "gateway", "--upstream", up, "--port", str(gw_port), "--db",
                   f"sqlite:///{folder / 'gw.db'}", "--lexicon", str(lex)]  # fmt: skip
            cmd.append("--no-classify" if args.no_classify else "--classify")
            procs.append(subprocess.Popen(cmd, env=env))
            wait(f"http://127.0.0.1:{gw_port}/healthz", procs[-1])
            paths = {
                "direct": up + "/chat/completions",
                "pass-through proxy": f"http://127.0.0.1:{px_port}/v1/chat/completions",
                "hegui gateway": f"http://127.0.0.1:{gw_port}/v1/chat/completions",
            }
            results = {}
            for name, url in paths.items():
                asyncio.run(load(url, 20, 1))  # warm connections and caches
                lat = asyncio.run(load(url, args.rps, args.seconds))
                ft = asyncio.run(first_token(url, 30)) if name != "pass-through proxy" else []
                results[name] = (lat, ft)
                print(f"{name}: {len(lat)} ok of {int(args.rps * args.seconds)}")
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=20)
    base_lat, base_ft = results["direct"]
    print(f"\nmock upstream latency {args.latency_ms} ms; open loop {args.rps} req/s for {args.seconds} s; "
          f"gateway: {args.keywords} keywords + PII{'' if args.no_classify else ' + classifier'}")  # fmt: skip
    print(
        f"{'path':<22}{'p50 ms':>9}{'p99 ms':>9}{'added p50':>11}{'added p99':>11}{'1st token ms':>14}{'added':>8}"
    )
    for name, (lat, ft) in results.items():
        p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
        ftm = statistics.median(ft) if ft else float("nan")
        print(
            f"{name:<22}{p50:>9.2f}{p99:>9.2f}{p50 - pct(base_lat, 0.5):>11.2f}{p99 - pct(base_lat, 0.99):>11.2f}"
            f"{ftm:>14.2f}{(ftm - statistics.median(base_ft)) if ft else float('nan'):>8.2f}"
        )
    print(json.dumps({k: {"p50": pct(v[0], 0.5), "p99": pct(v[0], 0.99)} for k, v in results.items()}))


if __name__ == "__main__":
    main()
