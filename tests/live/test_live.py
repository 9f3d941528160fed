"""Live WebSocket: a subscriber gets its customer's items as recorded and as processed, only
theirs; a bad key or a key without customers:read is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from onestory.live.hub import RedisHub, customer_channel
from tests.conftest import REDIS_UP, REDIS_URL, Api, event, make_settings, open_api


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    yield from open_api(make_settings(tmp_path, database_url, ai={"enabled": False}))


def read_until_barrier(ws: Any, barrier: str) -> list[dict[str, Any]]:
    """Everything the server sent before it answered our (re)subscription to ``barrier``:
    a reply always comes, so this never waits forever."""
    ws.send_json({"subscribe": barrier})
    out = []
    while True:
        msg = ws.receive_json()
        if msg["kind"] == "subscribed" and barrier in msg["channels"]:
            return out
        out.append(msg)


def test_subscriber_receives_recorded_and_processed_items_for_its_customer_only(api: Api) -> None:
    ada = api.post("/v1/events", json=event(email="ada@example.com")).json()["customer_id"]
    bob = api.post("/v1/events", json=event(email="bob@example.com")).json()["customer_id"]
    api.drain()
    with api.client.websocket_connect(f"/v1/live?customer_id={ada}", headers=api.headers) as ws:
        hello = ws.receive_json()
        assert hello == {"kind": "subscribed", "channels": [f"customer:{ada}"]}
        api.post("/v1/events", json=event(email="bob@example.com", key="b1"))
        mine = api.post("/v1/events", json=event(email="ada@example.com", key="a1")).json()["id"]
        api.drain()
        got: list[dict[str, Any]] = []
        for n in range(50):  # the processed push follows the final commit by a moment
            got += read_until_barrier(ws, f"barrier:{n}")
            if any(m["kind"] == "story.processed" for m in got):
                break
        # Other domains push their own kinds (conversation updates...); the story items:
        assert bob not in str(got)  # nothing at all about another customer
        got = [m for m in got if m["kind"] in {"story.recorded", "story.processed"}]
        kinds = [(m["kind"], m["event"]["id"]) for m in got]
        assert ("story.recorded", mine) in kinds and ("story.processed", mine) in kinds
        assert kinds.index(("story.recorded", mine)) < kinds.index(("story.processed", mine))
        assert {m["event"]["customer_id"] for m in got} == {ada}
        assert bob not in str(got)
        assert "bob@example.com" not in str(got)
        recorded = next(m for m in got if m["kind"] == "story.recorded")
        assert recorded["event"]["type"] == "message.received"


def test_all_activity_subscription_and_api_key_query_parameter(api: Api) -> None:
    with api.client.websocket_connect(f"/v1/live?all=true&api_key={api.key}") as ws:
        assert ws.receive_json()["channels"] == ["all"]
        ids = {
            api.post("/v1/events", json=event(email=f"p{i}@example.com")).json()["customer_id"]
            for i in range(3)
        }
        got = read_until_barrier(ws, "barrier")
        assert {m["event"]["customer_id"] for m in got if m["kind"] == "story.recorded"} == ids


def test_bad_or_unscoped_keys_are_refused(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer os_not_a_key"}):
        with (
            pytest.raises(WebSocketDisconnect) as exc,
            api.client.websocket_connect("/v1/live?all=true", headers=headers) as ws,
        ):
            ws.receive_json()
        assert exc.value.code == 4401
    writer = api.new_key(["events:write"])
    with (
        pytest.raises(WebSocketDisconnect) as exc,
        api.client.websocket_connect(
            "/v1/live?all=true", headers={"Authorization": f"Bearer {writer}"}
        ) as ws,
    ):
        ws.receive_json()
    assert exc.value.code == 4403


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_UP, reason="Redis is not reachable on 127.0.0.1:6379")
async def test_redis_hub_delivers_to_its_own_screens_at_once_and_exactly_once() -> None:
    prefix = f"ostest-{uuid.uuid4().hex[:10]}"
    here, there = RedisHub(REDIS_URL, prefix), RedisHub(REDIS_URL, prefix)
    await here.start()
    await there.start()
    try:
        local = here.subscribe({customer_channel("cus_a")})
        remote = there.subscribe({customer_channel("cus_a")})
        await here.publish([customer_channel("cus_a")], {"kind": "story.recorded", "n": 1})
        # Already queued when publish returns: no round trip through Redis for this process.
        assert local.queue.get_nowait() == {"kind": "story.recorded", "n": 1}
        assert await remote.get(timeout=5) == {"kind": "story.recorded", "n": 1}
        await there.publish([customer_channel("cus_a")], {"kind": "story.recorded", "n": 2})
        assert await local.get(timeout=5) == {"kind": "story.recorded", "n": 2}
        assert remote.queue.get_nowait() == {"kind": "story.recorded", "n": 2}
        # Each hub's relay also hears its own messages back from Redis: they are skipped.
        with pytest.raises(TimeoutError):
            await local.get(timeout=0.5)
        assert remote.queue.empty()
    finally:
        await here.close()
        await there.close()
