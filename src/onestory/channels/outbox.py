"""Delivery of queued outbound messages with outbox semantics.

The act stage turns every ``message.sent`` recorded with ``status: "queued"`` into one
``channel_outbox`` row (unique per event, so a re-run stage adds nothing). After commit the
outbox worker claims rows (``sending``, committed before the provider is called), sends, and
records the outcome as a story event (``message.status`` sent / ``message.delivered`` /
``message.failed``). A crash after the claim leaves a ``sending`` row that is failed as
"outcome unknown" at start-up instead of being sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.app_state import Runtime
from onestory.channels.base import OutboundMessage, Sender, SendResult
from onestory.conversations.models import Conversation, ConversationMessage, OutboxItem
from onestory.customers import repository as customers_repo
from onestory.events.service import EventDraft
from onestory.kit.ids import new_id
from onestory.models import Event
from onestory.pipeline.stages import StageContext, StoredEvent
from onestory.pipeline.uow import UnitOfWork
from onestory.privacy import service as privacy

log = logging.getLogger(__name__)

# Text channels we can reach a customer on, and the identity kind that addresses them.
ADDRESS_KIND = {"email": "email", "sms": "phone", "whatsapp": "phone"}
# Channels delivered over OneStory's own live connection (widget, app): no address needed.
LIVE_CHANNELS = ("chat", "web", "app", "api")
# Channels that cannot carry a text reply themselves; the reply goes by SMS instead.
FALLBACK = {"voice": "sms"}


@dataclass(frozen=True)
class Route:
    channel: str | None
    address: str | None
    error: str | None = None


def route(
    session: Session, customer_id: str, requested: str | None, current: str | None, purpose: str
) -> Route:
    """Pick the channel: the one asked for, else the customer's stated preference, else the
    conversation's current channel; a channel without consent or an address is skipped."""
    ids = customers_repo.group_ids(session, customer_id)
    pref = privacy.preferred_channel(session, ids)
    candidates = [c for c in (requested, pref, current) if c]
    if not candidates:
        candidates = ["email", "sms", "chat"]
    addresses: dict[str, str] = {}
    for ident in customers_repo.identities_of(session, ids):
        addresses.setdefault(ident.kind, ident.value)
    reasons = []
    for raw in dict.fromkeys(candidates):
        channel = FALLBACK.get(raw, raw)
        if not privacy.consented(session, ids, purpose, channel):
            reasons.append(f"no {purpose} consent for {channel}")
            if raw == requested:
                break
            continue
        if channel in LIVE_CHANNELS:
            return Route(channel, customer_id)
        if channel == "social":
            # Identities of kind "social.<network>" hold the handle: address "network:handle".
            handle = next(
                (
                    f"{k.split('.', 1)[1]}:{v}"
                    for k, v in addresses.items()
                    if k.startswith("social.")
                ),
                None,
            )
            if handle:
                return Route(channel, handle)
            reasons.append("no social handle known")
            continue
        kind = ADDRESS_KIND.get(channel)
        if kind is None:
            reasons.append(f"{channel} has no outbound sender")
            continue
        if kind in addresses:
            return Route(channel, addresses[kind])
        reasons.append(f"no {kind} known for {channel}")
    return Route(None, None, "; ".join(reasons) or "no channel to reach the customer")


