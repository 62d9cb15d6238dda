"""Async client for any OpenAI-compatible chat endpoint (vLLM, Ollama, SGLang, LM Studio, hosted APIs).

Built on aiohttp: on the project's 2-core machine httpx's async client measured ~100-200 requests/s against the
stand-in where aiohttp reached ~1,300 (docs/assess.md), and the assessment must not be the bottleneck.

Streaming or not, system prompt, sampling parameters and multi-turn conversations; a concurrency cap plus
requests-per-minute and tokens-per-minute limits; retries with exponential backoff and jitter that honour
``Retry-After`` (seconds or an HTTP date) on 429, 408 and 5xx, on timeouts, on dropped connections and on bodies
that are not the JSON promised. A 400 whose body says the provider's own content filter blocked the request is
not an error: it is the service refusing (finish reason ``content_filter``, empty text).
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import hashlib
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from hegui.errors import InputError, UsageError
from hegui.extras import require

require("assess", "aiohttp")

import aiohttp  # noqa: E402 - after the check that names the extra

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524})
CONTENT_FILTER_HINTS = (
    "content_filter",
    "data_inspection",
    "inappropriate",
    "sensitive",
    "敏感",
    "违规",
    "content policy",
)


@dataclass(frozen=True, slots=True)
class ChatParams:
    """What is sent besides the conversation; part of the cache key (so a changed prompt asks again)."""

    system: str = ""
    temperature: float | None = 0.0
    max_tokens: int | None = 512
    top_p: float | None = None
    stream: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChatParams:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def body(self, model: str, messages: list[dict[str, str]]) -> dict[str, Any]:
        msgs = ([{"role": "system", "content": self.system}] if self.system else []) + messages
        out: dict[str, Any] = {"model": model, "messages": msgs}
        for k in ("temperature", "max_tokens", "top_p"):
            v = getattr(self, k)
            if v is not None:
                out[k] = v
        if self.stream:
            out["stream"] = True
            out["stream_options"] = {"include_usage": True}
        out.update(self.extra)
        return out


def cache_key(model: str, params: ChatParams, messages: list[dict[str, str]]) -> str:
    """sha256 over the model, the parameters that shape the answer, and the conversation."""
    material = {
        "model": model,
        "system": params.system,
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "top_p": params.top_p,
        "extra": params.extra,
        "messages": messages,
    }
    return hashlib.sha256(
        json.dumps(material, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()


@dataclass(frozen=True, slots=True)
class Limits:
    concurrency: int = 16
    rpm: float | None = None
    """Requests per minute (None: unlimited)."""
    tpm: float | None = None
    """Tokens per minute, prompt plus completion (None: unlimited)."""
    timeout: float = 120.0
    """Seconds for one attempt, connection to last byte."""
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError("concurrency must be at least 1")
        if self.max_attempts < 1:
            raise UsageError("max_attempts must be at least 1")


@dataclass(frozen=True, slots=True)
class Prices:
    """Price per million tokens, in whatever currency the user reports in."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    currency: str = "CNY"

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6


@dataclass(slots=True)
class Reply:
    text: str
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    attempts: int = 1
    error: str = ""
    tokens_estimated: bool = False


