"""The unit of work publishes what it did only after commit, once, in one message shape."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from onestory import bootstrap
from onestory.db.migrate import upgrade
from onestory.events.service import EventDraft
from onestory.ingest.service import ingest_with_retry
from onestory.live.hub import ALL
from onestory.live.messages import conversation_typing
from onestory.pipeline.uow import UnitOfWork
from tests.conftest import make_settings


class Refused(Exception):
    pass


def test_commit_publishes_events_then_pushes_and_rollback_publishes_nothing(
    tmp_path: Path,
) -> None:
    runtime = bootstrap.build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'uow.db'}")).core
    upgrade(runtime.db.engine)
    env = {
        "type": "note.added",
        "source": "crm",
        "occurred_at": "2026-12-01T10:00:00Z",
        "customer": {"email": "uow@example.com"},
        "payload": {"text": "hello"},
    }
    (outcome,), _ = ingest_with_retry(runtime, [env])
    customer_id = outcome.customer_id
    assert customer_id
    before = runtime.pipeline.pending_count()

    async def scenario() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        sub = runtime.live.subscribe({ALL, "conversations"})

        def change(uow: UnitOfWork) -> str:
            draft = EventDraft(
                type="case.opened", customer_id=customer_id, payload={}, occurred_at=uow.now
            )
            uow.push(
                conversation_typing(["conversations"], "c1", who="agent", name="A", typing=True)
            )
            return str(uow.record([draft]).rows[0]["id"])

        def refused(uow: UnitOfWork) -> None:
            draft = EventDraft(
                type="case.opened", customer_id=customer_id, payload={}, occurred_at=uow.now
            )
            uow.record([draft])
            uow.push(
                conversation_typing(["conversations"], "c2", who="agent", name="A", typing=True)
            )
            raise Refused

        event_id = await runtime.work.run(change)
        committed = [await sub.get(timeout=2), await sub.get(timeout=2)]
        with pytest.raises(Refused):
            await runtime.work.run(refused)
        after_rollback = []
        while True:
            try:
                after_rollback.append(await sub.get(timeout=0.2))
            except TimeoutError:
                break
        assert committed[0]["event"]["id"] == event_id  # type: ignore[index]
        return committed, after_rollback

    try:
        committed, after_rollback = asyncio.run(scenario())
        pending = runtime.pipeline.pending_count()
    finally:
        runtime.db.dispose()
    # Events first (as story.recorded), then the queued push, each once.
    assert [m["kind"] for m in committed] == ["story.recorded", "conversation.typing"]
    # A rolled-back unit sends nothing and leaves no pipeline job behind.
    assert after_rollback == []
    assert pending == before + 1
