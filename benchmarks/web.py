"""Dashboard page times with real volumes: 100,000 review items and 10,000 evidence files in PostgreSQL (or the
SQLite default with --sqlite), p50 / p95 per page, through HTTP on loopback as a browser would fetch them.

    python benchmarks/web.py [--items 100000] [--evidence 10000] [--requests 60] [--sqlite]

The anchor is the same request to ``/api/health`` (the framework's own floor on this machine), measured in the
same run. Needs the local PostgreSQL at 127.0.0.1:5432 (trust auth) unless --sqlite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy

PASSWORD = "benchmark-password"


def seed(url: str, items: int, evidence_n: int, folder: Path) -> None:
    from hegui.store import engine_for
    from hegui.web import accounts

    engine = engine_for(url)
    accounts.create_user("bench", PASSWORD, "officer", url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        rows = [
            {"queue": "assessment" if i % 2 else "gateway", "source_ref": f"r{i}", "title": f"item {i}", "content": "问：……\n答：……" * 5,
             "suggested_risk": "A.1.d", "status": "pending" if i % 3 else "decided", "assigned_to": "", "created_at": now}
            for i in range(items)
        ]  # fmt: skip
        for i in range(0, len(rows), 10000):
            conn.execute(sqlalchemy.text(
                "INSERT INTO web_review_items (queue, source_ref, title, content, suggested_risk, status, assigned_to, created_at) "
                "VALUES (:queue, :source_ref, :title, :content, :suggested_risk, :status, :assigned_to, :created_at)"
            ), rows[i : i + 10000])  # fmt: skip
        ev = [
            {"service": "小合 AI 助手 (Xiaohe AI assistant)", "duty_id": f"GAI-{i % 30:02d}", "kind": "url", "location": f"https://example.org/e/{i}",
             "sha256": None, "title": f"evidence {i}", "owner": "bench", "evidence_date": now.date(), "review_due": None}
            for i in range(evidence_n)
        ]  # fmt: skip
        conn.execute(sqlalchemy.text(
            "INSERT INTO rules_evidence (service, duty_id, kind, location, sha256, title, owner, evidence_date, review_due) "
            "VALUES (:service, :duty_id, :kind, :location, :sha256, :title, :owner, :evidence_date, :review_due)"
        ), ev)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--evidence", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    import uvicorn

    tmp = Path(tempfile.mkdtemp())
    admin = None
    if args.sqlite:
        url = f"sqlite:///{tmp / 'web.db'}"
    else:
        name = f"hegui_bench_{uuid.uuid4().hex[:8]}"
        admin = sqlalchemy.create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    profile = Path(__file__).resolve().parents[1] / "src/hegui/rules/data/samples/chat-app.yaml"
    os.environ.update(
        HEGUI_DATABASE_URL=url, HEGUI_WEB_PROFILE=str(profile), HEGUI_WEB_EVIDENCE_DIR=str(tmp / "ev")
    )
    t = time.perf_counter()
    seed(url, args.items, args.evidence, tmp)
    print(
        f"seeded {args.items} review items and {args.evidence} evidence rows in {time.perf_counter() - t:.1f} s ({'SQLite' if args.sqlite else 'PostgreSQL'})"
    )
    from hegui.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            c.post("/login", data={"username": "bench", "password": PASSWORD})
            pages = [
                "/api/health",
                "/",
                "/review/assessment",
                "/review/gateway?after=90000",
                "/evidence",
                "/duties",
                "/audit",
                "/logs",
            ]
            print(f"{'page':<32}{'p50 ms':>9}{'p95 ms':>9}")
            for page in pages:
                c.get(page)
                times = []
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    r = c.get(page)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, (page, r.status_code)
                times.sort()
                print(
                    f"{page:<32}{statistics.median(times):>9.1f}{times[int(0.95 * (len(times) - 1))]:>9.1f}"
                )
    finally:
        server.should_exit = True
        time.sleep(0.5)
        from hegui.store import dispose_engines

        dispose_engines()
        if admin is not None:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
