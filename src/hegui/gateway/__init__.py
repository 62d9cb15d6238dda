"""The compliance gateway: an OpenAI-compatible proxy that screens, refuses, labels, counts strikes and keeps
the logs. ``hegui gateway --upstream URL`` serves it; :func:`create_gateway` builds the ASGI app."""

from __future__ import annotations

from hegui.gateway.config import GatewayConfig, load_gateway_config

__all__ = ["GatewayConfig", "create_gateway", "load_gateway_config"]


def __getattr__(name: str) -> object:
    if name == "create_gateway":
        from hegui.gateway.app import create_gateway

        return create_gateway
    raise AttributeError(name)
