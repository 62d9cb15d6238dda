"""Prometheus metrics of one gateway worker: requests by action, refusals by risk, strikes, added latency."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hegui_gateway_requests",
            "Requests by endpoint and action",
            ["endpoint", "action"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "hegui_gateway_refusals", "Refused or cut replies by risk and direction", ["risk", "direction"],
            registry=self.registry,
        )  # fmt: skip
        self.strikes = Counter(
            "hegui_gateway_strikes",
            "Strikes recorded, by the user's state after them",
            ["state"],
            registry=self.registry,
        )
        self.screen_errors = Counter(
            "hegui_gateway_screen_errors", "Screener failures", registry=self.registry
        )
        self.latency = Histogram(
            "hegui_gateway_added_seconds", "Time the gateway adds to a request (screening, labels, bookkeeping)",
            ["endpoint"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
        )  # fmt: skip

    def decision(self, endpoint: str, action: str, risks: Iterable[str], direction: str) -> None:
        self.requests.labels(endpoint, action).inc()
        if action in ("refused", "cut"):
            for r in risks or ("unknown",):
                self.refusals.labels(r, direction).inc()

    def strike(self, state: str) -> None:
        self.strikes.labels(state).inc()

    def screen_error(self) -> None:
        self.screen_errors.inc()

    def added(self, endpoint: str, seconds: float) -> None:
        self.latency.labels(endpoint).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
