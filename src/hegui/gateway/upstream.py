"""The upstream model server: one pooled HTTP client, timeouts, and a circuit breaker."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from hegui.gateway.config import GatewayConfig

HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
     "transfer-encoding", "upgrade", "host", "content-length", "content-encoding", "accept-encoding"}
)  # fmt: skip


class UpstreamUnavailable(Exception):
    """The circuit breaker is open: the upstream failed too often; requests fail fast until it resets."""


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


class Upstream:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.base = config.upstream
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_reset_s)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128),
        )

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

    async def aclose(self) -> None:
        await self.client.aclose()
