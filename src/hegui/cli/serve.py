"""``hegui serve``: run the web application (REST API, later dashboard and gateway) under uvicorn."""

from __future__ import annotations

from pathlib import Path

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    max_upload_mb: int = typer.Option(512, "--max-upload-mb", min=1, help="Largest upload accepted (MiB)."),
    keys: Path | None = typer.Option(None, "--keys", help="Folder of pinned public keys."),
    platform_code: str | None = typer.Option(
        None, "--platform-code", help="Default ContentPropagator (else HEGUI_PROPAGATOR / hegui.toml)."
    ),
    keep_dir: Path | None = typer.Option(
        None, "--keep-dir", help="Where uploads are kept when asked (keep=true)."
    ),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Serve the API: POST /api/verify, GET /api/health; OpenAPI at /openapi.json, docs at /docs."""
    import os

    from hegui.cli._output import errors_to_exit
    from hegui.extras import require

    with errors_to_exit():
        (uvicorn,) = require("serve", "uvicorn")

    # Settings travel through the environment so that every uvicorn worker builds the same app.
    os.environ["HEGUI_MAX_UPLOAD_MB"] = str(max_upload_mb)
    for name, value in (
        ("HEGUI_KEYS_DIR", keys),
        ("HEGUI_PROPAGATOR", platform_code),
        ("HEGUI_KEEP_DIR", keep_dir),
    ):
        if value is not None:
            os.environ[name] = str(value)
    uvicorn.run(
        "hegui.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
