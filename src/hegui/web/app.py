"""The FastAPI application factory every web feature plugs into.

Convention: a feature lives in its own module that exposes either ``router`` (a FastAPI ``APIRouter``, mounted
as is) or ``mount(app: FastAPI, settings: Settings) -> None`` (for anything more: static files, middleware,
startup hooks). Add the module's name to :data:`ROUTER_MODULES`; nothing else changes. ``hegui.web.api`` holds
the ``/api`` routes; the dashboard and the gateway add their modules the same way. Handlers call the service
layer (plain functions of the wings) and never the CLI.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hegui.extras import require

require("serve", "fastapi", "python_multipart")

from fastapi import FastAPI, Request  # noqa: E402 - after the check that names the extra
from fastapi.encoders import jsonable_encoder  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from hegui import __version__  # noqa: E402
from hegui.config import load_config  # noqa: E402
from hegui.errors import HeguiError, LimitExceededError, UsageError  # noqa: E402

#: modules mounted by :func:`create_app`, in order (see the module docstring)
ROUTER_MODULES: tuple[str, ...] = ("hegui.web.api", "hegui.web.dashboard", "hegui.gateway.serve")

ENV_MAX_UPLOAD_MB = "HEGUI_MAX_UPLOAD_MB"


@dataclass
class Settings:
    """What the web app needs to know; every field has a safe default and most an environment variable."""

    #: uploads larger than this are refused with 413 while they stream in (nothing larger touches the disk)
    max_upload_bytes: int = field(default_factory=lambda: int(os.environ.get(ENV_MAX_UPLOAD_MB, "512")) << 20)
    #: where uploads are spooled while they are checked (a private folder per request, removed afterwards)
    temp_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    #: where uploads are kept when a request asks for it (``keep=true``); None refuses such requests
    keep_dir: Path | None = field(default_factory=lambda: _env_path("HEGUI_KEEP_DIR"))
    #: pinned public keys for signature checks (``HEGUI_KEYS_DIR``)
    keys_dir: Path | None = field(default_factory=lambda: _env_path("HEGUI_KEYS_DIR"))
    #: the platform's code (ContentPropagator) for stamping, when a request does not give one
    #: (``HEGUI_PROPAGATOR`` or ``propagator`` in hegui.toml, through :mod:`hegui.config`)
    platform_code: str | None = field(default_factory=lambda: load_config().propagator)
    #: store URL (None: ``HEGUI_DATABASE_URL``, hegui.toml, or the SQLite default)
    database_url: str | None = field(default_factory=lambda: load_config().database_url)
    #: validate C2PA manifests with c2pa-python when installed
    c2pa_validate: bool = True


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def get_settings(request: Request) -> Settings:
    """FastAPI dependency: the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application: OpenAPI at ``/openapi.json``, docs at ``/docs``, every module of ROUTER_MODULES."""
    settings = settings or Settings()
    app = FastAPI(
        title="hegui",
        version=__version__,
        description="Compliance services for China's AI rules: label verification (Labeling Measures Art. 6) and more.",
    )
    app.state.settings = settings

    @app.exception_handler(HeguiError)
    async def _hegui_error(_request: Request, exc: HeguiError) -> JSONResponse:
        status = 413 if isinstance(exc, LimitExceededError) else 400 if isinstance(exc, UsageError) else 422
        return JSONResponse({"error": exc.detail, "kind": type(exc).__name__}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One error shape across the API: {"error": ..., "kind": ...}, with FastAPI's details kept.
        detail = jsonable_encoder(exc.errors())
        first = detail[0] if detail else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return JSONResponse(
            {"error": message, "kind": "RequestValidationError", "detail": detail}, status_code=422
        )

    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "mount"):
            module.mount(app, settings)
        else:
            app.include_router(module.router)
    return app
