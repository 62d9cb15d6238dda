"""Real servers on loopback: the stand-in model and the gateway, each a uvicorn server in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from hegui.gateway.app import create_gateway
from hegui.gateway.config import GatewayConfig
from hegui.gateway.standin import create_standin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def standin() -> Iterator[Served]:
    with Served(create_standin(slow_ms=20)) as s:
        yield s


@pytest.fixture
def make_gateway(standin: Served, tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def make(**overrides: Any) -> Served:
        cfg = GatewayConfig(
            **{
                "upstream": standin.url + "/v1",
                "database_url": f"sqlite:///{tmp_path / 'gw.db'}",
                "lexicon": "demo",
                "classify": False,
                **overrides,
            }
        )
        s = Served(create_gateway(cfg)).__enter__()
        started.append(s)
        return s

    yield make
    for s in started:
        s.__exit__()
