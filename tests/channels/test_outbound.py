"""Outbound: queued messages are delivered once on the right channel and the outcome is a
story event; delivery reports update the message; a crash mid-send never sends twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from onestory.conversations.models import OutboxItem
from onestory.privacy.models import Consent, ContactPreference
from tests.channels.conftest import Channels
from tests.channels.test_scenario import twilio_post


def sms_in(chan: Channels, sid: str, text: str) -> None:
    params = {"MessageSid": sid, "From": "+447911123456", "To": "+15550001111", "Body": text}
    r = twilio_post(chan, "/v1/channels/twilio/messages", params)
    assert r.status_code == 200, r.text


def the_conversation(chan: Channels) -> dict[str, Any]:
    items = chan.api.get("/v1/conversations").json()["items"]
    assert len(items) == 1
    out: dict[str, Any] = chan.api.get(f"/v1/conversations/{items[0]['id']}").json()
    return out


def story_types(chan: Channels, customer_id: str) -> list[str]:
    r = chan.api.get(f"/v1/customers/{customer_id}/story", params={"limit": 200})
    return [i["type"] for i in r.json()["items"]]


def test_reply_goes_out_on_the_current_channel_and_reports_come_back(chan: Channels) -> None:
    sms_in(chan, "SM" + "a" * 32, "Is my engineer still coming today?")
    chan.settle()
    conv = the_conversation(chan)
    r = chan.api.post(f"/v1/conversations/{conv['id']}/reply", json={"text": "Yes, at 2pm"})
    assert r.status_code == 202
    event_id = r.json()["event_id"]
    chan.settle()
    assert chan.sms.sent == [
        {
            "to": "+447911123456",
            "from": "+15550001111",
            "body": "Yes, at 2pm",
            "cb": "http://testserver/v1/channels/twilio/status",
        }
    ]
    conv = the_conversation(chan)
    reply = conv["messages"][-1]
    assert (reply["event_id"], reply["channel"], reply["status"]) == (event_id, "sms", "sent")
    assert reply["author"] == "agent" and conv["status"] == "waiting_on_customer"
    assert conv["first_response_at"] is not None
    # Twilio reports delivery (signed); a replayed report changes nothing.
    status = {
        "MessageSid": "SM" + "0" * 31 + "1",
        "MessageStatus": "delivered",
        "From": "+15550001111",
        "To": "+447911123456",
    }
    first = twilio_post(chan, "/v1/channels/twilio/status", status)
    assert first.status_code == 201, first.text
    assert twilio_post(chan, "/v1/channels/twilio/status", status).json()["duplicate"] is True
    unknown = twilio_post(chan, "/v1/channels/twilio/status", {**status, "MessageSid": "SMx"})
    assert unknown.status_code == 404
    chan.settle()
    assert the_conversation(chan)["messages"][-1]["status"] == "delivered"
    types = story_types(chan, conv["customer_id"])
    assert types.count("message.status") == 1 and types.count("message.delivered") == 1
    # Re-running the act stage over the same event queues nothing new.
    with chan.api.runtime.db.transaction() as s:
        assert len(s.scalars(select(OutboxItem)).all()) == 1
    assert len(chan.sms.sent) == 1


def test_failures_consent_and_preference_decide_the_channel(chan: Channels) -> None:
    api = chan.api
    r = api.post(
        "/v1/events",
        json={
            "type": "profile.updated",
            "source": "crm",
            "occurred_at": datetime.now(UTC).isoformat(),
            "customer": {"email": "ada@example.com", "phone": "+447911123456"},
            "payload": {},
        },
    )
    customer_id = r.json()["customer_id"]
    sms_in(chan, "SM" + "b" * 32, "Hello?")
    chan.settle()
    conv = the_conversation(chan)
    # The provider refuses: the message is failed, with the reason, and not retried.
    chan.sms.fail_with = "21610 unsubscribed recipient"
    api.post(f"/v1/conversations/{conv['id']}/reply", json={"text": "first try"})
    chan.settle()
    last = the_conversation(chan)["messages"][-1]
    assert last["status"] == "failed" and "21610" in last["meta"]["error"]
    assert "message.failed" in story_types(chan, customer_id)
    chan.sms.fail_with = None
    # The customer said: email me; and withdrew SMS consent.
    with api.runtime.db.transaction(write=True) as s:
        now = datetime.now(UTC)
        s.add(ContactPreference(customer_id=customer_id, preferred_channel="email", updated_at=now))
        s.add(
            Consent(
                customer_id=customer_id,
                purpose="service",
                channel="sms",
                granted=False,
                source="test",
                updated_at=now,
            )
        )
    api.post(f"/v1/conversations/{conv['id']}/reply", json={"text": "by email then"})
    chan.settle()
    assert [m[1] for m in chan.mail.sent] == [["ada@example.com"]]
    assert the_conversation(chan)["messages"][-1]["channel"] == "email"
    # Asking for SMS explicitly without consent fails with a clear reason; nothing is sent.
    api.post(f"/v1/conversations/{conv['id']}/reply", json={"text": "x", "channel": "sms"})
    chan.settle()
    last = the_conversation(chan)["messages"][-1]
    assert last["status"] == "failed" and "consent" in last["meta"]["error"]
    assert chan.sms.sent == []


def test_outbound_service_and_crash_mid_send(chan: Channels) -> None:
    api = chan.api
    sms_in(chan, "SM" + "c" * 32, "Hi")
    chan.settle()
    conv = the_conversation(chan)
    outbound = api.application.channels.outbound
    # Another domain (a playbook) queues a message with no channel: the current one is used.
    event_id = api.client.portal.call(  # type: ignore[union-attr]
        lambda: outbound.queue(conv["customer_id"], "Your refund is on its way", author="ai")
    )
    chan.settle()
    assert chan.sms.sent[-1]["body"] == "Your refund is on its way"
    msg = the_conversation(chan)["messages"][-1]
    assert (msg["event_id"], msg["author"], msg["status"]) == (event_id, "ai", "sent")
    # A worker died after claiming a row: at start-up it is failed, never sent again.
    outbox = api.application.channels.outbox
    with api.runtime.db.transaction(write=True) as s:
        item = s.scalars(select(OutboxItem)).one()
        item.status = "sending"
        item.updated_at = datetime.now(UTC) - timedelta(hours=1)
    sent_before = len(chan.sms.sent)
    api.client.portal.call(outbox.start)  # type: ignore[union-attr]
    chan.settle()
    with api.runtime.db.transaction() as s:
        item = s.scalars(select(OutboxItem)).one()
        assert item.status == "failed" and "outcome unknown" in (item.last_error or "")
    assert len(chan.sms.sent) == sent_before
