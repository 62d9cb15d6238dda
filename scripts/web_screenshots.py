"""Regenerate the dashboard screenshots in docs/web/ (headless Debian Chromium through Playwright).

    python scripts/web_screenshots.py

Seeds a temporary SQLite store with the sample service profile, accounts, evidence, review items and gateway
decisions, serves the app on loopback, logs in and captures each page at laptop and tablet widths.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "web"
PROFILE = ROOT / "src/hegui/rules/data/samples/chat-app.yaml"


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from hegui.web.app import create_app
    from hegui.web.demo import PASSWORD, seed

    tmp = Path(tempfile.mkdtemp())
    db = f"sqlite:///{tmp / 'web.db'}"
    os.environ.update(
        HEGUI_DATABASE_URL=db, HEGUI_WEB_PROFILE=str(PROFILE), HEGUI_WEB_EVIDENCE_DIR=str(tmp / "evidence")
    )
    seed(db, tmp / "evidence")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"]
        )
        for width, height, suffix in ((1280, 800, "laptop"), (820, 1100, "tablet")):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url + "/login")
            page.fill("#username", "officer")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for path, name in (
                ("/duties", "duties"),
                ("/evidence", "evidence"),
                ("/review/assessment", "review"),
                ("/audit", "audit"),
            ):
                page.goto(url + path)
                page.screenshot(path=str(OUT / f"{name}-{suffix}.png"), full_page=False)
            page.close()
        browser.close()
    server.should_exit = True
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
