"""Inbound messages from every channel go through the normal ingest path, then this pushes
them live at once (before the pipeline has projected them) so agent screens see them within
milliseconds; the project stage later sends the same message again with its final state
(same ``event_id``: screens replace it).

Messages that arrive while an ingest transaction is running wait for it and are then recorded
together, in one transaction (group commit). Ingest runs one write transaction at a time per
process anyway; without grouping, a burst of ``n`` chat messages queued ``n`` transactions and
the last one waited for all of them, each paying its own begin, identity look-ups and commit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from onestory.app_state import Runtime
from onestory.conversations.models import Conversation
from onestory.conversations.repository import OPEN_STATUSES
from onestory.events.service import ItemOutcome, Recorded
from onestory.ingest.service import ingest_with_retry
from onestory.kit.errors import InvalidInput, OneStoryError, PayloadTooLarge
from onestory.live import messages

log = logging.getLogger(__name__)

# Items recorded in one group transaction at most (a webhook burst, a busy chat hour).
MAX_GROUP_ITEMS = 200
# Groups recorded at once: one holding the write lock, the next waiting for it.
MAX_IN_FLIGHT = 2

_Waiter = tuple[list[dict[str, Any]], "asyncio.Future[list[ItemOutcome]]"]


class Inbound:
    """Where every inbound channel (webhooks, widget, email) hands its messages; one per
    application, grouping on whichever event loop serves it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._group: InboundGroup | None = None

    async def receive(self, items: list[dict[str, Any]]) -> list[ItemOutcome]:
        """Record inbound envelopes (idempotent by source + provider message id), push the
        messages live, then answer with one outcome per item (``index`` into ``items``)."""
        if self._group is None or not self._group.serves_running_loop():
            self._group = InboundGroup(self.runtime)
        return await self._group.receive(items)


