"""Security headers: a Content-Security-Policy without 'unsafe-inline', nosniff, a referrer
policy and no framing — and every page of the UI still works under them in Chromium, with no
CSP violation reported."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, event
from tests.support.live_server import CHROMIUM, LiveServer
from tests.web.test_browser import PASSWORD, Shots, sign_in, wait_for_conversations


def test_every_response_carries_the_security_headers(api: Api) -> None:
    for path in ("/login", "/demo/widget", "/v1/widget/widget.js", "/static/app.js"):
        r = api.client.get(path)
        assert r.status_code == 200, path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "same-origin", path
    page = api.client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    # The widget is served as JavaScript (nosniff needs the right type) to be embedded elsewhere.
    script = api.client.get("/v1/widget/widget.js")
    assert script.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    # API answers and problems too.
    assert (
        api.get("/v1/customers", params={"q": "x"}).headers["x-content-type-options"] == "nosniff"
    )
    problem = api.client.get("/v1/customers", params={"q": "x"})
    assert problem.status_code == 401 and problem.headers["x-content-type-options"] == "nosniff"
    # The interactive API docs load Swagger UI from its CDN: no CSP there, the rest still applies.
    docs = api.client.get("/docs")
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"


pytestmark_browser = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"
)


# Records every CSP violation the page reports, whatever the console says.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


class Watched:
    """A page whose console messages, page errors and CSP violations are collected."""

    def __init__(self, browser: Any) -> None:
        self.ctx = browser.new_context(viewport={"width": 1440, "height": 900})
        self.ctx.add_init_script(RECORD_VIOLATIONS)
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(20_000)
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__csp || []")
        return found

    def assert_clean(self, where: str) -> None:
        csp_console = [
            m for m in self.console if "Content Security Policy" in m or "Refused to" in m
        ]
        assert not csp_console, (where, csp_console)
        assert not self.violations(), (where, self.violations())
        assert not self.errors, (where, self.errors)


@pytestmark_browser
@pytest.mark.browser
def test_the_ui_works_under_the_csp_with_no_violations(
    server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = Shots(tmp_path)
    server.add_user("amy", "agent", PASSWORD)
    server.add_user("sue", "supervisor", PASSWORD)
    server.post(
        "/v1/events",
        event(email="ada@example.com", name="Ada Lovelace", payload={"text": "My router died"}),
    )
    wait_for_conversations(server, 1)

    # Login and the agent desktop: the inbox is drawn by /static/inbox.js, live over a WebSocket.
    agent = Watched(browser)
    page = agent.page
    page.goto(server.url + "/login")
    agent.assert_clean("login")
    sign_in(page, server.url, "amy")
    expect(page).to_have_url(server.url + "/desktop")
    row = page.locator("#inbox tbody tr").first
    expect(row).to_contain_text("Ada Lovelace")
    shots(page, "csp-desktop")
    agent.assert_clean("desktop")
    row.get_by_role("link").click()
    expect(page.locator("#messages")).to_contain_text("router died")
    agent.assert_clean("customer")
    page.goto(server.url + "/search?q=ada")
    expect(page.locator("main")).to_contain_text("Ada Lovelace")
    agent.assert_clean("search")
    page.goto(server.url + "/tasks")
    expect(page.locator("main")).to_be_visible()
    time.sleep(0.5)  # let tasks.js fetch and draw
    agent.assert_clean("tasks")

    # The supervisor dashboard (charts and queue membership drawn by scripts).
    sup = Watched(browser)
    sign_in(sup.page, server.url, "sue")
    sup.page.goto(server.url + "/supervisor")
    expect(sup.page.locator("main")).to_be_visible()
    time.sleep(1.0)
    sup.assert_clean("supervisor")

    # The demo page embeds the widget script: it styles itself and chats under the CSP.
    visitor = Watched(browser)
    vp = visitor.page
    vp.goto(server.url + "/demo/widget")
    toggle = vp.locator("#os-w button.os-b")
    expect(toggle).to_be_visible()
    assert vp.evaluate("getComputedStyle(document.getElementById('os-w')).position") == "fixed"
    toggle.click()
    vp.locator("#os-f input").fill("Hello from the widget")
    vp.locator("#os-f button").click()
    expect(vp.locator("#os-m")).to_contain_text("Hello from the widget")
    visitor.assert_clean("widget demo")
    for w in (agent, sup, visitor):
        w.ctx.close()
