"""The dashboard served for real (uvicorn on loopback, SQLite in a temporary folder) and a real Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery"
PROFILE = Path(__file__).resolve().parents[2] / "src/hegui/rules/data/samples/chat-app.yaml"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    import uvicorn

    from hegui.store import dispose_engines
    from hegui.web import accounts, review
    from hegui.web.app import create_app

    db = f"sqlite:///{tmp_path / 'web.db'}"
    monkeypatch.setenv("HEGUI_DATABASE_URL", db)
    monkeypatch.setenv("HEGUI_WEB_PROFILE", str(PROFILE))
    monkeypatch.setenv("HEGUI_WEB_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("HEGUI_WEB_IDLE_MINUTES", "30")
    for name, role in (("ada", "admin"), ("olga", "officer"), ("rui", "reviewer"), ("rita", "readonly")):
        accounts.create_user(name, PASSWORD, role, db)
    review.add_items(
        "gateway",
        [
            {
                "source_ref": f"d{i}",
                "title": f"decision {i}",
                "content": f"回复内容 {i}",
                "suggested_risk": "A.1.d",
            }
            for i in range(3)
        ],
        db,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "db": db, "tmp": tmp_path}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        dispose_engines()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (Debian package chromium); run `make test`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def login(browser: Any, url: str, user: str, password: str = PASSWORD) -> Any:
    page = browser.new_page()
    page.goto(url + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page
