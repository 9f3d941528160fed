"""The chat widget embedded on a brand's own site (another origin), in headless Chromium: it is
blocked until the origin is allowed; then the visitor chats both ways, and an email they give
shows nothing of that customer until they enter the code emailed to it.

Screenshots go to ``var-shots/`` at the repository root (git-ignored)."""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from onestory.channels.email import EmailSender
from tests.channels.conftest import FakeMail
from tests.conftest import event
from tests.support.live_server import CHROMIUM, LiveServer, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]

SHOTS = Path(__file__).parents[2] / "var-shots"
ADA = "ada@example.com"
SECRET = "Invoice INV-7731 for 120 GBP failed on the card ending 4242"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Brand shop</title></head><body style="font:16px system-ui;margin:40px">
<h1>Brand shop (another origin)</h1><p>This page is served by {host}; the chat is OneStory's,
from {onestory}.</p>
<script src="{onestory}/v1/widget/widget.js" defer data-onestory-title="Chat with Brand"
  data-email="{email}"></script></body></html>"""


class HostSite:
    """The brand's site: a second HTTP server, on another host name and port."""

    def __init__(self, onestory: str) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        host = self.origin

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                email = ADA if "claim" in self.path else ""
                body = PAGE.format(host=host, onestory=onestory, email=email).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(what: str, probe: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def code_in(mail: FakeMail) -> str | None:
    for _sender, _rcpts, raw in reversed(mail.sent):
        text = message_from_bytes(raw, policy=policy.default).get_body().get_content()  # type: ignore[union-attr]
        if m := re.search(r"code is (\d{6})", text):
            return m.group(1)
    return None


def test_widget_on_another_origin(server: LiveServer, browser: Any) -> None:
    from playwright.sync_api import expect

    mail = FakeMail()
    outbox = server.application.channels.outbox
    outbox.senders["email"] = EmailSender(mail, server.runtime.settings.channels.email)
    server.add_user("amy", "agent", "a long enough password")
    ada_id = server.post("/v1/events", event(email=ADA, name="Ada", payload={"text": SECRET}))
    ada_id = ada_id.json()["customer_id"]
    ada_conv = wait_for(
        "Ada's conversation", lambda: server.get("/v1/conversations", customer_id=ada_id)["items"]
    )[0]["id"]

    site = HostSite(server.url)
    try:
        ctx = browser.new_context(viewport={"width": 1000, "height": 720})
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # Not allowed yet: the browser blocks the widget's calls (CORS), it says so.
        page.goto(site.origin + "/")
        expect(page.locator("#os-h")).to_have_text("Chat unavailable")
        page.get_by_role("button", name="Chat with Brand").click()
        assert any("CORS" in e or "Access-Control" in e for e in errors), errors
        shot(page, "widget-blocked-origin")

        # The brand allows its site (admin API, no restart).
        r = httpx.put(
            server.url + "/v1/channels/widget/origins",
            json={"origins": [site.origin]},
            headers={"Authorization": f"Bearer {server.key}"},
        )
        assert r.status_code == 200, r.text

        # The visitor gives Ada's email (a claim): no history, a code is offered.
        page.goto(site.origin + "/?claim")
        page.get_by_role("button", name="Chat with Brand").click()
        expect(page.locator("#os-v")).to_contain_text("Unverified")
        page.get_by_label("Message").fill("Hello from the shop, where is my order?")
        page.get_by_label("Message").press("Enter")
        expect(page.locator("#os-m")).to_contain_text("Hello from the shop", timeout=5000)

        def visitor_conversation() -> Any:
            items = server.get("/v1/conversations")["items"]
            return next((c for c in items if c["customer_id"] != ada_id), None)

        conv = wait_for("the visitor's message reaching OneStory", visitor_conversation)
        server.post(f"/v1/conversations/{conv['id']}/reply", {"text": "Hi! Happy to help."})
        expect(page.locator("#os-m")).to_contain_text("Happy to help")
        expect(page.locator("#os-m")).not_to_contain_text("INV-7731")
        shot(page, "widget-cross-origin-unverified")

        # The agent sees the claim flagged as unverified.
        agent = ctx.new_page()
        agent.set_default_timeout(20_000)
        agent.goto(server.url + "/login")
        agent.get_by_label("Username").fill("amy")
        agent.get_by_label("Password").fill("a long enough password")
        agent.get_by_role("button", name="Sign in").click()
        agent.goto(f"{server.url}/customers/{conv['customer_id']}?conversation={conv['id']}")
        expect(agent.locator("#claims")).to_contain_text("unverified")
        expect(agent.locator("#claims")).to_contain_text(ADA)
        shot(agent, "agent-sees-unverified-claim")
        agent.close()

        # The visitor asks for the code, reads it in their mailbox, enters it: history appears.
        page.get_by_role("button", name="Email me a code").click()
        code = wait_for("the code email", lambda: code_in(mail), 30)
        page.get_by_label("Verification code").fill(code)
        page.get_by_role("button", name="Verify").click()
        expect(page.locator("#os-m")).to_contain_text("INV-7731")
        expect(page.locator("#os-v")).to_contain_text(f"Verified: you are chatting as {ADA}")
        # Live replies on Ada's conversation now reach the verified visitor.
        time.sleep(1.0)  # the widget reconnects its socket with the verified token
        server.post(f"/v1/conversations/{ada_conv}/reply", {"text": "Your refund is on its way."})
        expect(page.locator("#os-m")).to_contain_text("refund is on its way")
        shot(page, "widget-cross-origin-verified")
        ctx.close()
    finally:
        site.close()
