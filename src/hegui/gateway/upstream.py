"""The upstream model server: one pooled HTTP client, timeouts, and a circuit breaker.

The client is aiohttp: on this machine httpx's async pool spent most of the gateway's CPU checking its idle
connections (the gateway saturated at about 150 requests a second, CPU-bound, with screening taking 0.3 ms of the
6.7 ms each request cost); aiohttp's connector does not, and is what the assessment client uses for the same reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from hegui.gateway.config import GatewayConfig

HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
     "transfer-encoding", "upgrade", "host", "content-length", "content-encoding", "accept-encoding"}
)  # fmt: skip


class UpstreamUnavailable(Exception):
    """The circuit breaker is open: the upstream failed too often; requests fail fast until it resets."""


class UpstreamError(Exception):
    """The upstream could not be reached, timed out, or broke the connection."""


@dataclass
class CircuitBreaker:
    """Open after ``failures`` consecutive failures; after ``reset_s`` let one trial request through (half-open);
    its success closes the breaker, its failure opens it again."""

    failures: int
    reset_s: float
    _count: int = 0
    _opened_at: float | None = None
    _trial: bool = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if time.monotonic() - self._opened_at >= self.reset_s else "open"

    def before(self) -> None:
        state = self.state
        if state == "open" or (state == "half-open" and self._trial):
            raise UpstreamUnavailable("the upstream model server failed repeatedly; retrying shortly")
        if state == "half-open":
            self._trial = True

    def success(self) -> None:
        self._count = 0
        self._opened_at = None
        self._trial = False

    def failure(self) -> None:
        self._count += 1
        self._trial = False
        if self._count >= self.failures or self._opened_at is not None:
            self._opened_at = time.monotonic()


@dataclass
class UpResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class UpStream:
    """An open streamed response: read it in chunks, then close it (closing early stops the generation)."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status_code = resp.status
        self.headers = {k.lower(): v for k, v in resp.headers.items()}

    async def aread(self) -> bytes:
        try:
            return await self._resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamError(type(exc).__name__) from exc

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._resp.close()


class Upstream:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.base = config.upstream
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_reset_s)
        self._session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=config.connect_timeout_s, sock_read=config.timeout_s
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """Created on first use, inside the running event loop (aiohttp requires it)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=512, limit_per_host=512, keepalive_timeout=30),
                auto_decompress=True,
            )
        return self._session

    def headers(self, incoming: dict[str, str]) -> dict[str, str]:
        """Headers for the upstream: the configured key replaces the caller's; hop-by-hop headers dropped."""
        out = {k: v for k, v in incoming.items() if k.lower() not in HOP_HEADERS}
        key = self.config.api_key()
        if key:
            out = {k: v for k, v in out.items() if k.lower() != "authorization"}
            out["authorization"] = f"Bearer {key}"
        return out

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> UpResponse:
        data = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else content
        hdrs = dict(headers or {})
        if json_body is not None:
            hdrs = {k: v for k, v in hdrs.items() if k.lower() != "content-type"}
            hdrs["content-type"] = "application/json"
        try:
            async with self.session.request(method, url, data=data, headers=hdrs, params=params) as resp:
                body = await resp.read()
                return UpResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, body)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamError(type(exc).__name__) from exc

    async def open_stream(self, url: str, json_body: Any, headers: dict[str, str]) -> UpStream:
        hdrs = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        hdrs["content-type"] = "application/json"
        try:
            resp = await self.session.post(
                url, data=json.dumps(json_body, ensure_ascii=False).encode(), headers=hdrs
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamError(type(exc).__name__) from exc
        return UpStream(resp)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