class Outbox:
    """Queued messages → senders, one per application (the channels plugin's ``outbox``;
    tests swap its ``senders``). A background service: it delivers between start and stop."""

    name = "outbox"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.senders: dict[str, Sender] = {}
        self._task: asyncio.Task[None] | None = None
        self._again = False

    # --- act stage -----------------------------------------------------------------------
    def queue_from_stage(
        self, session: Session, events: list[StoredEvent], ctx: StageContext
    ) -> None:
        """Stage handler ``channels.deliveries_queued`` (act stage)."""
        queued = [
            e
            for e in events
            if e.type == "message.sent" and e.customer_id and e.payload.get("status") == "queued"
        ]
        if not queued:
            return
        have = set(
            session.scalars(
                select(OutboxItem.event_id).where(OutboxItem.event_id.in_([e.id for e in queued]))
            )
        )
        now = ctx.clock.now()
        for ev in queued:
            if ev.id in have:
                continue
            assert ev.customer_id is not None
            conv_id = ev.payload.get("conversation_id")
            msg = session.scalar(
                select(ConversationMessage).where(ConversationMessage.event_id == ev.id)
            )
            if msg is not None:
                conv_id = msg.conversation_id
            conv = session.get(Conversation, conv_id) if isinstance(conv_id, str) else None
            purpose = str(ev.payload.get("purpose") or "service")
            r = route(session, ev.customer_id, ev.channel, conv.channel if conv else None, purpose)
            item = OutboxItem(
                event_id=ev.id,
                customer_id=ev.customer_id,
                conversation_id=conv.id if conv else None,
                channel=r.channel or (ev.channel or "none"),
                address=r.address,
                status="pending" if r.channel else "failed",
                attempts=0,
                last_error=r.error,
                created_at=now,
                updated_at=now,
            )
            session.add(item)
            if r.channel is None:
                ctx.emit(_outcome_draft(item, SendResult(False, error=r.error), now))
        ctx.on_commit(self.kick)

    # --- worker --------------------------------------------------------------------------
    async def kick(self) -> None:
        """Make sure the worker runs (again) soon; cheap to call often."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._drain(), name="channels-outbox")

    async def _drain(self) -> None:
        while True:
            self._again = False
            try:
                claimed = await asyncio.to_thread(self._claim, 20)
            except Exception:
                log.exception("outbox: claiming failed")
                return
            for item_id, message in claimed:
                result = await self._send(message)
                try:
                    await self.runtime.work.run(partial(self._finish, item_id, result))
                except Exception:
                    log.exception("outbox: recording the outcome of %s failed", message.event_id)
            if not claimed and not self._again:
                return

    async def _send(self, message: OutboundMessage) -> SendResult:
        if message.channel in LIVE_CHANNELS:
            # The widget/app shows it from the live push of the conversation message.
            return SendResult(True, provider_id=None, status="delivered")
        sender = self.senders.get(message.channel)
        if sender is None:
            return SendResult(False, error=f"no sender configured for {message.channel}")
        try:
            return await asyncio.to_thread(sender.send, message)
        except Exception as exc:
            log.exception("outbox: %s sender raised", message.channel)
            return SendResult(False, error=f"{type(exc).__name__}: {exc}"[:500])

    def _claim(self, limit: int) -> list[tuple[int, OutboundMessage]]:
        runtime = self.runtime
        now = runtime.clock.now()
        out: list[tuple[int, OutboundMessage]] = []
        with runtime.db.transaction(write=True) as s:
            q = select(OutboxItem).where(OutboxItem.status == "pending").order_by(OutboxItem.id)
            if not runtime.db.is_sqlite:
                q = q.with_for_update(skip_locked=True)
            for item in s.scalars(q.limit(limit)):
                item.status = "sending"
                item.attempts += 1
                item.updated_at = now
                out.append((item.id, _message(s, item)))
        return out

    def _finish(self, item_id: int, result: SendResult, uow: UnitOfWork) -> None:
        s, now = uow.session, uow.now
        item = s.get(OutboxItem, item_id)
        if item is None:
            return
        item.status = "sent" if result.ok else "failed"
        item.provider_id = result.provider_id
        item.last_error = result.error
        item.updated_at = now
        uow.record([_outcome_draft(item, result, now)])

    def fail_stale(self, uow: UnitOfWork) -> None:
        """At start-up: a ``sending`` row outlived its worker; never resend it."""
        s, now = uow.session, uow.now
        cutoff = now - timedelta(seconds=self.runtime.settings.channels.stale_sending_seconds)
        q = select(OutboxItem).where(OutboxItem.status == "sending", OutboxItem.updated_at < cutoff)
        drafts = []
        for item in s.scalars(q):
            item.status = "failed"
            item.last_error = "outcome unknown: the sender stopped mid-send; not resent"
            item.updated_at = now
            drafts.append(_outcome_draft(item, SendResult(False, error=item.last_error), now))
        uow.record(drafts)

    async def start(self) -> None:
        await self.runtime.work.run(self.fail_stale)
        await self.kick()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the worker has nothing in hand (tests, CLI)."""
        async with asyncio.timeout(timeout):
            while self._task is not None and not self._task.done():
                await asyncio.sleep(0.01)


