"""Inbound group commit: messages arriving together are recorded in one transaction, every
sender gets its own outcome, and the message is live on the conversation before the sender's
answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from onestory.events.service import ItemOutcome
from onestory.live.hub import conversation_channel
from onestory.models import Event
from tests.conftest import Api, event, make_settings, open_api


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    yield from open_api(make_settings(tmp_path, database_url, ai={"enabled": False}))


def chat(email: str, key: str, text: str = "Where is my parcel?") -> dict[str, Any]:
    return event(email=email, key=key, source="widget", payload={"text": text})


def test_concurrent_messages_share_one_transaction_and_each_sender_gets_its_outcome(
    api: Api,
) -> None:
    runtime = api.runtime
    inbound = api.application.channels.inbound
    requests = [[chat(f"c{i}@example.com", f"m{i}")] for i in range(20)]
    requests.append([chat("not-an-email", "bad")])  # refused, alone
    requests.append([chat("c3@example.com", "m3")])  # the same message again
    requests.append([chat("d1@example.com", "d1"), chat("d2@example.com", "d2")])

    async def send_all() -> list[list[ItemOutcome]]:
        return list(await asyncio.gather(*(inbound.receive(r) for r in requests)))

    results = api.client.portal.call(send_all)  # type: ignore[union-attr]

    for i in range(20):
        (o,) = results[i]
        assert (o.index, o.status, o.duplicate) == (0, 201, False)
    assert [(o.index, o.status) for o in results[20]] == [(0, 422)]
    assert results[20][0].errors
    (again,) = results[21]
    assert again.duplicate and again.id == results[3][0].id
    assert [(o.index, o.status) for o in results[22]] == [(0, 201), (1, 201)]
    assert len({r[0].customer_id for r in results[:20]}) == 20

    with runtime.db.transaction() as s:
        rows = s.execute(
            select(Event.id, Event.customer_id, Event.received_at).where(
                Event.type == "message.received"
            )
        ).all()
    by_id = {r.id: r for r in rows}
    assert len(rows) == 22  # 20 + the pair; the refused one and the duplicate wrote nothing
    for i in range(20):
        assert by_id[results[i][0].id].customer_id == results[i][0].customer_id
    # The first two requests go out at once (one records, one waits for the write lock);
    # the 21 that arrive meanwhile are recorded together: three transactions, not 23.
    assert len({r.received_at for r in rows}) == 3


def test_a_sender_that_goes_away_does_not_lose_its_message_or_anyone_elses(api: Api) -> None:
    runtime = api.runtime
    inbound = api.application.channels.inbound

    async def scenario() -> tuple[list[list[ItemOutcome]], bool]:
        tasks = [
            asyncio.create_task(inbound.receive([chat(f"g{i}@example.com", f"g{i}")]))
            for i in range(5)
        ]
        await asyncio.sleep(0)  # every request is queued
        tasks[0].cancel()  # e.g. the visitor's WebSocket closed
        rest = await asyncio.gather(*tasks[1:])
        try:
            await tasks[0]
        except asyncio.CancelledError:
            return list(rest), True
        return list(rest), False

    rest, cancelled = api.client.portal.call(scenario)  # type: ignore[union-attr]
    assert cancelled
    assert all(r[0].status == 201 for r in rest)
    with runtime.db.transaction() as s:
        texts = s.scalars(select(Event.idempotency_key).where(Event.type == "message.received"))
        assert sorted(texts) == [f"g{i}" for i in range(5)]


def test_message_is_on_the_conversation_channel_before_the_sender_hears_back(api: Api) -> None:
    runtime = api.runtime
    inbound = api.application.channels.inbound

    async def first() -> list[ItemOutcome]:
        return await inbound.receive([chat("ada@example.com", "hello", "Hello")])

    (o,) = api.client.portal.call(first)  # type: ignore[union-attr]
    api.drain()  # the pipeline opens the conversation
    conv = api.get("/v1/conversations", params={"customer_id": o.customer_id}).json()["items"][0]

    async def second() -> tuple[str | None, list[dict[str, Any]]]:
        sub = runtime.live.subscribe({conversation_channel(conv["id"])})
        try:
            (out,) = await inbound.receive([chat("ada@example.com", "again", "Still late")])
            seen = []
            while not sub.queue.empty():
                seen.append(sub.queue.get_nowait())
            return out.id, seen
        finally:
            sub.close()

    event_id, seen = api.client.portal.call(second)  # type: ignore[union-attr]
    early = [m for m in seen if m["kind"] == "conversation.message" and m.get("early")]
    assert [m["message"]["event_id"] for m in early] == [event_id]
    assert early[0]["conversation_id"] == conv["id"]
    assert early[0]["message"]["text"] == "Still late"
