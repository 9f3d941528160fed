"""Replies on the social channel: a signed JSON POST to the social integration over real HTTP;
its refusal, or a missing URL, fails the message with a clear reason."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from onestory.channels.social import SocialSender
from onestory.kit import signing
from onestory.kit.errors import Unauthorized
from tests.channels.conftest import WEBHOOK_SECRET, Channels
from tests.channels.test_signatures import post_signed


class Integration:
    """A social integration on a real local port that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any], bool]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    signing.verify(
                        WEBHOOK_SECRET,
                        self.headers,
                        method="POST",
                        path=self.path,
                        body=raw,
                        now=datetime.now(UTC),
                    )
                    signed = True
                except Unauthorized:
                    signed = False
                outer.received.append((self.path, json.loads(raw), signed))
                answer = json.dumps({"id": f"reply-{len(outer.received)}"}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{network}}/reply"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def integration() -> Iterator[Integration]:
    it = Integration()
    yield it
    it.server.shutdown()


def social_post(chan: Channels, post_id: str, text: str) -> None:
    post = {
        "id": post_id,
        "handle": "@Ada_L",
        "text": text,
        "occurred_at": "2026-11-25T10:00:00Z",
    }
    r = post_signed(chan, "/v1/channels/social/x", post, WEBHOOK_SECRET)
    assert r.status_code == 201, r.text


def reply(chan: Channels, text: str) -> dict[str, Any]:
    items = chan.api.get("/v1/conversations").json()["items"]
    assert len(items) == 1
    r = chan.api.post(f"/v1/conversations/{items[0]['id']}/reply", json={"text": text})
    assert r.status_code == 202, r.text
    chan.settle()
    conv: dict[str, Any] = chan.api.get(f"/v1/conversations/{items[0]['id']}").json()
    return conv


def use(chan: Channels, sender: SocialSender) -> None:
    chan.api.application.channels.outbox.senders["social"] = sender


def test_a_reply_to_a_social_post_is_posted_signed_to_the_integration(
    chan: Channels, integration: Integration
) -> None:
    settings = chan.api.runtime.settings.channels.model_copy(
        update={"social_outbound_url": integration.url}
    )
    use(chan, SocialSender(settings))
    social_post(chan, "tw-9", "Your app logged me out again")
    chan.settle()
    conv = reply(chan, "Sorry about that, a fix ships tonight")
    sent = conv["messages"][-1]
    assert (sent["channel"], sent["status"]) == ("social", "sent"), sent
    assert len(integration.received) == 1
    path, body, signed = integration.received[0]
    assert path == "/x/reply" and signed
    assert body["network"] == "x" and body["handle"] == "ada_l"
    assert body["text"] == "Sorry about that, a fix ships tonight"
    assert body["message_id"] == sent["event_id"] and body["conversation_id"] == conv["id"]

    # The integration refuses the next one: the message fails with its answer as the reason.
    integration.status = 422
    conv = reply(chan, "Second try")
    failed = conv["messages"][-1]
    assert failed["status"] == "failed" and len(integration.received) == 2


def test_without_an_outbound_url_the_reply_fails_clearly(chan: Channels) -> None:
    social_post(chan, "tw-10", "Anyone there?")
    chan.settle()
    conv = reply(chan, "Yes, we are")
    assert conv["messages"][-1]["status"] == "failed"
    types = [i for i in chan.api.get(f"/v1/customers/{conv['customer_id']}/story").json()["items"]]
    reasons = [json.dumps(i["payload"]) for i in types if i["type"] == "message.failed"]
    assert any("SOCIAL_OUTBOUND_URL" in r for r in reasons), reasons
