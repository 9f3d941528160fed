"""Conversations end to end: one thread per customer across channels, every change an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from onestory.kit.clock import FrozenClock
from tests.cases.conftest import NOON
from tests.conftest import Api, event
from tests.web.conftest import make_user


def send(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/v1/events", json=body)
    assert r.status_code in (200, 201), r.text
    out: dict[str, Any] = r.json()
    return out


def only_conversation(api: Api, customer_id: str) -> dict[str, Any]:
    r = api.get("/v1/conversations", params={"customer_id": customer_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1, body
    conv = api.get(f"/v1/conversations/{body['items'][0]['id']}")
    assert conv.status_code == 200, conv.text
    out: dict[str, Any] = conv.json()
    return out


def story_types(api: Api, customer_id: str) -> list[str]:
    r = api.get(f"/v1/customers/{customer_id}/story", params={"limit": 200})
    assert r.status_code == 200, r.text
    return [i["type"] for i in r.json()["items"]]


def test_messages_on_every_channel_join_one_conversation(api: Api) -> None:
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    rec = send(
        api,
        event(
            channel="chat",
            when=t0,
            payload={"text": "My order 48213 never arrived"},
            key="c1",
        ),
    )
    cid = rec["customer_id"]
    send(
        api,
        event(
            channel="email",
            when=t0 + timedelta(minutes=1),
            payload={"text": "Following up by email", "subject": "Order"},
            key="e1",
        ),
    )
    send(
        api,
        event(
            "message.sent",
            channel="email",
            when=t0 + timedelta(minutes=2),
            payload={"text": "Sorry, looking into it", "author": "agent", "author_id": "amy"},
            key="a1",
        ),
    )
    api.drain()
    conv = only_conversation(api, cid)
    assert [m["channel"] for m in conv["messages"]] == ["chat", "email", "email"]
    assert [m["direction"] for m in conv["messages"]] == ["inbound", "inbound", "outbound"]
    assert conv["channels"] == ["chat", "email"]
    assert conv["status"] == "waiting_on_customer"
    assert conv["assignee"] == "amy"
    assert conv["first_response_seconds"] == 120
    assert conv["facts"]["order_number"]["value"] == "48213"
    assert conv["facts"]["problem"]["text"].startswith("My order")
    # The channel switch left a context note and a hand-off event in the story.
    [note] = conv["notes"]
    assert note["kind"] == "channel_switch"
    assert note["known"]["order_number"] == "48213"
    types = story_types(api, cid)
    assert "conversation.opened" in types
    assert "conversation.handoff" in types


def test_replayed_event_is_not_a_second_message(api: Api) -> None:
    body = event(payload={"text": "hello"}, key="same")
    first = send(api, body)
    again = send(api, body)
    assert again["duplicate"] is True
    api.drain()
    conv = only_conversation(api, first["customer_id"])
    assert conv["message_count"] == 1


def test_assign_transfer_resolve_reopen_are_story_events(api: Api) -> None:
    rec = send(api, event(payload={"text": "I need help with invoice INV-2231"}))
    api.drain()
    conv = only_conversation(api, rec["customer_id"])
    cid = conv["id"]
    make_user(api, "bob", "agent")
    make_user(api, "carol", "agent")
    r = api.post(f"/v1/conversations/{cid}/assign", json={"assignee": "bob", "queue": "billing"})
    assert r.status_code == 200, r.text
    assert r.json()["assignee"] == "bob"
    r = api.post(
        f"/v1/conversations/{cid}/transfer",
        json={"to_assignee": "carol", "reason": "billing specialist", "note": "refund pending"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["assignee"] == "carol"
    note = body["notes"][-1]
    assert note["who"] and note["why"] == "billing specialist"
    assert note["from_assignee"] == "bob"
    assert "the customer is waiting for our answer" in note["open"]
    r = api.post(f"/v1/conversations/{cid}/resolve", json={"reason": "refunded"})
    assert r.json()["status"] == "resolved"
    assert (
        api.post(
            f"/v1/conversations/{cid}/transfer", json={"to_queue": "x", "reason": "y"}
        ).status_code
        == 409
    )
    r = api.post(f"/v1/conversations/{cid}/reopen")
    assert r.status_code == 200
    assert r.json()["status"] == "open"
    assert api.post(f"/v1/conversations/{cid}/reopen").status_code == 409
    api.drain()
    types = story_types(api, rec["customer_id"])
    for t in (
        "conversation.assigned",
        "conversation.transferred",
        "conversation.resolved",
        "conversation.reopened",
        "conversation.status_changed",
    ):
        assert t in types, (t, types)
    # Filters.
    listed = api.get("/v1/conversations", params={"assignee": "carol", "status": "open"}).json()
    assert [c["id"] for c in listed["items"]] == [cid]
    assert api.get("/v1/conversations", params={"queue": "nope"}).json()["total"] == 0


def test_after_resolution_and_quiet_period_a_new_conversation_starts(
    capi: Api, clock: FrozenClock
) -> None:
    api = capi  # on a frozen clock: the quiet period passes when the test says so
    t0 = NOON - timedelta(days=3)
    rec = send(api, event(when=t0, payload={"text": "first problem"}))
    api.drain()
    conv = only_conversation(api, rec["customer_id"])
    api.post(f"/v1/conversations/{conv['id']}/resolve", json={})
    # Soon after resolution: the same conversation reopens.
    send(api, event(when=NOON, payload={"text": "actually, one more thing"}))
    api.drain()
    again = only_conversation(api, rec["customer_id"])
    assert again["id"] == conv["id"]
    assert again["status"] == "waiting_on_us"
    api.post(f"/v1/conversations/{conv['id']}/resolve", json={})
    clock.advance(timedelta(days=2))  # resolved long ago
    send(api, event(when=clock.now(), payload={"text": "new problem"}, key="n"))
    api.drain()
    r = api.get("/v1/conversations", params={"customer_id": rec["customer_id"]}).json()
    assert r["total"] == 2
    assert {c["status"] for c in r["items"]} == {"resolved", "waiting_on_us"}


def test_unknown_conversation_and_bad_input_are_clear(api: Api) -> None:
    r = api.post("/v1/conversations/cnv_nope/resolve", json={})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    rec = send(api, event(payload={"text": "hi"}))
    api.drain()
    conv = only_conversation(api, rec["customer_id"])
    r = api.post(f"/v1/conversations/{conv['id']}/status", json={"status": "sleeping"})
    assert r.status_code == 422
    reader = api.new_key(["customers:read"])
    r = api.client.get("/v1/conversations", headers={"Authorization": f"Bearer {reader}"})
    assert r.status_code == 403


def test_ai_to_human_handoff_keeps_the_thread_with_a_note(api: Api) -> None:
    t0 = datetime.now(UTC) - timedelta(minutes=20)
    rec = send(api, event(when=t0, payload={"text": "My invoice INV-2231 is wrong"}, key="h1"))
    send(
        api,
        event(
            "message.sent",
            when=t0 + timedelta(minutes=1),
            payload={"text": "I can help with invoices", "author": "ai", "author_id": "ai:nova"},
            key="h2",
        ),
    )
    api.drain()
    conv = only_conversation(api, rec["customer_id"])
    # The assistant's own key hands over, saying it relays an AI.
    r = api.post(
        f"/v1/conversations/{conv['id']}/transfer",
        json={"to_queue": "billing", "reason": "customer asked for a human", "author": "ai"},
    )
    assert r.status_code == 200, r.text
    note = r.json()["notes"][-1]
    assert note["kind"] == "ai_to_human" and note["to_queue"] == "billing"
    assert note["known"]["invoice_number"] == "INV-2231"
    send(
        api,
        event(
            "message.sent",
            when=t0 + timedelta(minutes=3),
            payload={"text": "Hi, Bob here", "author": "agent", "author_id": "bob"},
            key="h3",
        ),
    )
    api.drain()
    conv = only_conversation(api, rec["customer_id"])
    assert [m["author"] for m in conv["messages"]] == ["customer", "ai", "agent"]
    assert conv["assignee"] == "bob" and conv["queue"] == "billing"
    # The first response was the AI's, a minute after the customer wrote.
    assert conv["first_response_seconds"] == 60


def test_a_long_thread_shows_its_newest_messages(api: Api) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(6):
        r = api.post(
            "/v1/events",
            json=event(payload={"text": f"message number {n}"}, when=start + timedelta(minutes=n)),
        )
        assert r.status_code == 201, r.text
    api.drain()
    [conv] = api.get("/v1/conversations").json()["items"]
    body = api.get(f"/v1/conversations/{conv['id']}", params={"limit": 3}).json()
    texts = [m["text"] for m in body["messages"]]
    assert texts == ["message number 3", "message number 4", "message number 5"]


def test_older_messages_page_back_from_the_newest(api: Api) -> None:
    # Two messages share a timestamp: the cursor must split them by id, not skip or repeat.
    start = datetime.now(UTC) - timedelta(hours=1)
    times = [start + timedelta(minutes=n) for n in (0, 1, 2, 2, 3, 4, 5)]
    for n, when in enumerate(times):
        send(api, event(payload={"text": f"message number {n}"}, when=when, key=f"page-{n}"))
    api.drain()
    [conv] = api.get("/v1/conversations").json()["items"]
    first = api.get(f"/v1/conversations/{conv['id']}", params={"limit": 3}).json()
    seen = [m["text"] for m in first["messages"]]
    assert seen == ["message number 4", "message number 5", "message number 6"]
    cursor = first["older_cursor"]
    pages = 0
    while cursor:
        page = api.get(
            f"/v1/conversations/{conv['id']}/messages", params={"limit": 3, "before": cursor}
        ).json()
        seen = [m["text"] for m in page["items"]] + seen
        cursor = page["older_cursor"]
        pages += 1
    assert pages == 2
    assert seen == [f"message number {n}" for n in range(7)]
    # The whole thread in one page has nothing older.
    whole = api.get(f"/v1/conversations/{conv['id']}", params={"limit": 7}).json()
    assert whole["older_cursor"] is None and len(whole["messages"]) == 7


def test_a_cursor_we_did_not_give_out_is_refused(api: Api) -> None:
    send(api, event(payload={"text": "hello"}))
    api.drain()
    [conv] = api.get("/v1/conversations").json()["items"]
    r = api.get(f"/v1/conversations/{conv['id']}/messages", params={"before": "not-a-cursor"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "before"
    assert api.get("/v1/conversations/cnv_nope/messages").status_code == 404
