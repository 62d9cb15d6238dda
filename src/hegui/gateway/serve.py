"""The gateway inside ``hegui serve``: when hegui.toml (or the environment) names an upstream, the same routes
``hegui gateway`` serves are added to the one application; without one, nothing is mounted."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from hegui.errors import UsageError

log = logging.getLogger("hegui.gateway")


def mount(app: FastAPI, settings: Any) -> None:
    from hegui.gateway.app import Gateway, routes
    from hegui.gateway.config import load_gateway_config

    try:
        config = load_gateway_config(database_url=getattr(settings, "database_url", None))
    except UsageError as exc:
        log.info("gateway not mounted: %s", exc)
        return
    holder: dict[str, Gateway] = {}

    def get() -> Gateway:
        gw = holder.get("gw")
        if gw is None:
            gw = holder["gw"] = Gateway(config)
        return gw

    for route in routes(get):
        app.router.routes.append(route)
    app.state.gateway = get
