"""The dashboard in real headless Chromium: logins and roles, keyboard review, evidence upload and approval,
exports, CSRF, session expiry, the audit chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import PASSWORD, login


def test_login_required_and_bad_password(site: dict[str, Any], browser: Any) -> None:
    page = browser.new_page()
    page.goto(site["url"] + "/duties")
    assert page.url.endswith("/login?next=/duties")
    page.fill("#username", "ada")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() in ("用户名或密码错误", "Wrong username or password")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/duties")
    assert page.locator("h1").inner_text().startswith("义务")
    page.close()


def test_login_throttling(site: dict[str, Any]) -> None:
    with httpx.Client(base_url=site["url"]) as c:
        for _ in range(5):
            c.post("/login", data={"username": "rita", "password": "nope-nope-nope"})
        r = c.post("/login", data={"username": "rita", "password": PASSWORD})
        assert "too many failed logins" in r.text and "hegui_session" not in r.cookies


def test_keyboard_review_flows_to_the_next_item(site: dict[str, Any], browser: Any) -> None:
    page = login(browser, site["url"], "rui")
    page.goto(site["url"] + "/review/gateway")
    assert "#1 decision 0" in page.locator("#item h2").inner_text()
    page.keyboard.press("a")  # pass
    page.wait_for_selector("text=#2 decision 1")
    page.keyboard.press("n")
    page.keyboard.type("涉及爆炸物")
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # fail, with the note
    page.wait_for_selector("text=#3 decision 2")
    from hegui.web import review

    items = {i.id: i for i in review.page("gateway", status="decided", url=site["db"])}
    assert items[1].verdicts[0]["verdict"] == "pass"
    assert items[2].verdicts[0] == {
        "reviewer": "rui",
        "verdict": "fail",
        "risk": "A.1.d",
        "note": "涉及爆炸物",
    }
    page.close()


def test_roles_reviewer_cannot_approve_and_readonly_changes_nothing(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    page = login(browser, site["url"], "rui")
    page.goto(site["url"] + "/evidence")
    f = tmp_path / "policy.pdf"
    f.write_bytes(b"%PDF-1.4 policy")
    page.fill("input[name=duty]", "GAI-15")
    page.set_input_files("input[type=file]", str(f))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("text=GAI-15")
    assert page.locator("button[value=approve]").count() == 0  # a reviewer sees no approve button
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["hegui_session"]
    r = httpx.post(
        site["url"] + "/evidence/1/decide",
        data={"csrf": csrf, "decision": "approve"},
        cookies={"hegui_session": cookie},
    )
    assert r.status_code == 403  # and the server refuses it too
    page.close()

    ro = login(browser, site["url"], "rita")
    ro.goto(site["url"] + "/review/gateway")
    assert ro.locator("#btn-pass").count() == 0
    csrf = ro.locator("input[name=csrf]").first.get_attribute("value")
    cookie = {c["name"]: c["value"] for c in ro.context.cookies()}["hegui_session"]
    r = httpx.post(
        site["url"] + "/review/gateway/item/1",
        data={"csrf": csrf, "verdict": "pass"},
        cookies={"hegui_session": cookie},
    )
    assert r.status_code == 403
    ro.close()

    officer = login(browser, site["url"], "olga")
    officer.goto(site["url"] + "/evidence")
    officer.fill("#ev-1 input[name=reason]", "签发版本")
    officer.click("#ev-1 button[value=approve]")
    officer.wait_for_selector("#ev-1 >> text=approved")
    officer.close()


def test_csrf_and_session_expiry(site: dict[str, Any], browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    page = login(browser, site["url"], "olga")
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["hegui_session"]
    r = httpx.post(
        site["url"] + "/review/gateway/item/1", data={"verdict": "pass"}, cookies={"hegui_session": cookie}
    )
    assert r.status_code == 403  # no CSRF token
    r = httpx.post(
        site["url"] + "/review/gateway/item/1",
        data={"verdict": "pass", "csrf": "forged"},
        cookies={"hegui_session": cookie},
    )
    assert r.status_code == 403
    # the session expires after the idle time: age it in the store
    import datetime as dt

    import sqlalchemy

    engine = sqlalchemy.create_engine(site["db"])
    with engine.begin() as conn:
        conn.execute(
            sqlalchemy.text("UPDATE web_sessions SET last_seen = :t"),
            {"t": dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)},
        )
    engine.dispose()
    page.goto(site["url"] + "/evidence")
    assert "/login" in page.url
    page.close()


def test_duties_page_and_exports(site: dict[str, Any], browser: Any) -> None:
    page = login(browser, site["url"], "olga")
    page.goto(site["url"] + "/duties?lang=en")
    assert page.locator("svg.chart rect").count() > 0
    assert page.locator("table.duties tr").count() > 5
    with page.expect_download() as dl:
        page.goto(site["url"] + "/filings")
        page.click("text=algorithm-filing.docx")
    path = dl.value.path()
    from docx import Document

    assert any("算法备案" in p.text for p in Document(str(path)).paragraphs)
    page.close()
    rita = login(browser, site["url"], "rita")
    cookie = {c["name"]: c["value"] for c in rita.context.cookies()}["hegui_session"]
    assert (
        httpx.get(
            site["url"] + "/filings/model-checklist.docx", cookies={"hegui_session": cookie}
        ).status_code
        == 403
    )
    rita.close()


def test_audit_chain_detects_an_edited_entry(site: dict[str, Any], browser: Any) -> None:
    page = login(browser, site["url"], "ada")
    page.goto(site["url"] + "/audit")
    assert page.locator("#chain").get_attribute("class") == "ok"
    import sqlalchemy

    engine = sqlalchemy.create_engine(site["db"])
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE web_audit SET actor = 'someone-else' WHERE id = 1"))
    engine.dispose()
    page.reload()
    assert page.locator("#chain").get_attribute("class") == "error"
    assert "entry 1 was changed" in page.locator("#chain").inner_text()
    page.close()


def test_pages_have_labels_and_language(site: dict[str, Any], browser: Any) -> None:
    """A basic accessibility check of every page: lang attribute, one h1, every input labelled, table headers."""
    page = login(browser, site["url"], "ada")
    for path in ("/", "/duties", "/evidence", "/review/gateway", "/filings", "/logs", "/audit"):
        page.goto(site["url"] + path)
        assert page.locator("html").get_attribute("lang") in ("zh-CN", "en")
        assert page.locator("h1").count() == 1
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.name)"""
        )
        assert unlabelled == [], (path, unlabelled)
    page.close()