def _message(session: Session, item: OutboxItem) -> OutboundMessage:
    ev = session.scalar(select(Event).where(Event.id == item.event_id))
    payload: dict[str, Any] = ev.payload if ev else {}
    subject = payload.get("subject")
    headers: dict[str, str] = {}
    if item.channel == "email" and item.conversation_id:
        conv = session.get(Conversation, item.conversation_id)
        found = list(
            session.scalars(
                select(ConversationMessage.external_id)
                .where(
                    ConversationMessage.conversation_id == item.conversation_id,
                    ConversationMessage.channel == "email",
                    ConversationMessage.external_id.is_not(None),
                    ConversationMessage.event_id != item.event_id,
                )
                .order_by(ConversationMessage.occurred_at, ConversationMessage.id)
            )
        )
        refs = [r for r in found if r and r.startswith("<")]
        if refs:
            headers["In-Reply-To"] = refs[-1]
            headers["References"] = " ".join(refs[-20:])
        if not subject and conv is not None and conv.subject:
            subject = (
                conv.subject if conv.subject.lower().startswith("re:") else f"Re: {conv.subject}"
            )
    return OutboundMessage(
        event_id=item.event_id,
        customer_id=item.customer_id,
        conversation_id=item.conversation_id,
        channel=item.channel,
        address=item.address,
        text=str(payload.get("text") or ""),
        subject=str(subject) if subject else None,
        headers=headers,
    )


def _outcome_draft(item: OutboxItem, result: SendResult, now: datetime) -> EventDraft:
    if result.ok:
        type_ = "message.delivered" if result.status == "delivered" else "message.status"
    else:
        type_ = "message.failed"
    payload: dict[str, Any] = {
        "message_event_id": item.event_id,
        "status": result.status if result.ok else "failed",
        "channel": item.channel,
    }
    if item.conversation_id:
        payload["conversation_id"] = item.conversation_id
    if result.provider_id:
        payload["provider_id"] = result.provider_id
    if result.error:
        payload["error"] = result.error
    return EventDraft(
        type=type_,
        customer_id=item.customer_id,
        payload=payload,
        occurred_at=now,
        channel=item.channel if item.channel != "none" else None,
        idempotency_key=f"outbox:{item.event_id}:{payload['status']}",
    )


class OutboundApi:
    """Queue a message to a customer from any domain (the channels plugin's ``outbound``).

    Inside a pipeline stage, emit ``outbound.draft(...)`` with ``ctx.emit``; elsewhere, await
    ``outbound.queue(...)``. Either way the act stage delivers it and records the outcome.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def draft(
        self,
        customer_id: str,
        text: str,
        *,
        occurred_at: datetime,
        channel: str | None = None,
        author: str = "system",
        subject: str | None = None,
        conversation_id: str | None = None,
        purpose: str = "service",
        key: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> EventDraft:
        payload: dict[str, Any] = {
            "text": text,
            "author": author,
            "status": "queued",
            "purpose": purpose,
            **(extra or {}),
        }
        if subject:
            payload["subject"] = subject
        if conversation_id:
            payload["conversation_id"] = conversation_id
        return EventDraft(
            type="message.sent",
            customer_id=customer_id,
            payload=payload,
            occurred_at=occurred_at,
            channel=channel,
            idempotency_key=key or new_id("out"),
        )

    async def queue(self, customer_id: str, text: str, **kw: Any) -> str:
        """Record a queued message in its own transaction; returns its event id."""
        draft = self.draft(customer_id, text, occurred_at=self.runtime.clock.now(), **kw)

        def tx(uow: UnitOfWork) -> str:
            recorded = uow.record([draft])
            return str(recorded.rows[0]["id"]) if recorded.rows else ""

        return await self.runtime.work.run(tx)