class RateLimiter:
    """Requests-per-minute spacing plus a sliding one-minute token window (``window`` seconds; tests shorten it)."""

    def __init__(self, rpm: float | None, tpm: float | None, *, window: float = 60.0) -> None:
        self.window = window
        self.interval = window / rpm if rpm else 0.0
        self.tpm = tpm
        self._next = 0.0
        self._window: collections.deque[tuple[float, int]] = collections.deque()
        self._used = 0
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int) -> None:
        if not self.interval and not self.tpm:
            return
        async with self._lock:
            now = time.monotonic()
            if self.interval:
                wait = self._next - now
                if wait > 0:
                    await asyncio.sleep(wait)
                    now = time.monotonic()
                self._next = max(now, self._next) + self.interval
            if self.tpm:
                tokens = min(tokens, int(self.tpm))
                while True:
                    while self._window and self._window[0][0] <= now - self.window:
                        self._used -= self._window.popleft()[1]
                    if self._used + tokens <= self.tpm or not self._window:
                        break
                    await asyncio.sleep(max(0.01, self._window[0][0] + self.window - now))
                    now = time.monotonic()
                self._window.append((now, tokens))
                self._used += tokens

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token window once the real usage is known."""
        if self.tpm and self._window:
            self._used += actual - estimated


def estimate_tokens(text: str) -> int:
    """Rough count when the server reports none: ~1 token per CJK character, ~4 Latin characters per token."""
    cjk = sum(1 for ch in text if ord(ch) > 0x2E7F)
    return cjk + math.ceil((len(text) - cjk) / 4)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` if absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Retry(Exception):
    def __init__(self, why: str, wait: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.wait = wait


def chat_url(endpoint: str) -> str:
    e = endpoint.rstrip("/")
    if not e.startswith(("http://", "https://")):
        raise UsageError(f"endpoint {endpoint!r} must start with http:// or https://")
    if e.endswith("/chat/completions"):
        return e
    return e + "/chat/completions"


class ChatClient:
    """``async with ChatClient(endpoint, model) as c: reply = await c.complete(messages)``."""

    def __init__(
        self,
        endpoint: str,
        model: str,
        params: ChatParams | None = None,
        limits: Limits | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.url = chat_url(endpoint)
        self.model = model
        self.params = params or ChatParams()
        self.limits = limits or Limits()
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.limiter = RateLimiter(self.limits.rpm, self.limits.tpm)
        self._session: aiohttp.ClientSession | None = None
        self._rng = random.Random()

    async def __aenter__(self) -> ChatClient:
        connector = aiohttp.TCPConnector(limit=self.limits.concurrency, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.limits.timeout),
            headers=self.headers,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def _backoff(self, attempt: int) -> float:
        base = min(self.limits.backoff_cap, self.limits.backoff_base * 2 ** (attempt - 1))
        return base * (0.5 + self._rng.random() / 2)

    async def complete(self, messages: list[dict[str, str]]) -> Reply:
        """One answer, retried as configured; a reply with ``error`` set when every attempt failed."""
        if self._session is None:
            raise UsageError("use 'async with ChatClient(...)'")
        body = self.params.body(self.model, messages)
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        limited = bool(self.limits.rpm or self.limits.tpm)
        est = 0
        if self.limits.tpm:
            est = estimate_tokens("".join(m["content"] for m in body["messages"])) + (
                self.params.max_tokens or 256
            )
        last = ""
        start = time.perf_counter()
        for attempt in range(1, self.limits.max_attempts + 1):
            if limited:
                await self.limiter.acquire(est)
            try:
                reply = await self._attempt(payload, messages)
            except _Retry as r:
                last = r.why
                if attempt == self.limits.max_attempts:
                    break
                await asyncio.sleep(r.wait if r.wait is not None else self._backoff(attempt))
                continue
            reply.attempts = attempt
            reply.latency_ms = (time.perf_counter() - start) * 1000
            if self.limits.tpm:
                self.limiter.settle(est, reply.prompt_tokens + reply.completion_tokens)
            return reply
        return Reply(
            "", attempts=self.limits.max_attempts, error=last, latency_ms=(time.perf_counter() - start) * 1000
        )

    async def _attempt(self, payload: bytes, messages: list[dict[str, str]]) -> Reply:
        assert self._session is not None
        try:
            async with self._session.post(self.url, data=payload) as resp:
                if resp.status != 200:
                    text = await resp.text(errors="replace")
                    if resp.status in RETRY_STATUSES:
                        raise _Retry(f"HTTP {resp.status}", retry_after(resp.headers.get("Retry-After")))
                    if resp.status == 400 and any(h in text.lower() for h in CONTENT_FILTER_HINTS):
                        return Reply("", finish_reason="content_filter")
                    if resp.status in (401, 403):
                        raise InputError(f"{self.url}: HTTP {resp.status}: check the API key ({text[:200]})")
                    if resp.status == 404:
                        raise InputError(
                            f"{self.url}: HTTP 404: check the endpoint URL and model name ({text[:200]})"
                        )
                    return Reply("", error=f"HTTP {resp.status}: {text[:300]}")
                if self.params.stream:
                    return await self._read_stream(resp, messages)
                raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}"[:300]) from None
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise _Retry(f"malformed response body: {raw[:120]!r}") from None
        usage = data.get("usage") or {}
        return self._reply(text, str(choice.get("finish_reason") or ""), usage, messages)

    async def _read_stream(self, resp: aiohttp.ClientResponse, messages: list[dict[str, str]]) -> Reply:
        parts: list[str] = []
        finish = ""
        usage: dict[str, Any] = {}
        buf = b""
        async for chunk in resp.content.iter_any():
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    return self._reply("".join(parts), finish, usage, messages)
                try:
                    ev = json.loads(data)
                except ValueError:
                    raise _Retry(f"malformed stream event: {data[:120]!r}") from None
                if ev.get("usage"):
                    usage = ev["usage"]
                for ch in ev.get("choices") or []:
                    delta = ch.get("delta") or {}
                    if delta.get("content"):
                        parts.append(delta["content"])
                    if ch.get("finish_reason"):
                        finish = ch["finish_reason"]
        if not finish:
            raise _Retry("stream ended before [DONE]")
        return self._reply("".join(parts), finish, usage, messages)

    def _reply(self, text: str, finish: str, usage: dict[str, Any], messages: list[dict[str, str]]) -> Reply:
        try:
            pt = int(usage.get("prompt_tokens") or 0)
            ct = int(usage.get("completion_tokens") or 0)
        except (TypeError, ValueError):
            pt = ct = 0
        estimated = False
        if not pt and not ct:
            pt = estimate_tokens(self.params.system + "".join(m["content"] for m in messages))
            ct = estimate_tokens(text)
            estimated = True
        return Reply(text, finish, pt, ct, tokens_estimated=estimated)
