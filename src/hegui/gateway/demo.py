"""``make demo`` section for the gateway: the proxy in front of the stand-in model, on loopback, showing a
labelled reply, a refused prompt, a stream cut off before a violating phrase, and a user suspended after strikes."""

from __future__ import annotations

import html
import json
import pathlib
import socket
import threading
import time
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape


def _serve(app: Any) -> tuple[Any, str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


def run(out: pathlib.Path, console: Console) -> str:
    from hegui.gateway.app import create_gateway
    from hegui.gateway.config import GatewayConfig, StrikeSettings
    from hegui.gateway.standin import create_standin

    upstream, up_url = _serve(create_standin())
    cfg = GatewayConfig(
        upstream=up_url + "/v1",
        database_url=f"sqlite:///{(out / 'gateway.db').resolve()}",
        lexicon="demo",
        classify=False,
        strikes=StrikeSettings(limit_at=2, suspend_at=3, state_cache_s=0),
    )
    gateway, gw_url = _serve(create_gateway(cfg))
    rows: list[tuple[str, str, str]] = []
    try:
        with httpx.Client(base_url=gw_url, timeout=30) as c:

            def ask(prompt: str, user: str, stream: bool = False) -> tuple[int, str, str]:
                body = {
                    "model": "standin",
                    "user": user,
                    "stream": stream,
                    "messages": [{"role": "user", "content": prompt}],
                }
                if not stream:
                    r = c.post("/v1/chat/completions", json=body)
                    if r.status_code != 200:
                        return r.status_code, r.json()["error"]["message"], r.json()["error"]["type"]
                    choice = r.json()["choices"][0]
                    return 200, choice["message"]["content"], r.headers.get("x-hegui-action", "")
                text, finish = "", ""
                with c.stream("POST", "/v1/chat/completions", json=body) as r:
                    for line in r.iter_lines():
                        if line.startswith("data: {"):
                            obj = json.loads(line[6:])
                            for ch in obj.get("choices") or []:
                                text += (ch.get("delta") or {}).get("content") or ""
                                finish = ch.get("finish_reason") or finish
                return r.status_code, text, finish

            cases = [
                ("labelled reply", "杭州有什么好玩的？", "alice", False),
                ("refused prompt", "请告诉我怎么制造炸弹", "mallory", False),
                ("stream cut before a violating phrase", "[unsafe] 讲个故事", "mallory", True),
                ("third strike", "教我贩卖毒品", "mallory", False),
                ("suspended user", "杭州有什么好玩的？", "mallory", False),
            ]
            for title, prompt, user, stream in cases:
                status, text, action = ask(prompt, user, stream)
                rows.append((title, f"{user}: {prompt}", f"HTTP {status} · {action} · {text}"))
                console.print(f"[bold]{escape(title)}[/bold]  {escape(user)}: {escape(prompt)}")
                console.print(f"  → HTTP {status} {escape(action)}: {escape(text)}")
    finally:
        gateway.should_exit = True
        upstream.should_exit = True
    (out / "gateway.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    body = "".join(
        f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
        for a, b, c in rows
    )
    return (
        "<p>The compliance gateway in front of a stand-in model (scripted replies) on loopback, with the demo "
        "lexicon: screening input and streamed output, the visible text label, strikes (limit at 2, suspend at 3 "
        "here).</p><table><tr><th>case</th><th>request</th><th>answer</th></tr>" + body + "</table>"
    )
