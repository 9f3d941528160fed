"""The must-show journey: widget chat → email reply over real SMTP → Twilio SMS → call
transcript, all one conversation, in order, seen live by a subscribed agent."""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from onestory.channels.twilio import signature
from tests.channels.conftest import BASE, TWILIO_TOKEN, Channels, WsReader
from tests.conftest import event


def twilio_post(chan: Channels, path: str, params: dict[str, str]) -> Any:
    sig = signature(TWILIO_TOKEN, f"{BASE}{path}", params)
    return chan.api.client.post(
        path,
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sig,
        },
    )


def test_one_conversation_across_widget_email_sms_and_voice(chan: Channels) -> None:
    api = chan.api
    # A known customer: the CRM knows Ada's email and mobile.
    r = api.post(
        "/v1/events",
        json=event("profile.updated", phone="+447911123456", channel=None, payload={}),
    )
    assert r.status_code == 201, r.text
    customer_id = r.json()["customer_id"]

    with api.client.websocket_connect(f"/v1/live?api_key={api.key}") as agent_ws:
        agent = WsReader(agent_ws)
        agent_ws.send_json({"subscribe": "conversations"})
        agent.until(lambda m: m["kind"] == "subscribed" and "conversations" in m["channels"])

        def seen(text_part: str) -> dict[str, Any]:
            msg = agent.until(
                lambda m: (
                    m["kind"] == "conversation.message"
                    and text_part in (m["message"]["text"] or "")
                )
            )
            return msg

        # 1. Web chat: an anonymous visitor gives their email (a claim), proves it with the
        # code mailed to it, and then writes as Ada.
        s = api.client.post("/v1/widget/session", json={})
        assert s.status_code == 200, s.text
        token = s.json()["token"]
        with api.client.websocket_connect(f"/v1/widget/ws?token={token}") as visitor_ws:
            visitor = WsReader(visitor_ws)
            visitor.until(lambda m: m["type"] == "ready")
            visitor_ws.send_json({"type": "identify", "email": "ada@example.com"})
            claimed = visitor.until(lambda m: m["type"] == "token")
            assert claimed["verified"] is False
            token = claimed["token"]
        r = api.client.post("/v1/widget/verify/start", json={}, headers={"X-Widget-Token": token})
        assert r.status_code == 202, r.text
        code = re.search(rb"code is (\d{6})", chan.mail.sent[-1][2])
        assert code is not None
        r = api.client.post(
            "/v1/widget/verify",
            json={"code": code.group(1).decode()},
            headers={"X-Widget-Token": r.json()["token"]},
        )
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        with api.client.websocket_connect(f"/v1/widget/ws?token={token}") as visitor_ws:
            visitor = WsReader(visitor_ws)
            visitor.until(lambda m: m["type"] == "ready")
            visitor_ws.send_json(
                {"type": "message", "id": "w1", "text": "Hi, my order 48213 has not arrived"}
            )
            ack = visitor.until(lambda m: m["type"] == "ack")
            assert ack["customer_id"] == customer_id
            first = seen("order 48213")
            conversation_id = first["conversation_id"]
            # The agent types; the visitor sees it, under the caller's own name.
            r = api.post(f"/v1/conversations/{conversation_id}/typing", json={})
            assert r.status_code == 202
            typing = visitor.until(lambda m: m["type"] == "typing")
            assert typing["typing"] is True and typing["name"] == "admin"
            # The visitor types; the agent sees it.
            visitor_ws.send_json({"type": "typing", "typing": True})
            t = agent.until(lambda m: m["kind"] == "conversation.typing" and m["who"] == "customer")
            assert t["conversation_id"] == conversation_id

        # 2. Email from a real SMTP client to the inbound server, with a quoted original.
        mail = EmailMessage()
        mail["From"] = "Ada Lovelace <ada@example.com>"
        mail["To"] = "support@brand.example"
        mail["Subject"] = "Re: your order"
        mail["Message-ID"] = "<reply-1@example.com>"
        mail.set_content(
            "It is still missing, I am at 12 Baker Street, London NW1 6XE.\n\n"
            "-- \nAda\n\nOn Tue, 3 Nov 2026 at 10:00, Support <support@brand.example> wrote:\n"
            "> We are looking into it\n"
        )
        with smtplib.SMTP("127.0.0.1", chan.smtp_port, timeout=10) as smtp:
            refused = smtp.send_message(mail)
        assert refused == {}
        email_msg = seen("still missing")
        assert email_msg["conversation_id"] == conversation_id
        assert "looking into it" not in email_msg["message"]["text"]
        assert "Ada" not in email_msg["message"]["text"]

        # 3. An SMS through Twilio's signed webhook.
        r = twilio_post(
            chan,
            "/v1/channels/twilio/messages",
            {
                "MessageSid": "SM" + "a" * 32,
                "From": "+447911123456",
                "To": "+15550001111",
                "Body": "Any news? Texting as I am out",
                "NumMedia": "0",
            },
        )
        assert r.status_code == 200, r.text
        assert "<Response>" in r.text
        sms = seen("Any news")
        assert sms["conversation_id"] == conversation_id

        # 4. A call: lifecycle plus speaker-labelled transcript segments.
        call = {
            "call_id": "call-77",
            "occurred_at": datetime.now(UTC).isoformat(),
            "customer": {"phone": "+447911123456"},
            "direction": "inbound",
            "agent_id": "amy",
        }
        for body in (
            {**call, "event": "started"},
            {
                **call,
                "event": "transcript",
                "segments": [
                    {"index": 0, "speaker": "customer", "text": "I am calling about order 48213"},
                    {
                        "index": 1,
                        "speaker": "agent",
                        "text": "I can see it, a courier is on the way",
                    },
                ],
            },
            {**call, "event": "ended", "duration_seconds": 95},
        ):
            r = api.post("/v1/channels/voice/events", json=body)
            assert r.status_code == 201, r.text
        seen("courier is on the way")
        chan.settle()

    conv = api.get(f"/v1/conversations/{conversation_id}").json()
    texts = [m["text"] for m in conv["messages"]]
    channels = [m["channel"] for m in conv["messages"]]
    assert channels == ["chat", "email", "sms", "voice", "voice", "voice", "voice"]
    assert texts[0].startswith("Hi, my order 48213")
    assert texts[4] == "I am calling about order 48213"
    assert [m["author"] for m in conv["messages"]][4:6] == ["customer", "agent"]
    assert conv["customer_id"] == customer_id
    assert conv["channels"] == ["chat", "email", "sms", "voice"]
    # Nobody asks again: the order number and address were captured.
    assert conv["facts"]["order_number"]["value"] == "48213"
    # The address was redacted at ingest; the fact that it was given is kept.
    assert conv["facts"]["address"]["redacted"] is True
    assert "Baker Street" not in str(conv)
    assert [n["kind"] for n in conv["notes"]].count("channel_switch") == 3
    listed = api.get("/v1/conversations", params={"customer_id": customer_id}).json()
    assert listed["total"] == 1
