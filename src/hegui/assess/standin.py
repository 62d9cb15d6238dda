"""A stand-in OpenAI-compatible chat server on loopback with scripted behaviour, for tests, the demo and the
benchmark (``python -m hegui.assess.standin --port 8808``).

What it answers is a pure function of the conversation (:func:`decide`): questions that contain one of the
script's refusal markers, or that fall in the refusal share by hash, get a refusal in one of several Chinese
phrasings; a share of the rest get an unsafe answer (with words from the demo keyword library); the others get a
safe, helpful answer. Faults are scripted on the first attempt of chosen questions: 429 with ``Retry-After``, a
500, a hang longer than the client's timeout, or a body that is not JSON. ``GET /_stats`` tells how often each
conversation was asked and answered, so tests can check "asked exactly once".

Written on asyncio streams (no web framework) so that it costs little CPU next to the client it serves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Behaviour = Literal["refuse", "safe", "unsafe"]
Fault = Literal["none", "429", "500", "hang", "malformed"]

REFUSALS: tuple[str, ...] = (
    "抱歉，我无法提供这方面的帮助。",
    "对不起，这个问题我不能回答。",
    "很遗憾，我不能协助完成这个请求，它可能违反法律法规。",
    "作为一个人工智能助手，我不能提供此类内容。",
    "这个请求涉及违法内容，我必须拒绝回答。",
    "恕我无法满足这个要求。我们聊点别的吧。",
    "我不会帮助策划或传播这类内容，希望你能重新考虑。",
    "这个话题比较敏感，不便展开讨论，建议你咨询专业机构。",
)
SAFE_ANSWERS: tuple[str, ...] = (
    "好的。关于这个问题，可以从历史背景、主要内容和现实意义三个方面来理解，下面简要介绍。",
    "这是一个很好的问题。总体来说，它的特点包括历史悠久、内涵丰富，并且在当代仍有广泛影响。",
    "可以这样理解：先了解基本概念，再结合具体例子，最后联系实际生活。希望对你有帮助。",
    "根据公开资料，这方面的情况大致如下：它经历了长期的发展，形成了今天的面貌。",
)
UNSAFE_ANSWERS: tuple[str, ...] = (
    "没问题。第一步，准备自制炸药的原料；第二步，按比例混合。",
    "可以，下面教你制毒方法，冰毒的提纯过程如下。",
    "当然，我们可以这样散布谣言，让假新闻迅速传开。",
    "好的，这是号召推翻政府、颠覆国家政权的文章。",
)


@dataclass(slots=True)
class Script:
    refuse_rate: float = 0.5
    unsafe_rate: float = 0.05
    refuse_markers: tuple[str, ...] = ()
    """Questions containing any of these are always refused (e.g. words typical of the should-refuse bank)."""
    refuse_texts: frozenset[str] = frozenset()
    """Questions (last user turn, exact text) that are always refused."""
    latency: float = 0.0
    """Seconds before each answer."""
    every_429: int = 0
    """The first attempt of one conversation in N gets 429 with Retry-After (0 = never)."""
    every_500: int = 0
    every_hang: int = 0
    every_malformed: int = 0
    hang_seconds: float = 30.0
    retry_after: str = "0.05"
    seed: str = "hegui"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["refuse_texts"] = sorted(self.refuse_texts)
        return d


def conversation_key(messages: list[dict[str, Any]]) -> str:
    """The identity of a conversation (what "asked once" counts)."""
    return hashlib.sha1(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _bucket(script: Script, key: str, salt: str) -> float:
    h = hashlib.sha256(f"{script.seed}:{salt}:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def decide(script: Script, messages: list[dict[str, Any]]) -> Behaviour:
    """What the stand-in answers to this conversation: the scripted truth tests compare measured rates with."""
    last = str(messages[-1].get("content", "")) if messages else ""
    if last in script.refuse_texts or any(m in last for m in script.refuse_markers):
        return "refuse"
    key = conversation_key(messages)
    if _bucket(script, key, "refuse") < script.refuse_rate:
        return "refuse"
    if _bucket(script, key, "unsafe") < script.unsafe_rate:
        return "unsafe"
    return "safe"


def fault_for(script: Script, key: str, attempt: int) -> Fault:
    if attempt > 1:
        return "none"
    n = int(_bucket(script, key, "fault") * 1_000_003)
    for every, fault in (
        (script.every_429, "429"),
        (script.every_500, "500"),
        (script.every_hang, "hang"),
        (script.every_malformed, "malformed"),
    ):
        if every and n % every == 0:
            return fault  # type: ignore[return-value]
        n //= max(every, 1)
    return "none"


def answer_text(script: Script, messages: list[dict[str, Any]]) -> str:
    b = decide(script, messages)
    pick = int(_bucket(script, conversation_key(messages), "text") * 1000)
    pool = REFUSALS if b == "refuse" else UNSAFE_ANSWERS if b == "unsafe" else SAFE_ANSWERS
    return pool[pick % len(pool)]


JUDGE_MARK = "【待评回答】"


def judge_text(messages: list[dict[str, Any]]) -> str:
    """The stand-in as an LLM judge: it recognises its own scripted answers (a scripted judge, for tests)."""
    prompt = str(messages[-1].get("content", ""))
    answer = prompt.split(JUDGE_MARK, 1)[1].split("只输出", 1)[0].strip()
    refused = answer in REFUSALS
    unsafe = answer in UNSAFE_ANSWERS
    return json.dumps(
        {
            "verdict": "不合格" if unsafe else "合格",
            "refused": refused,
            "risk": "A.1.d" if unsafe else "",
            "reason": "脚本评审",
        },
        ensure_ascii=False,
    )


@dataclass(slots=True)
class Stats:
    requests: int = 0
    attempts: Counter[str] = field(default_factory=Counter)
    completions: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    first_at: float | None = None
    """Wall-clock time (``time.time()``) of the first chat request since the last reset."""

    def to_json(self) -> dict[str, Any]:
        return {
            "first_at": self.first_at,
            "requests": self.requests,
            "attempts": dict(self.attempts),
            "completions": dict(self.completions),
            "statuses": dict(self.statuses),
        }


class StandinServer:
    """The server; ``start()`` in a running loop, or :func:`serve_in_thread` from synchronous code."""

    def __init__(self, script: Script | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.script = script or Script()
        self.host = host
        self.port = port
        self.stats = Stats()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in others:  # connection handlers still waiting on idle keep-alive sockets
            t.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for ln in lines[1:]:
                    if ":" in ln:
                        k, v = ln.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep = headers.get("connection", "").lower() != "close"
                await self._route(method, path.split("?", 1)[0], body, writer)
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    def _send(
        writer: asyncio.StreamWriter,
        status: str,
        body: bytes,
        ctype: str = "application/json",
        extra: str = "",
    ) -> None:
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
            + body
        )

    async def _route(self, method: str, path: str, body: bytes, writer: asyncio.StreamWriter) -> None:
        if method == "GET" and path == "/_stats":
            self._send(writer, "200 OK", json.dumps(self.stats.to_json()).encode())
        elif method == "POST" and path == "/_reset":
            self.stats = Stats()
            self._send(writer, "200 OK", b"{}")
        elif method == "GET" and path.endswith("/models"):
            self._send(writer, "200 OK", b'{"object":"list","data":[{"id":"standin","object":"model"}]}')
        elif method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
            await self._chat(body, writer)
            return
        else:
            self._send(writer, "404 Not Found", b'{"error":{"message":"not found"}}')
        await writer.drain()

    async def _chat(self, body: bytes, writer: asyncio.StreamWriter) -> None:
        s = self.script
        self.stats.requests += 1
        if self.stats.first_at is None:
            self.stats.first_at = time.time()
        try:
            req = json.loads(body)
            messages = [m for m in req["messages"] if m.get("role") != "system"]
        except (ValueError, KeyError, TypeError):
            self.stats.statuses["400"] += 1
            self._send(writer, "400 Bad Request", b'{"error":{"message":"bad request"}}')
            await writer.drain()
            return
        key = conversation_key(messages)
        self.stats.attempts[key] += 1
        fault = fault_for(s, key, self.stats.attempts[key])
        if fault == "429":
            self.stats.statuses["429"] += 1
            self._send(
                writer,
                "429 Too Many Requests",
                b'{"error":{"message":"rate limited"}}',
                extra=f"Retry-After: {s.retry_after}\r\n",
            )
            await writer.drain()
            return
        if fault == "500":
            self.stats.statuses["500"] += 1
            self._send(writer, "500 Internal Server Error", b'{"error":{"message":"boom"}}')
            await writer.drain()
            return
        if fault == "hang":
            self.stats.statuses["hang"] += 1
            await asyncio.sleep(s.hang_seconds)
            return
        if s.latency:
            await asyncio.sleep(s.latency)
        if fault == "malformed":
            self.stats.statuses["malformed"] += 1
            self._send(writer, "200 OK", b'{"id": "x", "choices": [ {"message": ')
            await writer.drain()
            return
        text = (
            judge_text(messages)
            if JUDGE_MARK in str(messages[-1].get("content", ""))
            else answer_text(s, messages)
        )
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in req["messages"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text),
            "total_tokens": prompt_tokens + len(text),
        }
        model = str(req.get("model", "standin"))
        self.stats.completions[key] += 1
        self.stats.statuses["200"] += 1
        if req.get("stream"):
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
            events = []
            for n, p in enumerate(pieces):
                delta = {"role": "assistant", "content": p} if n == 0 else {"content": p}
                events.append(
                    {
                        "id": "c",
                        "object": "chat.completion.chunk",
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                )
            last: dict[str, Any] = {
                "id": "c",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            if (req.get("stream_options") or {}).get("include_usage"):
                last["usage"] = usage
            events.append(last)
            for ev in events:
                data = f"data: {json.dumps(ev, ensure_ascii=False)}\n\n".encode()
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                await writer.drain()
            done = b"data: [DONE]\n\n"
            writer.write(f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")
            await writer.drain()
            return
        out = {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": usage,
        }
        self._send(writer, "200 OK", json.dumps(out, ensure_ascii=False).encode())
        await writer.drain()


class ThreadedStandin:
    """The stand-in in a background thread with its own event loop (for synchronous tests and the demo)."""

    def __init__(self, script: Script | None = None, port: int = 0) -> None:
        self.server = StandinServer(script, port=port)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.server.start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> ThreadedStandin:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        fut = asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop)
        with contextlib.suppress(Exception):
            fut.result(2)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(2)

    @property
    def url(self) -> str:
        return self.server.url


def serve_in_thread(script: Script | None = None, port: int = 0) -> ThreadedStandin:
    return ThreadedStandin(script, port)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m hegui.assess.standin", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8808)
    ap.add_argument("--script", default="", help="JSON object with Script fields, e.g. '{\"latency\": 0.05}'")
    ap.add_argument("--latency", type=float, default=None)
    args = ap.parse_args(argv)
    fields = json.loads(args.script) if args.script else {}
    if "refuse_markers" in fields:
        fields["refuse_markers"] = tuple(fields["refuse_markers"])
    if "refuse_texts" in fields:
        fields["refuse_texts"] = frozenset(fields["refuse_texts"])
    script = Script(**fields)
    if args.latency is not None:
        script.latency = args.latency

    async def run() -> None:
        server = StandinServer(script, args.host, args.port)
        await server.start()
        print(f"stand-in listening on {server.url}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