class InboundGroup:
    """Group commit of inbound messages: at most two ingests of this process's inbound channels
    are under way (one recording, one waiting for the write lock), and whatever arrives
    meanwhile is recorded together in the next one.

    A caller that goes away (a closed WebSocket) does not cancel the transaction its message
    is part of: the group runs in its own task, and the others still get their outcomes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._loop = asyncio.get_running_loop()
        self._pending: list[_Waiter] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: asyncio.Task[None] | None = None

    def serves_running_loop(self) -> bool:
        return self._loop is asyncio.get_running_loop()

    async def receive(self, items: list[dict[str, Any]]) -> list[ItemOutcome]:
        if not items:
            return []
        done: asyncio.Future[list[ItemOutcome]] = self._loop.create_future()
        # A sender that went away never reads its outcome; an error then is not worth a warning.
        done.add_done_callback(_consume_error)
        self._pending.append((items, done))
        self._dispatch()
        return await asyncio.shield(done)

    def _dispatch(self) -> None:
        # Two groups in flight: while one holds the write lock the next already waits for it
        # in its thread and takes it the moment it is free (a hand-off through the event loop
        # costs GIL switches, and the pipeline would take the lock in between).
        while self._pending and self._in_flight < MAX_IN_FLIGHT:
            group: list[_Waiter] = []
            size = 0
            while self._pending and (
                not group or size + len(self._pending[0][0]) <= MAX_GROUP_ITEMS
            ):
                waiter = self._pending.pop(0)
                group.append(waiter)
                size += len(waiter[0])
            self._in_flight += 1
            task = self._loop.create_task(self._run(group), name="inbound-group")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, group: list[_Waiter]) -> None:
        try:
            try:
                recorded = await self._record(group)
            except Exception as exc:
                # A bug must not leave senders waiting forever.
                log.exception("inbound group failed")
                _fail(group, exc)
                return
            # The pushes run beside the next group's ingest, in the order the groups were
            # recorded, so screens see messages in that order.
            for waiters, outcomes, rec, convs in recorded:
                self._last = self._loop.create_task(
                    self._finish(waiters, outcomes, rec, convs, self._last), name="inbound-push"
                )
        finally:
            self._in_flight -= 1
            self._dispatch()

    async def _record(
        self, group: list[_Waiter]
    ) -> list[tuple[list[_Waiter], list[ItemOutcome], Recorded, dict[str, str]]]:
        items = [item for its, _fut in group for item in its]
        try:
            outcomes, recorded, convs = await run_in_threadpool(_ingest, self.runtime, items)
        except Exception as exc:
            if len(group) == 1 or isinstance(exc, OneStoryError):
                # A busy store (503) is the same answer for everyone in the group.
                _fail(group, exc)
                return []
            # Something unexpected: record each caller's items on their own, so one bad
            # request cannot fail the messages that happened to arrive with it.
            log.exception("grouped inbound ingest failed; recording the requests one by one")
            out = []
            for waiter in group:
                out.extend(await self._record([waiter]))
            return out
        except BaseException:
            for _its, fut in group:
                fut.cancel()
            raise
        return [(group, outcomes, recorded, convs)]

    async def _finish(
        self,
        group: list[_Waiter],
        outcomes: list[ItemOutcome],
        recorded: Recorded,
        conversations: dict[str, str],
        previous: asyncio.Task[None] | None,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            # The message first: it is what an agent is waiting to see.
            await _push_early(self.runtime, recorded, conversations)
            await self.runtime.work.publish_recorded(recorded)
        except Exception:
            # Recorded and committed: the pipeline's recovery sweep still processes the
            # events, so the callers get their outcomes.
            log.exception("pushing inbound messages after commit failed")
        by_index = sorted(outcomes, key=lambda o: o.index)
        start = 0
        for its, fut in group:
            end = start + len(its)
            mine = [
                dataclasses.replace(o, index=o.index - start)
                for o in by_index
                if start <= o.index < end
            ]
            start = end
            if not fut.done():
                fut.set_result(mine)


def _fail(group: list[_Waiter], exc: Exception) -> None:
    for _its, fut in group:
        if not fut.done():
            fut.set_exception(exc)


def _consume_error(fut: asyncio.Future[list[ItemOutcome]]) -> None:
    if not fut.cancelled():
        fut.exception()


def _ingest(
    runtime: Runtime, items: list[dict[str, Any]]
) -> tuple[list[ItemOutcome], Recorded, dict[str, str]]:
    outcomes, recorded = ingest_with_retry(runtime, items)
    try:
        # In the same thread, after the write lock is released: no extra hand-off.
        conversations = _open_conversations(runtime, recorded)
    except Exception:
        log.exception("looking up the conversations of inbound messages failed")
        conversations = {}
    return outcomes, recorded, conversations


def _open_conversations(runtime: Runtime, recorded: Recorded) -> dict[str, str]:
    """The open conversation of each customer who sent a message (read after the commit)."""
    customers = {r["customer_id"] for r in recorded.rows if r["type"] == "message.received"}
    if not customers:
        return {}
    with runtime.db.transaction() as s:
        return {
            cid: conv_id
            for cid, conv_id in s.execute(
                select(Conversation.customer_id, Conversation.id).where(
                    Conversation.customer_id.in_(customers),
                    Conversation.status.in_(OPEN_STATUSES),
                )
            )
        }


async def _push_early(runtime: Runtime, recorded: Recorded, conversations: dict[str, str]) -> None:
    for r in recorded.rows:
        conv_id = conversations.get(r["customer_id"])
        if r["type"] != "message.received" or conv_id is None:
            continue
        channels, message = messages.inbound_message_early(r, conv_id)
        await runtime.live.publish(channels, message)


def raise_for(outcome: ItemOutcome) -> None:
    """Turn a rejected ingest outcome into the API error it means."""
    if outcome.status < 400:
        return
    err: OneStoryError
    if outcome.status == 413:
        err = PayloadTooLarge("the message is too large", errors=outcome.errors)
    else:
        err = InvalidInput("the message could not be recorded", errors=outcome.errors)
    raise err
