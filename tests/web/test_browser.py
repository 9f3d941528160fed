"""End to end in headless Chromium against a real uvicorn server: the agent's day.

Screenshots go to ``<pytest tmp>/artifacts`` (and, when ``ONESTORY_UI_SCREENSHOTS`` names a
directory, there too: that is how docs/screenshots/ is refreshed).
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onestory.channels.email import EmailSender
from tests.channels.conftest import FakeMail
from tests.conftest import event
from tests.support.live_server import CHROMIUM, LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing (Debian's chromium package; `make browser` installs it)",
    ),
]

PASSWORD = "a long enough password"


class Shots:
    def __init__(self, tmp_path: Path) -> None:
        # Under the repository's git-ignored artifacts/ so they outlive pytest's tmp rotation.
        self.dirs = [tmp_path / "artifacts", Path(__file__).parents[2] / "artifacts" / "ui"]
        if extra := os.environ.get("ONESTORY_UI_SCREENSHOTS"):
            self.dirs.append(Path(extra))
        for d in self.dirs:
            d.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> None:
        page.evaluate(
            "window.scrollTo(0, 0); for (const n of document.querySelectorAll('.panel')) "
            "n.scrollTop = 0"
        )
        for d in self.dirs:
            page.screenshot(path=str(d / f"{name}.png"), full_page=False)


def wait_for_conversations(server: LiveServer, count: int, **filters: Any) -> list[Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        items: list[Any] = server.get("/v1/conversations", **filters)["items"]
        if len(items) >= count:
            return items
        time.sleep(0.3)
    raise AssertionError("the pipeline did not open the conversations within 180 s")


def mailed_code(mail: FakeMail, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _sender, _rcpts, raw in reversed(mail.sent):
            if m := re.search(rb"code is (\d{6})", raw):
                return m.group(1).decode()
        time.sleep(0.1)
    raise AssertionError("no verification code was mailed")


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_agent_and_technician_day(server: LiveServer, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    shots = Shots(tmp_path)
    mail = FakeMail()
    server.application.channels.outbox.senders["email"] = EmailSender(
        mail, server.runtime.settings.channels.email
    )
    server.add_user("amy", "agent", PASSWORD)
    server.add_user("tom", "technician", PASSWORD)
    server.add_user("sue", "supervisor", PASSWORD)
    server.put("/v1/queues/billing/members/amy")  # the queue Ada is handed off to below
    server.post(
        "/v1/events",
        event(
            email="ada@example.com",
            name="Ada Lovelace",
            payload={"text": "My router keeps dropping the connection, call me on 07911 123456"},
        ),
    )
    server.post(
        "/v1/events",
        event(
            "payment.failed",
            email="ada@example.com",
            channel="billing",
            payload={"amount": 42.5, "currency": "GBP", "reason": "card expired"},
        ),
    )

    # The pipeline opens Ada's conversation; on a busy machine the first AI model load can
    # take longer than a page assertion waits, so wait for it here (a hang guard only).
    wait_for_conversations(server, 1)

    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15_000)

    # Sign in: the agent lands on the inbox, where Ada's conversation waits.
    sign_in(page, server.url, "amy")
    expect(page).to_have_url(server.url + "/desktop")
    row = page.locator("#inbox tbody tr").first
    expect(row).to_contain_text("Ada Lovelace")
    shots(page, "inbox")

    # Open the conversation: the story with AI chips; personal data masked.
    row.get_by_role("link").click()
    expect(page.locator("#cust-name")).to_have_text("Ada Lovelace")
    expect(page.locator("#messages")).to_contain_text("router keeps dropping")
    expect(page.locator("#timeline")).to_contain_text("payment.failed")
    expect(page.locator("#timeline .chip").first).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("intent:")
    expect(page.locator("#messages")).not_to_contain_text("07911 123456")
    expect(page.locator("#live-status")).to_have_text("live")

    # The customer writes from the chat widget on the demo page; it arrives without a reload.
    customer_ctx = browser.new_context(viewport={"width": 1100, "height": 760})
    widget = customer_ctx.new_page()
    widget.set_default_timeout(15_000)
    widget.goto(server.url + "/demo/widget?email=ada@example.com&name=Ada+Lovelace")
    widget.get_by_role("button", name="Chat with Acme").click()
    # The email is a claim until Ada enters the code mailed to her (issue #12).
    widget.get_by_role("button", name="Email me a code").click()
    widget.get_by_label("Verification code").fill(mailed_code(mail))
    widget.get_by_role("button", name="Verify").click()
    expect(widget.locator("#os-v")).to_contain_text("Verified")
    widget.get_by_label("Message").fill("Still down this morning, any news?")
    widget.get_by_label("Message").press("Enter")
    expect(page.locator("#messages")).to_contain_text("Still down this morning")
    expect(page.locator("#timeline")).to_contain_text("Still down this morning")

    # Reply with the composer (keyboard only: Ctrl+Enter sends); the widget shows it.
    page.get_by_role("textbox", name="Reply").fill("Sorry Ada, a technician will come tomorrow.")
    page.keyboard.press("Control+Enter")
    # Filtered by text: outside quiet hours the payment-failed playbook has written to Ada too.
    reply = page.locator("#messages .msg.outbound", has_text="a technician will come")
    expect(reply).to_be_visible()
    expect(widget.locator("#os-m")).to_contain_text("a technician will come tomorrow")
    shots(widget, "widget")
    customer_ctx.close()

    # Hand off to the billing queue with a reason; the screen shows the new queue and note.
    page.get_by_text("Hand off or transfer").click()
    page.get_by_label("Queue", exact=True).fill("billing")
    page.get_by_label("Reason").fill("refund for the outage")
    page.get_by_role("button", name="Transfer").click()
    expect(page.locator("#conv-meta")).to_contain_text("queue billing")
    expect(page.locator("#conv-note")).to_contain_text("refund for the outage")

    # Amy works the billing queue: the inbox's "My queues" tab now lists Ada's conversation.
    page.get_by_role("link", name="Inbox").click()
    page.get_by_label("My queues").check()
    expect(page.locator("#inbox-note")).to_contain_text("your queues: billing")
    expect(page.locator("#inbox tbody tr")).to_have_count(1)
    expect(page.locator("#inbox tbody tr").first).to_contain_text("Ada Lovelace")
    expect(page.locator("#inbox tbody tr").first).to_contain_text("billing")
    shots(page, "inbox-my-queues")
    page.locator("#inbox tbody tr").first.get_by_role("link").click()
    expect(page.locator("#cust-name")).to_have_text("Ada Lovelace")

    # Promise a visit, as work for the field team.
    page.get_by_role("textbox", name="New promise").fill("Technician visit to replace the router")
    page.get_by_label("Kind").select_option("visit")
    page.get_by_label("Work for").select_option("field")
    page.get_by_role("button", name="Add promise").click()
    expect(page.locator("#promises")).to_contain_text("replace the router")
    expect(page.locator("#tasks")).to_contain_text("replace the router")
    shots(page, "conversation")

    # Sign out: the session is gone, pages send us back to sign-in.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url + "/login")
    page.goto(server.url + "/desktop")
    expect(page).to_have_url(server.url + "/login?next=/desktop")

    # The technician sees the task and opens the same story from it.
    sign_in(page, server.url, "tom")
    expect(page).to_have_url(server.url + "/tasks")
    task = page.locator("#task-list tbody tr").first
    expect(task).to_contain_text("replace the router")
    expect(task).to_contain_text("Ada Lovelace")
    shots(page, "tasks")
    task.get_by_role("link").click()
    expect(page.locator("#cust-name")).to_have_text("Ada Lovelace")
    page.get_by_role("button", name="Sign out").click()

    # The supervisor's dashboard reflects the operation.
    sign_in(page, server.url, "sue")
    expect(page).to_have_url(server.url + "/supervisor")
    expect(page.locator('[data-kpi="customer_messages_24h"]')).to_have_text("2")
    expect(page.locator("#sentiment-chart svg path")).to_have_count(1)
    shots(page, "dashboard")
    page.goto(server.url + "/search?q=ada@example.com")
    expect(page.locator("#customers")).to_contain_text("Ada Lovelace")
    page.get_by_label("Identifier or words").fill("router")
    page.get_by_label("Identifier or words").press("Enter")
    expect(page.locator("#events")).to_contain_text("router keeps dropping")
    shots(page, "search")
    ctx.close()


def _customer(server: LiveServer) -> str:
    found = server.get("/v1/customers", q="ada@example.com")["items"]
    return str(found[0]["id"])


def test_a_long_conversation_opens_on_its_newest_messages_and_scrolls_back(
    server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server.add_user("amy", "agent", PASSWORD)
    start = datetime.now(UTC) - timedelta(hours=2)
    server.post(
        "/v1/events/batch",
        {
            "events": [
                event(
                    email="lin@example.com",
                    name="Lin Long",
                    when=start + timedelta(minutes=n),
                    key=f"long-{n}",
                    payload={"text": f"long thread line {n:02d}"},
                )
                for n in range(60)
            ]
        },
    )
    customer = server.get("/v1/customers", q="lin@example.com")["items"][0]["id"]
    deadline = time.monotonic() + 180  # a hang guard: the pipeline projects the 60 messages
    conv: dict[str, Any] = {}
    while time.monotonic() < deadline:
        items = server.get("/v1/conversations", customer_id=customer)["items"]
        if items and items[0]["message_count"] == 60:
            conv = items[0]
            break
        time.sleep(0.5)
    assert conv, "the pipeline did not project the 60 messages in time"

    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server.url, "amy")
    expect(page).to_have_url(server.url + "/desktop")
    page.goto(f"{server.url}/customers/{customer}?conversation={conv['id']}")
    messages = page.locator("#messages li")
    # The newest 50 first, the newest at the bottom; the oldest ten wait behind a scroll.
    expect(messages).to_have_count(50)
    expect(messages.last).to_contain_text("long thread line 59")
    expect(messages.first).to_contain_text("long thread line 10")
    expect(page.locator("#older-messages")).to_be_visible()
    page.locator("#messages").evaluate("n => { n.scrollTop = 0; }")
    expect(messages).to_have_count(60)
    expect(messages.first).to_contain_text("long thread line 00")
    expect(page.locator("#older-messages")).to_be_hidden()
    # Scrolling back kept the agent's place: the message that was on top is still in view.
    expect(page.locator("#messages li", has_text="long thread line 10")).to_be_in_viewport()
    Shots(tmp_path)(page, "conversation-scrolled-back")
    ctx.close()


def test_the_supervisor_edits_queue_membership_with_the_keyboard(
    server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    for name, role in (("amy", "agent"), ("bob", "agent"), ("sue", "supervisor")):
        server.add_user(name, role, PASSWORD)
    server.add_user("tom", "technician", PASSWORD)
    server.put("/v1/queues/billing/members/amy")
    server.post("/v1/events", event(email="cy@example.com", payload={"text": "Hello there"}))
    wait_for_conversations(server, 1)

    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server.url, "sue")
    expect(page).to_have_url(server.url + "/supervisor")
    billing = page.locator('#queue-rows tr[data-queue="billing"]')
    general = page.locator('#queue-rows tr[data-queue="general"]')
    expect(billing).to_contain_text("amy")
    # Cy waits in the default queue, which nobody works: the editor says so.
    expect(general.locator("td").nth(1)).to_have_text("1")
    expect(general).to_contain_text("nobody works this queue")
    for d in Shots(tmp_path).dirs:  # the editor sits below the dashboard: shoot it alone
        page.locator("#queues").screenshot(path=str(d / "queues.png"))
    # Only people who work conversations can be chosen.
    options = page.get_by_label("Person").locator("option")
    expect(options).to_have_count(4)  # the prompt, amy, bob, sue
    expect(page.get_by_label("Person")).not_to_contain_text("tom")

    # Add Bob to "general" from the keyboard: the row's button fills the queue in.
    general.get_by_role("button", name="Add someone to general").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Queue", exact=True)).to_have_value("general")
    expect(page.get_by_label("Person")).to_be_focused()
    page.get_by_label("Person").select_option("bob")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add to queue")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#queues-status")).to_have_text("Added bob to general.")
    expect(general.locator(".members")).to_contain_text("bob")
    expect(general).not_to_contain_text("nobody works this queue")
    assert [m["username"] for m in server.get("/v1/queues/members", queue="general")["items"]] == [
        "bob"
    ]
    # A new queue by name, typed.
    page.get_by_label("Queue", exact=True).fill("field")
    page.get_by_label("Person").select_option("amy")
    page.get_by_role("button", name="Add to queue").press("Enter")
    expect(page.locator('#queue-rows tr[data-queue="field"]')).to_contain_text("amy")

    # Remove Amy from billing with the keyboard; the page (and the store) follow.
    billing.get_by_role("button", name="Remove amy from billing").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#queues-status")).to_have_text("Removed amy from billing.")
    expect(billing).to_contain_text("no members")
    assert server.get("/v1/queues/members", queue="billing")["items"] == []

    # Another supervisor's change shows up without a reload (with the dashboard refresh).
    server.put("/v1/queues/billing/members/bob")
    expect(billing.locator(".members")).to_contain_text("bob", timeout=30_000)
    ctx.close()
