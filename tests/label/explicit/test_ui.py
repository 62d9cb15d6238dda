"""The chat-interface notice in real headless Chromium (Debian chromium, driven by Playwright): rendered, persistent,
accessible, themable, dark mode, and safe with hostile text."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hegui.label.explicit.text import DEFAULT_TEXT, check_text, elements
from hegui.label.explicit.ui import component_html, component_js, demo_page, snippet_css, snippet_html

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a test dependency (hegui[test])"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (Debian package chromium); run `make test`")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def page_with(browser: object, body: str, *, scheme: str = "light"):  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme=scheme, viewport={"width": 480, "height": 320})  # type: ignore[attr-defined]
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.set_content(
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>{snippet_css()}</style>"
        f"<script>{component_js()}</script></head><body>{body}</body></html>"
    )
    page.messages = messages
    return page


def test_component_renders_text_with_role_and_label(browser: object) -> None:
    page = page_with(browser, component_html())
    el = page.locator("aigc-notice")
    assert el.get_attribute("role") == "note"
    assert el.get_attribute("aria-label") == DEFAULT_TEXT
    shown = page.evaluate(
        "document.querySelector('aigc-notice').shadowRoot.querySelector('.text').textContent"
    )
    assert shown == DEFAULT_TEXT and elements(shown).complete
    box = el.bounding_box()
    assert box is not None and box["height"] > 10 and box["width"] > 100
    snapshot = page.accessibility.snapshot() if hasattr(page, "accessibility") else None
    if snapshot:
        assert DEFAULT_TEXT in str(snapshot)


def test_noncompliant_text_falls_back_and_warns(browser: object) -> None:
    page = page_with(browser, '<aigc-notice text="AI助手"></aigc-notice>')
    shown = page.evaluate("document.querySelector('aigc-notice').text")
    assert shown == DEFAULT_TEXT
    assert any("generation element" in m for m in page.messages)


def test_hostile_text_is_never_markup(browser: object) -> None:
    page = page_with(browser, "")
    page.evaluate(
        "() => { const n = document.createElement('aigc-notice');"
        " n.setAttribute('text', 'AI生成<img src=x onerror=window.pwned=1>'); document.body.append(n); }"
    )
    assert page.evaluate("document.querySelector('aigc-notice').shadowRoot.querySelector('img')") is None
    assert page.evaluate("window.pwned") is None


def test_dark_mode_and_theming(browser: object) -> None:
    light = page_with(browser, component_html())
    dark = page_with(browser, component_html(), scheme="dark")
    css = "getComputedStyle(document.querySelector('aigc-notice').shadowRoot.querySelector('.notice')).backgroundColor"
    assert light.evaluate(css) != dark.evaluate(css)
    themed = page_with(browser, '<aigc-notice style="--aigc-bg: rgb(1, 2, 3)"></aigc-notice>')
    assert themed.evaluate(css) == "rgb(1, 2, 3)"
    forced = page_with(browser, component_html(theme="light"), scheme="dark")
    assert forced.evaluate(css) == light.evaluate(css)


def test_sticky_bar_stays_visible_when_scrolling(browser: object) -> None:
    body = component_html(position="top") + "<div style='height:3000px'>聊天记录</div>"
    page = page_with(browser, body)
    page.mouse.wheel(0, 2000)
    page.wait_for_timeout(100)
    assert page.evaluate("window.scrollY") > 1000
    box = page.locator("aigc-notice").bounding_box()
    assert box is not None and 0 <= box["y"] < 5  # still on screen: a persistent notice


def test_plain_snippet(browser: object) -> None:
    page = page_with(browser, snippet_html(), scheme="dark")
    p = page.locator("p.aigc-notice")
    assert p.get_attribute("role") == "note"
    assert check_text(p.inner_text()).compliant
    bg = page.evaluate("getComputedStyle(document.querySelector('p.aigc-notice')).backgroundColor")
    assert bg == "rgb(30, 27, 75)"  # the dark palette


def test_screenshots_for_the_docs(browser: object, tmp_path: Path) -> None:
    """The gallery script keeps these under docs/; here they are taken to show the page renders (non-empty PNG)."""
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 480, "height": 260})  # type: ignore[attr-defined]
        page = context.new_page()
        page.set_content(demo_page(theme=scheme))
        shot = tmp_path / f"chat-{scheme}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 2000
