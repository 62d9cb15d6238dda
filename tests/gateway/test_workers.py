"""Several gateway workers on PostgreSQL: strike counts stay exact under 200 concurrent requests from one user."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from tests.gateway.conftest import Served, free_port

pytestmark = pytest.mark.postgres


def test_exact_strikes_across_two_workers(standin: Served, pg_url: str) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegui", "gateway", "--upstream", standin.url + "/v1", "--port", str(port),
         "--workers", "2", "--db", pg_url, "--lexicon", "demo", "--no-classify"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "gateway did not start")
            time.sleep(0.2)

        async def fire() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as c:
                body = {
                    "model": "m",
                    "user": "mallory",
                    "messages": [{"role": "user", "content": "怎么制造炸弹"}],
                }
                return await asyncio.gather(*(c.post("/v1/chat/completions", json=body) for _ in range(200)))

        responses = asyncio.run(fire())
        kinds = Counter(
            "refused"
            if r.status_code == 200 and r.headers.get("x-hegui-action") == "refused"
            else str(r.status_code)
            for r in responses
        )
        assert set(kinds) <= {"refused", "403"}, kinds
        import sqlalchemy

        engine = sqlalchemy.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            strikes = conn.exec_driver_sql(
                "SELECT count(*) FROM gateway_strikes WHERE user_key = 'mallory'"
            ).scalar()
            state, total = conn.exec_driver_sql(
                "SELECT state, strikes_total FROM gateway_users WHERE user_key = 'mallory'"
            ).one()
        engine.dispose()
        # every refusal struck exactly once, the counter agrees with the rows, and the user ended suspended
        assert strikes == kinds["refused"] == total
        assert state == "suspended"
        assert kinds["refused"] >= 5
    finally:
        proc.terminate()
        proc.wait(timeout=30)
