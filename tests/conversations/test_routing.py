"""Routing conversations into queues: rules for new conversations (channel, intent) and the
``conversation.route_requested`` events playbooks emit, applied by the projection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from onestory.config import Settings
from onestory.conversations.settings import ConversationSettings, RoutingRule
from onestory.kit.clock import FrozenClock
from tests.cases.conftest import NOON, open_frozen_api
from tests.channels.conftest import WsReader
from tests.conftest import Api, event, make_settings, open_api
from tests.web.conftest import make_user

RULES_YAML = """\
rules:
  - name: phone calls
    channels: [voice]
    queue: phone
  - name: money
    intents: [billing_question, refund_request]
    queue: billing
"""


@pytest.fixture
def rapi(tmp_path: Path, database_url: str) -> Iterator[Api]:
    rules = tmp_path / "routing.yaml"
    rules.write_text(RULES_YAML)
    conversations = ConversationSettings(
        routing=[
            RoutingRule(
                name="chat faults", channels=["chat"], intents=["technical_problem"], queue="tech"
            )
        ],
        routing_file=str(rules),
    )
    yield from open_api(make_settings(tmp_path, database_url, conversations=conversations))


def send(api: Api, body: dict[str, Any]) -> str:
    r = api.post("/v1/events", json=body)
    assert r.status_code in (200, 201), r.text
    out: str = r.json()["customer_id"]
    return out


def conversation(api: Api, customer_id: str) -> dict[str, Any]:
    [c] = api.get("/v1/conversations", params={"customer_id": customer_id}).json()["items"]
    out: dict[str, Any] = api.get(f"/v1/conversations/{c['id']}").json()
    return out


def story(api: Api, customer_id: str) -> list[dict[str, Any]]:
    r = api.get(f"/v1/customers/{customer_id}/story", params={"limit": 200})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_new_conversations_start_in_the_queue_their_rule_picks(rapi: Api) -> None:
    bill = send(
        rapi,
        event(email="b@example.com", payload={"text": "My bill is wrong, I was charged twice"}),
    )
    call = send(
        rapi,
        event(
            email="c@example.com", channel="voice", type_="call.started", payload={"call_id": "k1"}
        ),
    )
    fault = send(
        rapi,
        event(email="f@example.com", payload={"text": "My router keeps dropping the connection"}),
    )
    # The same fault by email: the chat-only rule does not match, so the default queue.
    mail = send(
        rapi,
        event(
            email="m@example.com",
            channel="email",
            payload={"text": "My router keeps dropping the connection"},
        ),
    )
    rapi.drain()
    queues = {
        k: conversation(rapi, c)["queue"]
        for k, c in (("bill", bill), ("call", call), ("fault", fault), ("mail", mail))
    }
    assert queues == {"bill": "billing", "call": "phone", "fault": "tech", "mail": "general"}
    [opened] = [e for e in story(rapi, bill) if e["type"] == "conversation.opened"]
    assert opened["payload"]["queue"] == "billing"
    assert opened["payload"]["routing_rule"] == "money"
    assert opened["payload"]["intent"] == "billing_question"
    [plain] = [e for e in story(rapi, mail) if e["type"] == "conversation.opened"]
    assert plain["payload"]["queue"] == "general" and "routing_rule" not in plain["payload"]
    # Listing a queue finds them.
    listed = rapi.get("/v1/conversations", params={"queue": "billing"}).json()["items"]
    assert [c["customer_id"] for c in listed] == [bill]


def test_a_thread_we_opened_is_routed_by_the_customers_first_answer(rapi: Api) -> None:
    cust = send(
        rapi,
        event(
            "message.sent",
            email="o@example.com",
            channel="email",
            payload={"text": "Your plan renews next week", "author": "agent", "author_id": "amy"},
        ),
    )
    rapi.drain()
    first = conversation(rapi, cust)
    assert first["queue"] == "general" and first["assignee"] == "amy"
    # Amy is on it: her thread stays where it is whatever the customer asks.
    send(
        rapi,
        event(
            email="o@example.com", channel="email", payload={"text": "I want a refund for my order"}
        ),
    )
    rapi.drain()
    assert conversation(rapi, cust)["queue"] == "general"
    # Unassigned, the next customer message with a matching intent routes it, with a note.
    r = rapi.post(f"/v1/conversations/{first['id']}/assign", json={"assignee": ""})
    assert r.status_code == 200, r.text
    send(
        rapi,
        event(
            email="o@example.com",
            channel="email",
            payload={"text": "My bill is wrong, I was charged twice"},
        ),
    )
    rapi.drain()
    conv = conversation(rapi, cust)
    assert conv["queue"] == "billing" and conv["assignee"] is None
    note = conv["notes"][-1]
    assert note["kind"] == "routing" and note["routing_rule"] == "money"
    assert (note["from_queue"], note["to_queue"]) == ("general", "billing")
    assert [e["type"] for e in story(rapi, cust)].count("conversation.routed") == 1


def test_route_requested_moves_the_conversation_with_a_note_and_a_live_update(api: Api) -> None:
    cust = send(api, event(email="r@example.com", payload={"text": "Hello, my parcel is late"}))
    api.drain()
    conv = conversation(api, cust)
    assert conv["queue"] == "general"
    make_user(api, "amy", "agent")
    r = api.post(f"/v1/conversations/{conv['id']}/assign", json={"assignee": "amy"})
    assert r.status_code == 200, r.text
    request = event(
        "conversation.route_requested",
        email="r@example.com",
        channel=None,
        key="route-1",
        payload={"conversation_id": conv["id"], "queue": "senior", "reason": "playbook vip"},
    )
    with api.client.websocket_connect(f"/v1/live?api_key={api.key}") as ws:
        live = WsReader(ws)
        ws.send_json({"subscribe": "conversations"})
        live.until(lambda m: m["kind"] == "subscribed")
        send(api, request)
        api.drain()
        pushed = live.until(
            lambda m: m["kind"] == "conversation.updated" and m["change"] == "routed", timeout=60
        )
    assert pushed["conversation"]["queue"] == "senior"
    conv = conversation(api, cust)
    assert conv["queue"] == "senior" and conv["assignee"] is None
    note = conv["notes"][-1]
    assert note["kind"] == "routing" and note["why"] == "playbook vip"
    assert (note["from_queue"], note["from_assignee"], note["to_queue"]) == (
        "general",
        "amy",
        "senior",
    )
    assert "the customer is waiting for our answer" in note["open"]
    # The same request again (a replay) changes nothing; a request for a resolved thread
    # or with an unusable queue is ignored.
    send(api, request)
    r = api.post(f"/v1/conversations/{conv['id']}/resolve", json={})
    assert r.status_code == 200, r.text
    late = {**request, "idempotency_key": "route-2"}
    late["payload"] = {**request["payload"], "queue": "billing"}
    send(api, late)
    bad = {**request, "idempotency_key": "route-3"}
    bad["payload"] = {"queue": "   "}
    send(api, bad)
    api.drain()
    conv = conversation(api, cust)
    assert conv["queue"] == "senior" and conv["notes_total"] == 1
    types = [e["type"] for e in story(api, cust)]
    assert types.count("conversation.routed") == 1


def test_the_frustration_playbook_routes_the_thread_to_senior(
    settings: Settings, tmp_path: Path
) -> None:
    clock = FrozenClock(NOON)
    for capi in open_frozen_api(settings, clock):
        texts = [
            "My internet connection is not working, the router keeps dropping.",
            "Still no internet! The router is dropping the connection again. This is terrible.",
            "This is the third time I write: my internet is down AGAIN. Awful, useless service!",
        ]
        cust = ""
        for i, t in enumerate(texts):
            cust = send(
                capi,
                event(
                    email="angry@example.com",
                    when=NOON - timedelta(hours=3 - i),
                    payload={"text": t},
                    key=f"a{i}",
                ),
            )
            capi.drain()
        capi.drain()
        conv = conversation(capi, cust)
        assert conv["queue"] == "senior"
        [note] = [n for n in conv["notes"] if n["kind"] == "routing"]
        assert note["why"].startswith("playbook frustration-escalate")
        assert note["to_queue"] == "senior" and note.get("signal_id")


def test_broken_routing_rules_stop_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "routing.yaml"
    bad.write_text("rules:\n  - queue: billing\n")
    with pytest.raises(ValueError, match="needs channels or intents"):
        ConversationSettings(routing_file=str(bad))
    with pytest.raises(ValueError, match="routing file"):
        ConversationSettings(routing_file=str(tmp_path / "missing.yaml"))
    s = ConversationSettings(routing=[RoutingRule(intents=["x"], queue=" q ")])
    assert s.route("chat", "x") is not None and s.route("chat", "y") is None
    assert s.routing_rules()[0].queue == "q"
