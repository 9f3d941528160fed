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
import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from onestory.conversations.models import Conversation
from onestory.conversations.repository import OPEN_STATUSES
from onestory.conversations.views import CONVERSATIONS, conversation_channel
from onestory.events.ingest import ingest_with_retry
from onestory.events.service import ItemOutcome, Recorded
from onestory.kit.errors import InvalidInput, OneStoryError, PayloadTooLarge
from onestory.live.hub import customer_channel

if TYPE_CHECKING:
    from onestory.app_state import Runtime

log = logging.getLogger(__name__)

# Items recorded in one group transaction at most (a webhook burst, a busy chat hour).
MAX_GROUP_ITEMS = 200

_Waiter = tuple[list[dict[str, Any]], "asyncio.Future[list[ItemOutcome]]"]


async def receive(runtime: Runtime, items: list[dict[str, Any]]) -> list[ItemOutcome]:
    """Record inbound envelopes (idempotent by source + provider message id), push the
    messages live, then answer with one outcome per item (``index`` into ``items``)."""
    group: InboundGroup | None = runtime.services.get("inbound_group")
    if group is None or not group.serves_running_loop():
        group = runtime.services["inbound_group"] = InboundGroup(runtime)
    return await group.receive(items)


class InboundGroup:
    """Group commit of inbound messages: at most one ingest of this process's inbound channels
    runs at a time, and whatever arrived meanwhile is recorded together in the next one.

    A caller that goes away (a closed WebSocket) does not cancel the transaction its message
    is part of: the group runs in its own task, and the others still get their outcomes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._loop = asyncio.get_running_loop()
        self._pending: list[_Waiter] = []
        self._task: asyncio.Task[None] | None = None

    def serves_running_loop(self) -> bool:
        return self._loop is asyncio.get_running_loop()

    async def receive(self, items: list[dict[str, Any]]) -> list[ItemOutcome]:
        if not items:
            return []
        done: asyncio.Future[list[ItemOutcome]] = self._loop.create_future()
        # A sender that went away never reads its outcome; an error then is not worth a warning.
        done.add_done_callback(_consume_error)
        self._pending.append((items, done))
        if self._task is None:
            self._task = self._loop.create_task(self._drain(), name="inbound-group")
        return await asyncio.shield(done)

    async def _drain(self) -> None:
        try:
            while self._pending:
                group: list[_Waiter] = []
                size = 0
                while self._pending and (
                    not group or size + len(self._pending[0][0]) <= MAX_GROUP_ITEMS
                ):
                    waiter = self._pending.pop(0)
                    group.append(waiter)
                    size += len(waiter[0])
                try:
                    await self._record(group)
                except Exception as exc:
                    # A bug after the ingest must not leave senders waiting forever.
                    log.exception("inbound group failed")
                    for _items, fut in group:
                        if not fut.done():
                            fut.set_exception(exc)
        finally:
            self._task = None
            # Only reached with waiters left when the loop is shutting down (cancelled).
            for _items, fut in self._pending:
                fut.cancel()
            self._pending.clear()

    async def _record(self, group: list[_Waiter]) -> None:
        items = [item for its, _fut in group for item in its]
        try:
            outcomes, recorded = await run_in_threadpool(_ingest, self.runtime, items)
        except Exception as exc:
            if len(group) == 1 or isinstance(exc, OneStoryError):
                # A busy store (503) is the same answer for everyone in the group.
                for _its, fut in group:
                    if not fut.done():
                        fut.set_exception(exc)
                return
            # Something unexpected: record each caller's items on their own, so one bad
            # request cannot fail the messages that happened to arrive with it.
            log.exception("grouped inbound ingest failed; recording the requests one by one")
            for waiter in group:
                await self._record([waiter])
            return
        except BaseException:
            for _its, fut in group:
                fut.cancel()
            raise
        try:
            # The message first: it is what an agent is waiting to see.
            await _push_early(self.runtime, recorded)
            await self.runtime.after_record(recorded)
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


def _consume_error(fut: asyncio.Future[list[ItemOutcome]]) -> None:
    if not fut.cancelled():
        fut.exception()


def _ingest(runtime: Runtime, items: list[dict[str, Any]]) -> tuple[list[ItemOutcome], Recorded]:
    outcomes, recorded = ingest_with_retry(runtime, items)
    conv_of: dict[str, str] = {}
    customers = {r["customer_id"] for r in recorded.rows if r["type"] == "message.received"}
    if customers:
        with runtime.db.transaction() as s:
            for cid, conv_id in s.execute(
                select(Conversation.customer_id, Conversation.id).where(
                    Conversation.customer_id.in_(customers),
                    Conversation.status.in_(OPEN_STATUSES),
                )
            ):
                conv_of[cid] = conv_id
    for r in recorded.rows:
        if r["customer_id"] in conv_of:
            r["_conversation_id"] = conv_of[r["customer_id"]]
    return outcomes, recorded


async def _push_early(runtime: Runtime, recorded: Recorded) -> None:
    for r in recorded.rows:
        conv_id = r.pop("_conversation_id", None)
        if r["type"] != "message.received" or conv_id is None:
            continue
        p = r["payload"]
        await runtime.live.publish(
            [customer_channel(r["customer_id"]), conversation_channel(conv_id), CONVERSATIONS],
            {
                "kind": "conversation.message",
                "conversation_id": conv_id,
                "customer_id": r["customer_id"],
                "early": True,
                "message": {
                    "event_id": r["id"],
                    "conversation_id": conv_id,
                    "direction": "inbound",
                    "channel": r["channel"],
                    "author": "customer",
                    "author_id": None,
                    "kind": "message",
                    "text": p.get("text"),
                    "subject": p.get("subject"),
                    "status": None,
                    "attachments": p.get("attachments") or [],
                    "external_id": p.get("message_id"),
                    "meta": {},
                    "occurred_at": r["occurred_at"].isoformat(),
                },
            },
        )


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


def sign_body(secret: str, body: bytes) -> str:
    """``X-OneStory-Signature`` value for a webhook body: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign_body(secret, body), header or "")
